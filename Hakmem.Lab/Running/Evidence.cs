using System.Text;

namespace Hakmem.Lab.Running;

/// <summary>What a failed run leaves to understand it: the worker's whole stdout and stderr, an external
/// program's own (exec), and the allocator's last events (HAKMEM_TINY_TRACE_RING), decoded from the ring
/// file the worker kept in a shared mapping, so that it is there whatever killed the worker.</summary>
public sealed record Evidence(string WorkerStdout, string WorkerStderr, string? ProgramStdout, string? ProgramStderr, string? TraceRing)
{
    /// <summary>The run's scratch directory, given to the worker: the ring file and a program's output go there.</summary>
    public const string ScratchVariable = "HKLAB_SCRATCH";
    public const string ProgramStdoutFile = "program.stdout", ProgramStderrFile = "program.stderr", RingFile = "trace-ring.bin";
    /// <summary>The program's own working directory in the scratch directory, kept with a failed run's evidence.</summary>
    public const string ProgramCwdFolder = "cwd";
    /// <summary>The most of a program's working directory kept with a failure (its files, largest left out first).</summary>
    public const long MaxCwdBytes = 64L << 20;

    /// <summary>What the program left in its working directory: relative path and content (a failed run's evidence).</summary>
    public IReadOnlyList<(string Path, byte[] Content)> ProgramFiles { get; init; } = [];

    /// <summary>Reads what the run left in its scratch directory.</summary>
    public static Evidence Gather(string stdout, string stderr, string? scratch)
    {
        string? Read(string name) => scratch != null && File.Exists(Path.Combine(scratch, name)) ? File.ReadAllText(Path.Combine(scratch, name), Encoding.UTF8) : null;
        string? ring = null;
        if (scratch != null && File.Exists(Path.Combine(scratch, RingFile)))
        {
            try
            {
                ring = HakmemTrace.DecodeRingFile(Path.Combine(scratch, RingFile));
            }
            catch (Exception e) when (e is IOException or ArgumentException)
            {
                ring = $"the trace ring could not be read: {e.Message}";
            }
        }
        return new Evidence(stdout, stderr, Read(ProgramStdoutFile), Read(ProgramStderrFile), ring) { ProgramFiles = ProgramFilesIn(scratch) };
    }

    private static IReadOnlyList<(string, byte[])> ProgramFilesIn(string? scratch)
    {
        string? cwd = scratch != null ? Path.Combine(scratch, ProgramCwdFolder) : null;
        if (cwd == null || !Directory.Exists(cwd)) return [];
        var files = new DirectoryInfo(cwd).GetFiles("*", SearchOption.AllDirectories).OrderBy(f => f.Length).ToList();
        var kept = new List<(string, byte[])>();
        long total = 0;
        foreach (var f in files)
        {
            if ((total += f.Length) > MaxCwdBytes) break;
            kept.Add((Path.GetRelativePath(cwd, f.FullName), File.ReadAllBytes(f.FullName)));
        }
        return kept;
    }
}
