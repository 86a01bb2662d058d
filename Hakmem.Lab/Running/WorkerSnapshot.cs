using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace Hakmem.Lab.Running;

/// <summary>The worker a set of runs uses: a copy of this very build, taken when the lab starts, in a cache
/// keyed by the content of the build's assemblies. Rebuilding the tree while a matrix runs (any ./hklab
/// call rebuilds when a source changed) then cannot change the code that measures the rest of the
/// matrix: its workers keep loading the copy. The copy is checked against the assemblies this process
/// loaded. The ./hklab launcher runs the lab itself from the same cache (the same key), so that a
/// rebuild, which overwrites the assemblies in place, does not pull them from under the lab either.</summary>
public static class WorkerSnapshot
{
    /// <summary>Snapshots unused this long are removed (a matrix runs for hours, not weeks).</summary>
    private static readonly TimeSpan Unused = TimeSpan.FromDays(7);
    private static readonly Lazy<WorkerCommand> s_pinned = new(Take);

    /// <summary>The pinned worker of this process (taken once, on first use).</summary>
    public static WorkerCommand Pinned => s_pinned.Value;

    /// <summary>The assemblies whose code a run executes: the lab (worker and classifier), the allocator, the workloads.</summary>
    private static readonly System.Reflection.Assembly[] Measured =
        [typeof(Worker).Assembly, typeof(HakmemHeap).Assembly, typeof(Hakmem.Workloads.WorkloadSpec).Assembly];

    private static WorkerCommand Take()
    {
        string source = Path.GetDirectoryName(typeof(Worker).Assembly.Location)!;
        if (Path.GetFullPath(source).StartsWith(Path.GetFullPath(CacheRoot()) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            MarkInUse(source);
            return WorkerCommand.ForThisProcess(); // the lab already runs from a snapshot
        }
        if (!IsLoaded(source)) throw new BuildChangedException("the hklab build was replaced since this hklab started (a rebuild of the tree): run the command again");
        string cache = Path.Combine(CacheRoot(), Key(source));
        if (!File.Exists(Path.Combine(cache, "hklab.dll")))
            Copy(source, cache, copy => IsLoaded(copy) ? null : "the hklab build changed while it was being copied (a rebuild of the tree): run the command again");
        Directory.SetLastWriteTimeUtc(cache, DateTime.UtcNow);
        MarkInUse(cache);
        return WorkerCommand.ForAssembly(Path.Combine(cache, "hklab.dll"));
    }

    /// <summary>The file whose shared lock marks a snapshot in use: held by every hklab that runs from it or
    /// starts workers from it, for its whole life; a snapshot is removed only under an exclusive lock.</summary>
    public const string InUseFile = ".in-use";
    private static readonly List<Output.FileLock> s_inUse = [];

    private static void MarkInUse(string snapshot)
    {
        if (Output.FileLock.TryShared(Path.Combine(snapshot, InUseFile)) is { } held)
            lock (s_inUse) s_inUse.Add(held);
    }

    /// <summary>The assemblies in <paramref name="dir"/> are the very ones this process runs.</summary>
    private static bool IsLoaded(string dir) =>
        Measured.All(a => Mvid(Path.Combine(dir, Path.GetFileName(a.Location))) == a.ManifestModule.ModuleVersionId);

    /// <summary>A snapshot of another build directory (a side of hklab ab): its worker, and whether the
    /// snapshot was there already.</summary>
    public static (WorkerCommand Worker, bool Cached) Of(string dir)
    {
        string cache = Path.Combine(CacheRoot(), Key(dir));
        bool cached = File.Exists(Path.Combine(cache, "hklab.dll"));
        if (!cached) Copy(dir, cache);
        Directory.SetLastWriteTimeUtc(cache, DateTime.UtcNow);
        MarkInUse(cache);
        return (WorkerCommand.ForAssembly(Path.Combine(cache, "hklab.dll")), cached);
    }

    /// <summary>Copies the build to a temporary name, checks the copy (a message when it is not what it should
    /// be), and renames it into the cache; another hklab that got there first wins.</summary>
    private static void Copy(string source, string cache, Func<string, string?>? check = null)
    {
        string temp = $"{cache}.{Environment.ProcessId}.tmp";
        CopyTree(source, temp);
        if (check?.Invoke(temp) is string wrong)
        {
            Directory.Delete(temp, true);
            throw new BuildChangedException(wrong);
        }
        try
        {
            Directory.Move(temp, cache);
        }
        catch (IOException) when (Directory.Exists(cache))
        {
            Directory.Delete(temp, true);
        }
        Prune();
    }

    /// <summary>$XDG_CACHE_HOME/hklab/builds, else ~/.cache/hklab/builds, else (no HOME, or one that takes no
    /// files) TMPDIR/hklab-cache-UID/builds: the first that can be written, as the ./hklab launcher chooses.</summary>
    public static string CacheRoot()
    {
        var candidates = new List<string>();
        if (Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg) candidates.Add(Path.Combine(xdg, "hklab"));
        if (Environment.GetEnvironmentVariable("HOME") is { Length: > 0 } home) candidates.Add(Path.Combine(home, ".cache", "hklab"));
        string tmp = Environment.GetEnvironmentVariable("TMPDIR") is { Length: > 0 } t ? t : "/tmp";
        candidates.Add(Path.Combine(tmp, $"hklab-cache-{getuid()}"));
        foreach (string c in candidates)
        {
            string builds = Path.Combine(c, "builds");
            try
            {
                Directory.CreateDirectory(builds);
                string probe = Path.Combine(builds, $".probe-{Environment.ProcessId}");
                using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose)) { }
                return builds;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
        throw new ArgumentException($"no directory takes the build snapshots ({string.Join(", ", candidates)} are not writable): set XDG_CACHE_HOME to one that is");
    }

    [System.Runtime.InteropServices.DllImport("libc")]
    private static extern uint getuid();

    /// <summary>The first 16 hex digits of the SHA-256 of the three assemblies, one after the other: what
    /// the launcher computes with <c>cat hklab.dll Hakmem.Core.dll Hakmem.Workloads.dll | sha256sum</c>.</summary>
    public static string Key(string dir)
    {
        using var sha = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        foreach (string name in new[] { "hklab.dll", "Hakmem.Core.dll", "Hakmem.Workloads.dll" }) sha.AppendData(File.ReadAllBytes(Path.Combine(dir, name)));
        return Convert.ToHexString(sha.GetHashAndReset())[..16].ToLowerInvariant();
    }

    private static Guid Mvid(string path)
    {
        using var stream = File.OpenRead(path);
        using var pe = new PEReader(stream);
        var md = pe.GetMetadataReader();
        return md.GetGuid(md.GetModuleDefinition().Mvid);
    }

    private static void CopyTree(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string dir in Directory.GetDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, dir)));
        foreach (string file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(to, Path.GetRelativePath(from, file));
            File.Copy(file, target); // keeps the mode: the apphost stays executable
        }
    }

    /// <summary>A build is about 40 MB: the snapshots nobody used for a week go, but never one that a running
    /// hklab holds (its shared lock on .in-use): a snapshot goes only under the exclusive lock.</summary>
    public static void Prune(string? root = null)
    {
        try
        {
            foreach (var old in new DirectoryInfo(root ?? CacheRoot()).GetDirectories().Where(d => DateTime.UtcNow - d.LastWriteTimeUtc > Unused))
            {
                using var held = Output.FileLock.TryExclusive(Path.Combine(old.FullName, InUseFile), $"{Environment.ProcessId} pruning");
                if (held != null) old.Delete(true);
            }
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>The build on disk is no longer the one this process runs (the tree was rebuilt meanwhile).</summary>
public sealed class BuildChangedException(string message) : IOException(message);
