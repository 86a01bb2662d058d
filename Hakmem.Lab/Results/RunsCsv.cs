using Hakmem.Lab.Running;

namespace Hakmem.Lab.Results;

/// <summary>Runs files (one row per run) and the result directories that hold them.</summary>
public static class RunsCsv
{
    public const string RunsFile = "runs.csv", SummaryFile = "summary.csv", SummaryMarkdown = "summary.md", MetaFile = "meta.json";

    public static void Write(string path, IEnumerable<RunRecord> records) => Csv.Write(path, records);

    /// <summary>The runs of a runs file, checked: a known outcome, finite non-negative figures, and no run id
    /// twice (a row counted twice would count as two samples). A bad row is a <see cref="CsvInputException"/>
    /// naming the file, the line and the column.</summary>
    public static IReadOnlyList<RunRecord> Read(string path)
    {
        var rows = Csv.ReadLines<RunRecord>(path);
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (r, line) in rows)
        {
            string At(string column) => $"{path} line {line}, column '{column}'";
            if (!Enum.TryParse<Running.Outcome>(r.Outcome, ignoreCase: true, out _) || int.TryParse(r.Outcome, out _))
                throw new CsvInputException($"{At("outcome")}: '{r.Outcome}' is not an outcome: expected {string.Join(", ", Enum.GetValues<Running.Outcome>().Select(o => o.Name()))}");
            if (!double.IsFinite(r.OpsPerSec) || r.OpsPerSec < 0)
                throw new CsvInputException($"{At("ops_per_sec")}: {r.OpsPerSec.ToString(System.Globalization.CultureInfo.InvariantCulture)} is not a throughput: expected a finite number >= 0");
            if (!double.IsFinite(r.Seconds) || r.Seconds < 0)
                throw new CsvInputException($"{At("seconds")}: {r.Seconds.ToString(System.Globalization.CultureInfo.InvariantCulture)} is not a duration: expected a finite number >= 0");
            if (r.Ops < 0 || r.PeakRssKb < 0 || r.BaseRssKb < 0 || r.LeakedBlocks < 0 || r.LeakedBytes < 0)
                throw new CsvInputException($"{path} line {line}: a negative count (ops, peak_rss_kb, base_rss_kb, leaked_blocks or leaked_bytes)");
            if (r.RunId.Length > 0 && !seen.TryAdd(r.RunId, line))
                throw new CsvInputException($"{At("run_id")}: run '{r.RunId}' is also on line {seen[r.RunId]}: a run recorded twice would count twice");
        }
        var header = Csv.Header(path);
        // Outcomes are one word each way: read whatever the case (a spreadsheet's OK), counted and written lower case.
        return rows.Select(x => WithAbsentColumns(x.Record with { Outcome = OutcomeNames.Parse(x.Record.Outcome).Name() }, header)).ToList();
    }

    public static IReadOnlyList<string> Columns { get; } = Csv.Columns<RunRecord>();

    /// <summary>A column a runs file lacks means the default of the build that wrote it, so that older sets (the
    /// committed baselines among them) key their cells as they ran: a hakmem run from before the large-block
    /// cache had none.</summary>
    private static RunRecord WithAbsentColumns(RunRecord r, IReadOnlyList<string> header)
    {
        // Builds before the metric column judged throughput, and a program without a figure recorded 0 ops/s.
        if (!header.Contains("metric")) r = r with { Metric = r.Workload == "exec" && r.OpsPerSec == 0 ? Metrics.Seconds : Metrics.OpsPerSec };
        if (!header.Contains("ops_unit")) r = r with { OpsUnit = ProgramFigure.PerSecond };
        if (r.Allocator != "hakmem") return r;
        if (!header.Contains("large_cache_mb"))
            r = r with { LargeCacheMb = Capabilities.AbsentColumn("option:large_cache_mb", r.Time, 0L, HakmemOptions.Default.LargeCacheBytes >> 20) };
        if (!header.Contains("large_decay_ms"))
            r = r with { LargeDecayMs = HakmemOptions.Default.LargeCacheDecayMs };
        return r;
    }

    /// <summary>The runs file of a result directory, or the file itself; a clear error when neither exists.</summary>
    public static string Resolve(string path)
    {
        if (Directory.Exists(path))
        {
            string f = Path.Combine(path, RunsFile);
            if (File.Exists(f)) return f;
            throw new ArgumentException($"'{path}' is a directory without a {RunsFile} (is it a result directory of hklab matrix?)");
        }
        if (File.Exists(path)) return path;
        throw new ArgumentException($"'{path}' does not exist: expected a result directory or a runs CSV file");
    }
}
