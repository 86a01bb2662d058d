using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Hakmem.Lab.Backends;
using Hakmem.Workloads;

namespace Hakmem.Lab.Running;

/// <summary>The child side: runs one RunSpec in this process and prints one <see cref="WorkerReport"/>
/// line. The workload runs twice, a short warm-up (JIT tiers and allocator state) and the measured run.
/// The report is printed last, after the heap is disposed, so a crash in the heap's teardown is a death
/// after the report, not a clean run. Anything that kills the process is classified by the parent
/// from the exit status and stderr.</summary>
public static unsafe class Worker
{
    public const string CommandName = "__worker";
    /// <summary>--touch all: every page of every block written once (<see cref="RunSpec.Touch"/>).</summary>
    public const string TouchAll = "all";
    /// <summary>The lab's pid, given to the worker so it can tell it was orphaned before the kernel's
    /// parent-death signal was armed.</summary>
    public const string ParentVariable = "HKLAB_PARENT_PID";

    [DllImport("libc", SetLastError = true)]
    private static extern int prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

    [DllImport("libc")]
    private static extern int getppid();

    /// <summary>The worker dies with the lab: the kernel sends it SIGKILL when its parent exits (for any
    /// reason, kill -KILL included), so no orphan keeps running, or hangs, after the lab is gone.</summary>
    public static bool DieWithParent()
    {
        const int PrSetPdeathsig = 1, SigKill = 9;
        prctl(PrSetPdeathsig, SigKill, 0, 0, 0);
        // The parent may have died before the signal was armed: then this process was reparented.
        return Environment.GetEnvironmentVariable(ParentVariable) is not string parent
            || !int.TryParse(parent, NumberStyles.None, CultureInfo.InvariantCulture, out int pid)
            || getppid() == pid;
    }

    public static int Run(string specJson)
    {
        if (!DieWithParent()) return 2;
        RunSpec spec;
        try
        {
            spec = JsonSerializer.Deserialize<RunSpec>(specJson, WorkerReport.StrictJson) ?? throw new JsonException("empty spec");
        }
        catch (JsonException e)
        {
            return Report(Refused($"this build cannot read the run spec: {e.Message}"), 2);
        }
        if (spec.SelfTest != null) return SelfTest.Run(spec);
        try
        {
            var workload = spec.Parse();
            var backend = spec.Backend;
            if (workload is ExecWorkload exec)
            {
                var ended = ProgramWorker.Run(spec, exec, backend) with { Ran = workload.CommandLine };
                return Report(ended, Classifier.ExpectedExitCode(ended));
            }
            string? pinned = spec.Pin == true ? CpuPinning.Pin(workload.RunningThreads) : null;
            var report = backend.IsHakmem ? RunHakmem(workload, spec)
                : backend.IsNative ? Measure(workload, NativeAllocator.Load(backend), NativeRelease.For(backend), spec)
                : Measure(workload, BumpAllocator.Create(), null, spec);
            return Report(report with { Ran = workload.CommandLine, Pinned = pinned }, 0);
        }
        catch (Exception e) when (e is WorkloadArgumentException or BackendUnavailableException or ArgumentException)
        {
            return Report(Refused(e.Message), 2);
        }
    }

    /// <summary><c>hklab __probe-library lib:PATH</c>: loads the library as a run would (it must load and define
    /// malloc, free and realloc itself) in this throwaway process, never in the lab; exit 0, or 2 with the reason.</summary>
    public static int ProbeLibrary(string allocator)
    {
        if (!DieWithParent()) return 2;
        try
        {
            NativeAllocator.Load(BackendInfo.Get(allocator));
            return 0;
        }
        catch (Exception e) when (e is BackendUnavailableException or ArgumentException)
        {
            Console.Out.WriteLine(e.Message);
            return 2;
        }
    }

    /// <summary>A run that cannot be what was asked (an unknown workload, option or member, a library that does
    /// not load): a configuration error, never a stability failure.</summary>
    public static WorkerReport Refused(string message) => new() { Status = "refused", Message = message };

    /// <summary>The workload on a heap of its own, then the audit (the leak count, broken invariants), then
    /// the heap's disposal: the report is complete only once all of that has run.</summary>
    private static WorkerReport RunHakmem(WorkloadSpec workload, RunSpec spec)
    {
        var heap = new HakmemHeap(spec.Hakmem);
        try
        {
            RouteCounts? warmRoutes = null;
            var measured = Measure(workload, new HakmemAllocator(heap), heap.Trim, spec, () => warmRoutes = heap.Stats().Routes); // peak RSS read before the audit: the lab's own bookkeeping is not the workload's
            if (measured.Status is "abort" or "crash") return measured with { Options = heap.Options }; // the heap is not in a state to be walked
            var audit = heap.Audit();
            var stats = heap.Stats();
            var report = measured with
            {
                Options = heap.Options,
                LeakedBlocks = audit.LiveBlocks,
                LeakedBytes = audit.LiveBytes,
                Violations = audit.Violations.Count > 0 ? audit.Violations : null,
                Stats = stats with { Routes = warmRoutes != null ? stats.Routes?.Since(warmRoutes) : stats.Routes }, // the measured run's routes
            };
            if (audit.Violations.Count > 0) report = report with { Status = "corrupt", Message = $"audit: {audit.Violations[0]}" };
            return report;
        }
        finally
        {
            heap.Dispose();
        }
    }

    /// <summary>Warm-up, then the measured run, measured for memory too. The base is the RSS before the
    /// warm-up (the runtime's floor, the same for every allocator); after the warm-up the peak RSS is reset
    /// (clear_refs), so the peak is the measured run's: a warm-up whose peak was higher never counts, while
    /// what the allocator kept from it does (as it would for a program that runs on). After the workload freed
    /// everything: what is still resident above the base (retained), and with <see cref="RunSpec.SettleMs"/>
    /// again after an idle wait and after the allocator's own release call.</summary>
    public static WorkerReport Measure<TAlloc>(WorkloadSpec workload, TAlloc allocator, Action? release, RunSpec spec, Action? afterWarmup = null)
        where TAlloc : struct, IAllocator<TAlloc>
    {
        long baseRss = CurrentRssKb();
        var touch = spec.Touch == "all" ? TouchMode.All : TouchMode.Own;
        WorkloadResult warm;
        using (var warmLive = new LiveBytes()) warm = RunCounted(workload.Warmup(), allocator, warmLive, touch); // the measured run's code, warmed

        bool warmFailed = warm.Failure != null || warm.Corruptions > 0 || warm.OutOfMemory;
        if (warmFailed) return FromResult(warm) with { BaseRssKb = baseRss };
        afterWarmup?.Invoke();
        using var live = new LiveBytes();
        bool reset = MemoryProbe.ResetPeak();
        var before = MemoryProbe.Now();
        var result = RunCounted(workload, allocator, live, touch);
        var each = new List<WorkloadResult> { result };
        while (each.Count < (spec.Repeat ?? 1) && each[^1] is { Failure: null, Corruptions: 0, OutOfMemory: false })
            each.Add(RunCounted(workload, allocator, live, touch));
        // Repeated: the last repetition's outcome, every repetition's ops and seconds, the median's figures.
        var sorted = each.Select(r => r.OpsPerSecond).Order().ToArray();
        var middle = each.OrderBy(r => r.OpsPerSecond).ElementAt((each.Count - 1) / 2); // the lower middle for an even count
        result = each[^1] with { Ops = each.Sum(r => r.Ops), Seconds = each.Sum(r => r.Seconds), Original = middle.Original };
        var used = MemoryProbe.Now() - before;
        var report = FromResult(result) with
        {
            BaseRssKb = baseRss, PeakReset = reset, Gen0BudgetKb = MemoryProbe.Gen0BudgetKb(),
            OpsPerSec = each.Count > 1 ? (sorted[(sorted.Length - 1) / 2] + sorted[sorted.Length / 2]) / 2 : result.OpsPerSecond,
            Repetitions = each.Count > 1 ? each.Select(r => r.OpsPerSecond).ToList() : null,
            UserSeconds = MemoryProbe.Round(used.User), SysSeconds = MemoryProbe.Round(used.Sys), MinorFaults = used.MinorFaults, MajorFaults = used.MajorFaults,
            PeakLiveKb = (live.Peak + 1023) / 1024, PeakLiveExact = live.Exact,
        };
        if (report.Status != "ok") return report;
        report = report with { RetainedKb = Math.Max(0, MemoryProbe.RetainedRssKb() - baseRss) };
        if (spec.SettleMs is int settle and > 0)
        {
            Thread.Sleep(settle);
            long settled = Math.Max(0, MemoryProbe.RetainedRssKb() - baseRss);
            release?.Invoke();
            report = report with { RetainedSettledKb = settled, RetainedReleasedKb = Math.Max(0, MemoryProbe.RetainedRssKb() - baseRss) };
        }
        return report;
    }

    /// <summary>The workload on the allocator wrapped to count its live bytes, compiled for the touch mode.</summary>
    private static WorkloadResult RunCounted<TAlloc>(WorkloadSpec workload, TAlloc allocator, LiveBytes live, TouchMode touch) where TAlloc : struct, IAllocator<TAlloc> =>
        touch == TouchMode.All ? workload.Run(new LiveCounting<TAlloc, TouchAll>(allocator, live)) : workload.Run(new LiveCounting<TAlloc, TouchOwn>(allocator, live));

    public static WorkerReport FromResult(WorkloadResult r)
    {
        var report = new WorkerReport { Status = "ok", Ops = r.Ops, Seconds = r.Seconds, OpsPerSec = r.OpsPerSecond, PeakRssKb = PeakRssKb(), Original = r.Original?.ToString() };
        if (r.Failure != null)
        {
            string status = r.Failure switch
            {
                HeapCorruptionException => "abort",
                NullReferenceException or AccessViolationException => "crash",
                OutOfMemoryException => "oom",
                _ => "abort",
            };
            return report with { Status = status, Message = $"{r.Failure.GetType().Name}: {r.Failure.Message}" };
        }
        if (r.Corruptions > 0) return report with { Status = "corrupt", CorruptOp = r.FirstCorruptOp, Message = $"corruption at op {r.FirstCorruptOp}: {r.CorruptDetail}" };
        if (r.OutOfMemory) return report with { Status = "oom", Message = "the allocator returned null" };
        return report;
    }

    public static int Report(WorkerReport report, int exitCode)
    {
        Console.Out.WriteLine(report.ToLine());
        Console.Out.Flush();
        return exitCode;
    }

    /// <summary>Peak resident set size of this process (VmHWM), in KiB.</summary>
    public static long PeakRssKb() => SelfStatusKb("VmHWM:");

    /// <summary>Resident set size of this process now (VmRSS), in KiB.</summary>
    public static long CurrentRssKb() => SelfStatusKb("VmRSS:");

    private static long SelfStatusKb(string field)
    {
        try
        {
            return ParseStatusKb(File.ReadLines("/proc/self/status"), field);
        }
        catch (IOException)
        {
            return 0;
        }
    }

    /// <summary>A "Name:   1234 kB" line of /proc/PID/status; 0 when it is missing.</summary>
    public static long ParseStatusKb(IEnumerable<string> status, string field)
    {
        foreach (var line in status)
            if (line.StartsWith(field, StringComparison.Ordinal))
                return long.TryParse(line.AsSpan(field.Length).Trim().TrimEnd("kB").Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out long kb) ? kb : 0;
        return 0;
    }
}
