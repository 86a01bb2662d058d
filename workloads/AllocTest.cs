using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Hakmem.Workloads;

/// <summary>alloc_test <c>[threads [iterations]]</c> (defaults 6 and 100000000; mimalloc-bench:
/// <c>alloc-test 1</c> and <c>alloc-test P</c>): OLogN's allocator tester (node-dot-cpp's alloc-test) as
/// mimalloc-bench builds it, with full memory access. Each thread keeps 2^18 / threads slots: it fills about
/// half of them, then <c>iterations</c> times picks a slot (a Pareto 80/20 choice: a few slots take most of
/// the picks) and frees its block or allocates one there; sizes are up to 1 KiB, the smaller ones likelier
/// (each power of two about as likely as the next); at the end it frees what is left. Every block is
/// filled with its size's low byte when allocated and read whole before it is freed. All threads draw the
/// same numbers (one seed), as in the original. Throughput = the iterations of all threads per second; the
/// original's figure is milliseconds per million of them.
///
/// Changed from the original: the read before a free compares each byte with the fill (the original sums
/// them into a counter): a block whose fill changed, another holder's or the allocator's write, is
/// corruption. No block tag: the fill writes every byte. The resident size it samples 32 times per thread is
/// not read (the lab measures memory itself); the random numbers come from our generator. The iteration
/// count, fixed in the original, is an argument.</summary>
public sealed record AllocTest(int ThreadCount, long Iterations) : WorkloadSpec
{
    public const string UsageText = "[threads [iterations]]";
    private const int TotalItems = 1 << 18, MaxSizeExp = 10, Seed = 41, Steps = 32, MaxThreads = 16;
    // The Pareto 80/20 over six levels: the share of picks of each level, from the most picked.
    private static readonly double[] Shares = [0.262144, 0.393216, 0.245760, 0.081920, 0.015360, 0.001536, 0.000064];

    public override string Name => "alloc_test";
    public override string Usage => UsageText;
    public override int Threads => ThreadCount;
    public override int? ThreadArgument => 0;
    public override IReadOnlyList<string> Arguments => [ThreadCount.ToString(), Iterations.ToString()];
    public override WorkloadSpec WithThreads(int threads) => this with { ThreadCount = threads };
    public override WorkloadSpec Warmup() => this with { Iterations = Math.Min(Iterations, 200_000) };

    public static AllocTest Parse(IReadOnlyList<string> args)
    {
        var r = new ArgReader("alloc_test", UsageText, args, 0);
        r.End(2);
        // Past 16 threads the least picked Pareto level of a thread's 2^18 / threads slots is empty (the
        // original divides by zero there; mimalloc-bench caps it at 16).
        int threads = r.HasMore ? (int)r.Long("threads", 1, MaxThreads) : 6;
        long iterations = r.HasMore ? r.Long("iterations", Steps, long.MaxValue / 2) : 100_000_000;
        return new AllocTest(threads, iterations);
    }

    /// <summary>A slot: the block, its size.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private unsafe struct Bin
    {
        public byte* Ptr;
        public uint Size;
        public uint Unused; // the original's reincarnation counter (its check mode)
    }

    public override WorkloadResult Run<TAlloc>(TAlloc allocator)
    {
        var monitor = new WorkloadMonitor();
        var ops = new long[ThreadCount];
        var clock = Stopwatch.StartNew();
        WorkerThreads.Run(allocator, ThreadCount, monitor, (ref TAlloc a, int t) => ops[t] = Test(ref a, monitor));
        double seconds = clock.Elapsed.TotalSeconds;
        long total = ops.Sum();
        return monitor.Result(total, seconds) with { Original = new OriginalFigure("ms per 1 million operations", total > 0 ? seconds * 1e3 * 1e6 / total : 0, "") };
    }

    /// <summary>A size of at most 2^MaxSizeExp bytes: a class picked by the trailing zeros of one part of the
    /// draw (class k half as likely as k - 1), then uniform within the class.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint SizeOf(ulong r)
    {
        const int classBits = MaxSizeExp - 3;
        uint classBase = (uint)(r & ((1u << classBits) - 1)) + 1;
        r >>= classBits;
        int k = BitOperations.TrailingZeroCount(classBase) + 2;
        return (uint)(r & ((1u << k) - 1)) + 1 + (1u << k);
    }

    private static ulong Next64(ref FastRandom rng) => ((ulong)rng.Next() << 32) | rng.Next();

    /// <summary>The bounds of the Pareto levels over the slots: level i takes Shares[6 - i] of them.</summary>
    private static (uint[] Ranges, uint[] Offsets) Pareto(uint items)
    {
        var ranges = new uint[6];
        ranges[0] = (uint)(uint.MaxValue * Shares[0]);
        ranges[5] = (uint)(uint.MaxValue * (1 - Shares[6]));
        for (int i = 1; i < 5; i++) ranges[i] = ranges[i - 1] + (uint)(uint.MaxValue * Shares[i]);
        var offsets = new uint[8];
        offsets[7] = items;
        for (int i = 0; i < 6; i++) offsets[i + 1] = offsets[i] + (uint)(items * Shares[6 - i]);
        return (ranges, offsets);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint PickSlot(uint[] ranges, uint[] offsets, uint r1, uint r2)
    {
        int level = 6;
        for (int i = 0; i < 6; i++)
        {
            if (r1 < ranges[i])
            {
                level = i;
                break;
            }
        }
        uint width = offsets[level + 1] - offsets[level];
        return offsets[level] + r2 % width;
    }

    /// <summary>One thread: set-up, the main loop, the frees at exit. Returns the main loop's iterations.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe long Test<TAlloc>(ref TAlloc allocator, WorkloadMonitor monitor) where TAlloc : struct, IAllocator<TAlloc>
    {
        TAlloc a = allocator;
        uint items = (uint)(TotalItems / ThreadCount);
        var (ranges, offsets) = Pareto(items);
        var rng = new FastRandom(Seed);
        nuint binBytes = items * (nuint)sizeof(Bin);
        Bin* bins = (Bin*)a.Alloc(binBytes);
        if (bins == null)
        {
            monitor.OutOfMemory();
            allocator = a;
            return 0;
        }
        NativeMemory.Clear(bins, binBytes);
        long done = 0;
        bool ok = true;
        // Set-up: about half of the slots filled.
        for (uint i = 0; i < items / 32 && ok; i++)
        {
            uint bits = rng.Next();
            for (int j = 0; j < 32 && ok; j++)
                if (((bits >> j) & 1) != 0) ok = Allocate(ref a, bins + i * 32 + j, SizeOf(Next64(ref rng)), monitor);
        }
        // Main loop, in 32 steps as the original (which sampled memory between them).
        long perStep = Iterations / Steps;
        for (int step = 0; step < Steps && ok && !monitor.StopRequested; step++)
        {
            for (long k = 0; k < perStep; k++)
            {
                uint r1 = rng.Next(), r2 = rng.Next();
                Bin* bin = bins + PickSlot(ranges, offsets, r1, r2);
                if (bin->Ptr != null)
                {
                    if (!(ok = FreeChecked(ref a, bin, done, monitor))) break;
                }
                else if (!(ok = Allocate(ref a, bin, SizeOf(Next64(ref rng)), monitor))) break;
                done++;
            }
        }
        // Exit: every block read and freed, then the slots.
        if (!monitor.Corrupted)
        {
            for (uint i = 0; i < items && ok; i++)
                if (bins[i].Ptr != null) ok = FreeChecked(ref a, bins + i, done, monitor);
            if (ok) a.Free(bins, binBytes);
        }
        allocator = a;
        return done;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe bool Allocate<TAlloc>(ref TAlloc a, Bin* bin, uint size, WorkloadMonitor monitor) where TAlloc : struct, IAllocator<TAlloc>
    {
        byte* p = (byte*)a.Alloc(size);
        if (p == null)
        {
            monitor.OutOfMemory();
            return false;
        }
        Unsafe.InitBlockUnaligned(p, (byte)size, size);
        bin->Ptr = p;
        bin->Size = size;
        return true;
    }

    /// <summary>Reads the whole block (the original's full access) against its fill, then frees it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe bool FreeChecked<TAlloc>(ref TAlloc a, Bin* bin, long op, WorkloadMonitor monitor) where TAlloc : struct, IAllocator<TAlloc>
    {
        byte* p = bin->Ptr;
        uint size = bin->Size;
        ulong word = (byte)size * 0x0101_0101_0101_0101UL;
        uint i = 0;
        for (; i + 8 <= size; i += 8)
            if (*(ulong*)(p + i) != word) return Overwritten(monitor, op, p, size, i);
        for (; i < size; i++)
            if (p[i] != (byte)size) return Overwritten(monitor, op, p, size, i);
        a.Free(p, size);
        bin->Ptr = null;
        return true;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static unsafe bool Overwritten(WorkloadMonitor monitor, long op, byte* p, uint size, uint at)
    {
        monitor.OverwrittenFill(op, p, size, $"at byte {at} its fill of {(byte)size} changed");
        return false;
    }
}
