using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Hakmem;

/// <summary>One thread's cache of one class, top tier first (the order is <see cref="TierOrder"/>'s). A
/// tier that is switched off has cap 0, so the fast path tests counts against caps and never reads an
/// option. Every block in any tier belongs to a span owned by this thread. One cache line per class: the
/// paths find a class's record from a table of offsets (alloc, by size) or the span's record (free), and
/// touch one line for it.</summary>
[StructLayout(LayoutKind.Sequential, Size = 64)]
internal unsafe struct ClassCache
{
    // The fast tier: an array of FastCap blocks, FastTop the next free place. Pointers rather than a count:
    // a push is one compare and two stores, a pop one compare, a load and a store. Off (FastCap 0), the
    // three are equal: always empty and always full.
    public void** Fast;
    public void** FastTop;
    public void** FastEnd;
    public void* Chain;          // the chain: TLS SLL or TLS List (ChainTier says which), linked through offset 0
    public int ChainRoom;        // blocks the chain takes before it is at its cap (ChainCap - its length; -1 past it, for a moment, in the TLS List)
    public int ChainCap;         // 0: no chain (TLS SLL and TLS List both off)
    public Tier ChainTier;       // Sll, List, or Span when there is no chain
    public int Batch;            // blocks per refill
    public Slab* Current;        // span refills come from; a ring of all owned spans of the class
    public uint BlockSize;

    public readonly int FastCount => (int)(FastTop - Fast);

    /// <summary>Blocks on the chain. The paths keep the room instead: free tests and decrements one field.</summary>
    public int ChainCount
    {
        readonly get => ChainCap - ChainRoom;
        set => ChainRoom = ChainCap - value;
    }
    public readonly int FastCap => (int)(FastEnd - Fast);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void PushFast(void* p) => *FastTop++ = p;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void* PopFast() => *--FastTop;
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
    // ClassCache[SizeClasses.Count] follows, then the remote hints, then the fast tier arrays.

    public static readonly int ClassesOffset = (sizeof(ThreadCache) + 63) & ~63;
    /// <summary>The remote hints, one int per class, on cache lines of their own: other threads write them,
    /// and the owner's class records must not bounce with them.</summary>
    public static readonly int RemoteHintsOffset = ClassesOffset + SizeClasses.Count * sizeof(ClassCache);
    private static readonly int EmptiedOffset = RemoteHintsOffset + (((SizeClasses.Count + 1) * sizeof(int) + 7) & ~7);
    private static readonly int RemoteHintsBytes = (EmptiedOffset - RemoteHintsOffset + 2 * sizeof(void*) + 63) & ~63;
    /// <summary>The hint after the per-class ones: a remote free reached some span of this cache since the owner
    /// last swept all its classes for spans other threads emptied.</summary>
    public const int AnyRemoteHint = SizeClasses.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ClassCache* Classes(ThreadCache* tc) => (ClassCache*)((byte*)tc + ClassesOffset);

    /// <summary>Per class (and one for any class, <see cref="AnyRemoteHint"/>), set by a thread whose free made the
    /// remote queue of one of this cache's spans non-empty; the owner takes it when its bounded scan of the ring found nothing (see HakmemHeap.DrainRing).
    /// A hint only: a stale owner may get one it has no use for, which costs one pass over a ring.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int* RemoteHints(ThreadCache* tc) => (int*)((byte*)tc + RemoteHintsOffset);

    /// <summary>Spans of this cache that other threads' frees emptied after the owner had used them up: a stack
    /// pushed by those threads (linked through <see cref="Slab.EmptiedNext"/>), taken whole by the owner. On the hints'
    /// line: other threads write it, rarely.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Slab** Emptied(ThreadCache* tc) => (Slab**)((byte*)tc + EmptiedOffset);

    /// <summary>The owner's own list of emptied spans it took off <see cref="Emptied"/> and keeps one more round
    /// (HakmemHeap.TakeEmptiedSpansLocked); they stay Listed while on it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Slab** Aged(ThreadCache* tc) => (Slab**)((byte*)tc + EmptiedOffset) + 1;

    /// <summary>The byte offset in a thread cache of a class's record (what a span's record keeps, so free
    /// reaches the record with one add).</summary>
    public static ushort CacheOffset(int c) => (ushort)(ClassesOffset + c * sizeof(ClassCache));

    // The record offset of every request size up to SizeClasses.MaxSmall, per 16 bytes: the class lookup
    // and the record's address in one load. Unmanaged and never freed, so optimized code embeds its address.
    private static readonly ushort* s_offsetBySize = BuildOffsets();

    private static ushort* BuildOffsets()
    {
        int length = (int)(SizeClasses.MaxSmall >> 4) + 1;
        var table = (ushort*)NativeMemory.Alloc((nuint)length, sizeof(ushort));
        for (int i = 0; i < length; i++) table[i] = CacheOffset(SizeClasses.ClassOf((nuint)i << 4));
        return table;
    }

    /// <summary>The record of the class serving <paramref name="size"/> (at most <see cref="SizeClasses.MaxSmall"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ClassCache* CacheFor(ThreadCache* tc, nuint size) => (ClassCache*)((byte*)tc + s_offsetBySize[(size + 15) >> 4]);

    /// <summary>The class of one of this cache's records.</summary>
    public static int ClassOf(ThreadCache* tc, ClassCache* cc) => (int)(cc - Classes(tc));

    public static nuint Bytes(int fastCap) =>
        Os.RoundUpToPage((nuint)(RemoteHintsOffset + RemoteHintsBytes + SizeClasses.Count * fastCap * sizeof(void*)));

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
        new Span<byte>((byte*)tc + RemoteHintsOffset, EmptiedOffset - RemoteHintsOffset).Clear(); // a pooled cache's old hints are not this thread's (its emptied list was taken: HakmemHeap.UnlistEmptied)
        void** fast = (void**)((byte*)tc + RemoteHintsOffset + RemoteHintsBytes);
        for (int c = 0; c < SizeClasses.Count; c++)
        {
            ClassCache* cc = Classes(tc) + c;
            int listCap = c >= SizeClasses.TinyCount && !o.MidCache ? 0 : SizeClasses.ListCap(c); // 0: the class has no tier above its spans
            *cc = default;
            cc->BlockSize = SizeClasses.BlockSize(c);
            cc->Fast = cc->FastTop = fast + c * o.FastCap;
            cc->FastEnd = cc->Fast + Math.Min(o.FastCap, listCap);
            cc->ChainTier = listCap == 0 ? Tier.Span : chain;
            cc->ChainCap = cc->ChainRoom = cc->ChainTier == Tier.Span ? 0 : listCap;
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
    public long EmptiedSpansTaken;   // spans other threads' frees emptied, taken back as a class's current span
    public long EmptiedSpansReturned; // ... given back to their SuperSlab after a round unused

    public void Add(in CacheCounters o)
    {
        RemoteFrees += o.RemoteFrees;
        Refills += o.Refills;
        Drains += o.Drains;
        DrainedBlocks += o.DrainedBlocks;
        Spills += o.Spills;
        EmptiedSpansTaken += o.EmptiedSpansTaken;
        EmptiedSpansReturned += o.EmptiedSpansReturned;
    }
}
