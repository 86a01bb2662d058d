using Hakmem;

namespace Hakmem.Tests;

public unsafe class HeapBasicsTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(100)]
    [InlineData(1024)]
    [InlineData(1025)]
    [InlineData(30000)]
    [InlineData(65536)]
    [InlineData(65537)]
    [InlineData(1 << 20)]
    public void Alloc_gives_a_writable_block_of_at_least_the_size_and_free_leaves_nothing_live(int size)
    {
        using var heap = new HakmemHeap();
        var ptrs = new List<nint>();
        for (int i = 0; i < 100; i++)
        {
            byte* p = (byte*)heap.Alloc((nuint)size);
            Assert.True(p != null);
            Assert.Equal(0, (long)p % 16);
            Assert.True(heap.UsableSize(p) >= (nuint)size);
            new Span<byte>(p, size).Fill((byte)i);
            ptrs.Add((nint)p);
        }
        Assert.Equal(ptrs.Count, ptrs.Distinct().Count());
        for (int i = 0; i < ptrs.Count; i++)
        {
            Assert.True(new Span<byte>((void*)ptrs[i], size).IndexOfAnyExcept((byte)i) < 0);
            heap.Free((void*)ptrs[i]);
        }
        var audit = heap.Audit();
        Assert.Empty(audit.Violations);
        Assert.Equal(0, audit.LiveBlocks);
    }

    [Fact]
    public void Live_blocks_are_counted_by_the_audit_as_leaks()
    {
        using var heap = new HakmemHeap();
        void* a = heap.Alloc(24);
        void* b = heap.Alloc(5000);
        void* c = heap.Alloc(200_000);
        var audit = heap.Audit();
        Assert.Empty(audit.Violations);
        Assert.Equal(3, audit.LiveBlocks);
        Assert.Contains(audit.Classes, k => k.BlockSize == 32 && k.LiveBlocks == 1);
        Assert.Contains(audit.Classes, k => k.BlockSize == 5120 && k.LiveBlocks == 1);
        Assert.Equal(1, audit.LargeBlocks);
        heap.Free(a);
        heap.Free(b);
        heap.Free(c);
        Assert.Equal(0, heap.Audit().LiveBlocks);
    }
}
