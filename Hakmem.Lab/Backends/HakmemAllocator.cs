using Hakmem.Workloads;

namespace Hakmem.Lab.Backends;

/// <summary>Hakmem.Core as a workload allocator: each worker thread takes its HakmemThread handle once
/// (no thread-local lookup per operation) and releases its cache when it ends.</summary>
public readonly unsafe struct HakmemAllocator(HakmemHeap heap, HakmemThread thread) : IAllocator<HakmemAllocator>
{
    public HakmemAllocator(HakmemHeap heap) : this(heap, default) { }

    public HakmemAllocator AttachThread() => new(heap, heap.ForThisThread());
    public void DetachThread() => thread.Release();
    public void* Alloc(nuint size) => thread.Alloc(size);
    public void Free(void* p, nuint size) => thread.Free(p);
    public void* Realloc(void* p, nuint oldSize, nuint size) => thread.Realloc(p, size);
}
