using CsvHelper.Configuration.Attributes;
using Hakmem.Lab.Running;

namespace Hakmem.Lab.Results;

/// <summary>One sample of a run's memory over time: rss/RUN_ID.csv beside the runs file (--rss-every).</summary>
public sealed record RssRow
{
    [Name("ms"), Index(0)] public double Ms { get; init; }
    [Name("rss_kb"), Index(1)] public long RssKb { get; init; }
}

/// <summary>The RSS series of runs: written beside the runs file as rss/RUN_ID.csv, read back by report.</summary>
public static class RssSeries
{
    public const string Folder = "rss";

    public static void Write(string resultDir, string runId, IReadOnlyList<RssSample>? samples)
    {
        if (samples == null) return;
        Csv.Write(PathOf(resultDir, runId), samples.Select(s => new RssRow { Ms = s.Ms, RssKb = s.RssKb }));
    }

    public static string PathOf(string resultDir, string runId) =>
        Path.Combine(resultDir, Folder, new string(runId.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_').ToArray()) + ".csv");

    /// <summary>The series of a run, or null when it has none.</summary>
    public static IReadOnlyList<RssRow>? Read(string resultDir, string runId)
    {
        string file = PathOf(resultDir, runId);
        return File.Exists(file) ? Csv.Read<RssRow>(file) : null;
    }
}
