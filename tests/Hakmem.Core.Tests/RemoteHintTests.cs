using Hakmem;

namespace Hakmem.Tests;

/// <summary>Blocks another thread freed go back to the spans of their owner, and the owner finds them before
/// it carves a new span, even past its bounded scan of the ring (a producer and its consumer, as xmalloc-test).</summary>
public unsafe class RemoteHintTests
{
    private const int BlockSize = 64, PerSpan = 65536 / BlockSize;

    [Fact]
    public void Blocks_freed_by_another_thread_into_a_span_past_the_bounded_scan_serve_before_a_new_span()
    {
        // Every tier off: each allocation comes straight from a span, carved in order, so span k holds
        // blocks [k * PerSpan, (k + 1) * PerSpan).
        using var heap = new HakmemHeap(new HakmemOptions { FastCap = 0, TlsSll = false, TlsList = false });
        var owner = heap.ForThisThread();
        const int Spans = 24;
        var blocks = new nint[Spans * PerSpan];
        for (int i = 0; i < blocks.Length; i++) blocks[i] = (nint)owner.Alloc(BlockSize);
        // The ring from the current (last carved) span runs first, second, ...: the bounded scan sees 16 spans,
        // the twentieth lies beyond it.
        var far = blocks.Skip(19 * PerSpan).Take(PerSpan).ToHashSet();
        RemoteFrees.OnAnotherThread(heap, far);
        long superSlabs = heap.Stats().SuperSlabs;

        var next = (nint)owner.Alloc(BlockSize);

        Assert.Contains(next, far);
        var stats = heap.Stats();
        Assert.Equal(PerSpan, stats.RemoteFrees);
        Assert.Equal(PerSpan, stats.DrainedBlocks);
        Assert.Equal(superSlabs, stats.SuperSlabs);
        owner.Free((void*)next);
        foreach (nint p in blocks)
            if (!far.Contains(p)) owner.Free((void*)p);
        owner.Release();
        Assert.True(heap.Audit().IsClean);
    }

    [Fact]
    public void Without_a_remote_free_the_owner_carves_past_its_bounded_scan()
    {
        // The other side of the hint: spans past the scan with nothing freed are not walked, a new span is carved.
        using var heap = new HakmemHeap(new HakmemOptions { FastCap = 0, TlsSll = false, TlsList = false });
        var owner = heap.ForThisThread();
        var blocks = new nint[24 * PerSpan];
        for (int i = 0; i < blocks.Length; i++) blocks[i] = (nint)owner.Alloc(BlockSize);

        var next = (nint)owner.Alloc(BlockSize);

        Assert.DoesNotContain(next, blocks);
        Assert.Equal(0, heap.Stats().DrainedBlocks);
        owner.Free((void*)next);
        foreach (nint p in blocks) owner.Free((void*)p);
        owner.Release();
        Assert.True(heap.Audit().IsClean);
    }

    [Theory]
    [InlineData(0, false)]  // straight from the span
    [InlineData(64, false)] // fast tier and TLS SLL
    [InlineData(64, true)]  // fast tier and TLS List
    public void A_span_used_up_and_then_emptied_by_another_thread_is_given_back_when_the_owner_needs_spans_and_its_class_did_not_take_it_again(int fastCap, bool tlsList)
    {
        using var heap = new HakmemHeap(new HakmemOptions { FastCap = fastCap, TlsSll = fastCap != 0 && !tlsList, TlsList = tlsList });
        var owner = heap.ForThisThread();
        // The first span of 64-byte blocks used up, then a block of the second: the first is no longer the class's current span.
        var first = Enumerable.Range(0, PerSpan).Select(_ => (nint)owner.Alloc(BlockSize)).ToList();
        var more = (nint)owner.Alloc(BlockSize);
        nint slot = first[0] & ~(nint)0xFFFF;
        Assert.All(first, p => Assert.Equal(slot, p & ~(nint)0xFFFF));
        Assert.NotEqual(slot, more & ~(nint)0xFFFF);
        RemoteFrees.OnAnotherThread(heap, first); // every block back, into the span's remote queue

        var other = (nint)owner.Alloc(256); // a new span for another class: the emptied span ages a round (its class may want it)
        Assert.NotEqual(slot, other & ~(nint)0xFFFF);
        var third = (nint)owner.Alloc(512); // the next new span: the emptied one was not used again, and goes back first

        Assert.Equal(slot, third & ~(nint)0xFFFF); // the emptied span's slot, written before, carved for the new class
        Assert.Equal(1, heap.Stats().PeakSuperSlabs);
        owner.Free((void*)third);
        owner.Free((void*)other);
        owner.Free((void*)more);
        owner.Release();
        Assert.True(heap.Audit().IsClean);
    }

    [Fact]
    public void A_span_another_thread_emptied_gives_its_slot_to_another_class_before_a_new_superslab_is_mapped()
    {
        using var heap = new HakmemHeap(new HakmemOptions { FastCap = 0, TlsSll = false, TlsList = false });
        var owner = heap.ForThisThread();
        // Two spans of 64-byte blocks (the second is the class's current one), then 30 spans of 128-byte blocks:
        // the SuperSlab's 32 slots are taken.
        var small = Enumerable.Range(0, 2 * PerSpan).Select(_ => (nint)owner.Alloc(BlockSize)).ToList();
        var big = Enumerable.Range(0, 30 * (65536 / 128)).Select(_ => (nint)owner.Alloc(128)).ToList();
        Assert.Equal(1, heap.Stats().SuperSlabs);
        RemoteFrees.OnAnotherThread(heap, small.Take(PerSpan)); // the first span, whole, into its remote queue

        var next = (nint)owner.Alloc(128);

        Assert.Equal(1, heap.Stats().PeakSuperSlabs);
        Assert.Contains(next & ~(nint)0xFFFF, small.Take(PerSpan).Select(p => p & ~(nint)0xFFFF)); // the emptied span's slot
        owner.Free((void*)next);
        foreach (nint p in small.Skip(PerSpan).Concat(big)) owner.Free((void*)p);
        owner.Release();
        Assert.True(heap.Audit().IsClean);
    }
}
