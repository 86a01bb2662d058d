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
}
