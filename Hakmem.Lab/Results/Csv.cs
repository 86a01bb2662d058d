using System.Globalization;
using System.Reflection;
using CsvHelper;
using CsvHelper.Configuration;
using CsvHelper.Configuration.Attributes;
using CsvHelper.TypeConversion;

namespace Hakmem.Lab.Results;

/// <summary>A CSV file hklab cannot read: one line naming the file, the line and the column.</summary>
public sealed class CsvInputException(string message) : ArgumentException(message);

/// <summary>Every file hklab writes or reads as CSV: comma-separated, invariant culture, one header
/// row, columns in the order of the record's [Index] attributes. Written with LF line ends; read per
/// RFC 4180, whatever wrote it: LF or CRLF line ends, quoted fields (with commas, quotes and line
/// breaks in them), columns found by their header name.</summary>
public static class Csv
{
    public static readonly CsvConfiguration Config = new(CultureInfo.InvariantCulture) { NewLine = "\n" };

    /// <summary>Line ends detected (not set), a row with more or fewer fields than the header refused, a
    /// stray quote named.</summary>
    private static CsvConfiguration ReadConfig(string path) => new(CultureInfo.InvariantCulture)
    {
        DetectColumnCountChanges = true,
        BadDataFound = bad => throw new CsvInputException(
            $"{path} line {StartLine(bad.Context.Parser!)}: a quote inside a field that is not quoted ({Clip(bad.Field)}): quote the whole field and double the quote"),
    };

    /// <summary>The line a record starts on (a quoted field may hold line breaks).</summary>
    private static int StartLine(IParser parser) =>
        parser.RawRow - (parser.RawRecord ?? "").TrimEnd('\r', '\n').Count(ch => ch == '\n');

    private static string Clip(string s) => s.Length <= 40 ? s : s[..40] + "...";

    /// <summary>The whole file at once, written whole (a temporary file renamed over the target).</summary>
    public static void Write<T>(string path, IEnumerable<T> records)
    {
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir != null) Directory.CreateDirectory(dir);
        Output.AtomicFile.Write(path, writer =>
        {
            using var csv = new CsvWriter(writer, Config, leaveOpen: true);
            csv.WriteRecords(records);
        });
    }

    public static IReadOnlyList<T> Read<T>(string path) => ReadLines<T>(path).Select(r => r.Record).ToList();

    /// <summary>The column names of a file's header row (empty for an empty file).</summary>
    public static IReadOnlyList<string> Header(string path)
    {
        using var reader = new StreamReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
        using var csv = new CsvReader(reader, new CsvConfiguration(CultureInfo.InvariantCulture));
        return csv.Read() && csv.ReadHeader() ? csv.HeaderRecord ?? [] : [];
    }

    /// <summary>Every record with the line it starts on. A malformed file is a <see cref="CsvInputException"/>
    /// ("runs.csv line 7, column 'ops_per_sec': 'fast' is not a number"), never a library's dump.</summary>
    public static IReadOnlyList<(T Record, int Line)> ReadLines<T>(string path)
    {
        StreamReader reader;
        try
        {
            reader = new StreamReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CsvInputException($"{path} cannot be read: {Output.OutputPaths.Reason(e)}");
        }
        using var _ = reader;
        using var csv = new CsvReader(reader, ReadConfig(path));
        var records = new List<(T, int)>();
        try
        {
            if (!csv.Read()) throw new CsvInputException($"{path} is empty: expected a header row ({string.Join(",", Columns<T>().Take(4))},...)");
            csv.ReadHeader();
            csv.ValidateHeader<T>();
            while (csv.Read()) records.Add((csv.GetRecord<T>(), StartLine(csv.Parser)));
        }
        catch (CsvHelperException e)
        {
            throw new CsvInputException(Describe(path, e, csv));
        }
        return records;
    }

    private static string Describe(string path, CsvHelperException e, CsvReader csv)
    {
        if (e.InnerException is CsvInputException ours) return ours.Message;
        int line = StartLine(csv.Parser);
        string raw = csv.Parser.RawRecord ?? "";
        // A quote opened and never closed swallows the rest of the file, line breaks included.
        if (e is BadDataException && raw.Count(ch => ch == '"') % 2 == 1)
            return $"{path} line {csv.Parser.RawRow - raw.Count(ch => ch == '\n')}: a quoted field is never closed";
        return e switch
        {
            HeaderValidationException h => $"{path} line 1: missing column{(h.InvalidHeaders.Length > 1 ? "s" : "")} "
                + $"{string.Join(", ", h.InvalidHeaders.Select(x => $"'{x.Names[0]}'"))}: is it a runs file written by hklab?",
            TypeConverterException t => $"{path} line {line}, column '{t.MemberMapData.Names.FirstOrDefault() ?? "?"}': "
                + $"'{t.Text}' is not {Expected(t.MemberMapData.Type)}",
            CsvHelper.MissingFieldException => $"{path} line {line}: {csv.Parser.Count} fields, expected {csv.HeaderRecord?.Length} (a row cut short?)",
            BadDataException when csv.HeaderRecord is { } h && csv.Parser.Count != h.Length =>
                $"{path} line {line}: {csv.Parser.Count} fields, expected {h.Length} (a row cut short or two rows run together?)",
            _ => $"{path} line {line}: not a valid CSV row ({e.GetType().Name})",
        };
    }

    private static string Expected(Type t) => (Nullable.GetUnderlyingType(t) ?? t) switch
    {
        var x when x == typeof(int) || x == typeof(long) => "a whole number",
        var x when x == typeof(double) => "a number",
        var x when x == typeof(DateTimeOffset) => "a time such as 2026-01-02T03:04:05Z",
        var x when x == typeof(bool) => "true or false",
        _ => "a valid value",
    };

    public static IReadOnlyList<string> Columns<T>() =>
        typeof(T).GetProperties()
            .Where(p => p.GetCustomAttribute<NameAttribute>() != null)
            .OrderBy(p => p.GetCustomAttribute<IndexAttribute>()!.Index)
            .Select(p => p.GetCustomAttribute<NameAttribute>()!.Names[0])
            .ToArray();
}
