namespace Hakmem.Workloads;

/// <summary>The allocator a workload runs on. Workloads are generic over a struct implementing it, so
/// the JIT compiles each workload once per backend and calls Alloc/Free directly (no interface
/// dispatch per operation). Each worker thread calls <see cref="AttachThread"/> once and uses the
/// copy it returns (for hakmem: a handle to the thread's cache, so the hot loop makes no thread-local
/// lookup), then <see cref="DetachThread"/> on that copy when it ends.</summary>
public unsafe interface IAllocator<TSelf> where TSelf : struct, IAllocator<TSelf>
{
    TSelf AttachThread();
    void DetachThread();
    /// <summary>A block of at least <paramref name="size"/> bytes, or null when out of memory.</summary>
    void* Alloc(nuint size);
    /// <summary>C's free_sized: <paramref name="size"/> is what the block was asked for (the workloads know it).
    /// The lab's live-byte count takes it from here; an allocator may ignore it, as free does.</summary>
    void Free(void* p, nuint size);

    /// <summary>C realloc: the block at <paramref name="p"/> (asked for <paramref name="oldSize"/> bytes) resized
    /// to <paramref name="size"/> bytes, its contents kept up to the smaller of the two sizes (it may move); a null
    /// <paramref name="p"/> allocates.
    /// Null when out of memory, and <paramref name="p"/> then stays valid. Every backend has its own; the
    /// default refuses, so that a wrapper made for a workload that never reallocates needs none.</summary>
    void* Realloc(void* p, nuint oldSize, nuint size) => throw new NotSupportedException($"{typeof(TSelf).Name} does not reallocate");
}
