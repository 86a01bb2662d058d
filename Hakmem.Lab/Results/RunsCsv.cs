using System.Globalization;
using CsvHelper;
using CsvHelper.Configuration;

namespace Hakmem.Lab.Results;

/// <summary>Reads and writes runs files: comma-separated, invariant culture, one header row.</summary>
public static class RunsCsv
{
    private static readonly CsvConfiguration Config = new(CultureInfo.InvariantCulture) { NewLine = "\n" };

    public static void Write(string path, IEnumerable<RunRecord> records)
    {
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir != null) Directory.CreateDirectory(dir);
        using var writer = new StreamWriter(path);
        using var csv = new CsvWriter(writer, Config);
        csv.WriteRecords(records);
    }

    public static IReadOnlyList<RunRecord> Read(string path)
    {
        using var reader = new StreamReader(path);
        using var csv = new CsvReader(reader, Config);
        return csv.GetRecords<RunRecord>().ToList();
    }

    public static IReadOnlyList<string> Columns { get; } =
        typeof(RunRecord).GetProperties()
            .Select(p => (Name: p.GetCustomAttributes(typeof(CsvHelper.Configuration.Attributes.NameAttribute), false).Cast<CsvHelper.Configuration.Attributes.NameAttribute>().Single().Names[0],
                          Index: p.GetCustomAttributes(typeof(CsvHelper.Configuration.Attributes.IndexAttribute), false).Cast<CsvHelper.Configuration.Attributes.IndexAttribute>().Single().Index))
            .OrderBy(c => c.Index).Select(c => c.Name).ToArray();
}
