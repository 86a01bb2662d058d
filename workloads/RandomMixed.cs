using System.Runtime.CompilerServices;

namespace Hakmem.Workloads;

/// <summary>random_mixed <c>cycles ws seed</c>: hakmem's bench_random_mixed. One thread, <c>ws</c>
/// slots; each cycle picks a slot at random: empty -> allocate 16 + (r &amp; 0x3FF) bytes, full -> free
/// it. Throughput = cycles / second. Everything still allocated is freed at the end.</summary>
public sealed record RandomMixed(long Cycles, int WorkingSet, ulong Seed) : WorkloadSpec
{
    public const string UsageText = "cycles ws seed";
    public override string Name => "random_mixed";
    public override string Usage => UsageText;
    public override int Threads => 1;
    public override IReadOnlyList<string> Arguments => [Cycles.ToString(), WorkingSet.ToString(), Seed.ToString()];

    public override WorkloadSpec WithThreads(int threads) => threads == 1 ? this
        : throw new WorkloadArgumentException($"random_mixed is single-threaded: --threads {threads} does not apply (use mid_large_mt or larson)");

    public override WorkloadSpec Warmup() => this with { Cycles = Math.Min(Cycles, 200_000), Seed = Seed + 1 };

    public static RandomMixed Parse(IReadOnlyList<string> args)
    {
        var r = new ArgReader("random_mixed", UsageText, args, 3);
        r.End(3);
        return new RandomMixed(r.Long("cycles", 1, long.MaxValue / 2), (int)r.Long("ws", 1, 1 << 26), (ulong)r.Long("seed", 0, long.MaxValue));
    }

    public override WorkloadResult Run<TAlloc>(TAlloc allocator) => Slots.Run(allocator, WorkingSet, Cycle);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe long Cycle<TAlloc>(ref TAlloc allocator, Slots slotArray, WorkloadMonitor monitor) where TAlloc : struct, IAllocator<TAlloc>
    {
        TAlloc a = allocator; // a local copy the JIT keeps in registers (a byref is re-read every operation)
        var rng = new FastRandom(Seed);
        uint ws = (uint)WorkingSet;
        long i = 0, cycles = Cycles;
        fixed (Slot* slots = slotArray.Items)
        {
            for (; i < cycles; i++)
            {
                uint r = rng.Next();
                Slot* slot = slots + FastRandom.Below(r, ws);
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
                    nuint size = 16 + (r & 0x3FF);
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
