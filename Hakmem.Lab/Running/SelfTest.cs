using System.Runtime.InteropServices;
using Hakmem.Lab.Backends;
using Hakmem.Workloads;

namespace Hakmem.Lab.Running;

/// <summary>Workers that fail on purpose, each in the way a real allocator bug fails, so that
/// <c>hklab selftest</c> (and the tests) can prove every outcome is classified correctly on this machine.</summary>
public static unsafe class SelfTest
{
    /// <summary>Mode -> the outcome the parent must classify it as.</summary>
    public static readonly IReadOnlyList<(string Mode, Outcome Expected, string What)> Modes =
    [
        ("ok", Outcome.Ok, "a short clean random_mixed run on hakmem"),
        ("leak", Outcome.Leak, "hakmem blocks never freed: the audit counts them"),
        ("corrupt", Outcome.Corrupt, "an allocator that hands out overlapping blocks: the workload's tags catch it"),
        ("abort", Outcome.Abort, "a double free into hakmem: HeapCorruptionException reported by the workload"),
        ("abort-unhandled", Outcome.Abort, "a HeapCorruptionException nobody catches: the runtime aborts the process"),
        ("failfast", Outcome.Abort, "Environment.FailFast, as a fail-fast guard does"),
        ("crash", Outcome.Crash, "a real SIGSEGV in native code"),
        ("crash-av", Outcome.Crash, "a wild write from managed code: .NET reports AccessViolationException and aborts"),
        ("crash-at-exit", Outcome.Crash, "a clean run reported, then a SIGSEGV while the process exits"),
        ("crash-in-heap-work", Outcome.Crash, "hakmem busy allocating, then a SIGSEGV: with the trace ring on, its last events survive"),
        ("abort-at-exit", Outcome.Abort, "a clean run reported, then a fail-fast while the process exits"),
        ("exit-code-after-report", Outcome.Error, "a clean run reported, then exit code 3"),
        ("oom", Outcome.Oom, "hakmem under a 4 MiB cap: Alloc returns null"),
        ("hang", Outcome.Timeout, "never finishes: killed at the timeout"),
        ("refused", Outcome.Refused, "an allocator that is not installed: a configuration error, refused"),
    ];

    [DllImport("libc", EntryPoint = "memset")]
    private static extern void* NativeMemset(void* p, int c, nuint n);

    public static int Run(RunSpec spec)
    {
        switch (spec.SelfTest)
        {
            case "ok":
            {
                using var heap = new HakmemHeap();
                var r = Worker.FromResult(new RandomMixed(50_000, 512, 1).Run(new HakmemAllocator(heap)));
                return Worker.Report(r with { LeakedBlocks = heap.Audit().LiveBlocks }, 0);
            }
            case "leak":
            {
                using var heap = new HakmemHeap();
                for (int i = 0; i < 10; i++) heap.Alloc(100);
                var audit = heap.Audit();
                return Worker.Report(new WorkerReport { Status = "ok", Ops = 10, Seconds = 0.001, LeakedBlocks = audit.LiveBlocks, LeakedBytes = audit.LiveBytes }, 0);
            }
            case "corrupt":
                return Worker.Report(Worker.FromResult(new RandomMixed(10_000, 64, 1).Run(OverlappingAllocator.Create())), 0);
            case "abort":
            {
                using var heap = new HakmemHeap();
                return Worker.Report(Worker.FromResult(new RandomMixed(10_000, 64, 1).Run(new DoubleFreeingAllocator(new HakmemAllocator(heap)))), 0);
            }
            case "abort-unhandled":
            {
                var heap = new HakmemHeap();
                void* p = heap.Alloc(64);
                heap.Free(p);
                var t = new Thread(() => heap.Free(p));
                t.Start();
                t.Join();
                return 0;
            }
            case "failfast":
                Environment.FailFast("hakmem guard: invariant violated (selftest)");
                return 0;
            case "crash":
                NativeMemset((void*)0x10, 1, 4096);
                return 0;
            case "crash-av":
                *(long*)0x7FFF_DEAD_0000 = 1;
                return 0;
            case "oom":
            {
                using var heap = new HakmemHeap(new HakmemOptions { MaxMemoryBytes = 4 << 20 });
                return Worker.Report(Worker.FromResult(new RandomMixed(1_000_000, 100_000, 1).Run(new HakmemAllocator(heap))), 0);
            }
            case "crash-at-exit":
                AppDomain.CurrentDomain.ProcessExit += (_, _) => NativeMemset((void*)0x10, 1, 4096);
                return Run(spec with { SelfTest = "ok" });
            case "crash-in-heap-work":
            {
                var heap = new HakmemHeap();
                var t = heap.ForThisThread();
                for (int i = 0; i < 1000; i++) t.Free(t.Alloc((nuint)(16 + i % 512)));
                NativeMemset((void*)0x10, 1, 4096);
                return 0;
            }
            case "abort-at-exit":
                AppDomain.CurrentDomain.ProcessExit += (_, _) => Environment.FailFast("hakmem guard: invariant violated at exit (selftest)");
                return Run(spec with { SelfTest = "ok" });
            case "exit-code-after-report":
                Run(spec with { SelfTest = "ok" });
                return 3;
            case "hang":
                Thread.Sleep(Timeout.Infinite);
                return 0;
            case "refused":
                return Worker.Run(System.Text.Json.JsonSerializer.Serialize(
                    spec with { SelfTest = null, Workload = "random_mixed", Arguments = ["1000", "64", "1"], Allocator = "notinstalled" }, WorkerReport.Json));
            default:
                return Worker.Report(new WorkerReport { Status = "error", Message = $"unknown selftest mode '{spec.SelfTest}'" }, 2);
        }
    }

    /// <summary>Every block starts 8 bytes after the previous one: live blocks overlap.</summary>
    private readonly struct OverlappingAllocator : IAllocator<OverlappingAllocator>
    {
        private readonly long[] _next;
        private OverlappingAllocator(long[] next) => _next = next;
        public static OverlappingAllocator Create() => new([(long)NativeMemory.AllocZeroed(1 << 24)]);
        public OverlappingAllocator AttachThread() => this;
        public void DetachThread() { }
        public void* Alloc(nuint size) => (void*)(Interlocked.Add(ref _next[0], 8) - 8);
        public void Free(void* p, nuint size) { }
    }

    /// <summary>Frees every 100th block twice.</summary>
    private struct DoubleFreeingAllocator(HakmemAllocator inner) : IAllocator<DoubleFreeingAllocator>
    {
        private int _frees;
        public DoubleFreeingAllocator AttachThread() => new(inner.AttachThread());
        public void DetachThread() => inner.DetachThread();
        public void* Alloc(nuint size) => inner.Alloc(size);
        public void Free(void* p, nuint size)
        {
            inner.Free(p, size);
            if (++_frees % 100 == 0) inner.Free(p, size);
        }
    }
}
