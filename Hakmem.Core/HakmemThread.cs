using System.Runtime.CompilerServices;

namespace Hakmem;

/// <summary>A thread's handle to its cache in one heap, taken once with
/// <see cref="HakmemHeap.ForThisThread"/>: Alloc and Free through it make no thread-local lookup
/// (on linux-x64 a [ThreadStatic] read is a call into the loader). Valid on its own thread until
/// <see cref="Release"/>; guard mode checks the thread on every call.</summary>
public readonly unsafe struct HakmemThread
{
    private readonly HakmemHeap _heap;
    private readonly ThreadCache* _cache;

    internal HakmemThread(HakmemHeap heap, ThreadCache* cache)
    {
        _heap = heap;
        _cache = cache;
    }

    public HakmemHeap Heap => _heap;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void* Alloc(nuint size) => _heap.AllocWith(_cache, size);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Free(void* p)
    {
        if (p == null) return;
        _heap.FreeWith(_cache, p);
    }

    /// <summary>Resizes a block through this thread's cache, as <see cref="HakmemHeap.Realloc"/> does: null
    /// allocates, a size that still fits the block (and uses at least half of it) keeps it, otherwise a new
    /// block gets the contents and the old one is freed; null when out of memory, the old block kept.</summary>
    public void* Realloc(void* p, nuint size) => _heap.ReallocWith(_cache, p, size);

    /// <summary>Gives the thread's cache back (see <see cref="HakmemHeap.ReleaseThreadCache"/>).</summary>
    public void Release() => _heap.ReleaseThreadCache();
}

public sealed unsafe partial class HakmemHeap
{
    /// <summary>The checks of the checked paths (guard mode, or a disposed heap): the heap is alive and, in
    /// guard mode, the cache belongs to the calling thread.</summary>
    private void CheckCall(ThreadCache* tc)
    {
        ThrowIfDisposed();
        if (_guards && tc != null) GuardHandle(tc);
    }

    private static void GuardHandle(ThreadCache* tc)
    {
        int me = Environment.CurrentManagedThreadId;
        if (tc->State != ThreadCache.StateActive || tc->ThreadId != me)
            throw new HeapCorruptionException((nuint)tc,
                $"guard: invariant 'a HakmemThread handle is used only on its own thread' violated: used on thread {me}, belongs to thread {tc->ThreadId}{(tc->State != ThreadCache.StateActive ? " (released)" : "")}");
    }
}
