using System.Globalization;
using System.Text;
using System.Text.Json;
using CsvHelper.Configuration.Attributes;
using Hakmem.Lab.Output;
using Hakmem.Lab.Results;
using Hakmem.Lab.Running;

namespace Hakmem.Lab.Bisect;

/// <summary>One row of bisect.csv: one commit the bisection built or ran (the ends among them). By crash its
/// runs and failures (of the kinds BAD shows) with the failure rate's Wilson 95% interval, and the posterior
/// probability that it is the first bad commit; by throughput its ratio to GOOD (paired, 90% interval) and the
/// number of pairs. The verdict: good, bad or undecided (by crash: the posterior says it with the confidence),
/// or skip with the reason in the note.</summary>
public sealed record BisectRow
{
    [Name("commit"), Index(0)] public string Commit { get; init; } = "";
    [Name("position"), Index(1)] public int Position { get; init; }
    [Name("runs"), Index(2)] public int Runs { get; init; }
    [Name("failures"), Index(3)] public int Failures { get; init; }
    [Name("failure_rate"), Index(4)] public double? FailureRate { get; init; }
    [Name("rate_low95"), Index(5)] public double? RateLow { get; init; }
    [Name("rate_high95"), Index(6)] public double? RateHigh { get; init; }
    [Name("ratio"), Index(7)] public double? Ratio { get; init; }
    [Name("ratio_low90"), Index(8)] public double? RatioLow { get; init; }
    [Name("ratio_high90"), Index(9)] public double? RatioHigh { get; init; }
    [Name("pairs"), Index(10)] public int? Pairs { get; init; }
    [Name("verdict"), Index(11)] public string Verdict { get; init; } = "";
    [Name("probability_first_bad"), Index(12)] public double? Probability { get; init; }
    [Name("build_seconds"), Index(13)] public double? BuildSeconds { get; init; }
    [Name("subject"), Index(14)] public string Subject { get; init; } = "";
    [Name("note"), Index(15)] public string Note { get; init; } = "";
}

/// <summary>Writes a bisection's files: bisect.csv (one row per probed commit), summary.md (the answer with its
/// subject line, the table, the command) and result.json (first_bad, last_good, probability, runs,
/// commits_built, for scripts). runs.csv is written run by run by the runner.</summary>
public static class BisectOutput
{
    public const string TableFile = "bisect.csv", SummaryFile = "summary.md", ResultFile = "result.json";

    public static IReadOnlyList<BisectRow> Rows(BisectRunner runner, BisectResult result, double confidence)
    {
        var kinds = runner.Kinds;
        IReadOnlyList<double>? firstBad = null;
        if (result.Mode == BisectMode.Crash) firstBad = runner.Posterior().FirstBad();
        var rows = new List<BisectRow>();
        double cumulative = 0;
        foreach (var p in runner.Probes)
        {
            if (firstBad != null) cumulative += firstBad[p.Commit.Position]; // P(first bad <= this) = P(this commit is bad)
            if (!p.Touched && p.Runs.Count == 0) continue;
            var row = new BisectRow
            {
                Commit = p.Commit.Hash, Position = p.Commit.Position, Runs = p.Runs.Count, Subject = p.Commit.Subject,
                BuildSeconds = p.Build is { Cached: false } b ? Math.Round(b.BuildTime.TotalSeconds, 2) : null,
                Note = Role(p, result, runner.Probes.Count - 1) + (p.Skip != null ? (Role(p, result, runner.Probes.Count - 1).Length > 0 ? "; " : "") + p.Skip : ""),
            };
            if (result.Mode == BisectMode.Crash)
            {
                int f = p.Failures(kinds);
                var (lo, hi) = Wilson.Interval(f, p.Runs.Count);
                row = row with
                {
                    Failures = f, FailureRate = p.Runs.Count > 0 ? Math.Round((double)f / p.Runs.Count, 4) : null,
                    RateLow = p.Runs.Count > 0 ? Math.Round(lo, 4) : null, RateHigh = p.Runs.Count > 0 ? Math.Round(hi, 4) : null,
                    Probability = p.Skip == null && p.Commit.Position > 0 ? Math.Round(firstBad![p.Commit.Position], 4) : null,
                    Verdict = p.Skip != null ? "skip" : cumulative >= confidence ? "bad" : 1 - cumulative >= confidence ? "good" : "undecided",
                };
            }
            else
            {
                var c = p.VsGood;
                row = row with
                {
                    Failures = p.Runs.Count(r => r.Outcome.IsFailure()),
                    Ratio = Round(c?.Ratio), RatioLow = Round(c?.Low), RatioHigh = Round(c?.High), Pairs = c?.Pairs,
                    Verdict = p.Skip != null ? "skip" : p.Commit.Position == 0 ? "good"
                        : c?.Verdict switch { Compare.Verdicts.Slower => "bad", Compare.Verdicts.Same or Compare.Verdicts.Faster => "good", _ => "undecided" },
                };
            }
            rows.Add(row);
        }
        return rows;
    }

    private static double? Round(double? x) => x is double v && double.IsFinite(v) ? Math.Round(v, 4) : null;

    private static string Role(Probe p, BisectResult r, int last)
    {
        var roles = new List<string>();
        if (p.Commit.Position == 0) roles.Add("GOOD");

        if (p.Commit.Position == last) roles.Add("BAD");
        if (r.FirstBad?.Hash == p.Commit.Hash) roles.Add(r.ExitCode == 0 ? "first bad" : "best guess");
        if (r.LastGood?.Hash == p.Commit.Hash && p.Commit.Position > 0) roles.Add("last good");
        return string.Join(", ", roles);
    }

    public static void Write(string dir, BisectRunner runner, BisectResult result, BisectSettings settings, BisectCell cell, CommitRange range, string commandLine, TimeSpan elapsed)
    {
        var rows = Rows(runner, result, settings.Confidence);
        Csv.Write(Path.Combine(dir, TableFile), rows);
        AtomicFile.Write(Path.Combine(dir, ResultFile), Json(result, settings, range, elapsed));
        AtomicFile.Write(Path.Combine(dir, SummaryFile), Markdown(result, rows, settings, cell, range, commandLine, elapsed));
    }

    private static string Json(BisectResult r, BisectSettings s, CommitRange range, TimeSpan elapsed)
    {
        var o = new Dictionary<string, object?>
        {
            ["found"] = r.ExitCode == 0,
            ["first_bad"] = r.FirstBad?.Hash,
            ["last_good"] = r.LastGood?.Hash,
            ["probability"] = Math.Round(r.Probability, 6),
            ["runs"] = r.Runs,
            ["commits_built"] = r.CommitsBuilt,
            ["by"] = r.Mode == BisectMode.Crash ? "crash" : "throughput",
            ["verdict"] = r.Verdict,
            ["exit_code"] = r.ExitCode,
            ["good"] = range.Good.Hash,
            ["bad"] = range.Bad.Hash,
            ["commits"] = range.Commits.Count,
            ["confidence"] = s.Confidence,
            ["seconds"] = Math.Round(elapsed.TotalSeconds, 1),
            ["candidates"] = r.Candidates.Select(c => c.Hash).ToList(),
            ["gradual"] = r.Gradual.Select(c => c.Hash).ToList(),
            ["direct"] = r.Direct,
            ["notes"] = r.Notes,
        };
        if (s.Mode == BisectMode.Throughput) o["threshold"] = s.Threshold;
        return JsonSerializer.Serialize(o, new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n";
    }

    private static string Markdown(BisectResult r, IReadOnlyList<BisectRow> rows, BisectSettings s, BisectCell cell, CommitRange range, string commandLine, TimeSpan elapsed)
    {
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        sb.AppendLine($"# bisect: {cell.Describe()}, by {(s.Mode == BisectMode.Crash ? "crash" : "throughput")}");
        sb.AppendLine();
        if (r.ExitCode == 0 && r.FirstBad is { } fb)
            sb.AppendLine($"**First bad commit: `{fb.Hash}`** {fb.Subject}");
        else
            sb.AppendLine($"**Not found.** {r.Verdict}");
        sb.AppendLine();
        if (r.ExitCode == 0) sb.AppendLine(r.Verdict).AppendLine();
        if (r.LastGood is { } lg) sb.AppendLine($"Last good: `{lg.Hash}` {lg.Subject}").AppendLine();
        sb.AppendLine(s.Mode == BisectMode.Crash
            ? $"Probability of the answer: {BisectRunner.Percent(r.Probability)} (posterior; stop at {BisectRunner.Percent(s.Confidence)}). "
            : $"Confidence that every verdict on the path is right: at least {BisectRunner.Percent(r.Probability)} (each verdict at its own error rate, summed). ");
        sb.AppendLine(string.Create(inv, $"{r.Runs} runs, {r.CommitsBuilt} commits built of {range.Commits.Count} ({range.Good.Short}..{range.Bad.Short}), {elapsed.TotalSeconds:0.0} s."));
        sb.AppendLine();
        if (r.Direct.Length > 0) sb.AppendLine($"Checked directly: {r.Direct}.").AppendLine();
        if (r.Candidates.Count > 0) sb.AppendLine($"Candidates: {string.Join(", ", r.Candidates.Select(c => $"`{c.Short}` {c.Subject}"))}.").AppendLine();
        if (r.Gradual.Count > 0) sb.AppendLine($"Gradual slowdown over: {string.Join(", ", r.Gradual.Select(c => $"`{c.Short}` {c.Subject}"))}.").AppendLine();
        foreach (var n in r.Notes) sb.AppendLine($"- {n}");
        if (r.Notes.Count > 0) sb.AppendLine();
        if (s.Mode == BisectMode.Crash)
        {
            sb.AppendLine("| position | commit | runs | failed | rate (95%) | P(first bad) | verdict | subject |");
            sb.AppendLine("|---:|---|---:|---:|---|---:|---|---|");
            foreach (var row in rows)
                sb.AppendLine(string.Create(inv, $"| {row.Position} | `{row.Commit[..12]}` | {row.Runs} | {row.Failures} | {RateText(row)} | {(row.Probability is double p ? BisectRunner.Percent(p) : "")} | {row.Verdict}{(row.Note.Length > 0 ? $" ({row.Note})" : "")} | {Cell(row.Subject)} |"));
        }
        else
        {
            sb.AppendLine("| position | commit | pairs | ratio to GOOD (90%) | verdict | subject |");
            sb.AppendLine("|---:|---|---:|---|---|---|");
            foreach (var row in rows)
                sb.AppendLine(string.Create(inv, $"| {row.Position} | `{row.Commit[..12]}` | {row.Pairs} | {(row.Ratio is double x ? $"{x:0.000} ({row.RatioLow:0.000}-{row.RatioHigh:0.000})" : "")} | {row.Verdict}{(row.Note.Length > 0 ? $" ({row.Note})" : "")} | {Cell(row.Subject)} |"));
        }
        sb.AppendLine();
        sb.AppendLine("Command:");
        sb.AppendLine();
        sb.AppendLine("```sh");
        sb.AppendLine(commandLine);
        sb.AppendLine("```");
        sb.AppendLine();
        sb.AppendLine(s.Mode == BisectMode.Crash
            ? "Model: commits before the first bad one fail with one rate, the rest with a higher one; priors uniform over the first bad commit and over both rates (conditioned on bad > good). Only the failure kinds BAD showed count."
            : "Each commit ran in interleaved pairs against GOOD; slower or not by the sequential sign-test rule of hklab ab, the ratio is the Hodges-Lehmann estimate with its Wilcoxon 90% interval.");
        return sb.ToString();
    }

    private static string RateText(BisectRow r) =>
        r.FailureRate is double f ? string.Create(CultureInfo.InvariantCulture, $"{f * 100:0.#}% ({r.RateLow * 100:0.#}-{r.RateHigh * 100:0.#}%)") : "";

    private static string Cell(string s) => s.Replace("|", "\\|", StringComparison.Ordinal);
}
