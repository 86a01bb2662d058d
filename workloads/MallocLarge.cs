using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Hakmem.Workloads;

/// <summary>malloc_large <c>[iterations]</c> (default 2000; mimalloc-bench: <c>malloc-large</c>): large blocks
/// between 5 and 25 MiB, at most 20 live. Each iteration picks one of 20 slots and a size, allocates a block
/// of that size and zeroes it whole (C++'s make_unique of a char array), then frees the slot's old block
/// (the unique_ptr's assignment); at the end the 20 are freed. One thread. Throughput = allocations per
/// second; the original computes microseconds per allocation (given as its figure).
///
/// Changed from the original: the first word of a block is read before it is freed and must still be
/// zero: a block handed out twice is corruption once its other holder freed it and the allocator wrote
/// into it. No block tag: the zeroing writes every byte. Sizes and slots come from our generator (the
/// original's is a Mersenne twister, seed 42); the iteration count, fixed in the original, is an argument.</summary>
public sealed record MallocLarge(int Iterations) : WorkloadSpec
{
    public const string UsageText = "[iterations]";
    private const int Buffers = 20, MinSize = 5 << 20, MaxSize = 25 << 20;

    public override string Name => "malloc_large";
    public override string Usage => UsageText;
    public override int Threads => 1;
    public override IReadOnlyList<string> Arguments => [Iterations.ToString()];

    public override WorkloadSpec WithThreads(int threads) => threads == 1 ? this
        : throw new WorkloadArgumentException($"malloc_large is single-threaded: --threads {threads} does not apply");

    public override WorkloadSpec Warmup() => this with { Iterations = Math.Min(Iterations, 30) };

    public static MallocLarge Parse(IReadOnlyList<string> args)
    {
        var r = new ArgReader("malloc_large", UsageText, args, 0);
        r.End(1);
        return new MallocLarge(r.HasMore ? (int)r.Long("iterations", 1, int.MaxValue) : 2000);
    }

    public override WorkloadResult Run<TAlloc>(TAlloc allocator)
    {
        var monitor = new WorkloadMonitor();
        long done = 0;
        var clock = Stopwatch.StartNew();
        WorkerThreads.RunAttached(allocator, 0, monitor, (ref TAlloc a, int _) => done = Loop(ref a, monitor));
        double seconds = clock.Elapsed.TotalSeconds;
        return monitor.Result(done, seconds) with { Original = new OriginalFigure("us per allocation", done > 0 ? seconds * 1e6 / done : 0, "") };
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe long Loop<TAlloc>(ref TAlloc allocator, WorkloadMonitor monitor) where TAlloc : struct, IAllocator<TAlloc>
    {
        TAlloc a = allocator;
        var rng = new FastRandom(42);
        var buffers = new nint[Buffers];
        var sizes = new nuint[Buffers]; // each buffer's size, for the sized free
        long done = 0;
        bool ok = true;
        for (int i = 0; i < Iterations && ok && !monitor.StopRequested; i++)
        {
            int slot = (int)FastRandom.Below(rng.Next(), Buffers);
            nuint size = MinSize + FastRandom.Below(rng.Next(), MaxSize - MinSize + 1);
            byte* p = (byte*)a.Alloc(size);
            if (p == null)
            {
                monitor.OutOfMemory();
                break;
            }
            Unsafe.InitBlockUnaligned(p, 0, (uint)size);
            ok = FreeChecked(ref a, (void*)buffers[slot], sizes[slot], done, monitor);
            buffers[slot] = (nint)p;
            sizes[slot] = size;
            done++;
        }
        if (ok && !monitor.Corrupted)
        {
            for (int i = 0; i < Buffers && ok; i++)
            {
                ok = FreeChecked(ref a, (void*)buffers[i], sizes[i], done, monitor);
                buffers[i] = 0;
            }
        }
        allocator = a;
        return done;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe bool FreeChecked<TAlloc>(ref TAlloc a, void* p, nuint size, long op, WorkloadMonitor monitor) where TAlloc : struct, IAllocator<TAlloc>
    {
        if (p == null) return true;
        if (*(ulong*)p != 0)
        {
            monitor.OverwrittenFill(op, p, 8, "its first word is no longer zero");
            return false;
        }
        a.Free(p, size);
        return true;
    }
}
