namespace Hakmem.Workloads;

/// <summary>A block the workload holds and the id it was tagged with. Each workload's hot loop spells out
/// the slot steps (check, poison and free, allocate and tag) itself: moving them into helpers that take
/// the allocator struct by ref makes the JIT keep that struct in memory, which cost larson about 20% on
/// every backend when measured.</summary>
public struct Slot
{
    public nint Block;
    public ulong Id;
}

/// <summary>The cycles of a single-thread slot workload on its attached allocator; returns how many ran.</summary>
public delegate long SlotCycles<TAlloc>(ref TAlloc allocator, Slots slots, WorkloadMonitor monitor) where TAlloc : struct, IAllocator<TAlloc>;

/// <summary>A pinned array of slots (no bounds checks in the hot loop, no GC moves).</summary>
public sealed class Slots(int count)
{
    public readonly Slot[] Items = GC.AllocateArray<Slot>(count, pinned: true);

    /// <summary>A single-thread slot workload's run (random_mixed, large_mixed): attach, time the cycles,
    /// check and free what is still held, detach; an exception is the run's failure.</summary>
    public static WorkloadResult Run<TAlloc>(TAlloc allocator, int count, SlotCycles<TAlloc> cycles) where TAlloc : struct, IAllocator<TAlloc>
    {
        var monitor = new WorkloadMonitor();
        var a = allocator.AttachThread();
        var slots = new Slots(count);
        try
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            long ops = cycles(ref a, slots, monitor);
            double seconds = clock.Elapsed.TotalSeconds;
            if (!monitor.Corrupted) slots.FreeAll(ref a, ops, monitor);
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

    /// <summary>Check and free every block still held.</summary>
    public unsafe void FreeAll<TAlloc>(ref TAlloc a, long ops, WorkloadMonitor monitor) where TAlloc : struct, IAllocator<TAlloc>
    {
        for (int i = 0; i < Items.Length; i++)
        {
            void* p = (void*)Items[i].Block;
            if (p == null) continue;
            if (!BlockTag.Check(p, Items[i].Id))
            {
                monitor.Corrupt(ops, $"block 0x{(nint)p:x} of {BlockTag.SizeOf(Items[i].Id)} bytes lost its tag before the final free");
                return;
            }
            BlockTag.Poison(p, Items[i].Id);
            a.Free(p, BlockTag.SizeOf(Items[i].Id));
            Items[i].Block = 0;
        }
    }
}
