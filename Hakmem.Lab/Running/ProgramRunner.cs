using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace Hakmem.Lab.Running;

/// <summary>How an external program ended, and what it printed.</summary>
public sealed record ProgramEnd(int ExitCode, int? Signal, bool TimedOut, double Seconds, long PeakRssKb, string Stdout, string Stderr);

/// <summary>The worker's side of an exec run: starts the program (posix_spawn) in a process group of its
/// own, with core dumps off, its stdout and stderr to files, its allocator preloaded, and the kernel's
/// parent-death signal armed for it too (setpriv --pdeathsig, when util-linux has it), so that it dies
/// with the worker, which dies with the lab. Waits for it with wait4, which gives its peak RSS; at the
/// timeout the whole group is killed. The worker waits in the kernel while the program runs: it takes
/// no CPU from it.</summary>
public static unsafe partial class ProgramRunner
{
    /// <summary>Runs the program; its stdout and stderr go to program.stdout and program.stderr in
    /// <paramref name="outputDir"/> (kept, for the run's evidence), or to a temporary directory.</summary>
    public static ProgramEnd Run(IReadOnlyList<string> command, IReadOnlyDictionary<string, string?> environment, TimeSpan timeout, string? outputDir = null)
    {
        Setrlimit(RlimitCore, new Rlimit());
        var argv = new List<string>();
        if (File.Exists(SetPriv)) argv.AddRange([SetPriv, "--pdeathsig", "KILL", "--"]);
        argv.AddRange(command);
        var env = new Dictionary<string, string>();
        foreach (System.Collections.DictionaryEntry e in Environment.GetEnvironmentVariables()) env[(string)e.Key] = (string)e.Value!;
        foreach (var (k, v) in environment)
            if (v == null) env.Remove(k); else env[k] = v;

        string dir = outputDir ?? Directory.CreateTempSubdirectory("hklab-exec-").FullName;
        string outFile = Path.Combine(dir, Evidence.ProgramStdoutFile), errFile = Path.Combine(dir, Evidence.ProgramStderrFile);
        try
        {
            var clock = Stopwatch.StartNew();
            int pid = Spawn(argv, env, outFile, errFile);
            using var exited = new ManualResetEventSlim();
            bool fired = false;
            var watchdog = new Thread(() =>
            {
                if (!exited.Wait(timeout))
                {
                    fired = true;
                    kill(-pid, SigKill);
                }
            }) { IsBackground = true };
            watchdog.Start();
            int status;
            var usage = new byte[256];
            int waited;
            fixed (byte* u = usage)
                do waited = wait4(pid, &status, 0, u); while (waited < 0 && Marshal.GetLastPInvokeError() == Eintr);
            double seconds = clock.Elapsed.TotalSeconds;
            exited.Set();
            watchdog.Join();
            kill(-pid, SigKill); // whatever the program left running in its group
            long maxRss = BitConverter.ToInt64(usage, RusageMaxRssOffset);
            int? signal = (status & 0x7f) is int s and > 0 and < 0x7f ? s : null;
            int exitCode = signal is int sig ? 128 + sig : (status >> 8) & 0xff;
            bool timedOut = Classifier.KilledAtTimeout(fired, exitedFirst: false, signal);
            return new ProgramEnd(exitCode, signal, timedOut, seconds, maxRss, ReadTail(outFile), ReadTail(errFile));
        }
        finally
        {
            if (outputDir == null) Directory.Delete(dir, true);
        }
    }

    private const string SetPriv = "/usr/bin/setpriv";
    private const int SigKill = 9, Eintr = 4, RlimitCore = 4, RusageMaxRssOffset = 32;
    private const short PosixSpawnSetPgroup = 0x02, PosixSpawnSetSigDef = 0x04, PosixSpawnSetSigMask = 0x08;
    private const int OWronly = 0x01, OCreat = 0x40, OTrunc = 0x200, ORdonly = 0;

    private static int Spawn(List<string> argv, Dictionary<string, string> env, string outFile, string errFile)
    {
        var memory = new List<nint>();
        nint Str(string s)
        {
            nint p = Marshal.StringToCoTaskMemUTF8(s);
            memory.Add(p);
            return p;
        }
        nint* args = stackalloc nint[argv.Count + 1];
        for (int i = 0; i < argv.Count; i++) args[i] = Str(argv[i]);
        args[argv.Count] = 0;
        var vars = env.Select(kv => $"{kv.Key}={kv.Value}").ToList();
        nint* envp = (nint*)NativeMemory.Alloc((nuint)((vars.Count + 1) * sizeof(nint)));
        for (int i = 0; i < vars.Count; i++) envp[i] = Str(vars[i]);
        envp[vars.Count] = 0;
        // Opaque glibc structures: generously sized buffers (posix_spawn_file_actions_t is 80 bytes, posix_spawnattr_t 336).
        byte* actions = stackalloc byte[1024];
        byte* attr = stackalloc byte[1024];
        byte* all = stackalloc byte[256];
        byte* none = stackalloc byte[256];
        try
        {
            posix_spawn_file_actions_init(actions);
            posix_spawn_file_actions_addopen(actions, 0, Str("/dev/null"), ORdonly, 0);
            posix_spawn_file_actions_addopen(actions, 1, Str(outFile), OWronly | OCreat | OTrunc, 0x1a4);
            posix_spawn_file_actions_addopen(actions, 2, Str(errFile), OWronly | OCreat | OTrunc, 0x1a4);
            posix_spawnattr_init(attr);
            sigfillset(all);
            sigemptyset(none);
            // Signals the runtime ignores (SIGPIPE) back to their defaults, none blocked, a group of its own.
            posix_spawnattr_setsigdefault(attr, all);
            posix_spawnattr_setsigmask(attr, none);
            posix_spawnattr_setpgroup(attr, 0);
            posix_spawnattr_setflags(attr, (short)(PosixSpawnSetPgroup | PosixSpawnSetSigDef | PosixSpawnSetSigMask));
            int pid;
            int error = posix_spawnp(&pid, args[0], actions, attr, args, envp);
            if (error != 0) throw new ProgramStartException($"cannot start '{argv[File.Exists(SetPriv) ? 4 : 0]}': {Marshal.GetPInvokeErrorMessage(error)}");
            return pid;
        }
        finally
        {
            posix_spawn_file_actions_destroy(actions);
            posix_spawnattr_destroy(attr);
            foreach (nint p in memory) Marshal.FreeCoTaskMem(p);
            NativeMemory.Free(envp);
        }
    }

    /// <summary>The last megabyte a program printed (a benchmark's result is at its end).</summary>
    private static string ReadTail(string file)
    {
        using var f = File.OpenRead(file);
        const int Max = 1 << 20;
        if (f.Length > Max) f.Seek(-Max, SeekOrigin.End);
        using var reader = new StreamReader(f);
        return reader.ReadToEnd();
    }

    private static readonly Regex[] DefaultPatterns =
    [
        new(@"Throughput\s*=\s*(?<n>[0-9][0-9.,]*(?:[eE][+-]?[0-9]+)?)\s*operations\s+per\s+second", RegexOptions.IgnoreCase),
        new(@"(?<n>[0-9][0-9.,]*(?:[eE][+-]?[0-9]+)?)\s*(?<unit>[kKmMgG])?\s*ops\s*/\s*s(?:ec)?\b", RegexOptions.IgnoreCase),
    ];

    /// <summary>Operations per second from a program's output: the last match of <paramref name="pattern"/>
    /// (its first group, or the group named n; a group named unit may say K, M or G), or by default of
    /// larson's "Throughput = N operations per second" or any "N ops/s". Null when nothing matches.</summary>
    public static double? Throughput(string stdout, string? pattern)
    {
        var patterns = pattern == null ? DefaultPatterns : [new Regex(pattern)];
        foreach (var regex in patterns)
        {
            var last = regex.Matches(stdout).LastOrDefault();
            if (last == null) continue;
            var number = last.Groups["n"].Success ? last.Groups["n"] : last.Groups.Count > 1 ? last.Groups[1] : last.Groups[0];
            if (!double.TryParse(number.Value.Replace(",", "", StringComparison.Ordinal), NumberStyles.Float, CultureInfo.InvariantCulture, out double value)) continue;
            double scale = last.Groups["unit"].Value.ToUpperInvariant() switch { "K" => 1e3, "M" => 1e6, "G" => 1e9, _ => 1 };
            return value * scale;
        }
        return null;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Rlimit
    {
        public ulong Current, Max;
    }

    [LibraryImport("libc", EntryPoint = "setrlimit")]
    private static partial int Setrlimit(int resource, Rlimit limit);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int wait4(int pid, int* status, int options, byte* usage);

    [LibraryImport("libc")]
    private static partial int kill(int pid, int signal);

    [LibraryImport("libc")]
    private static partial int posix_spawnp(int* pid, nint file, byte* actions, byte* attr, nint* argv, nint* envp);

    [LibraryImport("libc")]
    private static partial int posix_spawn_file_actions_init(byte* actions);

    [LibraryImport("libc")]
    private static partial int posix_spawn_file_actions_destroy(byte* actions);

    [LibraryImport("libc")]
    private static partial int posix_spawn_file_actions_addopen(byte* actions, int fd, nint path, int flags, int mode);

    [LibraryImport("libc")]
    private static partial int posix_spawnattr_init(byte* attr);

    [LibraryImport("libc")]
    private static partial int posix_spawnattr_destroy(byte* attr);

    [LibraryImport("libc")]
    private static partial int posix_spawnattr_setflags(byte* attr, short flags);

    [LibraryImport("libc")]
    private static partial int posix_spawnattr_setpgroup(byte* attr, int group);

    [LibraryImport("libc")]
    private static partial int posix_spawnattr_setsigmask(byte* attr, byte* mask);

    [LibraryImport("libc")]
    private static partial int posix_spawnattr_setsigdefault(byte* attr, byte* mask);

    [LibraryImport("libc")]
    private static partial int sigfillset(byte* set);

    [LibraryImport("libc")]
    private static partial int sigemptyset(byte* set);
}

/// <summary>The program could not be started at all (no such file, not executable).</summary>
public sealed class ProgramStartException(string message) : Exception(message);
