using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Hakmem.Workloads;

/// <summary>glibc_simple <c>[alloc_size [iterations]]</c> (defaults 16 and 2000000; mimalloc-bench:
/// <c>glibc-simple</c>): glibc's bench-malloc-simple as mimalloc-bench modified it. For alloc_size, twice it
/// and four times it, and for batches of 25, 100, 400 and 1600 blocks: iterations / batch times, allocate a
/// batch of blocks writing every byte (byte g holds g), then free its first half in allocation order and the
/// other half in reverse. Four passes over the batch sizes per block size: a warm-up, then on the calling
/// thread, then on a new thread, then on the calling thread again (glibc's main arena single-threaded, a
/// thread arena, the main arena once threads exist). Throughput = blocks allocated and freed per second; the
/// original reports time (given as its figure). In a .NET process the first pass is never glibc's
/// single-threaded fast path: the runtime has started threads before anything runs.
///
/// Changed from the original: before a block is freed its first bytes (8, or all of a smaller block: the
/// line its free touches) are read and must still count 0, 1, 2, ...: a block handed out twice is
/// corruption once its other holder freed it (the allocator writes into a free block). No block tag: every
/// byte is the original's. The iteration count, fixed in the original, is an argument.</summary>
public sealed record GlibcSimple(int Size, int Iterations) : WorkloadSpec
{
    public const string UsageText = "[alloc_size [iterations]]";
    private static readonly int[] Batches = [25, 100, 400, 1600];
    private const int MaxBatch = 1600, Passes = 4;

    public override string Name => "glibc_simple";
    public override string Usage => UsageText;
    public override int Threads => 1;
    public override IReadOnlyList<string> Arguments => [Size.ToString(), Iterations.ToString()];

    public override WorkloadSpec WithThreads(int threads) => threads == 1 ? this
        : throw new WorkloadArgumentException($"glibc_simple has no thread count: --threads {threads} does not apply (use glibc_thread)");

    public override WorkloadSpec Warmup() => this with { Iterations = Math.Min(Iterations, 20_000) };

    public static GlibcSimple Parse(IReadOnlyList<string> args)
    {
        var r = new ArgReader("glibc_simple", UsageText, args, 0);
        r.End(2);
        int size = r.HasMore ? (int)r.Long("alloc_size", 1, (long)BlockTag.MaxSize / 4) : 16;
        int iterations = r.HasMore ? (int)r.Long("iterations", MaxBatch, int.MaxValue) : 2_000_000;
        return new GlibcSimple(size, iterations);
    }

    public override unsafe WorkloadResult Run<TAlloc>(TAlloc allocator)
    {
        var monitor = new WorkloadMonitor();
        long ops = 0;
        var clock = Stopwatch.StartNew();
        WorkerThreads.RunAttached(allocator, 0, monitor, (ref TAlloc main, int _) =>
        {
            void** arr = (void**)main.Alloc(MaxBatch * (nuint)sizeof(void*));
            if (arr == null)
            {
                monitor.OutOfMemory();
                return;
            }
            for (int scale = 1; scale <= 4 && !monitor.StopRequested; scale *= 2)
            {
                nuint size = (nuint)(Size * scale);
                for (int pass = 0; pass < Passes && !monitor.StopRequested; pass++)
                {
                    if (pass == 2)
                    {
                        long threadOps = 0;
                        WorkerThreads.Run(allocator, 1, monitor, (ref TAlloc a, int _) => threadOps = AllBatches(ref a, arr, size, monitor));
                        ops += threadOps;
                    }
                    else ops += AllBatches(ref main, arr, size, monitor);
                }
            }
            main.Free(arr, MaxBatch * (nuint)sizeof(void*));
        });
        double seconds = clock.Elapsed.TotalSeconds;
        return monitor.Result(ops, seconds) with { Original = new OriginalFigure("time", seconds, "s") };
    }

    /// <summary>One pass: every batch size in turn; returns the blocks allocated and freed.</summary>
    private unsafe long AllBatches<TAlloc>(ref TAlloc a, void** arr, nuint size, WorkloadMonitor monitor) where TAlloc : struct, IAllocator<TAlloc>
    {
        long ops = 0;
        foreach (int n in Batches)
        {
            if (monitor.StopRequested) break;
            ops += Batch(ref a, arr, n, Iterations / n, size, monitor);
        }
        return ops;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe long Batch<TAlloc>(ref TAlloc allocator, void** arr, int n, int iterations, nuint size, WorkloadMonitor monitor)
        where TAlloc : struct, IAllocator<TAlloc>
    {
        TAlloc a = allocator;
        uint head = (uint)Math.Min(size, 8);
        long done = 0;
        for (int j = 0; j < iterations; j++)
        {
            for (int i = 0; i < n; i++)
            {
                byte* p = (byte*)a.Alloc(size);
                if (p == null)
                {
                    monitor.OutOfMemory();
                    FreeFrom(ref a, arr, 0, i, size);
                    allocator = a;
                    return done;
                }
                CountingBytes.Fill(p, size);
                arr[i] = p;
            }
            // Half in allocation order, the other half in reverse.
            for (int i = 0; i < n / 2; i++)
            {
                if (!CountingBytes.HeadIntact((byte*)arr[i], head))
                {
                    monitor.OverwrittenFill(done + i, arr[i], size, "its first bytes no longer count 0, 1, 2, ...");
                    allocator = a;
                    return done;
                }
                a.Free(arr[i], size);
            }
            for (int i = n - 1; i >= n / 2; i--)
            {
                if (!CountingBytes.HeadIntact((byte*)arr[i], head))
                {
                    monitor.OverwrittenFill(done + i, arr[i], size, "its first bytes no longer count 0, 1, 2, ...");
                    allocator = a;
                    return done;
                }
                a.Free(arr[i], size);
            }
            done += n;
        }
        allocator = a;
        return done;
    }

    private static unsafe void FreeFrom<TAlloc>(ref TAlloc a, void** arr, int from, int to, nuint size) where TAlloc : struct, IAllocator<TAlloc>
    {
        for (int i = from; i < to; i++) a.Free(arr[i], size);
    }
}
