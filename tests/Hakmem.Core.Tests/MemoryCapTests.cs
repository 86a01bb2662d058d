using Hakmem;

namespace Hakmem.Tests;

public unsafe class MemoryCapTests
{
    [Fact]
    public void Past_the_cap_Alloc_returns_null_counts_the_refusal_and_loses_nothing()
    {
        const long cap = 8L << 20;
        using var heap = new HakmemHeap(new HakmemOptions { MaxMemoryBytes = cap });
        var blocks = new List<nint>();
        while (true)
        {
            void* p = heap.Alloc(512);
            if (p == null) break;
            *(long*)p = blocks.Count;
            blocks.Add((nint)p);
            Assert.True(blocks.Count < 1_000_000, "the cap was never enforced");
        }
        Assert.True(heap.Alloc(1 << 20) == null);
        var stats = heap.Stats();
        Assert.True(stats.OutOfMemoryRefusals >= 2);
        Assert.True(stats.PeakMappedBytes <= cap);
        Assert.True(blocks.Count * 512L > cap / 2, "most of the cap should be usable");
        for (int i = 0; i < blocks.Count; i++) Assert.Equal(i, *(long*)blocks[i]);
        Assert.Equal(blocks.Count, heap.Audit().LiveBlocks);
        foreach (var p in blocks) heap.Free((void*)p);
        Assert.True(heap.Audit().IsClean);
        void* again = heap.Alloc(512);
        Assert.True(again != null);
        heap.Free(again);
    }

    [Fact]
    public void A_large_block_under_the_cap_is_served_from_memory_held_by_empty_SuperSlabs()
    {
        // 6000 blocks of 1 KiB fill three SuperSlabs. Freed, the first keeps the blocks the thread's cache
        // holds, the last the span refills come from, and the middle one is empty, kept mapped for reuse
        // while this thread has a cache: a 3 MiB block needs its memory under an 8 MiB cap.
        using var heap = new HakmemHeap(new HakmemOptions { MaxMemoryBytes = 8L << 20 });
        var blocks = Enumerable.Range(0, 6000).Select(_ => (nint)heap.Alloc(1024)).ToList();
        Assert.All(blocks, p => Assert.NotEqual(0, p));
        foreach (var p in blocks) heap.Free((void*)p);
        Assert.Equal(6L << 20, heap.Stats().MappedBytes);
        void* big = heap.Alloc(3 << 20);
        Assert.True(big != null, "refused while empty SuperSlabs held the memory");
        heap.Free(big);
        Assert.True(heap.Audit().IsClean);
    }

    [Fact]
    public void A_large_block_under_the_cap_is_served_after_collecting_abandoned_spans_that_emptied()
    {
        // A thread leaves its spans abandoned with every block live; the main thread frees the blocks
        // (onto the abandoned spans' remote queues). Only collecting them makes the memory free again.
        using var heap = new HakmemHeap(new HakmemOptions { MaxMemoryBytes = 8L << 20 });
        var blocks = new List<nint>();
        var t = new Thread(() =>
        {
            for (int i = 0; i < 4096; i++) blocks.Add((nint)heap.Alloc(1024));
            heap.ReleaseThreadCache();
        });
        t.Start();
        t.Join();
        _ = heap.Alloc(16); // the main thread has a cache: empty SuperSlabs are kept, not trimmed
        foreach (var p in blocks) heap.Free((void*)p);
        Assert.Equal(6L << 20, heap.Stats().MappedBytes);
        void* big = heap.Alloc(5 << 20);
        Assert.True(big != null, "refused while abandoned spans held the memory");
        heap.Free(big);
    }
}
