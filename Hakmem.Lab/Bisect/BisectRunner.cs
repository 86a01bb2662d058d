using System.Diagnostics;
using System.Globalization;
using Hakmem.Lab.Compare;
using Hakmem.Lab.Results;
using Hakmem.Lab.Running;

namespace Hakmem.Lab.Bisect;

public enum BisectMode { Crash, Throughput }

/// <summary>How a bisection decides and what it may spend. <see cref="StartRuns"/>: runs at each end before
/// bisecting (crash), or pairs a comparison takes before its first look (throughput).</summary>
public sealed record BisectSettings(BisectMode Mode, double Confidence, int MaxRuns, int StartRuns, double Threshold, int MaxPairs, TimeSpan Timeout, int Seed);

/// <summary>What a bisection found. <see cref="ExitCode"/>: 0 found, 1 undecided (the budget ended, the
/// answer lies among skips, or the slowdown is gradual), 2 the ends do not differ as BAD must.</summary>
public sealed record BisectResult
{
    public required BisectMode Mode { get; init; }
    public required int ExitCode { get; init; }
    /// <summary>One line: what was found, or why nothing was.</summary>
    public required string Verdict { get; init; }
    public Commit? FirstBad { get; init; }
    public Commit? LastGood { get; init; }
    /// <summary>By crash: the posterior probability of the first bad commit. By throughput: a lower bound on the
    /// probability that every verdict on the path was right (one minus the sum of their error rates).</summary>
    public double Probability { get; init; }
    public int Runs { get; init; }
    public int CommitsBuilt { get; init; }
    /// <summary>The commits the first bad one could be when skips hide it.</summary>
    public IReadOnlyList<Commit> Candidates { get; init; } = [];
    /// <summary>By throughput, when no single commit is slower: the commits over which it slowed.</summary>
    public IReadOnlyList<Commit> Gradual { get; init; } = [];
    /// <summary>The answer checked directly: first bad against last good.</summary>
    public string Direct { get; init; } = "";
    /// <summary>What a reader of the answer should know (a rate that steps up twice, a later fix, touched workloads).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];
}

/// <summary>Runs a bisection: the ends first (BAD must fail more often, or be slower, than GOOD, or nothing is
/// bisected), then one step at a time (<see cref="BisectPlanner"/>) until the answer holds, then the answer
/// checked directly, first bad against last good. Every run goes to runs.csv as it ends, with its commit as its
/// build; a progress line after each batch says the commit under test, its runs, and the best guess.</summary>
public sealed class BisectRunner
{
    private readonly CommitRange _range;
    private readonly CommitBuilder _builder;
    private readonly BisectSettings _s;
    private CsvAppender<RunRecord>? _csv;
    private readonly TextWriter _progress;
    private readonly Probe[] _probes;
    private readonly Random _orders;
    private readonly string _id;
    private readonly List<TimeSpan> _builds = [];
    private readonly Stopwatch _runClock = new();
    private int _runs, _sequence;

    public BisectRunner(CommitRange range, CommitBuilder builder, BisectSettings settings, TextWriter progress)
    {
        _range = range;
        _builder = builder;
        _s = settings;
        _progress = progress;
        _probes = range.Commits.Select(c => new Probe(c)).ToArray();
        _orders = new Random(settings.Seed);
        _id = "bisect" + DateTime.UtcNow.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture);
    }

    public IReadOnlyList<Probe> Probes => _probes;
    private Probe Good => _probes[0];
    private Probe Bad => _probes[^1];
    private int N => _probes.Length - 1;
    private int Remaining => _s.MaxRuns - _runs;
    public int CommitsBuilt => _probes.Count(p => p.Build != null);

    /// <summary>The failure kinds that count: those BAD showed (a crash hunt is not thrown off by a timeout).</summary>
    public IReadOnlySet<Outcome> Kinds => Bad.Runs.Where(r => r.Outcome.IsFailure()).Select(r => r.Outcome).ToHashSet();

    /// <summary>Builds GOOD and BAD; ArgumentException when either cannot be tested (before anything is written).</summary>
    public void PrepareEnds()
    {
        foreach (var end in new[] { Good, Bad })
        {
            if (!EnsureBuilt(end))
                throw new ArgumentException($"{(end == Good ? "GOOD" : "BAD")} {end.Commit.Short} cannot be tested: {end.Skip}");
        }
    }

    public async Task<BisectResult> RunAsync(CsvAppender<RunRecord> csv, CancellationToken cancel)
    {
        _csv = csv;
        PrepareEnds();
        return _s.Mode == BisectMode.Crash ? await CrashAsync(cancel) : await ThroughputAsync(cancel);
    }

    /// <summary>What an interrupted bisection knows: its runs so far, no answer. Exit code 130, as for SIGINT.</summary>
    public BisectResult Interrupted() => new()
    {
        Mode = _s.Mode, ExitCode = 130, Runs = _runs, CommitsBuilt = CommitsBuilt,
        Verdict = $"interrupted after {_runs} runs: each commit's row holds what was measured of it; no commit was named",
    };

    // ---- building and running ----

    private bool EnsureBuilt(Probe p)
    {
        if (p.Build != null) return true;
        if (p.Skip != null) return false;
        _progress.WriteLine($"bisect: building {p.Commit.Short} ({Position(p)}) {Subject(p)}");
        try
        {
            p.Build = _builder.Build(p.Commit);
            if (!p.Build.Cached) _builds.Add(p.Build.BuildTime);
            _progress.WriteLine(string.Create(CultureInfo.InvariantCulture, $"bisect: {p.Commit.Short} {(p.Build.Cached ? "cached" : $"built in {p.Build.BuildTime.TotalSeconds:0.0} s")}"));
            return true;
        }
        catch (BuildSkippedException e)
        {
            p.Skip = e.Message;
            _progress.WriteLine($"bisect: skip {p.Commit.Short} ({Position(p)}): {e.Message}");
            return false;
        }
    }

    /// <summary>One run of a commit; null when the run was refused (a configuration error: the commit becomes a
    /// skip, or at an end the bisection stops with it).</summary>
    private async Task<RunResult?> RunOne(Probe p, CancellationToken cancel, string side = "", string order = "")
    {
        var build = p.Build!;
        int index = p.NextIndex;
        var started = DateTimeOffset.UtcNow;
        _runClock.Start();
        var result = await new ChildRunner(build.Worker).RunAsync(build.Spec, _s.Timeout, index, cancel);
        _runClock.Stop();
        if (result.Outcome == Outcome.Refused)
        {
            if (p == Good || p == Bad) throw RunRefusedException.For($"{(p == Good ? "GOOD" : "BAD")} {p.Commit.Short}", result.Message);
            p.Skip = $"a configuration error, not a failure: {result.Message}";
            _progress.WriteLine($"bisect: skip {p.Commit.Short} ({Position(p)}): {p.Skip}");
            return null;
        }
        p.NextIndex++;
        _runs++;
        p.Runs.Add(result);
        var record = RunRecords.From(build.Spec, build.Spec.Parse(), result, index, $"{_id}-{++_sequence:D5}-{p.Commit.Short}", started)
            with { Build = build.Build, Side = side, Order = order };
        record = FailureArtifacts.Attach(record, _csv!, build.Spec, result, build.Worker);
        _csv!.Add(record);
        return result;
    }

    private async Task Batch(Probe p, int runs, CancellationToken cancel)
    {
        for (int i = 0; i < runs && p.Skip == null && Remaining > 0; i++)
        {
            cancel.ThrowIfCancellationRequested();
            await RunOne(p, cancel);
        }
    }

    private double RunSeconds => _runs == 0 ? 1 : _runClock.Elapsed.TotalSeconds / _runs;
    private double BuildSeconds => _builds.Count == 0 ? 1 : _builds.Average(b => b.TotalSeconds);

    // ---- by crash ----

    public CrashPosterior Posterior()
    {
        var kinds = Kinds;
        var post = new CrashPosterior(_probes.Length);
        foreach (var p in _probes)
        {
            if (p.Skip != null) post.Skip(p.Commit.Position);
            else post.Add(p.Commit.Position, p.Runs.Count, p.Failures(kinds));
        }
        return post;
    }

    private async Task<BisectResult> CrashAsync(CancellationToken cancel)
    {
        // The ends, alternately, until BAD is shown to fail more often than GOOD (or is shown not to).
        int cap = Math.Min(3 * _s.StartRuns, _s.MaxRuns / 2);
        double worse = 0;
        while (true)
        {
            int target = Math.Min(Good.Runs.Count + _s.StartRuns, cap);
            while ((Good.Runs.Count < target || Bad.Runs.Count < target) && Remaining > 0)
            {
                cancel.ThrowIfCancellationRequested();
                if (Bad.Runs.Count < target) await RunOne(Bad, cancel);
                if (Good.Runs.Count < target) await RunOne(Good, cancel);
            }
            var k = Kinds;
            worse = CrashPosterior.ProbabilityWorse(Good.Failures(k), Good.Runs.Count, Bad.Failures(k), Bad.Runs.Count);
            _progress.WriteLine($"bisect: ends: GOOD {Rate(Good, k)}, BAD {Rate(Bad, k)}; P(BAD fails more often) = {Percent(worse)}");
            if (worse >= _s.Confidence) break;
            if (Good.Runs.Count >= cap || Remaining <= 0)
                return new BisectResult
                {
                    Mode = BisectMode.Crash, ExitCode = 2, Runs = _runs, CommitsBuilt = CommitsBuilt,
                    Verdict = $"BAD {Bad.Commit.Short} does not fail more often than GOOD {Good.Commit.Short}: GOOD {RateWithInterval(Good, k)}, BAD {RateWithInterval(Bad, k)} "
                        + $"(P(BAD fails more often) = {Percent(worse)}, below {Percent(_s.Confidence)}); "
                        + (k.Count == 0 ? "BAD never failed" : $"failures counted: {string.Join(", ", k.Select(o => o.Name()))}"),
                };
        }

        string? stop = null;
        var verified = new HashSet<int>();
        while (true)
        {
            cancel.ThrowIfCancellationRequested();
            var post = Posterior();
            var (group, p) = post.BestGroup();
            if (p >= _s.Confidence)
            {
                if (group.Count > 1) break;
                // The answer, checked: both commits of the direct comparison get at least the ends' first runs.
                int k = group[0];
                var topUp = new[] { _probes[k], _probes[k - 1] }.Where(x => x.Runs.Count < _s.StartRuns && x.Skip == null && !verified.Contains(x.Commit.Position)).ToList();
                if (topUp.Count == 0 || Remaining <= 0) break;
                foreach (var x in topUp)
                {
                    verified.Add(x.Commit.Position);
                    await Batch(x, _s.StartRuns - x.Runs.Count, cancel);
                    Progress(x, post: null);
                }
                continue;
            }
            var step = BisectPlanner.NextCrash(post, j => _probes[j].Build != null, BuildSeconds, RunSeconds, Remaining);
            if (step == null)
            {
                stop = Remaining <= 0 ? $"--max-runs {_s.MaxRuns} spent" : "more runs cannot tell the commits left apart";
                break;
            }
            var probe = _probes[step.Position];
            if (!EnsureBuilt(probe)) continue;
            await Batch(probe, step.Runs, cancel);
            Progress(probe, Posterior());
        }
        return CrashResult(stop);
    }

    private BisectResult CrashResult(string? stop)
    {
        var post = Posterior();
        var (group, p) = post.BestGroup();
        var (best, bestP) = post.Best();
        var kinds = Kinds;
        var notes = ModelNotes(post, kinds);
        if (stop == null && group.Count == 1)
        {
            var first = _probes[group[0]];
            var last = _probes[group[0] - 1];
            return new BisectResult
            {
                Mode = BisectMode.Crash, ExitCode = 0, FirstBad = first.Commit, LastGood = last.Commit, Probability = p, Runs = _runs, CommitsBuilt = CommitsBuilt,
                Verdict = $"first bad commit {first.Commit.Short} ({Position(first)}) with probability {Percent(p)}: {Subject(first)}",
                Direct = Direct(last, first, kinds), Notes = notes,
            };
        }
        if (stop == null)
        {
            // The mass sits on commits that skips make indistinguishable.
            var candidates = group.Select(i => _probes[i].Commit).ToList();
            var lastGood = _probes[group[0] - 1];
            return new BisectResult
            {
                Mode = BisectMode.Crash, ExitCode = 1, FirstBad = _probes[group[^1]].Commit, LastGood = lastGood.Commit, Probability = p, Runs = _runs, CommitsBuilt = CommitsBuilt,
                Candidates = candidates, Notes = notes,
                Verdict = $"the first bad commit is one of {string.Join(", ", candidates.Select(c => c.Short))} (probability {Percent(p)} together): "
                    + "the commits before the last of them cannot be tested",
            };
        }
        var guess = _probes[best];
        return new BisectResult
        {
            Mode = BisectMode.Crash, ExitCode = 1, FirstBad = guess.Commit, LastGood = _probes[best - 1].Commit, Probability = bestP, Runs = _runs, CommitsBuilt = CommitsBuilt,
            Verdict = $"undecided: {stop}; best guess {guess.Commit.Short} ({Position(guess)}) with probability {Percent(bestP)}, below {Percent(_s.Confidence)}",
            Direct = Direct(_probes[best - 1], guess, kinds), Notes = notes,
        };
    }

    /// <summary>First bad against last good on their own runs: both rates with intervals, the probability that
    /// the first fails more often, and Fisher's one-sided p.</summary>
    private string Direct(Probe lastGood, Probe firstBad, IReadOnlySet<Outcome> kinds)
    {
        if (lastGood.Skip != null || firstBad.Skip != null) return "";
        int fg = lastGood.Failures(kinds), ng = lastGood.Runs.Count, fb = firstBad.Failures(kinds), nb = firstBad.Runs.Count;
        double worse = CrashPosterior.ProbabilityWorse(fg, ng, fb, nb);
        double fisher = FisherExact.GreaterP(fg, ng, fb, nb);
        return $"first bad {firstBad.Commit.Short}: {RateWithInterval(firstBad, kinds)}; last good {lastGood.Commit.Short}: {RateWithInterval(lastGood, kinds)}; "
            + string.Create(CultureInfo.InvariantCulture, $"on their own runs alone P(first bad fails more often) = {Percent(worse)}, Fisher one-sided p = {fisher:0.###}");
    }

    /// <summary>Where the one-step model looks wrong: a commit after the first bad one that ran clean many times
    /// (a later fix?), or a rate among the bad commits that differs from the others (a second step?).</summary>
    private List<string> ModelNotes(CrashPosterior post, IReadOnlySet<Outcome> kinds)
    {
        var notes = new List<string>();
        var (k, _) = post.Best();
        var badRuns = _probes.Skip(k).Where(p => p.Runs.Count > 0).ToList();
        int bf = badRuns.Sum(p => p.Failures(kinds)), bn = badRuns.Sum(p => p.Runs.Count);
        foreach (var p in badRuns)
        {
            int others = bf - p.Failures(kinds), otherRuns = bn - p.Runs.Count;
            if (otherRuns == 0 || p.Runs.Count < 5) continue;
            if (CrashPosterior.ProbabilityWorse(p.Failures(kinds), p.Runs.Count, others, otherRuns) >= 0.99)
                notes.Add($"{p.Commit.Short} ({Position(p)}) fails less often than the other bad commits ({RateWithInterval(p, kinds)} against {Wilson.Describe(others, otherRuns)}): a later fix, or a second change?");
            else if (CrashPosterior.ProbabilityWorse(others, otherRuns, p.Failures(kinds), p.Runs.Count) >= 0.99)
                notes.Add($"{p.Commit.Short} ({Position(p)}) fails more often than the other bad commits ({RateWithInterval(p, kinds)}): the rate may step up twice");
        }
        var goodRuns = _probes.Take(k).Where(p => p.Runs.Count > 0 && p.Failures(kinds) > 0).ToList();
        if (goodRuns.Count > 0)
            notes.Add($"commits before the first bad one failed too ({string.Join(", ", goodRuns.Select(p => $"{p.Commit.Short} {p.Failures(kinds)}/{p.Runs.Count}"))}): the failure is older, rarer, or another one");
        return notes;
    }

    private void Progress(Probe p, CrashPosterior? post)
    {
        var kinds = Kinds;
        string guess = "";
        if (post != null)
        {
            var (best, prob) = post.Best();
            guess = $"; best guess {_probes[best].Commit.Short} ({best}/{N}) {Percent(prob)}";
        }
        _progress.WriteLine($"bisect: {p.Commit.Short} ({Position(p)}) {Rate(p, kinds)}{guess}; {_runs} runs of {_s.MaxRuns}");
    }

    // ---- by throughput ----

    /// <summary>Each verdict's error rate: the confidence's complement shared by the verdicts a bisection of this
    /// range takes (the ends, about log2 N probes, the final check), so that all are right together with at least
    /// the confidence (Bonferroni).</summary>
    public double VerdictAlpha => (1 - _s.Confidence) / (Math.Ceiling(Math.Log2(Math.Max(2, N))) + 2);

    private async Task<BisectResult> ThroughputAsync(CancellationToken cancel)
    {
        double alpha = VerdictAlpha;
        int decided = 0;
        var ends = await Paired(Good, Bad, alpha, cancel);
        Bad.VsGood = ends;
        if (ends.Verdict != Verdicts.Slower)
            return new BisectResult
            {
                Mode = BisectMode.Throughput, ExitCode = Remaining < 2 && !ends.Decided ? 1 : 2, Runs = _runs, CommitsBuilt = CommitsBuilt,
                Verdict = $"BAD {Bad.Commit.Short} is not shown slower than GOOD {Good.Commit.Short} beyond {Percent(_s.Threshold)}: {ends.Describe()}"
                    + (Remaining < 2 ? $" (--max-runs {_s.MaxRuns} spent)" : ""),
            };
        decided++;
        int lo = 0, hi = N;
        string? stop = null;
        while (BisectPlanner.NextThroughput(lo, hi, j => _probes[j].Skip != null) is int mid)
        {
            cancel.ThrowIfCancellationRequested();
            var probe = _probes[mid];
            if (!EnsureBuilt(probe)) continue;
            if (Remaining < 2)
            {
                stop = $"--max-runs {_s.MaxRuns} spent";
                break;
            }
            var c = await Paired(Good, probe, alpha, cancel);
            probe.VsGood = c;
            if (probe.Skip != null) continue;
            switch (c.Verdict)
            {
                case Verdicts.Slower: hi = mid; decided++; break;
                case Verdicts.Same or Verdicts.Faster: lo = mid; decided++; break;
                default:
                    if (Remaining < 2)
                    {
                        stop = $"--max-runs {_s.MaxRuns} spent";
                        break;
                    }
                    probe.Skip = $"undecided after {c.Pairs} pairs ({c.Describe()})";
                    _progress.WriteLine($"bisect: skip {probe.Commit.Short} ({Position(probe)}): {probe.Skip}");
                    break;
            }
            if (stop != null) break;
            _progress.WriteLine($"bisect: {probe.Commit.Short} ({Position(probe)}) against GOOD: {c.Describe()}; first bad within {_probes[lo + 1].Commit.Short}..{_probes[hi].Commit.Short} ({Commits(hi - lo)}); {_runs} runs of {_s.MaxRuns}");
        }
        double probability = Math.Max(0, 1 - alpha * decided);
        var first = _probes[hi];
        var last = _probes[lo];
        if (stop != null)
            return new BisectResult
            {
                Mode = BisectMode.Throughput, ExitCode = 1, FirstBad = first.Commit, LastGood = last.Commit, Probability = probability, Runs = _runs, CommitsBuilt = CommitsBuilt,
                Verdict = $"undecided: {stop}; the first bad commit lies in {_probes[lo + 1].Commit.Short}..{first.Commit.Short} ({Commits(hi - lo)}); best guess {first.Commit.Short}",
            };
        if (hi - lo > 1)
        {
            var candidates = _probes.Skip(lo + 1).Take(hi - lo).Select(p => p.Commit).ToList();
            return new BisectResult
            {
                Mode = BisectMode.Throughput, ExitCode = 1, FirstBad = first.Commit, LastGood = last.Commit, Probability = probability, Runs = _runs, CommitsBuilt = CommitsBuilt,
                Candidates = candidates,
                Verdict = $"the first bad commit is one of {string.Join(", ", candidates.Select(c => c.Short))}: the others cannot be tested or stayed undecided",
            };
        }
        // The answer, checked: first bad against last good directly, in fresh pairs; it must itself say slower.
        var final = lo == 0 && hi == N ? ends : await Paired(last, first, alpha, cancel);
        if (final.Verdict == Verdicts.Slower)
        {
            decided += final == ends ? 0 : 1;
            probability = Math.Max(0, 1 - alpha * decided);
            return new BisectResult
            {
                Mode = BisectMode.Throughput, ExitCode = 0, FirstBad = first.Commit, LastGood = last.Commit, Probability = probability, Runs = _runs, CommitsBuilt = CommitsBuilt,
                Verdict = $"first bad commit {first.Commit.Short} ({Position(first)}): {Subject(first)}",
                Direct = $"{first.Commit.Short} against {last.Commit.Short}: {final.Describe()}",
            };
        }
        if (!final.Decided)
            return new BisectResult
            {
                Mode = BisectMode.Throughput, ExitCode = 1, FirstBad = first.Commit, LastGood = last.Commit, Probability = probability, Runs = _runs, CommitsBuilt = CommitsBuilt,
                Direct = $"{first.Commit.Short} against {last.Commit.Short}: {final.Describe()}",
                Verdict = $"undecided: {first.Commit.Short} is slower than GOOD ({first.VsGood?.Describe()}), but the direct comparison with {last.Commit.Short} "
                    + $"did not decide ({final.Describe()}); best guess {first.Commit.Short}",
            };
        // Slower than GOOD, shown within the threshold of the commit before: the slowdown came in steps.
        var chain = _probes.Take(hi + 1).Where(p => p.VsGood is { Ratio: not null }).ToList();
        var onset = chain.LastOrDefault(p => p.VsGood!.Ratio >= 1 - _s.Threshold / 2 && p.Commit.Position < hi);
        int from = onset?.Commit.Position ?? 0;
        var gradual = _probes.Skip(from + 1).Take(hi - from).Select(p => p.Commit).ToList();
        return new BisectResult
        {
            Mode = BisectMode.Throughput, ExitCode = 1, FirstBad = first.Commit, LastGood = last.Commit, Probability = probability, Runs = _runs, CommitsBuilt = CommitsBuilt,
            Gradual = gradual, Direct = $"{first.Commit.Short} against {last.Commit.Short}: {final.Describe()}",
            Verdict = $"no single commit: {first.Commit.Short} is slower than GOOD ({first.VsGood?.Describe()}) but not shown slower than {last.Commit.Short} "
                + $"({final.Describe()}); the slowdown is gradual over {string.Join(", ", gradual.Select(c => c.Short))}",
        };
    }

    /// <summary>B against A in interleaved pairs (each pair's order drawn), until the sequential rule decides at
    /// <paramref name="alpha"/>, or <see cref="BisectSettings.MaxPairs"/> pairs, or the budget ends.</summary>
    private async Task<PairComparison> Paired(Probe a, Probe b, double alpha, CancellationToken cancel)
    {
        var sa = new List<double>();
        var sb = new List<double>();
        var d = new List<double>();
        int pairs = 0;
        SequentialRule.Judgement? judgement = null;
        while (pairs < _s.MaxPairs && Remaining >= 2 && a.Skip == null && b.Skip == null)
        {
            cancel.ThrowIfCancellationRequested();
            bool aFirst = _orders.Next(2) == 0;
            string order = aFirst ? "AB" : "BA";
            RunResult? ra = null, rb = null;
            foreach (var side in aFirst ? new[] { a, b } : [b, a])
            {
                var r = await RunOne(side, cancel, side == a ? "A" : "B", order);
                if (side == a) ra = r;
                else rb = r;
            }
            pairs++;
            if (ra is { } x && rb is { } y && x.Outcome.Finished() && y.Outcome.Finished() && Score(x) > 0 && Score(y) > 0)
            {
                sa.Add(Score(x));
                sb.Add(Score(y));
                d.Add(Math.Log(Score(y) / Score(x)));
            }
            if (pairs >= _s.StartRuns)
            {
                judgement = SequentialRule.Judge(d, _s.Threshold, alpha / 2);
                if (judgement.Decided) break;
            }
            if (pairs % 5 == 0) _progress.WriteLine($"bisect: {b.Commit.Short} ({Position(b)}) against {a.Commit.Short}: {Estimate(sa, sb, judgement?.Verdict ?? Verdicts.Unknown, alpha, d).Describe()}");
        }
        judgement ??= SequentialRule.Judge(d, _s.Threshold, alpha / 2);
        if (!judgement.Decided && pairs == _s.MaxPairs && d.Count >= Comparer.MinSamples)
        {
            // One look of a fixed size, planned in advance (--max-pairs), with Wilcoxon's signed ranks: more power than
            // the sign test where the noise is wide, and the two rules share the verdict's error rate (alpha / 2 each).
            var e = SignedRankTest.Estimate(sa, sb, _s.Threshold, Comparer.Alpha);
            string fixedVerdict = e.PSlower < alpha / 2 ? Verdicts.Slower : e.PFaster < alpha / 2 ? Verdicts.Faster : e.PSame < alpha / 2 ? Verdicts.Same : Verdicts.Unknown;
            return Estimate(sa, sb, fixedVerdict, alpha, d) with { Rule = $"signed-rank test at {pairs} pairs" };
        }
        return Estimate(sa, sb, judgement.Verdict, alpha, d);
    }

    private PairComparison Estimate(List<double> a, List<double> b, string verdict, double alpha, List<double> d)
    {
        if (a.Count < Comparer.MinSamples) return new PairComparison(verdict, a.Count, null, null, null, alpha, d.ToList());
        var e = SignedRankTest.Estimate(a, b, _s.Threshold, Comparer.Alpha);
        return new PairComparison(verdict, a.Count, e.Ratio, e.Low, e.High, alpha, d.ToList());
    }

    /// <summary>What a run is judged by, higher better: its figure, or 1 / seconds for a program that prints none.</summary>
    private static double Score(RunResult r) => r.Report?.Metric == Metrics.Seconds || (r.OpsPerSec <= 0 && r.Seconds > 0) ? (r.Seconds > 0 ? 1 / r.Seconds : 0) : r.OpsPerSec;

    // ---- words ----

    private static string Commits(int n) => n == 1 ? "1 commit" : $"{n} commits";

    private string Position(Probe p) => $"{p.Commit.Position}/{N}";
    private static string Subject(Probe p) => p.Commit.Subject.Length > 72 ? p.Commit.Subject[..72] + "..." : p.Commit.Subject;

    public static string Rate(Probe p, IReadOnlySet<Outcome> kinds) =>
        p.Runs.Count == 0 ? "no runs" : $"{p.Failures(kinds)}/{p.Runs.Count} failed";

    public static string RateWithInterval(Probe p, IReadOnlySet<Outcome> kinds) => Wilson.Describe(p.Failures(kinds), p.Runs.Count);

    public static string Percent(double x) => (x * 100).ToString(x is > 0.99 and < 1 ? "0.0#" : "0.#", CultureInfo.InvariantCulture) + "%";
}
