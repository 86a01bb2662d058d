namespace Hakmem.Lab.Results;

/// <summary>Writes a result directory from its runs: runs.csv (already there, or given), summary.csv,
/// summary.md and meta.json. Summaries are always derived from the runs, never edited.</summary>
public static class ResultSet
{
    public static IReadOnlyList<SummaryRecord> WriteSummaries(string dir, IReadOnlyList<RunRecord> runs, ResultMeta meta)
    {
        var summaries = Summarizer.Summarize(runs);
        Csv.Write(Path.Combine(dir, RunsCsv.SummaryFile), summaries);
        meta.Write(dir);
        Output.AtomicFile.Write(Path.Combine(dir, RunsCsv.SummaryMarkdown), SummaryMarkdown.Render(meta, summaries, ExistingCharts(dir)));
        return summaries;
    }

    /// <summary>Charts hklab report already drew in this directory, to link from summary.md.</summary>
    public static IReadOnlyList<string> ExistingCharts(string dir) =>
        Directory.Exists(dir) ? Directory.GetFiles(dir, "*.png").Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList() : [];
}
