using System.Globalization;
using Hakmem.Lab.Results;

namespace Hakmem.Lab.Output;

/// <summary>What to do with a result directory that already holds a result set.</summary>
public enum ExistingSet
{
    /// <summary>Refuse: the set is the product of hours of runs.</summary>
    Refuse,
    /// <summary>Continue it (the same matrix): the runs it has are kept.</summary>
    Resume,
    /// <summary>Start over; the old set is moved aside to DIR.old-TIME, never deleted.</summary>
    Force,
}

/// <summary>A result directory with one owner at a time. Opening it checks the path, refuses a directory
/// that holds a result set unless told to resume it or move it aside, and takes the lock file
/// (<c>.hklab.lock</c>, created exclusively, holding the owner's pid) that keeps a second writer out
/// until <see cref="Dispose"/>. A lock whose process is gone is stale and taken over.</summary>
public sealed class ResultDirectory : IDisposable
{
    public const string LockFile = ".hklab.lock";

    public string Path { get; }
    /// <summary>Where the set that was there went (with <see cref="ExistingSet.Force"/>), else null.</summary>
    public string? MovedAside { get; }
    private readonly string _lock;
    private bool _released;

    private ResultDirectory(string path, string? movedAside)
    {
        Path = path;
        MovedAside = movedAside;
        _lock = System.IO.Path.Combine(path, LockFile);
    }

    /// <summary>The lock of an existing directory whose files a command rewrites (report, merge into it).</summary>
    public static ResultDirectory Lock(string dir, string command)
    {
        Acquire(dir, dir, command);
        return new ResultDirectory(dir, null);
    }

    public static bool HoldsResultSet(string dir) =>
        File.Exists(System.IO.Path.Combine(dir, RunsCsv.RunsFile)) || File.Exists(System.IO.Path.Combine(dir, RunsCsv.MetaFile));

    public static ResultDirectory Open(string option, string? path, ExistingSet existing, string command)
    {
        string dir = OutputPaths.ForDirectory(option, path);
        Acquire(dir, path!, command);
        string? aside = null;
        if (HoldsResultSet(dir))
        {
            switch (existing)
            {
                case ExistingSet.Refuse:
                    Release(dir);
                    throw new OutputPathException($"{option} '{path}' already holds a result set ({Describe(dir)}): "
                        + "--resume continues it, --force moves it aside and starts over");
                case ExistingSet.Force:
                    aside = $"{dir.TrimEnd(System.IO.Path.DirectorySeparatorChar)}.old-{DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}";
                    Release(dir);
                    Directory.Move(dir, aside);
                    Directory.CreateDirectory(dir);
                    Acquire(dir, path!, command);
                    break;
            }
        }
        return new ResultDirectory(dir, aside);
    }

    private static string Describe(string dir)
    {
        var meta = ResultMeta.TryRead(dir);
        string runs = File.Exists(System.IO.Path.Combine(dir, RunsCsv.RunsFile))
            ? $"{Math.Max(0, File.ReadLines(System.IO.Path.Combine(dir, RunsCsv.RunsFile)).Count() - 1)} runs" : "no runs";
        return meta is { MatrixId.Length: > 0 } ? $"matrix {meta.MatrixId}, {runs}" : runs;
    }

    private static void Acquire(string dir, string path, string command)
    {
        string file = System.IO.Path.Combine(dir, LockFile);
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                using var stream = new FileStream(file, FileMode.CreateNew, FileAccess.Write, FileShare.Read);
                using var writer = new StreamWriter(stream);
                writer.Write(FormattableString.Invariant($"{Environment.ProcessId} {DateTimeOffset.UtcNow:yyyy-MM-ddTHH:mm:ssZ} {command}\n"));
                return;
            }
            catch (IOException) when (File.Exists(file) && attempt < 3)
            {
                string holder = ReadHolder(file);
                if (int.TryParse(holder.Split(' ')[0], NumberStyles.None, CultureInfo.InvariantCulture, out int pid) && IsHklab(pid))
                    throw new OutputPathException($"'{path}' is being written by another hklab (pid {pid}, since {holder.Split(' ').ElementAtOrDefault(1)}: "
                        + $"{string.Join(' ', holder.Split(' ').Skip(2))}); wait for it, or write elsewhere");
                try { File.Delete(file); } catch (IOException) { } // stale: its owner is gone
            }
        }
    }

    private static string ReadHolder(string file)
    {
        try
        {
            return File.ReadAllText(file).Trim();
        }
        catch (IOException)
        {
            return "";
        }
    }

    /// <summary>A live process that is an hklab (a reused pid of something else does not hold the lock).</summary>
    private static bool IsHklab(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Contains("hklab", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static void Release(string dir)
    {
        try { File.Delete(System.IO.Path.Combine(dir, LockFile)); } catch (IOException) { }
    }

    public void Dispose()
    {
        if (_released) return;
        _released = true;
        Release(Path);
    }
}
