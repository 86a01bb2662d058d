using Hakmem.Lab.Compare;

namespace Hakmem.Lab.Results;

/// <summary>Writes a result directory from its runs: runs.csv (already there, or given), summary.csv,
/// summary.md and meta.json. Summaries are always derived from the runs, never edited.</summary>
public static class ResultSet
{
    public static IReadOnlyList<SummaryRecord> WriteSummaries(string dir, IReadOnlyList<RunRecord> runs, ResultMeta? meta, bool writeMeta = true)
    {
        var summaries = Summarizer.Summarize(runs);
        Csv.Write(Path.Combine(dir, RunsCsv.SummaryFile), summaries);
        if (meta != null && writeMeta) meta.Write(dir);
        string markdown = SummaryMarkdown.Render(meta, summaries, ExistingCharts(dir), MixedBuilds(runs));
        if (Paired(runs, meta) is { } rows)
        {
            double t = meta?.Threshold ?? DefaultThreshold;
            Csv.Write(Path.Combine(dir, CompareFile), rows);
            markdown += $"\n## B against A, paired\n\n{Comparer.Markdown(rows, t, "A", "B")}\n{Comparer.Summary(rows, "A", "B")}\n";
        }
        Output.AtomicFile.Write(Path.Combine(dir, RunsCsv.SummaryMarkdown), markdown);
        return summaries;
    }

    public const string CompareFile = "compare.csv";
    public const double DefaultThreshold = 0.05;

    /// <summary>The paired comparison of an interleaved run (runs with a side), or null for a matrix or an
    /// ab run with no cell that has both sides yet.</summary>
    public static IReadOnlyList<CellComparison>? Paired(IReadOnlyList<RunRecord> runs, ResultMeta? meta)
    {
        if (!runs.Any(r => r.Side.Length > 0)) return null;
        try
        {
            return Comparer.ComparePaired(runs, meta?.Threshold ?? DefaultThreshold, Cli.MemoryOptions.ParseMemoryThreshold(meta?.MemoryThreshold ?? "10%"),
                sequential: meta?.MaxRuns != null);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    /// <summary>"a1b2c3 (40 runs), d4e5f6 (12 runs)" when the runs of a set (of one side of an ab set) come from
    /// more than one build, else null: its cells may hold samples of different code.</summary>
    public static string? MixedBuilds(IReadOnlyList<RunRecord> runs)
    {
        var mixed = runs.Where(r => r.Build.Length > 0).GroupBy(r => r.Side)
            .Where(side => side.Select(r => r.Build).Distinct().Count() > 1)
            .Select(side => (side.Key.Length > 0 ? $"side {side.Key}: " : "")
                + string.Join(", ", side.GroupBy(r => r.Build).Select(b => $"{b.Key} ({b.Count()} runs)")))
            .ToList();
        return mixed.Count > 0 ? string.Join("; ", mixed) : null;
    }

    /// <summary>Charts hklab report already drew in this directory, to link from summary.md.</summary>
    public static IReadOnlyList<string> ExistingCharts(string dir) =>
        Directory.Exists(dir) ? Directory.GetFiles(dir, "*.png").Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList() : [];
}
