using System.Runtime.CompilerServices;

namespace Hakmem;

/// <summary>The free path. The registry record of the pointer's slot confirms it is a block of this heap
/// before anything of it is read; the block index is checked exactly (no interior pointers); the free tag catches most double
/// frees. A block of a span the thread owns goes into its cache; any other goes to the span's remote
/// queue, out of line (<see cref="FreeRemote"/>).</summary>
public sealed unsafe partial class HakmemHeap
{
    /// <summary>Frees a block of this heap; null is a no-op. A pointer that is not a live block of this
    /// heap throws <see cref="HeapCorruptionException"/> before anything is written.</summary>
    public void Free(void* p)
    {
        if (p == null) return;
        ThrowIfDisposed();
        ThreadCache* tc = CacheOrNull();
        if (tc != null) FreeWith(tc, p);
        else FreeWithoutCache(p);
    }

    /// <summary>The fast path; <paramref name="tc"/> is the calling thread's cache, never null.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void FreeWith(ThreadCache* tc, void* p)
    {
        if (_checked)
        {
            FreeChecked(tc, p);
            return;
        }
        // Every cold call on this path ends the free (or throws), so no value has to live across one:
        // the JIT keeps the path in registers instead of spilling at every definition.
        // The registry record of p's slot, from the address alone; it accepts p only when p is the start of
        // a block of its span, so a record that is not p's (a large block, not ours, an interior pointer)
        // sends the free to the general path, which says which.
        Slab* r = _registry.SlabOf(p);
        if (!IsBlockOf(r, p))
        {
            FreeNotInRecord(tc, p);
            return;
        }
        ulong tag = _secret ^ (ulong)p;
        if (((ulong*)p)[1] == tag)
        {
            FreeTagged(tc, r->HeadSlab, p);
            return;
        }
        if (r->Owner != tc)
        {
            FreeRemote(tc, r->HeadSlab, p);
            return;
        }
        ToOwnCache(tc, r, p, tag);
    }

    /// <summary>A checked block of a span this thread owns (r: its head or a replica) goes into the
    /// thread's cache, tagged: the fast array, then the chain, then past the chain's cap <see cref="ChainFull"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void ToOwnCache(ThreadCache* tc, Slab* r, void* p, ulong tag)
    {
        ((ulong*)p)[1] = tag;
        var cc = (ClassCache*)((byte*)tc + r->CacheOffset);
        if (cc->FastTop != cc->FastEnd)
        {
            cc->PushFast(p);
            if (Trace.On) Traced(tc, Route.FreeFast, r->Class, p);
            return;
        }
        if (cc->ChainRoom > 0)
        {
            *(void**)p = cc->Chain;
            cc->Chain = p;
            cc->ChainRoom--;
            if (Trace.On) Traced(tc, RouteCounters.Free(cc->ChainTier), r->Class, p);
            return;
        }
        ChainFull(tc, cc, r->HeadSlab, p);
    }

    /// <summary>The record of p's slot does not hold p as a block: a large block, a SuperSlab left out of
    /// the registry (registry-miss), or not a block of this heap (throws, naming why).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void FreeNotInRecord(ThreadCache* tc, void* p)
    {
        SuperSlab* ss = _registry.Find((nuint)p & ~Layout.SuperSlabMask);
        if (ss == null) FreeLarge(p);
        else FreeBlock(tc, SpanOfBlock(ss, p), p);
    }

    /// <summary>The block carries the free tag: a double free (throws) unless the user's data matched it;
    /// then it is freed as any other.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void FreeTagged(ThreadCache* tc, Slab* s, void* p)
    {
        ConfirmDoubleFree(tc, s, p);
        ((ulong*)p)[1] = 0; // not a double free: take the tag off, so the general path does not search again
        FreeBlock(tc, s, p);
    }

    /// <summary>A thread without a cache of this heap frees: every block it frees is another thread's
    /// (or an abandoned span's), for the remote queue.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void FreeWithoutCache(void* p)
    {
        if (_checked) FreeChecked(null, p);
        else FreeNotInRecord(null, p);
    }

    /// <summary>Guard mode's free (and a disposed heap's, which throws): the live bitmap confirms the
    /// block is out before it is taken back.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void FreeChecked(ThreadCache* tc, void* p)
    {
        CheckCall(tc);
        SuperSlab* ss = _registry.Find((nuint)p & ~Layout.SuperSlabMask);
        if (ss == null)
        {
            FreeLarge(p);
            return;
        }
        Slab* s = SpanOfBlock(ss, p);
        GuardTakeBack(s, p);
        FreeBlock(tc, s, p);
    }

    /// <summary>The general path (guard mode, an off-home SuperSlab, no cache, a tagged block) for a
    /// confirmed block of span s: into the thread's cache if it owns the span, otherwise onto the span's
    /// remote queue. <see cref="FreeWith"/> is the same, inlined, for a thread with a cache.</summary>
    private void FreeBlock(ThreadCache* tc, Slab* s, void* p)
    {
        ulong tag = _secret ^ (ulong)p;
        if (((ulong*)p)[1] == tag) ConfirmDoubleFree(tc, s->HeadSlab, p);
        if (tc != null && s->Owner == tc) ToOwnCache(tc, s, p, tag);
        else FreeRemote(tc, s->HeadSlab, p);
    }

    /// <summary>A block of a span this thread does not own (or of an abandoned span): push it onto the
    /// span's remote queue. Only the owner, after claiming, ever drains it.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void FreeRemote(ThreadCache* tc, Slab* s, void* p)
    {
        ((ulong*)p)[1] = _secret ^ (ulong)p;
        ulong before = RemoteQueue.Push(&s->RemoteHead, p);
        if (RemoteQueue.IsEmpty(before)) HintOwner(s);
        if ((before & RemoteQueue.WantEmptied) != 0 && RemoteQueue.Count(before) + 1 == s->Capacity) NoteEmptied(s);
        if (tc != null) tc->Counters.RemoteFrees++;
        else Interlocked.Increment(ref _remoteFreesWithoutCache);
        if (Trace.On) Traced(tc, Route.FreeRemote, s->Class, p);
        if (_inject != SeedBug.None && Injected(SeedBug.UnownedDrain)) UnownedDrain(s);
    }

    /// <summary>The span's remote queue was empty: tell its owner (if it has one; the heap lock holder drains an
    /// abandoned span) that a span of this class has blocks to drain, so that it looks past its bounded scan
    /// before it carves a new span, and that some span of it may have emptied. The owner read here may be stale:
    /// a pooled cache gets a hint it has no use for. Caches are pooled, never unmapped before Dispose (a free
    /// racing Dispose is already the caller's error), so the write always lands in a cache. Each hint is read
    /// first: one already set costs no write to the owner's line.</summary>
    private static void HintOwner(Slab* s)
    {
        int c = s->Class; // the span may have been drained and freed since the push (then -1): no hint
        ThreadCache* owner = s->Owner;
        if (owner == null || (uint)c >= SizeClasses.Count) return;
        int* hints = ThreadCache.RemoteHints(owner);
        if (Volatile.Read(ref hints[c]) == 0) Volatile.Write(ref hints[c], 1);
        if (Volatile.Read(ref hints[ThreadCache.AnyRemoteHint]) == 0) Volatile.Write(ref hints[ThreadCache.AnyRemoteHint], 1);
    }

    /// <summary>The chain of the class is at its cap (or there is none). The TLS List takes the block
    /// anyway and spills its older half back to the owner spans; past the TLS SLL's cap, or with no
    /// chain, the block goes straight back to its span.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ChainFull(ThreadCache* tc, ClassCache* cc, Slab* s, void* p)
    {
        if (cc->ChainTier == Tier.List)
        {
            *(void**)p = cc->Chain;
            cc->Chain = p;
            cc->ChainRoom--;
            if (Trace.On) Traced(tc, Route.FreeList, s->Class, p);
            SpillList(tc, cc);
            return;
        }
        if (Trace.On) Traced(tc, Route.FreeSpan, s->Class, p);
        ReturnToSpan(tc, cc, s, p);
    }

    /// <summary>TLS List over its cap: keep the newest half (the blocks most likely still in the CPU's
    /// cache), send the rest back, each block to the free list of the span it came from (always its
    /// owner span, which is this thread's).</summary>
    private void SpillList(ThreadCache* tc, ClassCache* cc)
    {
        int keep = cc->ChainCap / 2;
        void* last = cc->Chain;
        for (int i = 1; i < keep; i++) last = *(void**)last;
        void* spill = *(void**)last;
        *(void**)last = null;
        int n = cc->ChainCount - keep;
        cc->ChainCount = keep;
        tc->Counters.Spills++;
        if (Trace.Ring) TraceEvent(tc, TraceKind.Spill, (int)(cc - ThreadCache.Classes(tc)), spill, n);
        if (_tlsListDisconnect) return; // tls-list-disconnect: the spilled blocks never reach a span
        int c = (int)(cc - ThreadCache.Classes(tc));
        for (int i = 0; i < n; i++)
        {
            void* q = spill;
            spill = *(void**)q;
            ReturnToSpan(tc, cc, OwnedSpanOf(tc, c, q, TierOrder.Name(Tier.List)), q);
        }
    }

    /// <summary>Push onto the owner span's free list. A span that no longer has a block out is given
    /// back (unless it is the one refills come from); one that became usable moves next in the ring.</summary>
    private void ReturnToSpan(ThreadCache* tc, ClassCache* cc, Slab* s, void* p)
    {
        if (_guards && s->Owner != tc) GuardFail("blocks return only to spans their thread owns", s, p, "owner differs");
        bool wasEmpty = !s->HasLocalBlocks;
        *(void**)p = s->FreeList;
        s->FreeList = p;
        s->Used--;
        Slab* cur = cc->Current;
        if (s == cur) return;
        if (s->Used == 0)
        {
            UnlinkOwned(cc, s);
            lock (_sync) FreeSpanLocked(s);
        }
        else if (wasEmpty && cur->Next != s)
        {
            UnlinkOwned(cc, s);
            LinkOwned(cc, s);
        }
    }

    /// <summary>The span of p, which must be the start of a block of it: exact block index without a
    /// division; free slots have Capacity 0, so pointers into unused parts of the SuperSlab fail too.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Slab* SpanOfBlock(SuperSlab* ss, void* p)
    {
        Slab* s = SuperSlab.SpanOf(ss, p);
        CheckBlock(s, p);
        return s;
    }

    /// <summary>Throws unless p is the start of a block of the span whose record (head or replica) is r.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void CheckBlock(Slab* r, void* p)
    {
        if (!IsBlockOf(r, p)) throw NotABlock(r->HeadSlab, p);
    }

    /// <summary>Whether p is the start of a block of the span whose record (head or replica) is r: one
    /// multiply, a rotate and a compare (a free slot's Capacity is 0: nothing is its block). Capacity is read
    /// first: a span's record gets it after its start and inverse and loses it before anything else, so
    /// a record read while another thread changes it (the record of a slot that is not p's) is either
    /// refused outright or read whole, and a whole record only accepts blocks of its own span.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool IsBlockOf(Slab* r, void* p)
    {
        uint capacity = Volatile.Read(ref r->Capacity);
        return SizeClasses.BlockIndex((ulong)((byte*)p - r->Start), r->Inverse, r->Shift) < capacity;
    }

    /// <summary>Why p is not a block of span s (thrown by the caller, so the JIT knows the path ends there).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static HeapCorruptionException NotABlock(Slab* s, void* p)
    {
        if (s->Class < 0) return new HeapCorruptionException((nuint)p, "free of a pointer into an unused part of a SuperSlab (never allocated, or freed twice)");
        return new HeapCorruptionException((nuint)p,
            $"free of an interior pointer: not the start of a block (class {s->Class}, block size {s->BlockSize}, span 0x{(nuint)s->Start:x})");
    }

    /// <summary>The block carries this heap's free tag. If this thread owns the span, every place a
    /// free block of it can be (the thread's tiers, the span's free list and remote queue) is searched:
    /// found means double free, not found means the user's data matched the tag by chance. A block
    /// of another thread's span cannot be searched safely; the tag (64 random bits mixed with the
    /// address) is taken as proof.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ConfirmDoubleFree(ThreadCache* tc, Slab* s, void* p)
    {
        if (_guards) return; // the live bitmap decides exactly
        if (tc == null || s->Owner != tc)
            throw new HeapCorruptionException((nuint)p, $"double free (free tag present; class {s->Class}, owned by another thread)");
        // A block past the carve cursor was never handed out by this span: its tag is left from a span of the slot that
        // went back and was carved again (a pointer freed before, freed again).
        if (SizeClasses.BlockIndex((ulong)((byte*)p - s->Start), s->Inverse, s->Shift) >= s->Carved)
            throw new HeapCorruptionException((nuint)p, $"double free (class {s->Class}, a block of a span given back and carved again, not handed out since)");
        ClassCache* cc = ThreadCache.Classes(tc) + s->Class;
        bool found = false;
        for (void** f = cc->Fast; f < cc->FastTop && !found; f++) found = *f == p;
        found = found || ListContains(cc->Chain, p, cc->ChainCount) || ListContains(s->FreeList, p, s->Capacity) || ListContains(RemoteQueue.Peek(&s->RemoteHead, out _), p, s->Capacity);
        if (found) throw new HeapCorruptionException((nuint)p, $"double free (class {s->Class}, block already on a free list)");
    }

    private static bool ListContains(void* head, void* p, long max)
    {
        for (long n = 0; head != null && n <= max; n++, head = *(void**)head)
            if (head == p) return true;
        return false;
    }
}
