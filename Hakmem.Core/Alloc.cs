using System.Runtime.CompilerServices;

namespace Hakmem;

/// <summary>The allocation fast path: class lookup, then the thread's tiers top to bottom (fast array,
/// then the chain: TLS SLL or TLS List), then refill. No lock, no managed allocation, no virtual call.</summary>
public sealed unsafe partial class HakmemHeap
{
    /// <summary>A block of at least <paramref name="size"/> bytes (16-byte aligned); null only when
    /// out of memory (the OS refused, or <see cref="HakmemOptions.MaxMemoryBytes"/> is reached).</summary>
    public void* Alloc(nuint size)
    {
        ThrowIfDisposed();
        return AllocWith(CacheOrCreate(), size);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void* AllocWith(ThreadCache* tc, nuint size)
    {
        if (_checked) return AllocChecked(tc, size);
        if (size > SizeClasses.MaxSmall) return AllocLarge(size, 0);
        ClassCache* cc = ThreadCache.CacheFor(tc, size);
        void* p;
        if (cc->FastTop != cc->Fast)
        {
            p = cc->PopFast();
            if (Trace.On) Traced(tc, Route.AllocFast, ThreadCache.ClassOf(tc, cc), p);
        }
        else if ((p = cc->Chain) != null)
        {
            cc->Chain = *(void**)p;
            cc->ChainRoom++;
            if (Trace.On) Traced(tc, RouteCounters.Alloc(cc->ChainTier), ThreadCache.ClassOf(tc, cc), p);
        }
        else return AllocSlow(tc, cc); // ends the path: nothing lives across the call
        ((ulong*)p)[1] = 0; // clear the free tag
        return p;
    }

    /// <summary>The same tiers as <see cref="AllocWith"/>, with every cached block validated before it is
    /// followed and the live bitmap updated: guard mode's own path (and a disposed heap's, which
    /// throws), so the default one carries no checks.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void* AllocChecked(ThreadCache* tc, nuint size)
    {
        CheckCall(tc);
        if (size > SizeClasses.MaxSmall) return AllocLarge(size, 0);
        ClassCache* cc = ThreadCache.CacheFor(tc, size);
        int c = ThreadCache.ClassOf(tc, cc);
        void* p;
        if (cc->FastTop != cc->Fast)
        {
            p = cc->PopFast();
            GuardCachedBlock(tc, c, p, TierOrder.Name(Tier.Fast));
            if (Trace.On) Traced(tc, Route.AllocFast, c, p);
        }
        else if ((p = cc->Chain) != null)
        {
            GuardCachedBlock(tc, c, p, TierOrder.Name(cc->ChainTier));
            cc->Chain = *(void**)p;
            cc->ChainRoom++;
            if (Trace.On) Traced(tc, RouteCounters.Alloc(cc->ChainTier), c, p);
        }
        else if ((p = AllocSlow(tc, cc)) == null) return null;
        ((ulong*)p)[1] = 0;
        GuardHandOut(p);
        return p;
    }

    /// <summary>Every tier of the class is empty: refill from a span. The block comes with its free tag cleared.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void* AllocSlow(ThreadCache* tc, ClassCache* cc)
    {
        int c = ThreadCache.ClassOf(tc, cc);
        void* p = Refill(tc, cc, c);
        if (p == null) return _inject == SeedBug.None ? null : LibcFallback(cc->BlockSize);
        if (Trace.On) Traced(tc, Route.AllocSpan, c, p);
        ((ulong*)p)[1] = 0;
        return p;
    }
}
