using System.Runtime.CompilerServices;

namespace Hakmem;

/// <summary>The per-span remote free queue: a Treiber stack with many producers (any thread that
/// frees a block it does not own) and one consumer (the owner, or the heap lock holder for an
/// abandoned span), which only ever takes the whole stack at once. Taking everything with one
/// exchange means there is no pop of a single node, hence no ABA problem. The head word keeps the
/// stack's length in bits 48-61 (blocks lie below 2^48: the heap maps no SuperSlab above), so the
/// consumer takes the blocks and their count at once, without walking a list whose every node was
/// last written by another core. A span holds at most 4096 blocks (16-byte blocks in one 64 KiB slab), far
/// below the count's 16383.
///
/// The top two bits tell when a span the owner used up comes back whole: the owner sets <see cref="WantEmptied"/>
/// on a span with no block left to give and an empty queue (every block is out); the free whose push
/// brings the count to the span's capacity (every block is back, in the queue) turns it into <see cref="Listed"/>
/// and puts the span on the owner's list of emptied spans (HakmemHeap.NoteEmptied). Listed stays until the
/// owner takes the span off that list, so a span is never on it twice.</summary>
internal static unsafe class RemoteQueue
{
    public const int AddressBits = 48;
    private const ulong AddressMask = (1UL << AddressBits) - 1;
    private const ulong CountMask = (1UL << 14) - 1;
    public const ulong WantEmptied = 1UL << 62;
    public const ulong Listed = 1UL << 63;

    /// <summary>Pushes the block; returns the head word before the push (its flags, its count, and whether the
    /// queue was empty: the first remote free since the last drain).</summary>
    public static ulong Push(void** head, void* block)
    {
        nint* h = (nint*)head;
        nint old = Volatile.Read(ref *h);
        while (true)
        {
            *(ulong*)block = (ulong)old & AddressMask;
            nint next = (nint)(((ulong)old & ~AddressMask) + (1UL << AddressBits) | (ulong)block);
            nint seen = Interlocked.CompareExchange(ref *h, next, old);
            if (seen == old) return (ulong)old;
            old = seen;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsEmpty(ulong word) => (word & AddressMask) == 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Count(ulong word) => (uint)((word >> AddressBits) & CountMask);

    /// <summary>Whether blocks wait in the queue (its flags aside).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool HasBlocks(void** head) => ((ulong)Volatile.Read(ref *(nint*)head) & AddressMask) != 0;

    /// <summary>Takes the whole stack: its first block (null when empty) and how many blocks it holds. Clears
    /// <see cref="WantEmptied"/> (the span has blocks to give again, or its owner is looking at it), keeps <see cref="Listed"/>.
    /// The usual word holds no flag: one exchange then, since neither flag can appear meanwhile (only the consumer
    /// sets WantEmptied, and Listed only ever replaces it).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void* TakeAll(void** head, out uint count)
    {
        long* h = (long*)head;
        ulong word = ((ulong)Volatile.Read(ref *h) & (WantEmptied | Listed)) == 0
            ? (ulong)Interlocked.Exchange(ref *h, 0)
            : (ulong)Interlocked.And(ref *h, unchecked((long)Listed));
        count = Count(word);
        return (void*)(word & AddressMask);
    }

    /// <summary>The owner, on a span with no block left to give: ask to hear when every block is back. Only
    /// from an empty queue with no flag (a span still listed is on its way already).</summary>
    public static void WantWhenEmptied(void** head)
    {
        long* h = (long*)head;
        if (Volatile.Read(ref *h) == 0) Interlocked.CompareExchange(ref *h, (long)WantEmptied, 0);
    }

    /// <summary>The free that brought the count to the span's capacity: turn the owner's request into
    /// <see cref="Listed"/>. False when the owner took the queue first (then it has the blocks already).</summary>
    public static bool TryList(void** head)
    {
        long* h = (long*)head;
        long old = Volatile.Read(ref *h);
        while (((ulong)old & WantEmptied) != 0)
        {
            long seen = Interlocked.CompareExchange(ref *h, (long)(((ulong)old & ~WantEmptied) | Listed), old);
            if (seen == old) return true;
            old = seen;
        }
        return false;
    }

    /// <summary>A new span in the record: no block, no request; Listed stays until the list holding the record lets it go.</summary>
    public static void Reset(void** head) => Interlocked.And(ref *(long*)head, unchecked((long)Listed));

    /// <summary>The span is off the owner's list of emptied spans.</summary>
    public static void Unlist(void** head) => Interlocked.And(ref *(long*)head, unchecked((long)~Listed));

    /// <summary>Whether the span is on a list of emptied spans (its owner's, or one a stale owner was read for).</summary>
    public static bool IsListed(void** head) => ((ulong)Volatile.Read(ref *(nint*)head) & Listed) != 0;

    /// <summary>The first block and the count, from one read of the head: for a walk by the owner (a double-free search)
    /// or the audit (which holds the count against the walk).</summary>
    public static void* Peek(void** head, out uint count)
    {
        ulong word = (ulong)Volatile.Read(ref *(nint*)head);
        count = Count(word);
        return (void*)(word & AddressMask);
    }
}
