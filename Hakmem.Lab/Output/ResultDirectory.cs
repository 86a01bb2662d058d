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

/// <summary>A result directory with one owner at a time. Opening it checks the path, takes the directory's
/// lock (<see cref="FileLock"/>: an exclusive flock on <c>.hklab.lock</c>, held for the owner's whole life
/// and released by the kernel when it dies, so there is no stale lock and no window between looking and
/// taking), then refuses a directory that holds a result set unless told to resume it or move it aside.
/// The pid and command in the lock file only serve the message of whoever finds it taken.</summary>
public sealed class ResultDirectory : IDisposable
{
    public const string LockFile = ".hklab.lock";

    public string Path { get; }
    /// <summary>Where the set that was there went (with <see cref="ExistingSet.Force"/>), else null.</summary>
    public string? MovedAside { get; }
    private readonly FileLock _lock;
    private readonly bool _created;

    private ResultDirectory(string path, string? movedAside, FileLock held, bool created)
    {
        Path = path;
        MovedAside = movedAside;
        _lock = held;
        _created = created;
    }

    /// <summary>The lock of an existing directory whose files a command rewrites (report, merge into it).</summary>
    public static ResultDirectory Lock(string dir, string command) => new(dir, null, Acquire(dir, dir, command), false);

    public static bool HoldsResultSet(string dir) =>
        File.Exists(System.IO.Path.Combine(dir, RunsCsv.RunsFile)) || File.Exists(System.IO.Path.Combine(dir, RunsCsv.MetaFile));

    /// <summary>Whether another process writes in <paramref name="dir"/> now.</summary>
    public static bool IsLocked(string dir) => FileLock.IsHeld(System.IO.Path.Combine(dir, LockFile));

    /// <summary>The result directory at <paramref name="path"/>, locked. <paramref name="resumable"/>: the
    /// command has --resume (the refusal names only the options that exist).</summary>
    public static ResultDirectory Open(string option, string? path, ExistingSet existing, string command, bool resumable = true)
    {
        bool created = !Directory.Exists(path ?? "");
        string dir = OutputPaths.ForDirectory(option, path);
        var held = Acquire(dir, path!, command);
        string? aside = null;
        if (HoldsResultSet(dir))
        {
            switch (existing)
            {
                case ExistingSet.Refuse:
                    held.Dispose();
                    throw new OutputPathException($"{option} '{path}' already holds a result set ({Describe(dir)}): "
                        + (resumable ? "--resume continues it, --force moves it aside and starts over" : "--force moves it aside and starts over, or give another --out"));
                case ExistingSet.Force:
                    aside = $"{dir.TrimEnd(System.IO.Path.DirectorySeparatorChar)}.old-{DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}";
                    // The set moves away with its lock file, still held: no writer gets into it meanwhile.
                    Directory.Move(dir, aside);
                    Directory.CreateDirectory(dir);
                    var fresh = Acquire(dir, path!, command);
                    held.Dispose();
                    File.Delete(System.IO.Path.Combine(aside, LockFile));
                    held = fresh;
                    break;
            }
        }
        return new ResultDirectory(dir, aside, held, created);
    }

    private static string Describe(string dir)
    {
        var meta = ResultMeta.TryRead(dir);
        string runs = File.Exists(System.IO.Path.Combine(dir, RunsCsv.RunsFile))
            ? $"{Math.Max(0, File.ReadLines(System.IO.Path.Combine(dir, RunsCsv.RunsFile)).Count() - 1)} runs" : "no runs";
        return meta is { MatrixId.Length: > 0 } ? $"matrix {meta.MatrixId}, {runs}" : runs;
    }

    private static FileLock Acquire(string dir, string path, string command)
    {
        string file = System.IO.Path.Combine(dir, LockFile);
        var held = FileLock.TryExclusive(file, FormattableString.Invariant($"{Environment.ProcessId} {DateTimeOffset.UtcNow:yyyy-MM-ddTHH:mm:ssZ} {command}\n"));
        if (held != null) return held;
        var holder = FileLock.ReadHolder(file).Split(' ');
        string who = holder.Length >= 3 ? $" (pid {holder[0]}, since {holder[1]}: {string.Join(' ', holder.Skip(2))})" : "";
        throw new OutputPathException($"'{path}' is being written by another hklab{who}; wait for it, or write elsewhere");
    }

    /// <summary>A command that failed before writing anything (a side that does not build) removes the
    /// directory it created, so nothing is left behind; a directory that holds anything stays.</summary>
    public void RemoveIfUnused()
    {
        if (!_created) return;
        _lock.Dispose();
        try
        {
            if (!Directory.EnumerateFileSystemEntries(Path).Any()) Directory.Delete(Path);
        }
        catch (IOException)
        {
        }
    }

    public void Dispose() => _lock.Dispose();
}
