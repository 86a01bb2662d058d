using System.Diagnostics;
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

    public override unsafe WorkloadResult Run<TAlloc>(TAlloc allocator)
    {
        var monitor = new WorkloadMonitor();
        var a = allocator.AttachThread();
        nint[] slots = GC.AllocateArray<nint>(WorkingSet, pinned: true);
        try
        {
            var clock = Stopwatch.StartNew();
            long ops = Cycle(ref a, slots, monitor);
            double seconds = clock.Elapsed.TotalSeconds;
            if (!monitor.Corrupted) FreeAll(ref a, slots, ops, monitor);
            return monitor.Result(ops, seconds);
        }
        catch (Exception e)
        {
            monitor.Fail(e);
            return monitor.Result(0, 0);
        }
        finally
        {
            a.DetachThread();
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe long Cycle<TAlloc>(ref TAlloc a, nint[] slotArray, WorkloadMonitor monitor) where TAlloc : struct, IAllocator<TAlloc>
    {
        var rng = new FastRandom(Seed);
        uint ws = (uint)WorkingSet;
        long i = 0;
        fixed (nint* slots = slotArray)
        {
            for (; i < Cycles; i++)
            {
                uint r = rng.Next();
                nint* slot = slots + FastRandom.Below(r, ws);
                void* p = (void*)*slot;
                if (p != null)
                {
                    nuint tagged = BlockTag.SizeOf(p);
                    if (tagged - 16 > 0x3FF || !BlockTag.Check(p, tagged))
                    {
                        monitor.Corrupt(i, $"block 0x{(nint)p:x} was overwritten while live");
                        break;
                    }
                    a.Free(p);
                    *slot = 0;
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
                    BlockTag.Write(q, size);
                    *slot = (nint)q;
                }
            }
        }
        return i;
    }

    /// <summary>Free what is left, checking each tag (size words first: a corrupted one must not be trusted).</summary>
    internal static unsafe void FreeAll<TAlloc>(ref TAlloc a, nint[] slots, long ops, WorkloadMonitor monitor) where TAlloc : struct, IAllocator<TAlloc>
    {
        for (int i = 0; i < slots.Length; i++)
        {
            void* p = (void*)slots[i];
            if (p == null) continue;
            nuint size = BlockTag.SizeOf(p);
            if (size < 16 || size > (1 << 26) || !BlockTag.Check(p, size))
            {
                monitor.Corrupt(ops, $"block 0x{(nint)p:x} lost its tag before the final free");
                return;
            }
            a.Free(p);
            slots[i] = 0;
        }
    }
}
