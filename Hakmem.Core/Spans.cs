using System.Runtime.CompilerServices;

namespace Hakmem;

/// <summary>Spans and SuperSlabs: acquiring a span for a thread (adopt an abandoned one, else a free
/// run of slots, else a new SuperSlab), draining, freeing and abandoning spans, keeping empty SuperSlabs
/// (resting them once no thread holds a cache) and returning those beyond the kept ones to the OS.</summary>
public sealed unsafe partial class HakmemHeap
{
    private const int MaxRingScan = 16;

    // Guarded by _sync.
    private SuperSlab* _superSlabs;
    private int _emptySuperSlabs;                    // SuperSlabs with every slot free, kept mapped against churn
    private readonly nint[] _abandoned = new nint[SizeClasses.Count]; // Slab* lists, one per class
    private long _superSlabCount, _superSlabPeak, _spansAdopted, _cachesReclaimed;

    /// <summary>A span of the cache's class with a block to give: the current one, another owned one
    /// (scanning a bounded part of the ring, then the whole ring when another thread's free has reached one
    /// of its spans), or a newly acquired one. Null only when out of memory.</summary>
    private Slab* SpanWithBlocks(ThreadCache* tc, ClassCache* cc, int c)
    {
        Slab* s = cc->Current;
        if (s != null)
        {
            if (HasBlocksOrWant(tc, s)) return s;
            Slab* t = s->Next;
            for (int i = 0; t != s && i < MaxRingScan; i++, t = t->Next)
            {
                if (HasBlocksOrWant(tc, t))
                {
                    cc->Current = t;
                    return t;
                }
            }
            if (t != s && TakeRemoteHint(tc, c) && (t = DrainRing(tc, cc, s)) != null) return t;
        }
        lock (_sync)
        {
            ThrowIfDisposed();
            return AcquireSpanLocked(tc, cc, c);
        }
    }

    /// <summary>Whether span s has a block to give, draining its remote queue if that is where they are; a span
    /// used up (every block out) asks to hear when other threads' frees bring them all back (see Emptied.cs).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool HasBlocksOrWant(ThreadCache* tc, Slab* s)
    {
        if (s->HasLocalBlocks || (RemoteQueue.HasBlocks(&s->RemoteHead) && Drain(tc, s) != 0)) return true;
        if (_inject == SeedBug.None) RemoteQueue.WantWhenEmptied(&s->RemoteHead); // canary heaps unmap records listed spans may be in
        return false;
    }

    /// <summary>Whether a remote free reached a span of class c (or any class) of this cache since the owner last looked; clears
    /// it with a full fence, so that a hint set after this is never lost behind the pass that follows.</summary>
    private static bool TakeRemoteHint(ThreadCache* tc, int c)
    {
        int* hint = ThreadCache.RemoteHints(tc) + c;
        return Volatile.Read(ref *hint) != 0 && Interlocked.Exchange(ref *hint, 0) != 0;
    }

    /// <summary>The bounded scan found nothing, but another thread freed into a span of the ring: one pass over the
    /// whole ring drains every span with remote blocks, and moves each that now has blocks next to the current
    /// one, where the bounded scan finds them. Without it a producer whose consumer frees its blocks (xmalloc-test)
    /// carves new spans while its older ones, past the scan's reach, fill up again. The last span moved becomes
    /// current; null when none gained a block.</summary>
    private Slab* DrainRing(ThreadCache* tc, ClassCache* cc, Slab* s)
    {
        for (Slab* t = s->Next; t != s;)
        {
            Slab* next = t->Next;
            if (RemoteQueue.HasBlocks(&t->RemoteHead) && Drain(tc, t) != 0 && t != s->Next)
            {
                UnlinkOwned(cc, t);
                LinkOwned(cc, t); // right after s, which is current: behind this pass, which never sees it again
            }
            t = next;
        }
        Slab* first = s->Next;
        if (first == s || !first->HasLocalBlocks) return null;
        cc->Current = first;
        return first;
    }

    /// <summary>The owner (or the lock holder, for an abandoned span) takes the whole remote queue and
    /// splices it onto the free list. Returns the number of blocks drained. A span with no block on its free
    /// list (the usual case: a refill drains a span that ran out) takes the queue as its free list, without
    /// reading a block of it; guard mode walks it and checks every block and the count.</summary>
    private uint Drain(ThreadCache* tc, Slab* s)
    {
        void* head = RemoteQueue.TakeAll(&s->RemoteHead, out uint n);
        if (head == null || _tlsListDisconnect) return 0; // tls-list-disconnect: drained blocks vanish
        if (_guards) GuardDrained(s, head, n);
        if (s->FreeList != null)
        {
            void* tail = head;
            while (*(void**)tail != null) tail = *(void**)tail;
            *(void**)tail = s->FreeList;
        }
        s->FreeList = head;
        s->Used -= n;
        if (tc != null)
        {
            tc->Counters.Drains++;
            tc->Counters.DrainedBlocks += n;
        }
        if (Trace.Ring) TraceEvent(tc, TraceKind.Drain, s->Class, s->Start, n);
        return n;
    }

    private void GuardDrained(Slab* s, void* head, uint count)
    {
        uint n = 0;
        for (void* p = head; p != null && n <= s->Capacity; p = *(void**)p, n++) GuardListNode(s, p, "remote queue");
        if (n != count) GuardFail("the remote queue holds as many blocks as its head counts", s, head, $"walked {n}, counted {count}");
        if (n > s->Used) GuardFail("Used >= drained remote blocks", s, head, $"Used={s->Used}, drained={n}");
    }

    private Slab* AcquireSpanLocked(ThreadCache* tc, ClassCache* cc, int c)
    {
        Slab* s;
        if ((*ThreadCache.Emptied(tc) != null || *ThreadCache.Aged(tc) != null) && (s = TakeEmptiedSpansLocked(tc, cc, c)) != null) return s;
        s = AdoptOrCarveLocked(tc, cc, c);
        if (s != null) return s;
        // Before asking the OS: spans of ended threads and empty abandoned spans, then this thread's own
        // spans of every class that other threads' frees emptied.
        if (CollectLocked() > 0 && (s = AdoptOrCarveLocked(tc, cc, c)) != null) return s;
        if (FreeOwnEmptiedSpansLocked(tc) > 0 && (s = CarveSpanLocked(tc, cc, c)) != null) return s;
        return MapSuperSlabLocked() == null ? null : CarveSpanLocked(tc, cc, c);
    }

    /// <summary>No SuperSlab has room for a new span: drain the remote queues of this thread's spans of every
    /// class and give back the spans that emptied (not a class's current one). A thread whose blocks of one
    /// class another thread freed (a batch handed over, rptest) would otherwise keep them until it needs that
    /// class again, and map new memory for the others meanwhile. Runs once per SuperSlab that would be mapped,
    /// and only when a remote free reached one of the thread's spans since the last sweep (a span its own frees
    /// emptied went back at once): a thread that only grows never walks its spans here.</summary>
    private int FreeOwnEmptiedSpansLocked(ThreadCache* tc)
    {
        if (!TakeRemoteHint(tc, ThreadCache.AnyRemoteHint)) return 0;
        int freed = 0;
        for (int k = 0; k < SizeClasses.Count; k++)
        {
            ClassCache* other = ThreadCache.Classes(tc) + k;
            Slab* cur = other->Current;
            if (cur == null) continue;
            for (Slab* t = cur->Next; t != cur;)
            {
                Slab* next = t->Next;
                if (RemoteQueue.HasBlocks(&t->RemoteHead)) Drain(tc, t);
                if (t->Used == 0)
                {
                    UnlinkOwned(other, t);
                    FreeSpanLocked(t);
                    freed++;
                }
                t = next;
            }
        }
        return freed;
    }

    private Slab* AdoptOrCarveLocked(ThreadCache* tc, ClassCache* cc, int c)
    {
        Slab* s = AdoptLocked(tc, cc, c);
        return s != null ? s : CarveSpanLocked(tc, cc, c);
    }

    /// <summary>Claim abandoned spans of class c (claim, then drain) until one has a block to give;
    /// the claimed ones join the thread's ring either way.</summary>
    private Slab* AdoptLocked(ThreadCache* tc, ClassCache* cc, int c)
    {
        if (Injected(SeedBug.LibcFallback)) return null; // the canary's heap does not reuse spans across threads
        while (_abandoned[c] != 0)
        {
            var s = (Slab*)_abandoned[c];
            UnlinkAbandonedLocked(s);
            SetOwner(s, tc);
            _spansAdopted++;
            if (Trace.Ring) TraceEvent(tc, TraceKind.Adopt, c, s->Start, s->Used);
            if (RemoteQueue.HasBlocks(&s->RemoteHead)) Drain(tc, s);
            if (s->Used == 0)
            {
                FreeSpanLocked(s);
                continue;
            }
            LinkOwned(cc, s);
            if (s->HasLocalBlocks)
            {
                cc->Current = s;
                return s;
            }
        }
        return null;
    }

    /// <summary>A new span of class c in the first SuperSlab with a run of free slots whose pages were written before
    /// (resident, or resting and not yet taken by the kernel), else in the first with any free run: slots written before
    /// cost no new page, so the process's RSS grows only when no used memory is free (kept empty SuperSlabs count in RSS
    /// until the kernel takes their pages).</summary>
    private Slab* CarveSpanLocked(ThreadCache* tc, ClassCache* cc, int c)
    {
        int span = SizeClasses.SpanSlabs(c);
        SuperSlab* fresh = null;
        int freshFirst = -1;
        for (SuperSlab* ss = _superSlabs; ss != null; ss = ss->Next)
        {
            if (ss->FreeMask == 0) continue;
            int first = SuperSlab.FindFreeRun(ss->FreeMask & ss->WrittenMask, span);
            if (first >= 0) return CarveLocked(tc, cc, c, ss, first, span);
            if (fresh == null && (first = SuperSlab.FindFreeRun(ss->FreeMask, span)) >= 0)
            {
                fresh = ss;
                freshFirst = first;
            }
        }
        return fresh == null ? null : CarveLocked(tc, cc, c, fresh, freshFirst, span);
    }

    private Slab* CarveLocked(ThreadCache* tc, ClassCache* cc, int c, SuperSlab* ss, int first, int span)
    {
        if (ss->FreeMask == Layout.AllSlabsFree)
        {
            _emptySuperSlabs--;
            ss->Resting = 0;
        }
        Slab* s = InitSpan(ss, first, span, c, tc);
        LinkOwned(cc, s);
        cc->Current = s;
        return s;
    }

    private static Slab* InitSpan(SuperSlab* ss, int first, int span, int c, ThreadCache* owner)
    {
        Slab* slabs = SuperSlab.Slabs(ss);
        for (int k = first; k < first + span; k++)
        {
            slabs[k].HeadSlab = slabs + first;
            slabs[k].Class = (short)c;
            slabs[k].CacheOffset = ThreadCache.CacheOffset(c);
            ss->FreeMask &= ~(1u << k);
            ss->WrittenMask |= 1u << k;
        }
        Slab* s = slabs + first;
        uint bs = SizeClasses.BlockSize(c);
        s->Start = ss->Base + ((nuint)first << Layout.SlabShift);
        s->BlockSize = bs;
        (s->Inverse, s->Shift) = SizeClasses.BlockIndexer(bs);
        uint capacity = (uint)(((nuint)span << Layout.SlabShift) / bs);
        Volatile.Write(ref s->Capacity, capacity); // after the fields the block check reads with it (IsBlockOf)
        s->Carved = 0;
        s->Used = 0;
        s->FreeList = null;
        RemoteQueue.Reset(&s->RemoteHead); // keeps Listed: the record may still be on a list (of the thread that freed the span)
        s->Span = (byte)span;
        s->Owner = owner;
        s->Next = s->Prev = null;
        for (int k = first + 1; k < first + span; k++) // the replicas the free path reads
        {
            slabs[k].Start = s->Start;
            slabs[k].BlockSize = bs;
            slabs[k].Inverse = s->Inverse;
            slabs[k].Shift = s->Shift;
            Volatile.Write(ref slabs[k].Capacity, capacity);
            slabs[k].Owner = owner;
        }
        return s;
    }

    /// <summary>The owner of a span, in its head record and every replica.</summary>
    private static void SetOwner(Slab* s, ThreadCache* owner)
    {
        for (int k = 0; k < s->Span; k++) s[k].Owner = owner;
    }

    /// <summary>Give a span with no block out (Used == 0) back to its SuperSlab.</summary>
    private void FreeSpanLocked(Slab* s)
    {
        SuperSlab* ss = s->Super;
        Slab* slabs = SuperSlab.Slabs(ss);
        int first = s->Index;
        int span = s->Span;
        s->FreeList = null;
        s->Carved = 0;
        s->Span = 0;
        RemoteQueue.Reset(&s->RemoteHead); // no block is out: at most a request to hear when it empties, which no owner wants now
        for (int k = first; k < first + span; k++)
        {
            Volatile.Write(ref slabs[k].Capacity, 0); // a free slot holds no block: the free path's index check refuses it
            slabs[k].Owner = null;
            slabs[k].Class = -1;
            slabs[k].HeadSlab = slabs + k;
            ss->FreeMask |= 1u << k;
        }
        if (ss->FreeMask == Layout.AllSlabsFree) ReleaseEmptySuperSlabLocked(ss);
    }

    private void AbandonLocked(Slab* s)
    {
        int c = s->Class;
        SetOwner(s, null);
        s->Prev = null;
        s->Next = (Slab*)_abandoned[c];
        if (s->Next != null) s->Next->Prev = s;
        _abandoned[c] = (nint)s;
    }

    private void UnlinkAbandonedLocked(Slab* s)
    {
        if (s->Prev != null) s->Prev->Next = s->Next;
        else _abandoned[s->Class] = (nint)s->Next;
        if (s->Next != null) s->Next->Prev = s->Prev;
        s->Next = s->Prev = null;
    }

    /// <summary>Reclaim the caches of ended threads, drain abandoned spans (the lock holder is their
    /// only consumer) and free the empty ones. Returns how many spans or caches it freed.</summary>
    private int CollectLocked()
    {
        int freed = ReclaimDeadThreadsLocked();
        if (Injected(SeedBug.LibcFallback)) return freed; // the canary's heap never takes abandoned spans back
        for (int c = 0; c < SizeClasses.Count; c++)
        {
            for (var s = (Slab*)_abandoned[c]; s != null;)
            {
                Slab* next = s->Next;
                if (RemoteQueue.HasBlocks(&s->RemoteHead)) Drain(null, s);
                if (s->Used == 0)
                {
                    UnlinkAbandonedLocked(s);
                    FreeSpanLocked(s);
                    freed++;
                }
                s = next;
            }
        }
        return freed;
    }

    // The owner's ring of spans of one class, through ClassCache.Current.
    private static void LinkOwned(ClassCache* cc, Slab* s)
    {
        Slab* cur = cc->Current;
        if (cur == null)
        {
            s->Next = s->Prev = s;
            cc->Current = s;
        }
        else
        {
            s->Prev = cur;
            s->Next = cur->Next;
            cur->Next->Prev = s;
            cur->Next = s;
        }
    }

    private static void UnlinkOwned(ClassCache* cc, Slab* s)
    {
        if (s->Next == s) cc->Current = null;
        else
        {
            s->Prev->Next = s->Next;
            s->Next->Prev = s->Prev;
            if (cc->Current == s) cc->Current = s->Next;
        }
        s->Next = s->Prev = null;
    }

    /// <summary>The span of a block known to be in this heap's SuperSlabs (it came from our lists).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Slab* SpanOfOwnBlock(void* p, string from)
    {
        SuperSlab* ss = _registry.Find((nuint)p & ~Layout.SuperSlabMask);
        if (ss == null) ss = FindUnregisteredSuperSlab(p);
        if (ss == null) GuardFail($"{from} entries lie in a SuperSlab of this heap", null, p, "registry miss");
        return SuperSlab.SpanOf(ss, p);
    }

    private Slab* OwnedSpanOf(ThreadCache* tc, int c, void* p, string from)
    {
        Slab* s = SpanOfOwnBlock(p, from);
        if (_guards)
        {
            GuardListNode(s, p, from);
            if (s->Owner != tc) GuardFail($"{from} holds only blocks of spans its thread owns", s, p, "span owned by another thread");
            if (s->Class != c) GuardFail($"{from} of class {c} holds only blocks of that class", s, p, $"span class {s->Class}");
        }
        return s;
    }

    private SuperSlab* MapSuperSlabLocked()
    {
        // Under the cap the large-block cache gives its mappings back first.
        if (!_budget.TryReserve((long)Layout.SuperSlabSize) && !(_large.TrimAll() && _budget.TryReserve((long)Layout.SuperSlabSize)))
        {
            _budget.Refused();
            return null;
        }
        bool hidden = HideFromRegistryLocked();
        byte* region = hidden ? (byte*)Os.MapAligned(Layout.SuperSlabSize, Layout.SuperSlabSize) : MapRegisterableRegionLocked();
        if (region != null && (nuint)region >> RemoteQueue.AddressBits != 0) // the remote queues count in the top bits
        {
            Os.Unmap(region, Layout.SuperSlabSize);
            region = null;
        }
        nuint metaBytes = SuperSlab.MetaBytes + (_guards ? SuperSlab.LiveBitsBytes : 0);
        var ss = region == null ? null : (SuperSlab*)Os.Map(metaBytes);
        if (ss == null)
        {
            if (region != null) Os.Unmap(region, Layout.SuperSlabSize);
            _budget.Release((long)Layout.SuperSlabSize);
            _budget.Refused();
            return null;
        }
        ss->Magic = SuperSlab.MagicValue;
        ss->Base = region;
        ss->HeapId = _id;
        ss->FreeMask = Layout.AllSlabsFree;
        _emptySuperSlabs++;
        ss->LiveBits = _guards ? (ulong*)((byte*)ss + SuperSlab.MetaBytes) : null;
        SuperSlab.InitSlabs(ss, hidden ? SuperSlab.OwnSlabs(ss) : _registry.Claim((nuint)region));
        if (!hidden) _registry.Publish((nuint)region);
        ss->Next = _superSlabs;
        if (_superSlabs != null) _superSlabs->Prev = ss;
        _superSlabs = ss;
        _superSlabPeak = Math.Max(_superSlabPeak, ++_superSlabCount);
        return ss;
    }

    /// <summary>How many regions in a row may land on taken registry groups before the heap gives up.</summary>
    private const int MaxRegionRetries = 16;

    /// <summary>A 2 MiB region whose registry group is free. The OS places a new mapping next to the last
    /// ones, so a taken group means this heap's SuperSlabs already spread over more than the registry's
    /// window (32 GiB): such regions are held while the next one is mapped, then given back.</summary>
    private byte* MapRegisterableRegionLocked()
    {
        List<nint>? held = null;
        byte* region;
        while ((region = (byte*)Os.MapAligned(Layout.SuperSlabSize, Layout.SuperSlabSize)) != null && !_registry.IsFree((nuint)region))
        {
            (held ??= []).Add((nint)region);
            if (held.Count > MaxRegionRetries)
            {
                region = null;
                break;
            }
        }
        if (held != null)
            foreach (nint r in held) Os.Unmap((void*)r, Layout.SuperSlabSize);
        return region;
    }

    /// <summary>Up to this many empty SuperSlabs stay mapped (resting once no thread holds a cache).</summary>
    private const int MaxEmptySuperSlabs = 8;

    /// <summary>Keep empty SuperSlabs, so that a heap that frees a burst and allocates it again neither maps and
    /// unmaps 2 MiB at a time nor faults the pages in again (a thread freeing 1000 blocks of 16 KiB and allocating them
    /// back; every larson hand-off; a workload after its warm-up; the next generation of threads): up to
    /// <see cref="MaxEmptySuperSlabs"/>, unmapping any other. While threads hold caches they keep their pages; once none
    /// does, they rest (see <see cref="RestEmptySuperSlabsLocked"/>).</summary>
    private void ReleaseEmptySuperSlabLocked(SuperSlab* ss)
    {
        if (++_emptySuperSlabs > MaxEmptySuperSlabs) UnmapSuperSlabLocked(ss);
        else if (_activeCaches.Count == 0) RestLocked(ss);
    }

    /// <summary>The last thread cache was released: nobody is about to reuse the empty SuperSlabs soon, so their pages
    /// are given up (MADV_FREE: the kernel takes them when it needs memory, which then no longer counts as the heap's),
    /// while the mappings stay for the next threads, which write them again without a fault as long as the kernel
    /// has not taken them (rptest's rounds, a worker pool started again). <see cref="Trim"/> unmaps them.</summary>
    private void RestEmptySuperSlabsLocked()
    {
        for (SuperSlab* ss = _superSlabs; ss != null; ss = ss->Next)
            if (ss->FreeMask == Layout.AllSlabsFree) RestLocked(ss);
    }

    private void RestLocked(SuperSlab* ss)
    {
        if (ss->Resting != 0) return;
        Os.Rest(ss->Base, Layout.SuperSlabSize);
        ss->Resting = 1;
    }

    /// <summary>The memory cap refused a mapping: take back the spans of ended threads and the abandoned
    /// spans that emptied, and give every empty SuperSlab back to the OS, before the caller tries again.</summary>
    private void ReleaseUnusedLocked()
    {
        CollectLocked();
        for (SuperSlab* ss = _superSlabs; ss != null && _emptySuperSlabs > 0;)
        {
            SuperSlab* next = ss->Next;
            if (ss->FreeMask == Layout.AllSlabsFree) UnmapSuperSlabLocked(ss);
            ss = next;
        }
    }

    private void UnmapSuperSlabLocked(SuperSlab* ss)
    {
        if (ss->Prev != null) ss->Prev->Next = ss->Next;
        else _superSlabs = ss->Next;
        if (ss->Next != null) ss->Next->Prev = ss->Prev;
        if (ss->FreeMask == Layout.AllSlabsFree) _emptySuperSlabs--;
        _registry.Remove((nuint)ss->Base);
        Os.Unmap(ss->Base, Layout.SuperSlabSize);
        ss->Magic = 0;
        Os.Unmap(ss, SuperSlab.MetaBytes + (_guards ? SuperSlab.LiveBitsBytes : 0));
        _budget.Release((long)Layout.SuperSlabSize);
        _superSlabCount--;
    }

    private void DisposeSpansLocked()
    {
        while (_superSlabs != null) UnmapSuperSlabLocked(_superSlabs);
        Array.Clear(_abandoned);
    }
}
