using System.Globalization;
using System.Reflection;
using CsvHelper;
using CsvHelper.Configuration;
using CsvHelper.Configuration.Attributes;

namespace Hakmem.Lab.Results;

/// <summary>Every file hklab writes or reads as CSV: comma-separated, invariant culture, one header
/// row, columns in the order of the record's [Index] attributes.</summary>
public static class Csv
{
    public static readonly CsvConfiguration Config = new(CultureInfo.InvariantCulture) { NewLine = "\n" };

    public static void Write<T>(string path, IEnumerable<T> records)
    {
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir != null) Directory.CreateDirectory(dir);
        using var writer = new StreamWriter(path);
        using var csv = new CsvWriter(writer, Config);
        csv.WriteRecords(records);
    }

    public static IReadOnlyList<T> Read<T>(string path)
    {
        using var reader = new StreamReader(path);
        using var csv = new CsvReader(reader, Config);
        return csv.GetRecords<T>().ToList();
    }

    public static IReadOnlyList<string> Columns<T>() =>
        typeof(T).GetProperties()
            .Where(p => p.GetCustomAttribute<NameAttribute>() != null)
            .OrderBy(p => p.GetCustomAttribute<IndexAttribute>()!.Index)
            .Select(p => p.GetCustomAttribute<NameAttribute>()!.Names[0])
            .ToArray();

    /// <summary>A CSV file written one record at a time and flushed after each, so that an interrupted
    /// run keeps everything it measured.</summary>
    public sealed class Appender<T> : IDisposable
    {
        private readonly StreamWriter _writer;
        private readonly CsvWriter _csv;

        public Appender(string path)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            _writer = new StreamWriter(path);
            _csv = new CsvWriter(_writer, Config);
            _csv.WriteHeader<T>();
            _csv.NextRecord();
            _writer.Flush();
        }

        public void Add(T record)
        {
            _csv.WriteRecord(record);
            _csv.NextRecord();
            _writer.Flush();
        }

        public void Dispose()
        {
            _csv.Dispose();
            _writer.Dispose();
        }
    }
}
