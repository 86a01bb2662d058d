using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Hakmem.Workloads;

/// <summary>larson <c>seconds min_size max_size chunks_per_thread rounds seed threads</c>: the server
/// simulation of Larson and Krishnan as mimalloc-bench runs it. The main thread fills
/// threads x chunks blocks; each worker replaces rounds x chunks random blocks of its array (free one,
/// allocate min + rand % (max - min) bytes), then hands its array, generator and counters to a newly
/// created thread and ends, so blocks are freed by threads that did not allocate them. Runs until
/// <c>seconds</c> have passed; every thread started is joined. Throughput = replacements / second.</summary>
public sealed record Larson(double Seconds, int MinSize, int MaxSize, int Chunks, int Rounds, ulong Seed, int ThreadCount) : WorkloadSpec
{
    public const string UsageText = "seconds min_size max_size chunks_per_thread rounds seed threads";
    public override string Name => "larson";
    public override string Usage => UsageText;
    public override int Threads => ThreadCount;
    public override int? ThreadArgument => 6;

    public override IReadOnlyList<string> Arguments =>
        [Format(Seconds), MinSize.ToString(), MaxSize.ToString(), Chunks.ToString(), Rounds.ToString(), Seed.ToString(), ThreadCount.ToString()];

    public override WorkloadSpec WithThreads(int threads) => this with { ThreadCount = threads };
    public override WorkloadSpec Warmup() => this with { Seconds = Math.Min(0.2, Seconds / 10), Seed = Seed + 1 };

    public static Larson Parse(IReadOnlyList<string> args)
    {
        var r = new ArgReader("larson", UsageText, args, 7);
        r.End(7);
        var l = new Larson(r.Double("seconds", 0.001, 86_400), (int)r.Long("min_size", 1, 1 << 20), (int)r.Long("max_size", 1, 1 << 20),
            (int)r.Long("chunks_per_thread", 1, 10_000_000), (int)r.Long("rounds", 1, 1_000_000_000), (ulong)r.Long("seed", 0, long.MaxValue),
            (int)r.Long("threads", 1, 1024));
        if (l.MinSize > l.MaxSize) throw r.Error($"min_size {l.MinSize} is larger than max_size {l.MaxSize}");
        return l;
    }

    private sealed class Area
    {
        public required Slots Slots;
        public required uint Index;
        public FastRandom Random;
        public ulong Serial;
        public long Ops;
        public Thread? Current;
    }

    public override unsafe WorkloadResult Run<TAlloc>(TAlloc allocator)
    {
        var monitor = new WorkloadMonitor();
        var main = allocator.AttachThread();
        var areas = new Area[ThreadCount];
        uint range = (uint)(MaxSize - MinSize);
        try
        {
            for (int t = 0; t < ThreadCount; t++)
            {
                var area = new Area { Slots = new Slots(Chunks), Index = (uint)t, Random = new FastRandom(Seed + (ulong)t * 7919) };
                for (int i = 0; i < Chunks && !monitor.Failed; i++)
                {
                    nuint size = (nuint)MinSize + FastRandom.Below(area.Random.Next(), range);
                    void* p = main.Alloc(size);
                    if (p == null)
                    {
                        monitor.OutOfMemory();
                        break;
                    }
                    ulong id = BlockTag.Id(area.Index, area.Serial++, size);
                    BlockTag.Write(p, id);
                    area.Slots.Items[i] = new Slot { Block = (nint)p, Id = id };
                }
                areas[t] = area;
            }

            var clock = Stopwatch.StartNew();
            if (!monitor.Failed)
            {
                foreach (var area in areas) Spawn(allocator, area, monitor);
                monitor.StopAfter(TimeSpan.FromSeconds(Seconds));
            }
            monitor.Stop();
            foreach (var area in areas) JoinChain(area);
            double seconds = clock.Elapsed.TotalSeconds;

            long ops = areas.Sum(a => a.Ops);
            foreach (var area in areas)
                if (!monitor.Corrupted) area.Slots.FreeAll(ref main, ops, monitor);
            return monitor.Result(ops, seconds);
        }
        catch (Exception e)
        {
            monitor.Fail(e);
            return monitor.Result(areas.Sum(a => a?.Ops ?? 0), 0);
        }
        finally
        {
            main.DetachThread();
        }
    }

    /// <summary>The area's next thread. It is the area's Current before it starts: were it published after,
    /// it could run its rounds and publish its own successor first, and the late write would hide that
    /// successor from <see cref="JoinChain"/>.</summary>
    private void Spawn<TAlloc>(TAlloc allocator, Area area, WorkloadMonitor monitor) where TAlloc : struct, IAllocator<TAlloc>
    {
        var t = new Thread(() => Exercise(allocator, area, monitor), maxStackSize: 256 * 1024) { IsBackground = true };
        Volatile.Write(ref area.Current, t);
        t.Start();
    }

    /// <summary>Join a worker and every successor it handed its area to.</summary>
    private static void JoinChain(Area area)
    {
        while (Volatile.Read(ref area.Current) is { } t)
        {
            SpinWait.SpinUntil(() => (t.ThreadState & System.Threading.ThreadState.Unstarted) == 0); // published just before its Start
            t.Join();
            if (Volatile.Read(ref area.Current) == t) return;
        }
    }

    private void Exercise<TAlloc>(TAlloc shared, Area area, WorkloadMonitor monitor) where TAlloc : struct, IAllocator<TAlloc>
    {
        var a = shared.AttachThread();
        try
        {
            Replace(a, area, monitor);
        }
        catch (Exception e)
        {
            monitor.Fail(e);
        }
        finally
        {
            a.DetachThread();
        }
        if (!monitor.StopRequested) Spawn(shared, area, monitor);
    }

    /// <summary>The thread's rounds x chunks replacements; the area's counters are written back as it
    /// goes (every 256 operations and at the end). Kept apart from the exception handling so that
    /// its locals live in registers (a local the handler reads is written to the stack at every change).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe void Replace<TAlloc>(TAlloc a, Area area, WorkloadMonitor monitor) where TAlloc : struct, IAllocator<TAlloc>
    {
        long n = (long)Rounds * Chunks, done = 0, ops = area.Ops;
        uint range = (uint)(MaxSize - MinSize), chunks = (uint)Chunks;
        nuint minSize = (nuint)MinSize;
        uint index = area.Index;
        var rng = area.Random;
        ulong serial = area.Serial;
        fixed (Slot* slots = area.Slots.Items)
        {
            for (; done < n; done++)
            {
                if ((done & 255) == 0)
                {
                    area.Ops = ops + done;
                    if (monitor.StopRequested) break;
                }
                Slot* victim = slots + FastRandom.Below(rng.Next(), chunks);
                void* p = (void*)victim->Block;
                if (p != null)
                {
                    if (!BlockTag.Check(p, victim->Id))
                    {
                        monitor.Overwritten(ops + done, p, victim->Id);
                        break;
                    }
                    BlockTag.Poison(p, victim->Id);
                    a.Free(p, BlockTag.SizeOf(victim->Id));
                    victim->Block = 0;
                }
                nuint size = minSize + FastRandom.Below(rng.Next(), range);
                void* q = a.Alloc(size);
                if (q == null)
                {
                    monitor.OutOfMemory();
                    break;
                }
                ulong id = BlockTag.Id(index, serial++, size);
                BlockTag.Write(q, id);
                victim->Block = (nint)q;
                victim->Id = id;
            }
        }
        area.Ops = ops + done;
        area.Random = rng;
        area.Serial = serial;
    }
}
