namespace Hakmem;

/// <summary>The live heaps of the process, consulted only to word an error: "this pointer belongs to
/// heap 3" says more than "foreign pointer". Never on an allocation or free path that succeeds.</summary>
internal static unsafe class HeapDirectory
{
    private static readonly Lock s_lock = new();
    private static readonly List<WeakReference<HakmemHeap>> s_heaps = [];

    public static void Add(HakmemHeap heap)
    {
        lock (s_lock)
        {
            s_heaps.RemoveAll(w => !w.TryGetTarget(out _));
            s_heaps.Add(new WeakReference<HakmemHeap>(heap));
        }
    }

    public static void Remove(HakmemHeap heap)
    {
        lock (s_lock) s_heaps.RemoveAll(w => !w.TryGetTarget(out var h) || h == heap);
    }

    /// <summary>Id of another live heap whose memory holds <paramref name="p"/>, or 0.</summary>
    public static long OwnerOf(void* p, HakmemHeap except)
    {
        HakmemHeap[] heaps;
        lock (s_lock)
        {
            heaps = s_heaps.Select(w => w.TryGetTarget(out var h) ? h : null).OfType<HakmemHeap>().ToArray();
        }
        foreach (var h in heaps)
            if (h != except && h.Contains(p)) return h.Id;
        return 0;
    }
}
