using System.Diagnostics;
using System.Text;
using CsvHelper;
using Hakmem.Lab.Output;

namespace Hakmem.Lab.Results;

/// <summary>A CSV file that grows one whole row at a time, so that a result set interrupted in any way
/// (Ctrl-C, a killed lab, a full disk) keeps every run it measured and no part of any other. Each row
/// is formatted in memory and written with one write; the file is synced to disk at most every
/// <see cref="SyncRows"/> rows or <see cref="SyncInterval"/>; a write that fails is cut back to the
/// last whole row and reported as a <see cref="ResultWriteException"/> saying what the file holds.</summary>
public sealed class CsvAppender<T> : IDisposable
{
    public const int SyncRows = 16;
    public static readonly TimeSpan SyncInterval = TimeSpan.FromSeconds(5);

    private readonly FileStream _file;
    private readonly Stopwatch _sinceSync = Stopwatch.StartNew();
    private long _whole;
    private int _unsynced;

    public string Path { get; }
    /// <summary>Rows in the file, not counting the header.</summary>
    public int Rows { get; private set; }

    private CsvAppender(string path, FileStream file, int rows)
    {
        Path = path;
        _file = file;
        _whole = file.Length;
        Rows = rows;
    }

    /// <summary>A new file (an existing one is replaced) holding the header.</summary>
    public static CsvAppender<T> Create(string path)
    {
        var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, bufferSize: 0);
        var appender = new CsvAppender<T>(path, file, 0);
        appender.Append(Header(), countsAsRow: false);
        return appender;
    }

    /// <summary>An existing file to continue: its header must be this type's, and a row cut short at its
    /// end (the last write of a killed writer) is cut off.</summary>
    public static CsvAppender<T> Resume(string path)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read, bufferSize: 0);
        try
        {
            var bytes = new byte[file.Length];
            file.ReadExactly(bytes);
            string header = Header();
            if (!Encoding.UTF8.GetString(bytes, 0, Math.Min(bytes.Length, header.Length)).Equals(header, StringComparison.Ordinal))
                throw new OutputPathException($"{path} has other columns than this hklab writes: it cannot be resumed");
            int end = bytes.Length;
            while (end > 0 && bytes[end - 1] != (byte)'\n') end--;
            file.SetLength(end);
            file.Seek(end, SeekOrigin.Begin);
            return new CsvAppender<T>(path, file, Csv.ReadLines<T>(path).Count);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private static string Header()
    {
        using var text = new StringWriter();
        using (var csv = new CsvWriter(text, Csv.Config))
        {
            csv.WriteHeader<T>();
            csv.NextRecord();
        }
        return text.ToString();
    }

    public void Add(T record)
    {
        using var text = new StringWriter();
        using (var csv = new CsvWriter(text, Csv.Config))
        {
            csv.WriteRecord(record);
            csv.NextRecord();
        }
        Append(text.ToString(), countsAsRow: true);
    }

    private void Append(string text, bool countsAsRow)
    {
        try
        {
            _file.Write(Encoding.UTF8.GetBytes(text));
            if (++_unsynced >= SyncRows || _sinceSync.Elapsed >= SyncInterval) Sync();
        }
        catch (IOException e)
        {
            try
            {
                _file.SetLength(_whole); // no half row: back to the last whole one
            }
            catch (IOException)
            {
            }
            throw new ResultWriteException($"could not write to {Path} ({OutputPaths.Reason(e)}); it holds the {Rows} run{(Rows == 1 ? "" : "s")} written before", e);
        }
        _whole = _file.Length;
        if (countsAsRow) Rows++;
    }

    private void Sync()
    {
        _file.Flush(flushToDisk: true);
        _unsynced = 0;
        _sinceSync.Restart();
    }

    public void Dispose()
    {
        try
        {
            Sync();
        }
        catch (IOException)
        {
        }
        _file.Dispose();
    }
}
