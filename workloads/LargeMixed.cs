using System.Runtime.CompilerServices;

namespace Hakmem.Workloads;

/// <summary>large_mixed <c>cycles ws seed [min_size max_size]</c>: random_mixed's shape over large blocks.
/// One thread, <c>ws</c> slots; each cycle picks a slot at random: empty -> allocate a size drawn
/// log-uniformly from min_size .. max_size (64 KiB .. 4 MiB by default), full -> free it. The block's tag
/// touches its first and its last page, as a program that fills a buffer partly does. Throughput =
/// cycles / second. Everything still allocated is freed at the end.</summary>
public sealed record LargeMixed(long Cycles, int WorkingSet, ulong Seed, int MinSize, int MaxSize) : WorkloadSpec
{
    public const string UsageText = "cycles ws seed [min_size max_size]";
    public const int DefaultMin = 64 << 10, DefaultMax = 4 << 20;
    private const int MinAllowed = 16;
    // Sizes come from a table of log-uniform quantiles: no exp() in the loop, the same sizes on every backend.
    private const int SizeTableBits = 12;

    public override string Name => "large_mixed";
    public override string Usage => UsageText;
    public override int Threads => 1;
    public override IReadOnlyList<string> Arguments =>
        [Cycles.ToString(), WorkingSet.ToString(), Seed.ToString(), MinSize.ToString(), MaxSize.ToString()];

    public override WorkloadSpec WithThreads(int threads) => threads == 1 ? this
        : throw new WorkloadArgumentException($"large_mixed is single-threaded: --threads {threads} does not apply (use mid_large_mt or larson)");

    public override WorkloadSpec Warmup() => this with { Cycles = Math.Min(Cycles, 20_000), Seed = Seed + 1 };

    public static LargeMixed Parse(IReadOnlyList<string> args)
    {
        var r = new ArgReader("large_mixed", UsageText, args, 3);
        r.End(5);
        long cycles = r.Long("cycles", 1, long.MaxValue / 2);
        int ws = (int)r.Long("ws", 1, 1 << 20);
        ulong seed = (ulong)r.Long("seed", 0, long.MaxValue);
        int min = DefaultMin, max = DefaultMax;
        if (r.HasMore)
        {
            if (args.Count != 5) throw r.Error("give both min_size and max_size, or neither");
            min = (int)r.Long("min_size", MinAllowed, (long)BlockTag.MaxSize);
            max = (int)r.Long("max_size", MinAllowed, (long)BlockTag.MaxSize);
        }
        if (min > max) throw r.Error($"min_size {min} is larger than max_size {max}");
        return new LargeMixed(cycles, ws, seed, min, max);
    }

    /// <summary>The size at each of 2^SizeTableBits evenly spaced quantiles of the log-uniform distribution.</summary>
    public static uint[] SizeTable(int min, int max)
    {
        var table = new uint[1 << SizeTableBits];
        double ratio = Math.Log((double)max / min);
        for (int i = 0; i < table.Length; i++)
            table[i] = (uint)Math.Clamp(Math.Round(min * Math.Exp(ratio * (i + 0.5) / table.Length)), min, max);
        return table;
    }

    public override WorkloadResult Run<TAlloc>(TAlloc allocator)
    {
        uint[] sizes = SizeTable(MinSize, MaxSize);
        return Slots.Run(allocator, WorkingSet, (ref TAlloc a, Slots slots, WorkloadMonitor monitor) => Cycle(ref a, slots, sizes, monitor));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe long Cycle<TAlloc>(ref TAlloc allocator, Slots slotArray, uint[] sizeTable, WorkloadMonitor monitor) where TAlloc : struct, IAllocator<TAlloc>
    {
        TAlloc a = allocator;
        var rng = new FastRandom(Seed);
        uint ws = (uint)WorkingSet;
        long i = 0, cycles = Cycles;
        fixed (Slot* slots = slotArray.Items)
        fixed (uint* sizes = sizeTable)
        {
            for (; i < cycles; i++)
            {
                Slot* slot = slots + FastRandom.Below(rng.Next(), ws);
                void* p = (void*)slot->Block;
                if (p != null)
                {
                    if (!BlockTag.Check(p, slot->Id))
                    {
                        monitor.Overwritten(i, p, slot->Id);
                        break;
                    }
                    BlockTag.Poison(p, slot->Id);
                    a.Free(p, BlockTag.SizeOf(slot->Id));
                    slot->Block = 0;
                }
                else
                {
                    nuint size = sizes[rng.Next() >> (32 - SizeTableBits)];
                    void* q = a.Alloc(size);
                    if (q == null)
                    {
                        monitor.OutOfMemory();
                        break;
                    }
                    ulong id = BlockTag.Id(0, (ulong)i, size);
                    BlockTag.Write(q, id);
                    slot->Block = (nint)q;
                    slot->Id = id;
                }
            }
        }
        allocator = a;
        return i;
    }
}
