using System.Runtime.InteropServices;
using System.Text.Json;
using Hakmem.Lab.Backends;
using Hakmem.Workloads;

namespace Hakmem.Lab.Running;

/// <summary>The child side: runs one RunSpec in this process and prints one <see cref="WorkerReport"/>
/// line. The workload runs twice, a short warm-up (JIT tiers and allocator state) and the measured run.
/// Anything that kills the process instead is classified by the parent from the exit status and stderr.</summary>
public static unsafe class Worker
{
    public const string CommandName = "__worker";

    public static int Run(string specJson)
    {
        RunSpec spec;
        try
        {
            spec = JsonSerializer.Deserialize<RunSpec>(specJson, WorkerReport.Json) ?? throw new JsonException("empty spec");
        }
        catch (JsonException e)
        {
            return Report(new WorkerReport { Status = "error", Message = $"bad worker spec: {e.Message}" }, 2);
        }
        if (spec.SelfTest != null) return SelfTest.Run(spec);
        try
        {
            var workload = spec.Parse();
            var backend = spec.Backend;
            if (backend.IsHakmem)
            {
                using var heap = new HakmemHeap(spec.Hakmem);
                var result = Measure(workload, new HakmemAllocator(heap));
                var measured = FromResult(result); // peak RSS read before the audit: the lab's own bookkeeping is not the workload's
                if (result.Failure != null) return Report(measured, 0);
                var audit = heap.Audit();
                var report = measured with
                {
                    LeakedBlocks = audit.LiveBlocks,
                    LeakedBytes = audit.LiveBytes,
                    Violations = audit.Violations.Count > 0 ? audit.Violations : null,
                    Stats = heap.Stats(),
                };
                if (report.Status == "ok" && audit.Violations.Count > 0)
                    report = report with { Status = "corrupt", Message = $"audit: {audit.Violations[0]}" };
                return Report(report, 0);
            }
            if (backend.IsNative) return Report(FromResult(Measure(workload, NativeAllocator.Load(backend))), 0);
            return Report(FromResult(Measure(workload, BumpAllocator.Create())), 0);
        }
        catch (Exception e) when (e is WorkloadArgumentException or BackendUnavailableException or ArgumentException)
        {
            return Report(new WorkerReport { Status = "error", Message = e.Message }, 2);
        }
    }

    public static WorkloadResult Measure<TAlloc>(WorkloadSpec workload, TAlloc allocator) where TAlloc : struct, IAllocator<TAlloc>
    {
        var warm = workload.Warmup().Run(allocator);
        return warm.Failure != null || warm.Corruptions > 0 || warm.OutOfMemory ? warm : workload.Run(allocator);
    }

    public static WorkerReport FromResult(WorkloadResult r)
    {
        var report = new WorkerReport { Status = "ok", Ops = r.Ops, Seconds = r.Seconds, OpsPerSec = r.OpsPerSecond, PeakRssKb = PeakRssKb() };
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
    public static long PeakRssKb()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
        }
        return 0;
    }
}
