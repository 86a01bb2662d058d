using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace Hakmem.Lab.Running;

/// <summary>How an external program ended, and what it printed. PeakRssKb, the CPU times and the page faults
/// are the program's own, as GNU time reports them (null where they are not known).</summary>
public sealed record ProgramEnd(int ExitCode, int? Signal, bool TimedOut, double Seconds, long PeakRssKb, string Stdout, string Stderr)
{
    public double? UserSeconds { get; init; }
    public double? SysSeconds { get; init; }
    public long? MinorFaults { get; init; }
    public long? MajorFaults { get; init; }
}

/// <summary>The worker's side of an exec run: starts the program (posix_spawn) in a process group of its
/// own, in its working directory, with core dumps off, its stdout and stderr to files, its allocator
/// preloaded, and the kernel's parent-death signal armed for it (setpriv --pdeathsig, when util-linux has
/// it), so that it dies with the worker, which dies with the lab. The program is started by GNU time, a
/// small process that really forks it and reports its rusage: a child spawned straight from the worker
/// would keep the worker's ~38 MB high-water mark in its own ru_maxrss across exec, GNU time's ~1.5 MB is
/// the floor instead. At the timeout the whole group is killed (the peak RSS then is the program's VmHWM
/// as last seen). The worker waits in the kernel while the program runs: it takes no CPU from it.</summary>
public static unsafe partial class ProgramRunner
{
    /// <summary>GNU time, which measures a program as mimalloc-bench does (Debian package time).</summary>
    public const string GnuTime = "/usr/bin/time";
    private const string TimeFormat = "%M %U %S %R %F";

    /// <summary>Whether GNU time is here (busybox's time has no -o and -f).</summary>
    public static bool HasGnuTime()
    {
        if (!File.Exists(GnuTime)) return false;
        try
        {
            var psi = new ProcessStartInfo(GnuTime, "--version") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            using var p = Process.Start(psi)!;
            string text = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
            p.WaitForExit();
            return text.Contains("GNU", StringComparison.Ordinal);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    /// <summary>Runs the program; its stdout and stderr go to program.stdout and program.stderr in
    /// <paramref name="outputDir"/> (kept, for the run's evidence), or to a temporary directory.
    /// <paramref name="measure"/>: through GNU time (the program's own peak RSS, CPU times and faults).
    /// <paramref name="stopWhen"/>: checked while it runs; when true the group is killed (not a timeout).</summary>
    public static ProgramEnd Run(IReadOnlyList<string> command, IReadOnlyDictionary<string, string?> environment, TimeSpan timeout,
        string? outputDir = null, string? workingDirectory = null, bool measure = true, Func<bool>? stopWhen = null)
    {
        Setrlimit(RlimitCore, new Rlimit());
        string dir = outputDir ?? Directory.CreateTempSubdirectory("hklab-exec-").FullName;
        string outFile = Path.Combine(dir, Evidence.ProgramStdoutFile), errFile = Path.Combine(dir, Evidence.ProgramStderrFile);
        string statsFile = Path.Combine(dir, ".program.rusage");
        bool timed = measure && HasGnuTime();
        bool pdeath = File.Exists(SetPriv) && stopWhen == null;
        var argv = new List<string>();
        if (pdeath) argv.AddRange([SetPriv, "--pdeathsig", "KILL", "--"]);
        if (timed)
        {
            argv.AddRange([GnuTime, "-o", statsFile, "-f", TimeFormat, "--"]);
            if (pdeath) argv.AddRange([SetPriv, "--pdeathsig", "KILL", "--"]); // the program dies with GNU time, which dies with the worker
        }
        argv.AddRange(command);
        var env = new Dictionary<string, string>();
        foreach (System.Collections.DictionaryEntry e in Environment.GetEnvironmentVariables()) env[(string)e.Key] = (string)e.Value!;
        foreach (var (k, v) in environment)
            if (v == null) env.Remove(k); else env[k] = v;
        try
        {
            var clock = Stopwatch.StartNew();
            int pid = Spawn(argv, env, outFile, errFile, workingDirectory, shown: command[0]);
            using var exited = new ManualResetEventSlim();
            bool fired = false;
            long seenKb = 0;
            var watchdog = new Thread(() =>
            {
                var until = DateTime.UtcNow + timeout;
                var nextLook = DateTime.UtcNow;
                while (!exited.Wait(stopWhen != null ? 10 : 100))
                {
                    if (DateTime.UtcNow >= until)
                    {
                        fired = true;
                        kill(-pid, SigKill);
                        return;
                    }
                    if (stopWhen?.Invoke() == true)
                    {
                        kill(-pid, SigKill);
                        return;
                    }
                    // What a run killed at its timeout would otherwise leave unknown: the program's memory while it ran.
                    if (timed && DateTime.UtcNow >= nextLook)
                    {
                        seenKb = Math.Max(seenKb, ProgramPeakKb(pid));
                        nextLook = DateTime.UtcNow.AddMilliseconds(100);
                    }
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
            int? signal = (status & 0x7f) is int s and > 0 and < 0x7f ? s : null;
            int exitCode = signal is int sig ? 128 + sig : (status >> 8) & 0xff;
            bool timedOut = Classifier.KilledAtTimeout(fired, exitedFirst: false, signal);
            var end = new ProgramEnd(exitCode, signal, timedOut, seconds, BitConverter.ToInt64(usage, RusageMaxRssOffset), ReadTail(outFile), ReadTail(errFile));
            return timed ? WithRusage(end, statsFile, seenKb) : end;
        }
        finally
        {
            if (outputDir == null) Directory.Delete(dir, true);
            else File.Delete(statsFile);
        }
    }

    /// <summary>The program's own figures from GNU time's report ("Command terminated by signal N" first when
    /// it died of one, then the format's line); for a run GNU time could not report (killed with it at the
    /// timeout), the program's VmHWM as last seen.</summary>
    private static ProgramEnd WithRusage(ProgramEnd end, string statsFile, long seenKb)
    {
        string[] lines = File.Exists(statsFile) ? File.ReadAllLines(statsFile) : [];
        var numbers = lines.LastOrDefault(l => l.Length > 0 && char.IsDigit(l[0]))?.Split(' ');
        if (numbers is not { Length: 5 }) return end with { PeakRssKb = seenKb };
        int? signal = lines.Select(l => TerminatedBy().Match(l)).FirstOrDefault(m => m.Success) is { } m
            ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : end.Signal;
        double D(string x) => double.Parse(x, CultureInfo.InvariantCulture);
        long L(string x) => long.Parse(x, CultureInfo.InvariantCulture);
        return end with
        {
            Signal = signal, ExitCode = signal is int sig && end.Signal == null ? 128 + sig : end.ExitCode,
            PeakRssKb = L(numbers[0]), UserSeconds = D(numbers[1]), SysSeconds = D(numbers[2]), MinorFaults = L(numbers[3]), MajorFaults = L(numbers[4]),
        };
    }

    [GeneratedRegex(@"^Command terminated by signal (\d+)")]
    private static partial Regex TerminatedBy();

    /// <summary>VmHWM of the program GNU time (<paramref name="timePid"/>) started: its child, when there is one.</summary>
    private static long ProgramPeakKb(int timePid)
    {
        try
        {
            string children = $"/proc/{timePid}/task/{timePid}/children";
            if (!File.Exists(children)) return 0;
            long peak = 0;
            foreach (string child in File.ReadAllText(children).Split(' ', StringSplitOptions.RemoveEmptyEntries))
                peak = Math.Max(peak, Worker.ParseStatusKb(File.ReadLines($"/proc/{child}/status"), "VmHWM:"));
            return peak;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

    private const string SetPriv = "/usr/bin/setpriv";
    private const int SigKill = 9, Eintr = 4, RlimitCore = 4, RusageMaxRssOffset = 32;
    private const short PosixSpawnSetPgroup = 0x02, PosixSpawnSetSigDef = 0x04, PosixSpawnSetSigMask = 0x08;
    private const int OWronly = 0x01, OCreat = 0x40, OTrunc = 0x200, ORdonly = 0;

    private static int Spawn(List<string> argv, Dictionary<string, string> env, string outFile, string errFile, string? workingDirectory, string shown)
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
            if (workingDirectory != null) posix_spawn_file_actions_addchdir_np(actions, Str(workingDirectory));
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
            if (error != 0) throw new ProgramStartException($"cannot start '{shown}': {Marshal.GetPInvokeErrorMessage(error)}");
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
    private static partial int posix_spawn_file_actions_addchdir_np(byte* actions, nint path);

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
