using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Hakmem.Workloads;

/// <summary>mid_large_mt <c>threads cycles ws seed [min_size max_size]</c>: each thread runs random_mixed
/// over mid and large sizes (8 KiB .. 32 KiB by default) on its own <c>ws</c> slots; a quarter of its
/// frees are handed to another thread instead (pushed onto that thread's inbox, which the receiver
/// drains and frees every 64 cycles), so frees cross threads. A thread that has finished its cycles keeps
/// draining its inbox until every thread has: otherwise the blocks handed to it would pile up unfreed and the
/// run would measure page faults and the scheduler. Throughput = cycles of all threads / second.</summary>
public sealed record MidLargeMt(int ThreadCount, long Cycles, int WorkingSet, ulong Seed, int MinSize, int MaxSize) : WorkloadSpec
{
    public const string UsageText = "threads cycles ws seed [min_size max_size]";
    // A block in transit to another thread carries the inbox link and a copy of its id past its head
    // tag (the tail tag of a block of at least MinAllowed bytes lies further on).
    private const int LinkOffset = 16, IdCopyOffset = 24, MinAllowed = 64;
    public override string Name => "mid_large_mt";
    public override string Usage => UsageText;
    public override int Threads => ThreadCount;
    public override int? ThreadArgument => 0;

    public override IReadOnlyList<string> Arguments =>
        [ThreadCount.ToString(), Cycles.ToString(), WorkingSet.ToString(), Seed.ToString(), MinSize.ToString(), MaxSize.ToString()];

    public override WorkloadSpec WithThreads(int threads) => this with { ThreadCount = threads };
    public override WorkloadSpec Warmup() => this with { Cycles = Math.Min(Cycles, 20_000), Seed = Seed + 1 };

    public static MidLargeMt Parse(IReadOnlyList<string> args)
    {
        var r = new ArgReader("mid_large_mt", UsageText, args, 4);
        r.End(6);
        int threads = (int)r.Long("threads", 1, 1024);
        long cycles = r.Long("cycles", 1, long.MaxValue / 2048);
        int ws = (int)r.Long("ws", 1, 1 << 24);
        ulong seed = (ulong)r.Long("seed", 0, long.MaxValue);
        int min = 8192, max = 32768;
        if (r.HasMore)
        {
            if (args.Count != 6) throw r.Error("give both min_size and max_size, or neither");
            min = (int)r.Long("min_size", MinAllowed, (long)BlockTag.MaxSize);
            max = (int)r.Long("max_size", MinAllowed, (long)BlockTag.MaxSize);
        }
        if (min > max) throw r.Error($"min_size {min} is larger than max_size {max}");
        return new MidLargeMt(threads, cycles, ws, seed, min, max);
    }

    private sealed class Inboxes(int count)
    {
        // One head per thread, 128 bytes apart against false sharing.
        private readonly nint[] _heads = GC.AllocateArray<nint>(count * 16, pinned: true);

        public unsafe void Push(int thread, void* block, ulong id)
        {
            *(ulong*)((byte*)block + IdCopyOffset) = id;
            ref nint head = ref _heads[thread * 16];
            nint old = Volatile.Read(ref head);
            while (true)
            {
                *(nint*)((byte*)block + LinkOffset) = old;
                nint seen = Interlocked.CompareExchange(ref head, (nint)block, old);
                if (seen == old) return;
                old = seen;
            }
        }

        public unsafe void* TakeAll(int thread) => (void*)Interlocked.Exchange(ref _heads[thread * 16], 0);
    }

    public override unsafe WorkloadResult Run<TAlloc>(TAlloc allocator)
    {
        var monitor = new WorkloadMonitor();
        var inboxes = new Inboxes(ThreadCount);
        var ops = new long[ThreadCount];
        // Each thread's own start (after the barrier) and end: the main thread can be descheduled past a
        // whole short run, so a clock it started would miss the work it is meant to time.
        var began = new long[ThreadCount];
        var ended = new long[ThreadCount];
        var threads = new Thread[ThreadCount];
        var running = new StrongBox<int>(ThreadCount);
        using var start = new Barrier(ThreadCount + 1);
        for (int t = 0; t < ThreadCount; t++)
        {
            int id = t;
            threads[t] = new Thread(() =>
            {
                Worker(allocator, id, inboxes, ops, running, start, monitor, out began[id]);
                ended[id] = Stopwatch.GetTimestamp();
            }, maxStackSize: 256 * 1024) { IsBackground = true };
            threads[t].Start();
        }
        start.SignalAndWait();
        foreach (var t in threads) t.Join();
        double seconds = Stopwatch.GetElapsedTime(began.Min(), ended.Max()).TotalSeconds;
        long total = ops.Sum();
        var main = allocator.AttachThread();
        try
        {
            for (int t = 0; t < ThreadCount; t++) DrainInbox(main, inboxes, t, total, monitor);
        }
        catch (Exception e)
        {
            monitor.Fail(e);
        }
        finally
        {
            main.DetachThread();
        }
        return monitor.Result(total, seconds);
    }

    private unsafe void Worker<TAlloc>(TAlloc shared, int id, Inboxes inboxes, long[] ops, StrongBox<int> running, Barrier start, WorkloadMonitor monitor,
        out long began) where TAlloc : struct, IAllocator<TAlloc>
    {
        began = Stopwatch.GetTimestamp();
        var a = shared.AttachThread();
        var slots = new Slots(WorkingSet);
        start.SignalAndWait();
        began = Stopwatch.GetTimestamp();
        try
        {
            try
            {
                ops[id] = Cycle(ref a, id, slots, inboxes, monitor);
                if (!monitor.Corrupted) slots.FreeAll(ref a, ops[id], monitor);
            }
            finally
            {
                Interlocked.Decrement(ref running.Value);
            }
            while (Volatile.Read(ref running.Value) > 0 && !monitor.Corrupted)
            {
                DrainInbox(a, inboxes, id, ops[id], monitor);
                Thread.Yield();
            }
            if (!monitor.Corrupted) DrainInbox(a, inboxes, id, ops[id], monitor);
        }
        catch (Exception e)
        {
            monitor.Fail(e);
        }
        finally
        {
            a.DetachThread();
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe long Cycle<TAlloc>(ref TAlloc allocator, int id, Slots slotArray, Inboxes inboxes, WorkloadMonitor monitor)
        where TAlloc : struct, IAllocator<TAlloc>
    {
        TAlloc a = allocator; // a local copy the JIT keeps in registers (a byref is re-read every operation)
        var rng = new FastRandom(Seed + (ulong)id * 104729);
        uint ws = (uint)WorkingSet, range = (uint)(MaxSize - MinSize + 1), others = (uint)(ThreadCount - 1);
        long i = 0;
        fixed (Slot* slots = slotArray.Items)
        {
            for (; i < Cycles; i++)
            {
                if ((i & 63) == 63)
                {
                    if (monitor.StopRequested) break;
                    DrainInbox(a, inboxes, id, i, monitor);
                }
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
                    slot->Block = 0;
                    if (others != 0 && (r & 3) == 0)
                        inboxes.Push((int)((id + 1 + FastRandom.Below(rng.Next(), others)) % (uint)ThreadCount), p, slot->Id);
                    else
                    {
                        BlockTag.Poison(p, slot->Id);
                        a.Free(p, BlockTag.SizeOf(slot->Id));
                    }
                }
                else
                {
                    nuint size = (nuint)MinSize + FastRandom.Below(rng.Next(), range);
                    void* q = a.Alloc(size);
                    if (q == null)
                    {
                        monitor.OutOfMemory();
                        break;
                    }
                    ulong tag = BlockTag.Id((uint)id, (ulong)i, size);
                    BlockTag.Write(q, tag);
                    slot->Block = (nint)q;
                    slot->Id = tag;
                }
            }
        }
        allocator = a;
        return i;
    }

    /// <summary>Free what other threads handed to this one (only frees: a copy of the allocator will do).</summary>
    private unsafe void DrainInbox<TAlloc>(TAlloc a, Inboxes inboxes, int id, long op, WorkloadMonitor monitor)
        where TAlloc : struct, IAllocator<TAlloc>
    {
        for (void* p = inboxes.TakeAll(id); p != null;)
        {
            void* next = *(void**)((byte*)p + LinkOffset);
            ulong tag = *(ulong*)((byte*)p + IdCopyOffset);
            nuint size = BlockTag.SizeOf(tag);
            if (size < (nuint)MinSize || size > (nuint)MaxSize || !BlockTag.Check(p, tag))
            {
                monitor.Corrupt(op, $"block 0x{(nint)p:x} handed to thread {id} was overwritten while live");
                return;
            }
            BlockTag.Poison(p, tag);
            a.Free(p, size);
            p = next;
        }
    }
}
