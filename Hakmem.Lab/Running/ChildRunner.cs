using System.Diagnostics;
using System.Text.Json;

namespace Hakmem.Lab.Running;

/// <summary>What one isolated run produced. For a run that reported, the figures are the report's; for a
/// timeout, Seconds is the wall time until the kill and PeakRssKb the highest VmHWM seen while it ran.</summary>
public sealed record RunResult(Outcome Outcome, int ExitCode, int? Signal, double Seconds, long Ops, double OpsPerSec,
    long? LeakedBlocks, long? LeakedBytes, long PeakRssKb, string Message, WorkerReport? Report)
{
    /// <summary>What a run that did not end ok left behind (null for ok runs).</summary>
    public Evidence? Evidence { get; init; }

    public long? BaseRssKb => Report?.BaseRssKb;
    public string Routes => Report?.Stats?.Routes?.ToString() ?? "";

    /// <summary>With <see cref="ChildRunner.RssEvery"/>: the run's RSS over its life, sampled by the lab.</summary>
    public IReadOnlyList<RssSample>? RssSamples { get; init; }
}

/// <summary>The RSS of a run at a time since its start (ms), read from /proc/PID/statm by the lab.</summary>
public readonly record struct RssSample(double Ms, long RssKb);

/// <summary>Runs a RunSpec in a child process (this same program in its hidden worker mode), enforces
/// the timeout by killing the child's whole process tree, and classifies how it ended. A crash kills
/// one run, never the lab.</summary>
public sealed class ChildRunner(WorkerCommand command, IReadOnlyDictionary<string, string>? environment = null)
{
    /// <summary>--rss-every: sample the run's RSS this often (the worker's, or a program's own), from
    /// /proc/PID/statm: read by the lab, without touching the measured process (not smaps, which takes the
    /// process's memory map lock).</summary>
    public TimeSpan? RssEvery { get; init; }

    public const string TieredCompilationVariable = "DOTNET_TieredCompilation";
    /// <summary>The young-generation budget the worker runs with, at least this (hex, as the runtime reads it): 4 MiB.</summary>
    public const string Gen0SizeVariable = "DOTNET_GCgen0size", Gen0Size = "0x400000";
    /// <summary>exec: how much longer than the program's own timeout the lab waits for its worker.</summary>
    public static readonly TimeSpan ProgramGrace = TimeSpan.FromSeconds(30);

    private static bool IsExec(RunSpec spec)
    {
        try
        {
            return spec.Parse() is Hakmem.Workloads.ExecWorkload;
        }
        catch (ArgumentException)
        {
            return false; // the worker reports the bad arguments
        }
    }

    /// <summary>A variable the lab sets for its worker, which a program the worker starts must not inherit.</summary>
    private static void Lab(ProcessStartInfo psi, List<string> labOnly, string name, string value)
    {
        psi.Environment[name] = value;
        labOnly.Add(name);
    }
    private static readonly TimeSpan RssPoll = TimeSpan.FromMilliseconds(100);

    /// <summary>The variable that gives each run its number within its cell (1, 2, ...), set for the worker and
    /// passed on to a program: a fixture (or a user's test program) can decide from it what a run does, so that a
    /// test of a flaky failure knows exactly which runs fail.</summary>
    public const string RunIndexVariable = "HKLAB_RUN_INDEX";

    public Task<RunResult> RunAsync(RunSpec spec, TimeSpan timeout, CancellationToken cancel = default) => RunAsync(spec, timeout, null, cancel);

    /// <summary>One run, numbered <paramref name="runIndex"/> in its cell (<see cref="RunIndexVariable"/>; none when null).</summary>
    public async Task<RunResult> RunAsync(RunSpec spec, TimeSpan timeout, int? runIndex, CancellationToken cancel = default)
    {
        var psi = new ProcessStartInfo(command.FileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in command.PrefixArguments) psi.ArgumentList.Add(a);
        psi.ArgumentList.Add(Worker.CommandName);
        psi.ArgumentList.Add(JsonSerializer.Serialize(spec, WorkerReport.Json));
        bool program = spec.SelfTest == null && IsExec(spec);
        var labOnly = new List<string> { Worker.ParentVariable };
        // Only what the cell records reaches the run: every setting of the lab's own environment (an allocator's
        // variables, glibc's tunables, the runtime's knobs, hakmem's) goes, and LD_PRELOAD with them; then the
        // cell's env is set. hakmem's options travel in the spec (a program, a C build of hakmem, reads its
        // HAKMEM_* from the env).
        foreach (string name in psi.Environment.Keys.Where(n => AmbientSettings.IsSetting(n) || n == AmbientSettings.Preload).ToList())
            psi.Environment.Remove(name);
        if (spec.SelfTest == null)
            foreach (var (k, v) in spec.Env)
                if (program || !HakmemOptions.Variables.Any(x => x.Name == k)) psi.Environment[k] = v;
        if (!program && spec.SelfTest == null && spec.Backend.Environment is { } backendEnv)
            foreach (var (k, v) in backendEnv)
                psi.Environment[k] = k == "GLIBC_TUNABLES" && spec.Env.TryGetValue(k, out string? mine) ? $"{mine}:{v}" : v;
        if (runIndex is int index) psi.Environment[RunIndexVariable] = index.ToString(System.Globalization.CultureInfo.InvariantCulture);
        else psi.Environment.Remove(RunIndexVariable);
        Lab(psi, labOnly, "DOTNET_DbgEnableMiniDump", "0");
        // Every method of the worker is compiled fully optimized on first call, as the C allocators were
        // compiled ahead of time: no tier-0 code and no tier-up during a measured run (which made short
        // runs slower than long ones, hakmem's slow paths most). A value the cell records wins.
        if (!spec.Env.ContainsKey(TieredCompilationVariable)) Lab(psi, labOnly, TieredCompilationVariable, "0");
        // The worker's own garbage (larson's threads, started afresh every round) grows the managed heap up to the
        // young generation's budget, which the runtime sizes from the L3 cache: 32 MB more RSS for every allocator
        // on a 32 MiB L3, counted as the allocator's peak and retained memory. A small budget keeps it out of
        // the memory figures, alike on every machine. A value the cell records wins.
        if (!spec.Env.ContainsKey(Gen0SizeVariable)) Lab(psi, labOnly, Gen0SizeVariable, Gen0Size);
        if (environment != null)
            foreach (var (k, v) in environment) psi.Environment[k] = v;
        // A scratch directory for what only a failure needs: the trace ring's file, a program's output.
        string? scratch = null;
        bool ring = HakmemTrace.RingSize(psi.Environment.TryGetValue(HakmemTrace.RingVariable, out string? asked) ? asked : null) > 0;
        if (program || ring)
        {
            scratch = Directory.CreateTempSubdirectory("hklab-run-").FullName;
            Lab(psi, labOnly, Evidence.ScratchVariable, scratch);
            if (ring) Lab(psi, labOnly, HakmemTrace.RingFileVariable, Path.Combine(scratch, Evidence.RingFile));
        }
        psi.Environment[ProgramWorker.LabVariablesVariable] = string.Join(',', labOnly);
        if (program)
        {
            // The worker kills the program's group at the timeout; the lab's own limit comes later.
            psi.ArgumentList[^1] = JsonSerializer.Serialize(spec with { ProgramTimeout = timeout.TotalSeconds }, WorkerReport.Json);
            timeout += ProgramGrace;
        }

        psi.Environment[Worker.ParentVariable] = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        try
        {
            return await RunProcessAsync(spec, psi, timeout, scratch, program, cancel);
        }
        finally
        {
            if (scratch != null) Directory.Delete(scratch, true);
        }
    }

    /// <summary>What the worker says it ran, where that is not what the lab asked for: the options (hakmem) or
    /// the workload's command line. Null when they agree, or when the worker does not say (a build older than
    /// the report, or a run that died first).</summary>
    public static string? Mismatch(RunSpec spec, WorkerReport? report)
    {
        if (report == null || spec.SelfTest != null) return null;
        if (report.Options is { } ran && spec.Backend.IsHakmem && ran != spec.Hakmem)
        {
            var differ = typeof(HakmemOptions).GetProperties().Where(p => !Equals(p.GetValue(ran), p.GetValue(spec.Hakmem)))
                .Select(p => $"{p.Name} {p.GetValue(ran)} instead of {p.GetValue(spec.Hakmem)}");
            return $"the worker ran other options than the cell's: {string.Join(", ", differ)}";
        }
        string? asked = null;
        try
        {
            asked = spec.Parse().CommandLine;
        }
        catch (ArgumentException)
        {
        }
        if (report.Ran is { } workload && asked != null && workload != asked)
            return $"the worker ran '{workload}' instead of the cell's '{asked}'";
        return null;
    }

    private async Task<RunResult> RunProcessAsync(RunSpec spec, ProcessStartInfo psi, TimeSpan timeout, string? scratch, bool program, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        using var process = await ProcessSpawner.StartAsync(psi);
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(cancel);
        var stderr = process.StandardError.ReadToEndAsync(cancel);
        bool timedOut = false;
        long peakSeen = 0;
        var samples = new List<RssSample>();
        using (var limit = CancellationTokenSource.CreateLinkedTokenSource(cancel))
        {
            limit.CancelAfter(timeout);
            try
            {
                var exited = process.WaitForExitAsync(limit.Token);
                var poll = RssEvery is { } every && every < RssPoll ? every : RssPoll;
                var nextPeak = TimeSpan.Zero;
                int? measured = program ? null : process.Id;
                // What a run that never reports would otherwise leave unknown: its memory while it ran.
                while (await Task.WhenAny(exited, Task.Delay(poll, limit.Token)) != exited)
                {
                    limit.Token.ThrowIfCancellationRequested();
                    if (clock.Elapsed >= nextPeak)
                    {
                        peakSeen = Math.Max(peakSeen, PeakRssOf(process.Id));
                        nextPeak = clock.Elapsed + RssPoll;
                    }
                    if (RssEvery == null) continue;
                    measured ??= ProcessTree.Deepest(process.Id); // a program: the process at the end of the worker's chain
                    if (measured is int pid && ProcessTree.RssKb(pid) is long now) samples.Add(new RssSample(Math.Round(clock.Elapsed.TotalMilliseconds, 1), now));
                    else measured = program ? null : measured;
                }
                await exited;
            }
            catch (OperationCanceledException)
            {
                peakSeen = Math.Max(peakSeen, PeakRssOf(process.Id));
                bool exitedFirst = process.HasExited;
                if (!exitedFirst)
                    try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                await process.WaitForExitAsync(CancellationToken.None);
                cancel.ThrowIfCancellationRequested();
                timedOut = Classifier.KilledAtTimeout(limitReached: true, exitedFirst, Classifier.SignalOf(process.ExitCode));
            }
        }
        double wall = clock.Elapsed.TotalSeconds;
        string output = await stdout, errors = await stderr;
        var report = WorkerReport.Find(output);
        var verdict = Classifier.Classify(process.ExitCode, timedOut, report, errors, timeout.TotalSeconds);
        if (Mismatch(spec, report) is { } mismatch) verdict = new Classifier.Verdict(Outcome.Refused, null, mismatch);
        // exec: the worker ended as its report says, and the report says how the program ended.
        bool programEnd = report?.ProgramExitCode != null && !timedOut && process.ExitCode == Classifier.ExpectedExitCode(report);
        if (programEnd) verdict = verdict with { Signal = report!.ProgramSignal };
        int exitCode = programEnd ? report!.ProgramExitCode!.Value : process.ExitCode;
        var evidence = verdict.Outcome == Outcome.Ok ? null : Evidence.Gather(output, errors, scratch);
        return new RunResult(verdict.Outcome, exitCode, verdict.Signal,
            report?.Seconds ?? (timedOut ? Math.Round(wall, 3) : 0), report?.Ops ?? 0, report?.OpsPerSec ?? 0,
            report?.LeakedBlocks, report?.LeakedBytes, report?.PeakRssKb is > 0 and var rss ? rss : peakSeen, verdict.Message, report) { Evidence = evidence, RssSamples = RssEvery != null ? samples : null };
    }

    /// <summary>VmHWM of a running process, in KiB; 0 when it is gone or unreadable.</summary>
    private static long PeakRssOf(int pid)
    {
        try
        {
            return Worker.ParseStatusKb(File.ReadLines($"/proc/{pid}/status"), "VmHWM:");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }
}

/// <summary>How to start this program as a worker: the apphost itself, or <c>dotnet hklab.dll</c>.</summary>
public sealed record WorkerCommand(string FileName, IReadOnlyList<string> PrefixArguments)
{
    public static WorkerCommand ForThisProcess()
    {
        string path = Environment.ProcessPath ?? throw new InvalidOperationException("cannot tell where this program is");
        string name = Path.GetFileNameWithoutExtension(path);
        if (name == "hklab") return new WorkerCommand(path, []);
        // Started through the dotnet host (or a test host): run the hklab assembly next to this one.
        return ForAssembly(typeof(Worker).Assembly.Location);
    }

    public static WorkerCommand ForAssembly(string dllPath)
    {
        string apphost = Path.Combine(Path.GetDirectoryName(dllPath)!, "hklab");
        if (File.Exists(apphost)) return new WorkerCommand(apphost, []);
        return new WorkerCommand("dotnet", [dllPath]);
    }
}
