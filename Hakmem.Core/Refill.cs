namespace Hakmem;

/// <summary>Refill: the tiers are empty, take blocks from a span the thread owns. With P0 batch refill
/// a whole batch is cut from the span's free list or carved in one go and spliced into the cache with
/// one counter update; without it blocks move one at a time. Either way the blocks go to the tier
/// <see cref="TierOrder.RefillTarget"/> names; with every tier off, each allocation takes its block
/// straight from the span.</summary>
public sealed unsafe partial class HakmemHeap
{
    private void* Refill(ThreadCache* tc, ClassCache* cc, int c)
    {
        Slab* s = SpanWithBlocks(tc, cc, c);
        if (s == null) return null;
        tc->Counters.Refills++;
        int room = cc->ChainCap != 0 ? cc->ChainRoom : cc->FastCap - cc->FastCount;
        int want = Math.Min(cc->Batch, room + 1); // +1: the block returned to the caller
        if (want <= 1) return TakeOne(s);
        if (!_p0) return RefillSingles(tc, cc, s, want);
        if (s->FreeList != null && cc->ChainCap != 0 && !_guards && s->Carved - s->Used - 1 < (uint)room + 1) return TakeFreeList(tc, cc, s);
        return RefillBatch(tc, cc, s, want);
    }

    /// <summary>P0 into the chain (empty: a refill comes only when every tier is), and the span's whole free list
    /// fits in it: the list becomes the chain as it is, its length known without a walk (Used counts every
    /// carved block not on the free list; a count of 0 with a list, or a Used past Carved, never takes this path). No block is read before the allocation that uses it, so the blocks a
    /// remote drain just put there, last written by another core, are fetched once, by the thread's own use of
    /// them, rather than first by a walk that waits on each in turn.</summary>
    private void* TakeFreeList(ThreadCache* tc, ClassCache* cc, Slab* s)
    {
        uint n = s->Carved - s->Used;
        void* head = s->FreeList;
        s->FreeList = null;
        s->Used += n;
        if (_inject != SeedBug.None) AfterBatchRefill(s, n);
        cc->Chain = *(void**)head;
        cc->ChainRoom -= (int)n - 1;
        if (Trace.On) Traced(tc, Route.RefillBatch, s->Class, s->Start, n - 1);
        return head;
    }

    /// <summary>One block from the span: pop its free list, else carve the next one.</summary>
    private void* TakeOne(Slab* s)
    {
        void* p = s->FreeList;
        if (p != null)
        {
            if (_guards) GuardListNode(s, p, "span free list");
            s->FreeList = *(void**)p;
        }
        else
        {
            p = s->Start + (nuint)s->Carved * s->BlockSize;
            s->Carved++;
        }
        s->Used++;
        if (_guards && (s->Used > s->Capacity || s->Carved > s->Capacity))
            GuardFail("Used <= Capacity and Carved <= Capacity", s, p, $"Used={s->Used}, Carved={s->Carved}, Capacity={s->Capacity}");
        return p;
    }

    private void* RefillSingles(ThreadCache* tc, ClassCache* cc, Slab* s, int want)
    {
        void* first = TakeOne(s);
        int moved = 0;
        for (int i = 1; i < want && s->HasLocalBlocks; i++, moved++) PushToRefillTarget(cc, TakeOne(s));
        if (Trace.On) Traced(tc, Route.RefillSingle, s->Class, s->Start, moved);
        return first;
    }

    private static void PushToRefillTarget(ClassCache* cc, void* p)
    {
        if (cc->ChainCap != 0)
        {
            *(void**)p = cc->Chain;
            cc->Chain = p;
            cc->ChainRoom--;
        }
        else cc->PushFast(p);
    }

    /// <summary>P0: cut up to <paramref name="want"/> blocks off the free list, or carve them as one
    /// linked run; account for them once; splice the run behind the first block into the cache.</summary>
    private void* RefillBatch(ThreadCache* tc, ClassCache* cc, Slab* s, int want)
    {
        void* head;
        void* tail;
        uint n;
        if (s->FreeList != null)
        {
            head = tail = s->FreeList;
            n = 1;
            if (_guards) GuardListNode(s, head, "span free list");
            while (n < want && *(void**)tail != null)
            {
                tail = *(void**)tail;
                if (_guards) GuardListNode(s, tail, "span free list");
                n++;
            }
            s->FreeList = *(void**)tail;
        }
        else
        {
            n = Math.Min((uint)want, s->Capacity - s->Carved);
            uint bs = s->BlockSize;
            byte* b = s->Start + (nuint)s->Carved * bs;
            head = b;
            for (uint i = 1; i < n; i++, b += bs) *(void**)b = b + bs;
            tail = b;
            s->Carved += n;
        }
        s->Used += n;
        if (_inject != SeedBug.None) AfterBatchRefill(s, n);
        if (_guards && (s->Used > s->Capacity || s->Carved > s->Capacity))
            GuardFail("Used <= Capacity and Carved <= Capacity after a batch", s, head, $"Used={s->Used}, Carved={s->Carved}, Capacity={s->Capacity}, batch={n}");
        if (n > 1) SpliceToRefillTarget(cc, *(void**)head, tail, (int)n - 1);
        if (Trace.On) Traced(tc, Route.RefillBatch, s->Class, s->Start, n - 1);
        return head;
    }

    private static void SpliceToRefillTarget(ClassCache* cc, void* head, void* tail, int n)
    {
        if (cc->ChainCap != 0)
        {
            *(void**)tail = cc->Chain;
            cc->Chain = head;
            cc->ChainRoom -= n;
        }
        else
        {
            void* p = head;
            for (int i = 1; i < n; i++, p = *(void**)p) cc->PushFast(p);
            cc->PushFast(p);
        }
    }
}
