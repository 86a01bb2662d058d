using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Hakmem;

/// <summary>One thread's cache of one class, top tier first (the order is <see cref="TierOrder"/>'s). A
/// tier that is switched off has cap 0, so the fast path tests counts against caps and never reads an
/// option. Every block in any tier belongs to a span owned by this thread. One cache line per class: the
/// free path finds a class's record with a shift, and touches one line for it.</summary>
[StructLayout(LayoutKind.Sequential, Size = 64)]
internal unsafe struct ClassCache
{
    public void** Fast;          // fast tier: array of FastCap blocks
    public int FastCount;
    public int FastCap;          // 0: fast tier off (HAKMEM_TINY_FAST_CAP=0)
    public void* Chain;          // the chain: TLS SLL or TLS List (ChainTier says which), linked through offset 0
    public int ChainCount;
    public int ChainCap;         // 0: no chain (TLS SLL and TLS List both off)
    public Tier ChainTier;       // Sll, List, or Span when there is no chain
    public int Batch;            // blocks per refill
    public Slab* Current;        // span refills come from; a ring of all owned spans of the class
    public uint BlockSize;
}

/// <summary>A thread's caches for one heap. Lives in memory mapped by the heap (never the GC heap)
/// and is reached through a [ThreadStatic] slot or a <see cref="HakmemThread"/> handle.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct ThreadCache
{
    public const int StateFree = 0, StateActive = 1;

    public long HeapId;
    public int ThreadId;         // managed thread id of the owning thread
    public int State;
    public ThreadCache* NextFree; // heap's pool of released caches
    public CacheCounters Counters;
    public RouteCounters Routes; // HAKMEM_FREE_ROUTE_TRACE only
    public TraceRingHeader* Ring; // HAKMEM_TINY_TRACE_RING only; kept when the cache is pooled and reused
    // ClassCache[SizeClasses.Count] follows, then the fast tier arrays.

    public static readonly int ClassesOffset = (sizeof(ThreadCache) + 63) & ~63;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ClassCache* Classes(ThreadCache* tc) => (ClassCache*)((byte*)tc + ClassesOffset);

    public static nuint Bytes(int fastCap) =>
        Os.RoundUpToPage((nuint)(ClassesOffset + SizeClasses.Count * sizeof(ClassCache) + SizeClasses.Count * fastCap * sizeof(void*)));

    /// <summary>Set the caps from the options; the fast arrays sit after the class records.</summary>
    public static void Init(ThreadCache* tc, HakmemOptions o, long heapId, int threadId)
    {
        tc->HeapId = heapId;
        tc->ThreadId = threadId;
        tc->State = StateActive;
        tc->NextFree = null;
        tc->Counters = default;
        tc->Routes = default;
        Tier chain = TierOrder.Chain(o);
        void** fast = (void**)((byte*)Classes(tc) + SizeClasses.Count * sizeof(ClassCache));
        for (int c = 0; c < SizeClasses.Count; c++)
        {
            ClassCache* cc = Classes(tc) + c;
            int listCap = SizeClasses.ListCap(c);
            *cc = default;
            cc->BlockSize = SizeClasses.BlockSize(c);
            cc->Fast = fast + c * o.FastCap;
            cc->FastCap = Math.Min(o.FastCap, listCap);
            cc->ChainTier = chain;
            cc->ChainCap = chain == Tier.Span ? 0 : listCap;
            cc->Batch = SizeClasses.Batch(c);
        }
    }
}

/// <summary>Event counts of one thread cache: written by the owning thread only, summed (racily, as
/// counters are) by Stats(), folded into the heap's totals when the cache is released.</summary>
internal struct CacheCounters
{
    public long RemoteFrees;
    public long Refills;
    public long Drains;
    public long DrainedBlocks;
    public long Spills;

    public void Add(in CacheCounters o)
    {
        RemoteFrees += o.RemoteFrees;
        Refills += o.Refills;
        Drains += o.Drains;
        DrainedBlocks += o.DrainedBlocks;
        Spills += o.Spills;
    }
}
