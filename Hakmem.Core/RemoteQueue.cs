using System.Runtime.CompilerServices;

namespace Hakmem;

/// <summary>The per-span remote free queue: a Treiber stack with many producers (any thread that
/// frees a block it does not own) and one consumer (the owner, or the heap lock holder for an
/// abandoned span), which only ever takes the whole stack at once. Taking everything with one
/// exchange means there is no pop of a single node, hence no ABA problem.</summary>
internal static unsafe class RemoteQueue
{
    /// <summary>Pushes the block; true when the queue was empty (the first remote free since the last drain).</summary>
    public static bool Push(void** head, void* block)
    {
        nint* h = (nint*)head;
        nint old = Volatile.Read(ref *h);
        while (true)
        {
            *(nint*)block = old;
            nint seen = Interlocked.CompareExchange(ref *h, (nint)block, old);
            if (seen == old) return old == 0;
            old = seen;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void* TakeAll(void** head) => (void*)Interlocked.Exchange(ref *(nint*)head, 0);
}
