namespace Hakmem.Lab.Results;

/// <summary>Runs files (one row per run) and the result directories that hold them.</summary>
public static class RunsCsv
{
    public const string RunsFile = "runs.csv", SummaryFile = "summary.csv", SummaryMarkdown = "summary.md", MetaFile = "meta.json";

    public static void Write(string path, IEnumerable<RunRecord> records) => Csv.Write(path, records);

    public static IReadOnlyList<RunRecord> Read(string path) => Csv.Read<RunRecord>(path);

    public static IReadOnlyList<string> Columns { get; } = Csv.Columns<RunRecord>();

    /// <summary>The runs file of a result directory, or the file itself; a clear error when neither exists.</summary>
    public static string Resolve(string path)
    {
        if (Directory.Exists(path))
        {
            string f = Path.Combine(path, RunsFile);
            if (File.Exists(f)) return f;
            throw new FileNotFoundException($"'{path}' is a directory without a {RunsFile} (is it a result directory of hklab matrix?)", f);
        }
        if (File.Exists(path)) return path;
        throw new FileNotFoundException($"'{path}' does not exist: expected a result directory or a runs CSV file", path);
    }
}
