using System.Globalization;
using System.Text;
using Hakmem.Lab.Cli;
using Hakmem.Lab.Results;
using Hakmem.Lab.Running;

namespace Hakmem.Lab.Compare;

/// <summary>Before/after, cell by cell: the gate that <c>hklab compare</c> (and every before/after
/// verdict) reports through. Its rules:
/// <list type="bullet">
/// <item>Throughput (runs that finished, at least <see cref="MinSamples"/> a side): <c>slower</c> or
/// <c>faster</c> only when the ratio is shown beyond the threshold band, <c>same</c> only when it is
/// shown inside it (<see cref="RatioTest"/>), each at a false discovery rate of <see cref="Alpha"/> over
/// all the cells compared (<see cref="FalseDiscoveryRate"/>); anything else is <c>unknown</c>, with the
/// interval.</item>
/// <item>Stability: every outcome but ok and leak is a failure; Fisher's exact test on the failure counts
/// and the leak counts, <c>less stable</c> at p &lt; <see cref="Alpha"/>, not adjusted over cells: a cell
/// that starts failing must not hide behind the others.</item>
/// <item>A cell in one set only is <c>missing</c>.</item>
/// </list></summary>
public static class Comparer
{
    public const int MinSamples = 5;
    public const double Alpha = 0.05;

    /// <summary>A cell's runs on one side: its samples (the judged value of each finished run, higher better),
    /// failure and leak counts, what it is judged by and the finished runs' seconds.</summary>
    private sealed record Side(IReadOnlyList<RunRecord> Runs, double[] Samples, int Failures, int Leaks, string Metric, string Unit, double[] Seconds);

    /// <summary>What a run is judged by, higher better: its figure, or for a program judged by its time, its
    /// speed (1 / seconds), so that the ratio, the tests and the verdicts mean the same for both.</summary>
    public static double Score(RunRecord r) => r.Metric == Metrics.Seconds ? (r.Seconds > 0 ? 1 / r.Seconds : 0) : r.OpsPerSec;

    /// <summary>A program that runs for a fixed duration tells nothing by its time: its seconds vary by less than
    /// this on both sides and agree between them.</summary>
    public const double FixedTimeSpread = 0.01;

    /// <summary>Two result sets, unpaired: <see cref="RatioTest"/> on each cell's finished runs; memory by
    /// <see cref="MemoryVerdict"/> unless <paramref name="memoryThreshold"/> is null.</summary>
    public static IReadOnlyList<CellComparison> Compare(IReadOnlyList<RunRecord> before, IReadOnlyList<RunRecord> after, double threshold,
        double? memoryThreshold = MemoryVerdict.DefaultThreshold)
    {
        var b = before.GroupBy(CellKey.Of).ToDictionary(g => g.Key, g => SideOf(g.ToList()));
        var a = after.GroupBy(CellKey.Of).ToDictionary(g => g.Key, g => SideOf(g.ToList()));
        var rows = Judge(b, a, threshold, (_, sb, sa) =>
            sb.Samples.Length >= MinSamples && sa.Samples.Length >= MinSamples && !Identical(sb, sa)
                ? RatioTest.Estimate(sb.Samples, sa.Samples, threshold, Alpha) : null);
        return WithMemory(rows, b, a, memoryThreshold, paired: false);
    }

    /// <summary>The rows with each cell's memory verdict (none when the threshold is off).</summary>
    private static IReadOnlyList<CellComparison> WithMemory(IReadOnlyList<CellComparison> rows, Dictionary<CellKey, Side> b, Dictionary<CellKey, Side> a,
        double? memoryThreshold, bool paired)
    {
        if (memoryThreshold is not double t) return rows;
        var memory = MemoryVerdict.Judge(b.ToDictionary(kv => kv.Key, kv => kv.Value.Runs), a.ToDictionary(kv => kv.Key, kv => kv.Value.Runs), t, paired);
        var byCell = memory.ToDictionary(kv => kv.Key.ToString(), kv => kv.Value);
        return rows.Select(r => byCell.TryGetValue(r.Cell, out var m) ? r with
        {
            Memory = m.Memory, MemoryRatio = m.MemoryRatio, MemoryRatioLow = m.MemoryRatioLow, MemoryRatioHigh = m.MemoryRatioHigh,
            MemoryBeforeKb = m.MemoryBeforeKb, MemoryAfterKb = m.MemoryAfterKb, MemoryNote = m.MemoryNote,
        } : r).OrderBy(SortKey).ThenBy(r => r.Cell, StringComparer.Ordinal).ToList();
    }

    /// <summary>One interleaved run of two sides (<c>hklab ab</c>): side A is "before", B "after", and the
    /// runs of a cell are paired by their run number (<see cref="SignedRankTest"/> on the pairs whose two
    /// runs both finished).</summary>
    /// <summary>With <paramref name="sequential"/> (ab --max-runs) the verdicts are <see cref="SequentialRule"/>'s,
    /// valid however often the cells were looked at, each cell at alpha / cells; the ratio and its interval are
    /// still the Hodges-Lehmann estimate with the fixed-n Wilcoxon interval, for reading.</summary>
    public static IReadOnlyList<CellComparison> ComparePaired(IReadOnlyList<RunRecord> runs, double threshold, double? memoryThreshold = MemoryVerdict.DefaultThreshold,
        bool sequential = false)
    {
        var a = runs.Where(r => r.Side == "A").GroupBy(CellKey.Of).ToDictionary(g => g.Key, g => SideOf(g.ToList()));
        var b = runs.Where(r => r.Side == "B").GroupBy(CellKey.Of).ToDictionary(g => g.Key, g => SideOf(g.ToList()));
        var rows = Judge(a, b, threshold, (_, sa, sb) =>
        {
            var pairs = Pairs(sa, sb);
            return pairs.A.Length >= MinSamples ? SignedRankTest.Estimate(pairs.A, pairs.B, threshold, Alpha) : null;
        }, paired: true);
        rows = WithMemory(rows, a, b, memoryThreshold, paired: true);
        var keys = a.Keys.Where(b.ContainsKey).ToDictionary(k => k.ToString());
        double cellAlpha = Alpha / Math.Max(1, keys.Count);
        return rows.Select(row =>
        {
            if (!keys.TryGetValue(row.Cell, out var key)) return row;
            var (pa, pb) = Pairs(a[key], b[key]);
            var d = pa.Zip(pb, (x, y) => Math.Log(y / x)).ToList();
            row = row with { PairSpread = d.Count > 0 ? Math.Round(SequentialRule.Spread(d), 5) : null };
            if (sequential)
            {
                var j = SequentialRule.Judge(d, threshold, cellAlpha);
                row = row with
                {
                    Verdict = j.Verdict, QSlower = null, QFaster = null, QSame = null,
                    Note = $"sequential, {d.Count} pairs (e-values: slower {j.ESlower:0.#}, faster {j.EFaster:0.#}, same {j.ESame:0.#}; decided at {1 / cellAlpha:0.#})"
                        + (j.Decided ? "; a cell that stopped early reports a ratio leaning away from 1" : Undecided(d, threshold)),
                };
                if (memoryThreshold is double mt && row.Memory.Length > 0 && MemoryLogRatios(a[key].Runs, b[key].Runs) is { Count: > 0 } md)
                {
                    double band = MemoryBand(mt, md);
                    var m = SequentialRule.Judge(md.Select(x => x.LogRatio).ToList(), band, cellAlpha);
                    row = row with
                    {
                        Memory = m.Verdict switch { Verdicts.Faster => MemoryVerdict.Bigger, Verdicts.Slower => MemoryVerdict.Smaller, Verdicts.Same => MemoryVerdict.Same, _ => MemoryVerdict.Unknown },
                        MemoryNote = MemoryVerdict.Join($"sequential, {md.Count} pairs", MemoryVerdict.LiveNote(a[key].Runs, b[key].Runs, band)),
                    };
                }
            }
            else if (row.Verdict == Verdicts.Unknown && d.Count >= 2) row = row with { Note = row.Note + Undecided(d, threshold) };
            return row;
        }).OrderBy(SortKey).ThenBy(r => r.Cell, StringComparer.Ordinal).ToList();
    }

    /// <summary>What an undecided cell would take: "; about N pairs would decide it at this noise", or that the
    /// band is narrower than this noise can resolve.</summary>
    private static string Undecided(IReadOnlyList<double> d, double threshold) =>
        SequentialRule.PairsToDecide(d, threshold) is int n
            ? $"; about {n} pairs would decide it at this noise"
            : $"; its ratio sits on the edge of the ±{Percent(threshold)} band: no affordable number of pairs resolves it at this noise";

    /// <summary>Per pair (by run number, both finished), log(B memory / A memory).</summary>
    private static List<(int Run, double LogRatio, double A)> MemoryLogRatios(IReadOnlyList<RunRecord> a, IReadOnlyList<RunRecord> b)
    {
        var bByRun = b.Where(r => OutcomeNames.Parse(r.Outcome).Finished() && MemoryVerdict.Kb(r) != null).GroupBy(r => r.Run).ToDictionary(g => g.Key, g => MemoryVerdict.Kb(g.First())!.Value);
        return a.Where(r => OutcomeNames.Parse(r.Outcome).Finished() && MemoryVerdict.Kb(r) != null && bByRun.ContainsKey(r.Run)).OrderBy(r => r.Run)
            .Select(r => (r.Run, Math.Log(bByRun[r.Run] / MemoryVerdict.Kb(r)!.Value), MemoryVerdict.Kb(r)!.Value)).ToList();
    }

    /// <summary>The memory band: the threshold, or the 1 MB floor over A's median of the first pairs (fixed early,
    /// so that the band does not move with the data it judges).</summary>
    private static double MemoryBand(double threshold, IReadOnlyList<(int Run, double LogRatio, double A)> pairs) =>
        Math.Min(0.99, Math.Max(threshold, MemoryVerdict.FloorKb / Estimators.Median(pairs.Take(MinSamples).Select(p => p.A).ToList())));

    /// <summary>The throughputs of the pairs (same run number) whose two runs both finished.</summary>
    public static (double[] A, double[] B) Pairs(IReadOnlyList<RunRecord> a, IReadOnlyList<RunRecord> b) => Pairs(SideOf(a), SideOf(b));

    private static (double[] A, double[] B) Pairs(Side a, Side b)
    {
        var bByRun = b.Runs.Where(r => OutcomeNames.Parse(r.Outcome).Finished() && Score(r) > 0).GroupBy(r => r.Run).ToDictionary(g => g.Key, g => Score(g.First()));
        var both = a.Runs.Where(r => OutcomeNames.Parse(r.Outcome).Finished() && Score(r) > 0 && bByRun.ContainsKey(r.Run)).OrderBy(r => r.Run).ToList();
        return (both.Select(Score).ToArray(), both.Select(r => bByRun[r.Run]).ToArray());
    }

    /// <summary>The gate's rules over all cells, whatever estimated each cell's ratio.</summary>
    private static IReadOnlyList<CellComparison> Judge(Dictionary<CellKey, Side> b, Dictionary<CellKey, Side> a, double threshold,
        Func<CellKey, Side, Side, RatioEstimate?> estimate, bool paired = false)
    {
        var common = b.Keys.Where(a.ContainsKey).ToList();
        if (common.Count == 0)
            throw new ArgumentException("no cell is in both result sets: before has "
                + $"{Describe(b.Keys)}; after has {Describe(a.Keys)}");

        foreach (var k in common) SameMeasure(k, b[k], a[k]);
        var tested = new List<(CellKey Key, RatioEstimate Estimate)>();
        foreach (var k in common)
            if (!FixedTime(b[k], a[k]) && estimate(k, b[k], a[k]) is { } e) tested.Add((k, e));
        double[] qSlower = FalseDiscoveryRate.Adjust(tested.Select(t => t.Estimate.PSlower).ToList());
        double[] qFaster = FalseDiscoveryRate.Adjust(tested.Select(t => t.Estimate.PFaster).ToList());
        double[] qSame = FalseDiscoveryRate.Adjust(tested.Select(t => t.Estimate.PSame).ToList());
        var judged = tested.Select((t, i) => (t.Key, Row: Throughput(t.Estimate, qSlower[i], qFaster[i], qSame[i], threshold, tested.Count)))
            .ToDictionary(x => x.Key, x => x.Row);

        var rows = new List<CellComparison>();
        foreach (var k in common) rows.Add(Stability(k, b[k], a[k], judged.GetValueOrDefault(k) ?? Untested(b[k], a[k], paired)));
        foreach (var k in b.Keys.Where(k => !a.ContainsKey(k))) rows.Add(Missing(k, b[k], null));
        foreach (var k in a.Keys.Where(k => !b.ContainsKey(k))) rows.Add(Missing(k, null, a[k]));
        return rows.OrderBy(SortKey).ThenBy(r => r.Cell, StringComparer.Ordinal).ToList();
    }

    private static Side SideOf(IReadOnlyList<RunRecord> runs)
    {
        var outcomes = runs.Select(r => OutcomeNames.Parse(r.Outcome)).ToList();
        var finished = runs.Where((r, i) => outcomes[i].Finished() && Score(r) > 0).ToList();
        string Of(Func<RunRecord, string> f) => string.Join(" and ", finished.Select(f).Distinct().Order(StringComparer.Ordinal));
        return new Side(runs, finished.Select(Score).ToArray(), outcomes.Count(o => o.IsFailure()), outcomes.Count(o => o == Outcome.Leak),
            Of(r => r.Metric.Length > 0 ? r.Metric : Metrics.OpsPerSec), Of(r => r.Metric == Metrics.Seconds ? "" : r.OpsUnit), finished.Select(r => r.Seconds).ToArray());
    }

    /// <summary>Both sides of a cell must measure the same thing: a figure per second against a figure per CPU
    /// second, or a figure against a time, is no ratio. Refused, naming the cell.</summary>
    private static void SameMeasure(CellKey key, Side b, Side a)
    {
        if (b.Samples.Length == 0 || a.Samples.Length == 0) return;
        if (b.Metric != a.Metric || b.Unit != a.Unit)
            throw new ArgumentException($"cell '{key}' is measured differently on the two sides ({Measure(b)} before, {Measure(a)} after): "
                + "no ratio compares them; read the same figure on both (--ops-regex) or compare their time");
    }

    private static string Measure(Side s) => s.Metric == Metrics.Seconds ? "seconds" : $"{s.Metric} {s.Unit}".Trim();

    /// <summary>A time-judged cell whose seconds hardly vary and agree on both sides: the program's own clock
    /// set its duration.</summary>
    private static bool FixedTime(Side b, Side a)
    {
        if (b.Metric != Metrics.Seconds || a.Metric != Metrics.Seconds || b.Seconds.Length < 2 || a.Seconds.Length < 2) return false;
        double Spread(double[] xs) => (xs.Max() - xs.Min()) / Estimators.Median(xs);
        double mb = Estimators.Median(b.Seconds), ma = Estimators.Median(a.Seconds);
        return Spread(b.Seconds) < FixedTimeSpread && Spread(a.Seconds) < FixedTimeSpread && Math.Abs(ma - mb) / mb < FixedTimeSpread;
    }

    /// <summary>The very same measurements on both sides (a result set against itself): no change, with certainty.</summary>
    private static bool Identical(Side b, Side a) => b.Samples.Length > 0 && b.Samples.Order().SequenceEqual(a.Samples.Order());

    private static string Describe(IEnumerable<CellKey> keys)
    {
        var list = keys.Take(3).Select(k => $"'{k}'").ToList();
        int n = keys.Count();
        return n == 0 ? "no cells" : string.Join(", ", list) + (n > 3 ? $" and {n - 3} more" : "");
    }

    private static CellComparison Throughput(RatioEstimate e, double qSlower, double qFaster, double qSame, double threshold, int cells)
    {
        string verdict = qSlower < Alpha ? Verdicts.Slower : qFaster < Alpha ? Verdicts.Faster : qSame < Alpha ? Verdicts.Same : Verdicts.Unknown;
        string note = "";
        if (verdict == Verdicts.Unknown)
        {
            bool inside = e.Low > 1 - threshold && e.High < 1 + threshold;
            bool beyond = e.High < 1 - threshold || e.Low > 1 + threshold;
            note = inside || beyond
                ? $"not significant after the false discovery rate adjustment over {cells} cells"
                : $"the 90% interval {Format(e.Low)}-{Format(e.High)} reaches across the ±{Percent(threshold)} band";
            note += RunsToDecide(e, threshold);
        }
        return new CellComparison
        {
            Verdict = verdict, Ratio = Round(e.Ratio), RatioLow = Round(e.Low), RatioHigh = Round(e.High),
            QSlower = Math.Round(qSlower, 5), QFaster = Math.Round(qFaster, 5), QSame = Math.Round(qSame, 5), Note = note,
        };
    }

    /// <summary>For an unknown cell: how many runs (pairs) would narrow its interval enough, from the interval's
    /// width (it shrinks as 1 / sqrt(n)) and the estimate's distance to the nearest band edge.</summary>
    private static string RunsToDecide(RatioEstimate e, double threshold)
    {
        if (!double.IsFinite(e.Low) || !double.IsFinite(e.High) || e.Low <= 0) return "";
        double est = Math.Log(e.Ratio), half = (Math.Log(e.High) - Math.Log(e.Low)) / 2;
        double gap = Math.Min(Math.Abs(est - Math.Log(1 - threshold)), Math.Abs(est - Math.Log(1 + threshold)));
        if (gap < (Math.Log(1 + threshold) - Math.Log(1 - threshold)) / 100) return $"; its ratio sits on the edge of the band: no affordable number of runs resolves it at this noise";
        double factor = Math.Pow(half / gap, 2);
        return factor <= 1 ? "" : $"; about {factor:0.#} times as many runs would decide it at this noise";
    }

    private static CellComparison Untested(Side b, Side a, bool paired)
    {
        if (FixedTime(b, a))
            return new CellComparison { Verdict = Verdicts.Unknown, Note = "time is fixed by the program (its seconds vary by less than 1% and agree): give --ops-regex to judge its own figure" };
        if (!paired && Identical(b, a)) return new CellComparison { Verdict = Verdicts.Same, Ratio = 1, RatioLow = 1, RatioHigh = 1, Note = "identical measurements" };
        string note = b.Samples.Length == 0 && a.Samples.Length == 0 ? "no finished runs on either side"
            : a.Samples.Length == 0 ? "no finished runs after"
            : b.Samples.Length == 0 ? "no finished runs before"
            : paired ? $"fewer than {MinSamples} pairs with both runs finished ({Pairs(b, a).A.Length})"
            : $"fewer than {MinSamples} finished runs on a side ({b.Samples.Length} before, {a.Samples.Length} after)";
        double? ratio = b.Samples.Length > 0 && a.Samples.Length > 0 ? Round(Estimators.Median(a.Samples) / Estimators.Median(b.Samples)) : null;
        return new CellComparison { Verdict = Verdicts.Unknown, Ratio = ratio, Note = note };
    }

    private static CellComparison Stability(CellKey key, Side b, Side a, CellComparison throughput)
    {
        int nb = b.Runs.Count, na = a.Runs.Count;
        double pFail = FisherExact.GreaterP(b.Failures, nb, a.Failures, na);
        double pLeak = FisherExact.GreaterP(b.Leaks, nb, a.Leaks, na);
        double pBetter = FisherExact.GreaterP(a.Failures, na, b.Failures, nb);
        bool sameRates = b.Failures * na == a.Failures * nb && b.Leaks * na == a.Leaks * nb;
        string stability = pFail < Alpha || pLeak < Alpha ? Verdicts.LessStable
            : pBetter < Alpha ? Verdicts.MoreStable
            : sameRates ? Verdicts.Stable : Verdicts.Unknown;
        return throughput with
        {
            Cell = key.ToString(), Stability = stability, RunsBefore = nb, RunsAfter = na, Metric = b.Samples.Length > 0 ? b.Metric : a.Metric,
            MedianBefore = OpsMedian(b), MedianAfter = OpsMedian(a), SecondsBefore = SecondsMedian(b), SecondsAfter = SecondsMedian(a),
            FailuresBefore = b.Failures, FailuresAfter = a.Failures, FailuresP = Math.Round(pFail, 5),
            LeaksBefore = b.Leaks, LeaksAfter = a.Leaks, LeaksP = Math.Round(pLeak, 5),
        };
    }

    private static CellComparison Missing(CellKey key, Side? b, Side? a) => new()
    {
        Cell = key.ToString(), Verdict = Verdicts.Missing, Stability = Verdicts.Unknown,
        RunsBefore = b?.Runs.Count ?? 0, RunsAfter = a?.Runs.Count ?? 0,
        MedianBefore = b == null ? null : OpsMedian(b), MedianAfter = a == null ? null : OpsMedian(a),
        SecondsBefore = b == null ? null : SecondsMedian(b), SecondsAfter = a == null ? null : SecondsMedian(a),
        FailuresBefore = b?.Failures ?? 0, FailuresAfter = a?.Failures ?? 0, LeaksBefore = b?.Leaks ?? 0, LeaksAfter = a?.Leaks ?? 0,
        Note = b == null ? "only in the after set" : "only in the before set",
    };

    private static double? Median(double[] xs) => xs.Length == 0 ? null : Math.Round(Estimators.Median(xs), 1);

    /// <summary>The throughput median of a figure-judged side (null for one judged by time).</summary>
    private static double? OpsMedian(Side s) => s.Metric == Metrics.Seconds ? null : Median(s.Samples);

    private static double? SecondsMedian(Side s) => s.Seconds.Length == 0 ? null : Math.Round(Estimators.Median(s.Seconds), 6);

    private static double? Round(double x) => double.IsFinite(x) ? Math.Round(x, 4) : null;

    private static string Format(double x) => double.IsFinite(x) ? x.ToString("0.000", CultureInfo.InvariantCulture) : x > 0 ? "inf" : "0";

    private static string Percent(double t) => (t * 100).ToString("0.#", CultureInfo.InvariantCulture) + "%";

    /// <summary>Worst first: less stable, slower, missing, unknown, same, faster; then by ratio.</summary>
    private static (int, double) SortKey(CellComparison c) =>
        (c.Stability == Verdicts.LessStable ? 0 : c.Verdict == Verdicts.Slower || c.Memory == MemoryVerdict.Bigger ? 1
            : c.Verdict switch { Verdicts.Missing => 2, Verdicts.Unknown => 3, Verdicts.Same => 4, _ => 5 }, c.Ratio ?? 1);

    public static string Summary(IReadOnlyList<CellComparison> rows, string before = "before", string after = "after")
    {
        int Count(string v) => rows.Count(r => r.Verdict == v);
        var ratios = rows.Where(r => r.Ratio is > 0 && r.Verdict is not (Verdicts.Unknown or Verdicts.Missing)).Select(r => r.Ratio!.Value).ToList();
        string geo = ratios.Count == 0 ? "n/a" : Math.Exp(ratios.Average(Math.Log)).ToString("0.000", CultureInfo.InvariantCulture);
        return $"{rows.Count} cells: {Count(Verdicts.Faster)} faster, {Count(Verdicts.Slower)} slower, {Count(Verdicts.Same)} same, "
            + $"{Count(Verdicts.Unknown)} unknown, {Count(Verdicts.Missing)} missing; {rows.Count(r => r.Stability == Verdicts.LessStable)} less stable, "
            + $"{rows.Count(r => r.Stability == Verdicts.MoreStable)} more stable; geometric mean ratio {after}/{before} {geo}{(ratios.Count > 0 ? $" over the {ratios.Count} decided cells" : "")}"
            + (rows.Any(r => r.Memory.Length > 0) ? $"; memory: {rows.Count(r => r.Memory == MemoryVerdict.Bigger)} bigger, {rows.Count(r => r.Memory == MemoryVerdict.Smaller)} smaller, "
                + $"{rows.Count(r => r.Memory == MemoryVerdict.Same)} same, {rows.Count(r => r.Memory == MemoryVerdict.Unknown)} unknown" : "");
    }

    private static string MemoryText(CellComparison r)
    {
        if (r.Memory.Length == 0) return "-";
        string kb(double? x) => x is double v ? Units.Kb((long)v) : "-";
        string ratio = r.MemoryRatio is double m ? $" {m.ToString("0.000", CultureInfo.InvariantCulture)} ({Format(r.MemoryRatioLow ?? 0)} - {Format(r.MemoryRatioHigh ?? double.PositiveInfinity)})" : "";
        return $"{r.Memory}{ratio}, {kb(r.MemoryBeforeKb)} -> {kb(r.MemoryAfterKb)}{(r.MemoryNote.Length > 0 ? $" ({r.MemoryNote})" : "")}";
    }

    public static string Markdown(IReadOnlyList<CellComparison> rows, double threshold, string before = "before", string after = "after")
    {
        var sb = new StringBuilder();
        sb.AppendLine($"| cell | allocator | speed (threshold {Percent(threshold)}) | ratio {after}/{before} | 90% interval | median {before} | median {after} | stability | failures {before}/{after} | leaks {before}/{after} | memory (peak - base) |");
        sb.AppendLine("|---|---|---|---:|---|---:|---:|---|---|---|---|");
        foreach (var r in rows)
        {
            string Rate(double? x) => x is double v ? Units.Rate(v) : "-";
            string MedianOf(double? ops, double? seconds) => r.Metric == Metrics.Seconds ? (seconds is double t ? Units.Seconds(t) : "-") : Rate(ops);
            string interval = r.RatioLow != null || r.RatioHigh != null ? $"{Format(r.RatioLow ?? 0)} - {Format(r.RatioHigh ?? double.PositiveInfinity)}" : "-";
            sb.AppendLine($"| {CellColumns(r.Cell)} | {r.Verdict}{(r.Note.Length > 0 ? $" ({r.Note})" : "")} | {(r.Ratio is double q ? q.ToString("0.000", CultureInfo.InvariantCulture) : "-")} | "
                + $"{interval} | {MedianOf(r.MedianBefore, r.SecondsBefore)} | {MedianOf(r.MedianAfter, r.SecondsAfter)} | {r.Stability} | {r.FailuresBefore}/{r.RunsBefore} -> {r.FailuresAfter}/{r.RunsAfter} | {r.LeaksBefore} -> {r.LeaksAfter} | {MemoryText(r)} |");
        }
        return sb.ToString();
    }

    /// <summary>A cell's name ("workload args | allocator knobs") as two table columns; a bar inside either part (a
    /// program's command line) is escaped, so that it stays in its column.</summary>
    private static string CellColumns(string cell)
    {
        int bar = cell.LastIndexOf(" | ", StringComparison.Ordinal);
        static string Escape(string s) => s.Replace("|", "\\|");
        return bar < 0 ? Escape(cell) + " | " : $"{Escape(cell[..bar])} | {Escape(cell[(bar + 3)..])}";
    }
}
