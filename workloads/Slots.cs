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

/// <summary>A pinned array of slots (no bounds checks in the hot loop, no GC moves).</summary>
public sealed class Slots(int count)
{
    public readonly Slot[] Items = GC.AllocateArray<Slot>(count, pinned: true);

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
            a.Free(p);
            Items[i].Block = 0;
        }
    }
}
