using System.Runtime.CompilerServices;

namespace Hakmem;

/// <summary>The per-span remote free queue: a Treiber stack with many producers (any thread that
/// frees a block it does not own) and one consumer (the owner, or the heap lock holder for an
/// abandoned span), which only ever takes the whole stack at once. Taking everything with one
/// exchange means there is no pop of a single node, hence no ABA problem. The head word keeps the
/// stack's length in its top 16 bits (blocks lie below 2^48: the heap maps no SuperSlab above), so the
/// consumer takes the blocks and their count at once, without walking a list whose every node was
/// last written by another core. A span holds at most 4096 blocks (16-byte blocks in one 64 KiB slab), far
/// below the count's 65535.</summary>
internal static unsafe class RemoteQueue
{
    public const int AddressBits = 48;
    private const ulong AddressMask = (1UL << AddressBits) - 1;

    /// <summary>Pushes the block; true when the queue was empty (the first remote free since the last drain).</summary>
    public static bool Push(void** head, void* block)
    {
        nint* h = (nint*)head;
        nint old = Volatile.Read(ref *h);
        while (true)
        {
            *(ulong*)block = (ulong)old & AddressMask;
            nint next = (nint)((ulong)block | (((ulong)old >> AddressBits) + 1) << AddressBits);
            nint seen = Interlocked.CompareExchange(ref *h, next, old);
            if (seen == old) return old == 0;
            old = seen;
        }
    }

    /// <summary>Takes the whole stack: its first block (null when empty) and how many blocks it holds.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void* TakeAll(void** head, out uint count)
    {
        ulong word = (ulong)Interlocked.Exchange(ref *(nint*)head, 0);
        count = (uint)(word >> AddressBits);
        return (void*)(word & AddressMask);
    }

    /// <summary>The first block and the count, from one read of the head: for a walk by the owner (a double-free search)
    /// or the audit (which holds the count against the walk).</summary>
    public static void* Peek(void** head, out uint count)
    {
        ulong word = (ulong)Volatile.Read(ref *(nint*)head);
        count = (uint)(word >> AddressBits);
        return (void*)(word & AddressMask);
    }
}
