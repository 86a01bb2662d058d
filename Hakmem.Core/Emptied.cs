namespace Hakmem;

/// <summary>Spans that other threads' frees emptied, given back when their class has not used them again. A thread
/// that hands a batch of one size to another (rptest) gets the blocks back in the remote queues of spans it used up,
/// and would only look at those spans again when it needs that class: meanwhile it takes new spans for other classes,
/// and the emptied ones hold memory nobody uses. As mimalloc's delayed free of full pages: the owner asks, on a span
/// it used up, to hear when every block is back (<see cref="RemoteQueue.WantEmptied"/>, no cost to a free that does not
/// complete the span); the free that completes it puts the span on the owner's list. Each time the owner runs short of
/// a span it looks at them: an emptied span of the class it needs becomes current, the others wait one round (on the
/// aged list, drained, still in their rings), and those still unused at the next round go back to their SuperSlab, where
/// the carve takes them. A class in steady use (threads freeing each other's blocks, mid_large_mt) takes its emptied
/// spans back within the round, as whole drained free lists; giving them back at the first shortage cost such a thread
/// 15% (each carved again, block by block) and its peak memory 18% (spans spread over more SuperSlabs).</summary>
public sealed unsafe partial class HakmemHeap
{
    /// <summary>The free that brought every block of span s back into its queue: onto its owner's list. The owner
    /// read here may be stale (the span abandoned since): a list the span does not belong to only unlists it.</summary>
    private static void NoteEmptied(Slab* s)
    {
        if (!RemoteQueue.TryList(&s->RemoteHead)) return;
        ThreadCache* owner = s->Owner;
        if (owner == null)
        {
            RemoteQueue.Unlist(&s->RemoteHead); // abandoned: the heap lock holder collects it
            return;
        }
        Slab** head = ThreadCache.Emptied(owner);
        var old = (Slab*)Volatile.Read(ref *(nint*)head);
        while (true)
        {
            s->EmptiedNext = old;
            Slab* seen = (Slab*)Interlocked.CompareExchange(ref *(nint*)head, (nint)s, (nint)old);
            if (seen == old) return;
            old = seen;
        }
    }

    /// <summary>The owner needs a span of class c and its ring has none with a block (heap lock held). First the
    /// aged spans, listed a round ago: those with no block out go back to their SuperSlab (the carve about to come
    /// takes memory already written), unless one is of class c. Then the newly listed ones are drained: one of class c
    /// with blocks becomes current; the others age. Each entry is a hint, checked again: the span may have been
    /// refilled from, or given back and carved again, since it was listed. Returns the span for class c, or null.</summary>
    private Slab* TakeEmptiedSpansLocked(ThreadCache* tc, ClassCache* want, int c)
    {
        Slab* found = null;
        // Drains an owned span; true when it is the one class c takes (the first of class c with a block).
        bool TakenForClass(Slab* s)
        {
            if (RemoteQueue.HasBlocks(&s->RemoteHead)) Drain(tc, s);
            if (s->Class != c || found != null || !s->HasLocalBlocks) return false;
            found = s;
            return true;
        }

        var s = *ThreadCache.Aged(tc);
        *ThreadCache.Aged(tc) = null;
        while (s != null)
        {
            Slab* next = s->EmptiedNext;
            RemoteQueue.Unlist(&s->RemoteHead);
            if (IsOwnedHead(tc, s) && !TakenForClass(s))
            {
                ClassCache* cc = ThreadCache.Classes(tc) + s->Class;
                if (s->Used == 0 && cc->Current != s)
                {
                    UnlinkOwned(cc, s);
                    FreeSpanLocked(s);
                    tc->Counters.EmptiedSpansReturned++;
                }
            }
            s = next;
        }
        s = (Slab*)Interlocked.Exchange(ref *(nint*)ThreadCache.Emptied(tc), 0);
        Slab* aged = null;
        while (s != null)
        {
            Slab* next = s->EmptiedNext;
            if (!IsOwnedHead(tc, s) || TakenForClass(s)) RemoteQueue.Unlist(&s->RemoteHead);
            else
            {
                s->EmptiedNext = aged; // stays Listed: no free lists it again while it ages
                aged = s;
            }
            s = next;
        }
        *ThreadCache.Aged(tc) = aged;
        if (found == null) return null;
        want->Current = found;
        tc->Counters.EmptiedSpansTaken++;
        return found;
    }

    private static bool IsOwnedHead(ThreadCache* tc, Slab* s) => s->Owner == tc && s->HeadSlab == s && s->Class >= 0;

    /// <summary>A cache released or taken from the pool: whatever is on its emptied and aged lists is unlisted (the
    /// spans are freed or abandoned by the release, or belong to others now).</summary>
    private static void UnlistEmptied(ThreadCache* tc)
    {
        UnlistAll((Slab*)Interlocked.Exchange(ref *(nint*)ThreadCache.Emptied(tc), 0));
        UnlistAll(*ThreadCache.Aged(tc));
        *ThreadCache.Aged(tc) = null;
    }

    private static void UnlistAll(Slab* s)
    {
        while (s != null)
        {
            Slab* next = s->EmptiedNext;
            RemoteQueue.Unlist(&s->RemoteHead);
            s = next;
        }
    }
}
