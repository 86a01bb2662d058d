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
    void Free(void* p);
}
