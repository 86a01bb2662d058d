using System.Globalization;
using System.Text;
using Hakmem.Lab.Cli;

namespace Hakmem.Lab.Results;

/// <summary>summary.md: the result set for a person. One table per workload command line, cells sorted
/// by throughput, crash rates with their interval, and where the numbers come from.</summary>
public static class SummaryMarkdown
{
    public static string Render(ResultMeta? meta, IReadOnlyList<SummaryRecord> cells, IReadOnlyList<string>? charts = null, string? mixedBuilds = null)
    {
        var sb = new StringBuilder();
        sb.AppendLine("# hklab results").AppendLine();
        if (meta != null)
        {
            sb.AppendLine($"- command: `{meta.CommandLine}`");
            sb.AppendLine($"- commit `{meta.GitCommit}` on {meta.Host} ({meta.Cpu}, {meta.Cores} cores), {meta.Dotnet}, {meta.Os}");
            sb.AppendLine($"- started {meta.Started:yyyy-MM-dd HH:mm:ss}Z{(meta.Finished is { } f ? $", finished {f:yyyy-MM-dd HH:mm:ss}Z" : "")}");
            if (meta.Shards.Count > 0) sb.AppendLine($"- shards: {string.Join(", ", meta.Shards)}");
            foreach (var side in meta.Sides) sb.AppendLine($"- side {side}");
            if (meta.Partial) sb.AppendLine($"- **partial**: {meta.DoneRuns} of {meta.PlannedRuns} planned runs{(meta.Gaps.Length > 0 ? $" ({meta.Gaps})" : "")}");
            if (meta.Mixed) sb.AppendLine("- **mixed**: resumed with another build, other settings or another timeout (--allow-mixed)");
            if (meta.Settings.Length > 0) sb.AppendLine($"- settings from the environment: `{meta.Settings}`");
            sb.AppendLine();
        }
        if (mixedBuilds != null) sb.AppendLine($"**More than one build measured this set**: {mixedBuilds}. A cell's runs may be samples of different code.").AppendLine();
        int runs = cells.Sum(c => c.Runs), failures = cells.Sum(c => c.Failures);
        sb.AppendLine($"{cells.Count} cells, {runs} runs, {failures} failed runs (crash, abort, corrupt, timeout, oom or error), "
            + $"{cells.Sum(c => c.Leak)} leaking runs, {cells.Sum(c => c.Error)} errors.").AppendLine();
        foreach (var chart in charts ?? []) sb.AppendLine($"![{Path.GetFileNameWithoutExtension(chart)}]({chart})").AppendLine();
        foreach (var group in cells.GroupBy(c => $"{c.Workload} {c.Args}").OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            sb.AppendLine($"## {group.Key}").AppendLine();
            sb.AppendLine("| allocator | knobs | runs | outcomes | crash rate (95%) | ops/s median | 95% CI of median | Q1 - Q3 | time median (95% CI) | peak RSS | peak - base | overhead | retained |");
            sb.AppendLine("|---|---|---:|---|---|---:|---|---|---|---:|---:|---:|---:|");
            foreach (var c in group.OrderBy(c => c.Side.Length > 0 ? c.Key.ToString() : "", StringComparer.Ordinal).ThenByDescending(c => c.OpsMedian ?? -1))
            {
                sb.Append($"| {c.Allocator}{(c.Side.Length > 0 ? $" [{c.Side}]" : "")} | {c.Key.Knobs} | {c.Runs} | {Outcomes(c)} | {Rate(c)} | ");
                sb.Append(c.OpsMedian is double m ? Units.Rate(m) : "-").Append(" | ");
                sb.Append(c.OpsCiLow is double lo && c.OpsCiHigh is double hi ? $"{Units.Rate(lo)} - {Units.Rate(hi)}" : "-").Append(" | ");
                sb.Append(c.OpsQ1 is double q1 && c.OpsQ3 is double q3 ? $"{Units.Rate(q1)} - {Units.Rate(q3)}" : "-").Append(" | ");
                // A program without a figure is judged by its time (bold: the cell's metric).
                string time = c.SecondsMedian is double t ? Units.Seconds(t) + (c.SecondsCiLow is double lo2 && c.SecondsCiHigh is double hi2 ? $" ({Units.Seconds(lo2)} - {Units.Seconds(hi2)})" : "") : "-";
                sb.Append(c.Metric == Metrics.Seconds ? $"**{time}**" : time).Append(" | ");
                sb.Append(c.RssMedianKb is double rss ? $"{Units.Kb((long)rss)} | " : "- | ");
                sb.Append(c.RssOverBaseMedianKb is double over ? $"{Units.Kb((long)over)} | " : "- | ");
                sb.Append(c.Overhead is double oh ? $"{oh.ToString("0.00", CultureInfo.InvariantCulture)} | " : "- | ");
                sb.AppendLine(c.RetainedMedianKb is double kept ? $"{Units.Kb((long)kept)} |" : "- |");
            }
            sb.AppendLine();
            foreach (var c in group.Where(c => c.FirstFailure.Length > 0 || c.FirstFailureArtifacts.Length > 0))
                sb.AppendLine($"- {c.Allocator} {c.Key.Knobs}: first failure: {c.FirstFailure.Replace("|", "\\|", StringComparison.Ordinal)}"
                    + (c.FirstFailureArtifacts.Length > 0 ? $" ([evidence]({c.FirstFailureArtifacts}/))" : ""));
            sb.AppendLine();
        }
        return sb.ToString();
    }

    private static string Outcomes(SummaryRecord c)
    {
        var parts = new (string, int)[] { ("ok", c.Ok), ("leak", c.Leak), ("corrupt", c.Corrupt), ("abort", c.Abort), ("crash", c.Crash), ("oom", c.Oom), ("timeout", c.Timeout), ("error", c.Error) };
        return string.Join(" ", parts.Where(p => p.Item2 > 0).Select(p => $"{p.Item1} {p.Item2}"));
    }

    private static string Rate(SummaryRecord c)
    {
        string pct(double x) => (x * 100).ToString("0.#", CultureInfo.InvariantCulture) + "%";
        return c.Failures == 0 ? $"0/{c.Runs} (< {pct(c.CrashRateHigh)})" : $"{c.Failures}/{c.Runs} ({pct(c.CrashRateLow)} - {pct(c.CrashRateHigh)})";
    }
}
