using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Hakmem.Workloads;

/// <summary>mstress <c>[threads [scale [iterations]]]</c> (defaults 32 50 10; mimalloc-bench: <c>mstress P 50
/// 25</c>): Daan Leijen's stress test from mimalloc-bench. Each iteration starts the threads anew (thread 0
/// is the calling thread, as the original's main). Thread t allocates 100 x scale x (t % 8 + 1) blocks of 1 to
/// 16 words and keeps half as many of 1 to 64 words till its end; 2% of blocks are 100 times bigger, a tenth
/// of those 1000 times, a hundredth 10000 times. After each allocation it frees a random earlier one
/// (two chances in three) and swaps one with a slot of a buffer of 1000 shared by all threads (one in four),
/// so blocks move between threads and live across iterations; between iterations the main thread frees half
/// of that buffer (all of it after the last). Its array of blocks grows by reallocation, 100000 entries at a
/// time. Every block is filled, word i of n with (n - i) xor a cookie, and checked whole before it is freed.
/// Throughput = allocations, reallocations and frees per second; the original reports time (given as its
/// figure).
///
/// Changed from the original: a block whose check fails is corruption with the operation count (the
/// original aborts), and so is a first word that gives a length past the largest block (the original would
/// read on out of the block). The random numbers come from our generator; the choices are the original's
/// ("chance of n%" is a draw of 0-99 that is at most n). free(NULL) is not called. No block tag: every word
/// is the original's.</summary>
public sealed record MStress(int ThreadCount, int Scale, int Iterations) : WorkloadSpec
{
    public const string UsageText = "[threads [scale [iterations]]]";
    private const int Transfers = 1000, DataGrowth = 100_000;
    private const int MaxItemShift = 5, MaxRetainedShift = MaxItemShift + 2;
    // The largest block: 64 words of a retained block, 10000 times.
    private const ulong MaxItems = (1UL << (MaxRetainedShift - 1)) * 10_000;
    private const ulong Cookie = 0x6A09_E667_F3BC_C908;

    public override string Name => "mstress";
    public override string Usage => UsageText;
    public override int Threads => ThreadCount;
    public override int? ThreadArgument => 0;
    public override IReadOnlyList<string> Arguments => [ThreadCount.ToString(), Scale.ToString(), Iterations.ToString()];
    public override WorkloadSpec WithThreads(int threads) => this with { ThreadCount = threads };
    public override WorkloadSpec Warmup() => this with { Scale = Math.Min(Scale, 5), Iterations = Math.Min(Iterations, 2) };

    public static MStress Parse(IReadOnlyList<string> args)
    {
        var r = new ArgReader("mstress", UsageText, args, 0);
        r.End(3);
        int threads = r.HasMore ? (int)r.Long("threads", 1, 1024) : 32;
        int scale = r.HasMore ? (int)r.Long("scale", 1, 1_000_000) : 50;
        int iterations = r.HasMore ? (int)r.Long("iterations", 1, 1_000_000) : 10;
        return new MStress(threads, scale, iterations);
    }

    public override unsafe WorkloadResult Run<TAlloc>(TAlloc allocator)
    {
        var monitor = new WorkloadMonitor();
        var transfer = GC.AllocateArray<nint>(Transfers, pinned: true);
        var ops = new long[ThreadCount];
        long mainOps = 0;
        var clock = Stopwatch.StartNew();
        WorkerThreads.RunAttached(allocator, 0, monitor, (ref TAlloc main, int _) =>
        {
            var rng = new FastRandom(43 * 43);
            for (int n = 0; n < Iterations && !monitor.StopRequested; n++)
            {
                var others = WorkerThreads.Start(allocator, ThreadCount - 1, monitor, (ref TAlloc a, int t) => ops[t] += Stress(ref a, t, transfer, monitor), first: 1);
                try
                {
                    ops[0] += Stress(ref main, 0, transfer, monitor);
                }
                finally
                {
                    WorkerThreads.JoinAll(others);
                }
                bool last = n + 1 == Iterations;
                for (int i = 0; i < Transfers && !monitor.Corrupted; i++)
                {
                    if (!Chance(ref rng, 50) && !last) continue;
                    void* p = (void*)Interlocked.Exchange(ref transfer[i], 0);
                    if (p == null) continue;
                    if (!FreeItems(ref main, p, ops.Sum() + mainOps, monitor)) break;
                    mainOps++;
                }
            }
            // A run cut short leaves blocks in the buffer: freed here unless one is corrupt.
            for (int i = 0; i < Transfers && !monitor.Corrupted; i++)
            {
                void* p = (void*)Interlocked.Exchange(ref transfer[i], 0);
                if (p != null && FreeItems(ref main, p, ops.Sum() + mainOps, monitor)) mainOps++;
            }
        });
        double seconds = clock.Elapsed.TotalSeconds;
        return monitor.Result(ops.Sum() + mainOps, seconds) with { Original = new OriginalFigure("time", seconds, "s") };
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Chance(ref FastRandom rng, uint percent) => FastRandom.Below(rng.Next(), 100) <= percent;

    /// <summary>One thread's part of an iteration; returns its operations (allocations, reallocations, frees).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe long Stress<TAlloc>(ref TAlloc allocator, int tid, nint[] transferArray, WorkloadMonitor monitor) where TAlloc : struct, IAllocator<TAlloc>
    {
        TAlloc a = allocator;
        var rng = new FastRandom((ulong)(tid + 1) * 43);
        long allocs = 100L * Scale * (tid % 8 + 1), retain = allocs / 2, ops = 0;
        void** data = null;
        long dataSize = 0, dataTop = 0, retainTop = 0;
        nuint retainedBytes = (nuint)(retain * sizeof(void*));
        void** retained = (void**)a.Alloc(retainedBytes);
        if (retained == null)
        {
            monitor.OutOfMemory();
            allocator = a;
            return 0;
        }
        ops++;
        bool ok = true;
        fixed (nint* transfer = transferArray)
        {
            for (long step = 0; (allocs > 0 || retain > 0) && ok; step++)
            {
                if ((step & 1023) == 0 && monitor.StopRequested) break;
                void* p;
                if (retain == 0 || (Chance(ref rng, 50) && allocs > 0))
                {
                    allocs--;
                    if (dataTop >= dataSize)
                    {
                        void** grown = (void**)a.Realloc(data, (nuint)(dataSize * sizeof(void*)), (nuint)((dataSize + DataGrowth) * sizeof(void*)));
                        if (grown == null)
                        {
                            monitor.OutOfMemory();
                            break;
                        }
                        data = grown;
                        dataSize += DataGrowth;
                        ops++;
                    }
                    p = AllocItems(ref a, 1UL << (int)FastRandom.Below(rng.Next(), MaxItemShift), ref rng);
                    data[dataTop++] = p;
                }
                else
                {
                    p = AllocItems(ref a, 1UL << (int)FastRandom.Below(rng.Next(), MaxRetainedShift), ref rng);
                    retained[retainTop++] = p;
                    retain--;
                }
                if (p == null)
                {
                    monitor.OutOfMemory();
                    break;
                }
                ops++;
                if (Chance(ref rng, 66) && dataTop > 0)
                {
                    long idx = FastRandom.Below(rng.Next(), (uint)dataTop);
                    if (data[idx] != null)
                    {
                        ok = FreeItems(ref a, data[idx], ops, monitor);
                        ops++;
                    }
                    data[idx] = null;
                }
                if (Chance(ref rng, 25) && dataTop > 0)
                {
                    long di = FastRandom.Below(rng.Next(), (uint)dataTop);
                    long ti = FastRandom.Below(rng.Next(), Transfers);
                    data[di] = (void*)Interlocked.Exchange(ref transfer[ti], (nint)data[di]);
                }
            }
        }
        // Free everything left (after a corruption nothing: a block may be another holder's).
        if (!monitor.Corrupted)
        {
            for (long i = 0; i < retainTop && ok; i++)
                if (retained[i] != null && (ok = FreeItems(ref a, retained[i], ops, monitor))) ops++;
            for (long i = 0; i < dataTop && ok; i++)
                if (data[i] != null && (ok = FreeItems(ref a, data[i], ops, monitor))) ops++;
            if (ok)
            {
                a.Free(retained, retainedBytes);
                if (data != null) a.Free(data, (nuint)(dataSize * sizeof(void*)));
                ops += data != null ? 2 : 1;
            }
        }
        allocator = a;
        return ops;
    }

    /// <summary>A block of <paramref name="items"/> words (sometimes 100, 1000 or 10000 times more), each
    /// word filled; null when out of memory.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void* AllocItems<TAlloc>(ref TAlloc a, ulong items, ref FastRandom rng) where TAlloc : struct, IAllocator<TAlloc>
    {
        if (Chance(ref rng, 1))
        {
            if (Chance(ref rng, 1)) items *= 10_000;
            else if (Chance(ref rng, 10)) items *= 1_000;
            else items *= 100;
        }
        if (items == 40) items++; // as the original: pthreads asks for 40 words to grow stacks
        ulong* p = (ulong*)a.Alloc((nuint)(items * sizeof(ulong)));
        if (p != null)
        {
            for (ulong i = 0; i < items; i++) p[i] = (items - i) ^ Cookie;
        }
        return p;
    }

    /// <summary>Checks every word of a block and frees it; false (nothing freed) when a word is not its fill.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe bool FreeItems<TAlloc>(ref TAlloc a, void* block, long op, WorkloadMonitor monitor) where TAlloc : struct, IAllocator<TAlloc>
    {
        ulong* q = (ulong*)block;
        ulong items = q[0] ^ Cookie;
        if (items == 0 || items > MaxItems)
        {
            monitor.OverwrittenFill(op, block, 8, $"its first word gives a length of {items} words");
            return false;
        }
        for (ulong i = 0; i < items; i++)
        {
            if ((q[i] ^ Cookie) != items - i)
            {
                monitor.OverwrittenFill(op, block, (nuint)(items * 8), $"word {i} of {items}");
                return false;
            }
        }
        a.Free(block, (nuint)(items * sizeof(ulong)));
        return true;
    }
}
