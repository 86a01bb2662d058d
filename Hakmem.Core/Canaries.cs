using System.Runtime.InteropServices;

namespace Hakmem;

/// <summary>The seed-bug canaries (<see cref="SeedBug"/>): each re-creates one bug of the C allocator
/// on a slow path, so that the lab can show its detectors fire. With Inject = None none of this runs:
/// the hooks sit on paths that already cost a lock, a syscall or a list walk.</summary>
public sealed unsafe partial class HakmemHeap
{
    private readonly SeedBug _inject;
    // tls-list-disconnect, under the seed's condition (FAST_CAP=0 with the TLS List on): blocks the TLS List
    // spills, and remote frees drained into its spans, never reach a span's free list (SpillList, Drain).
    private readonly bool _tlsListDisconnect;
    private long _superSlabSerial;

    private bool Injected(SeedBug bug) => (_inject & bug) != 0;

    /// <summary>registry-miss: the first, third, fifth... SuperSlab is not registered.</summary>
    private bool HideFromRegistryLocked() => Injected(SeedBug.RegistryMiss) && _superSlabSerial++ % 2 == 0;

    /// <summary>The SuperSlab holding p by walking the heap's list: the way the heap finds its own
    /// unregistered SuperSlabs under registry-miss (never needed otherwise: every SuperSlab is registered).</summary>
    private SuperSlab* FindUnregisteredSuperSlab(void* p)
    {
        if (!Injected(SeedBug.RegistryMiss)) return null;
        nuint @base = (nuint)p & ~Layout.SuperSlabMask;
        lock (_sync)
        {
            for (SuperSlab* ss = _superSlabs; ss != null; ss = ss->Next)
                if ((nuint)ss->Base == @base) return ss;
        }
        return null;
    }

    /// <summary>registry-miss: a free the registry does not recognise is dropped instead of refused.</summary>
    private bool DropAsForeign(void* p) => FindUnregisteredSuperSlab(p) != null;

    /// <summary>p0-double-count: the batch is accounted a second time.</summary>
    private void AfterBatchRefill(Slab* s, uint n)
    {
        if (Injected(SeedBug.P0DoubleCount)) s->Used += n;
    }

    /// <summary>libc-fallback: out of memory under the cap, the block comes from libc malloc.</summary>
    private void* LibcFallback(nuint size) => Injected(SeedBug.LibcFallback) ? NativeMemory.Alloc(Math.Max(size, 16)) : null;

    /// <summary>unowned-drain: the freeing thread drains the span's remote queue into the free list it does
    /// not own, with a window in which the owner's own pops and pushes are overwritten.</summary>
    private void UnownedDrain(Slab* s)
    {
        void* head = RemoteQueue.TakeAll(&s->RemoteHead, out _);
        if (head == null) return;
        uint n = 1;
        void* tail = head;
        while (*(void**)tail != null)
        {
            tail = *(void**)tail;
            n++;
        }
        void* old = s->FreeList;
        Thread.SpinWait(100);
        *(void**)tail = old;
        s->FreeList = head;
        s->Used -= n;
    }
}
