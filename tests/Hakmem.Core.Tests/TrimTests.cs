namespace Hakmem.Tests;

/// <summary>Trim gives back what no live block needs, and nothing a live block does.</summary>
public unsafe class TrimTests
{
    [Fact]
    public void Trim_gives_back_the_empty_SuperSlabs_and_cached_large_blocks_a_thread_keeps_for_reuse()
    {
        using var heap = new HakmemHeap();
        var t = heap.ForThisThread();
        var blocks = new List<nint>();
        for (int i = 0; i < 2000; i++) blocks.Add((nint)t.Alloc(16 * 1024)); // about 32 MiB of mid blocks
        void* big = t.Alloc(4u << 20);
        void* keep = t.Alloc(100);
        foreach (var p in blocks) t.Free((void*)p);
        t.Free(big);
        long kept = heap.Stats().MappedBytes;
        Assert.True(kept > 8L << 20, $"{kept} bytes mapped: the empty SuperSlabs and the large block are kept while the thread's cache is in use");

        heap.Trim();
        long trimmed = heap.Stats().MappedBytes;
        Assert.True(trimmed <= 4L << 20, $"{trimmed} bytes still mapped after Trim");
        Assert.Equal(0, heap.Stats().LargeCachedBlocks);
        // The live block is untouched and still freeable.
        *(long*)keep = 42;
        Assert.Equal(42, *(long*)keep);
        t.Free(keep);
        t.Release();
        Assert.Equal(0, heap.Audit().LiveBlocks);
    }
}
