using Hakmem;

namespace Hakmem.Tests;

/// <summary>A mid class's tiers take only the owner's frees of blocks of the class's current span; a block of any
/// other span goes back to that span, so a span whose blocks the owner frees empties, and goes back to its SuperSlab
/// for other classes when its own class does not use it again within a round. Tiny classes cache any block.</summary>
public unsafe class CurrentSpanTests
{
    private static nint SlotOf(nint p) => p & ~(nint)0xFFFF;

    /// <summary>Fills one span of <paramref name="size"/> and takes a block of a second, so that the first is no longer
    /// its class's current span; returns the first span's blocks and the other one.</summary>
    private static (List<nint> First, nint More) UsedUpSpan(HakmemThread t, int size, int perSpan)
    {
        var first = Enumerable.Range(0, perSpan).Select(_ => (nint)t.Alloc((nuint)size)).ToList();
        var more = (nint)t.Alloc((nuint)size);
        Assert.All(first, p => Assert.Equal(SlotOf(first[0]), SlotOf(p)));
        Assert.NotEqual(SlotOf(first[0]), SlotOf(more));
        return (first, more);
    }

    [Theory]
    [InlineData(64, false, false)] // fast tier and TLS SLL
    [InlineData(64, true, false)]  // fast tier and TLS List
    [InlineData(0, false, true)]   // TLS SLL alone
    [InlineData(0, false, false)]  // straight from the span (as before: a free past every tier goes to its span)
    public void A_mid_span_the_owner_emptied_goes_back_when_the_owner_needs_spans_and_its_class_did_not_take_it_again(int fastCap, bool tlsList, bool sllAlone)
    {
        using var heap = new HakmemHeap(new HakmemOptions { FastCap = fastCap, TlsSll = sllAlone || fastCap != 0 && !tlsList, TlsList = tlsList });
        var owner = heap.ForThisThread();
        var (first, more) = UsedUpSpan(owner, 8192, 8); // 8 blocks of 8 KiB per 64 KiB span
        nint slot = SlotOf(first[0]);
        foreach (nint p in first) owner.Free((void*)p); // not the current span: to the span, not the tiers

        var other = (nint)owner.Alloc(10240); // a new span for another class: the emptied span ages a round
        Assert.NotEqual(slot, SlotOf(other));
        var third = (nint)owner.Alloc(12288); // the next new span: the emptied one went back first, and is carved again

        Assert.Equal(slot, SlotOf(third));
        Assert.True(heap.Stats().EmptiedSpansReturned >= 1);
        owner.Free((void*)other);
        owner.Free((void*)third);
        owner.Free((void*)more);
        owner.Release();
        Assert.True(heap.Audit().IsClean);
    }

    [Fact]
    public void A_mid_span_the_owner_emptied_serves_its_own_class_first()
    {
        using var heap = new HakmemHeap();
        var owner = heap.ForThisThread();
        var (first, more) = UsedUpSpan(owner, 8192, 8);
        nint slot = SlotOf(first[0]);
        foreach (nint p in first) owner.Free((void*)p);

        // The current span runs out: the ring comes round to the emptied span, and no span is carved for it.
        long superSlabs = heap.Stats().SuperSlabs;
        var again = Enumerable.Range(0, 15).Select(_ => (nint)owner.Alloc(8192)).ToList();

        Assert.Equal(8, again.Count(p => SlotOf(p) == slot));
        Assert.Equal(superSlabs, heap.Stats().SuperSlabs);
        foreach (nint p in again) owner.Free((void*)p);
        owner.Free((void*)more);
        owner.Release();
        Assert.True(heap.Audit().IsClean);
    }

    [Fact]
    public void Blocks_the_owner_freed_into_a_span_past_the_bounded_scan_serve_before_a_new_span()
    {
        // Every tier off: each allocation comes straight from a span, carved in order, so span k holds blocks [8k, 8k + 8).
        using var heap = new HakmemHeap(new HakmemOptions { FastCap = 0, TlsSll = false, TlsList = false });
        var owner = heap.ForThisThread();
        const int PerSpan = 8, Spans = 24;
        var blocks = Enumerable.Range(0, Spans * PerSpan).Select(_ => (nint)owner.Alloc(8192)).ToList();
        // The ring from the current (last carved) span runs first, second, ...: the bounded scan sees 16 spans, the
        // twentieth lies beyond it. Half its blocks freed: not emptied (nothing lists it), only usable again.
        var far = blocks.Skip(19 * PerSpan).Take(PerSpan / 2).ToHashSet();
        foreach (nint p in far) owner.Free((void*)p);
        long superSlabs = heap.Stats().SuperSlabs;

        var next = (nint)owner.Alloc(8192);

        Assert.Contains(next, far);
        Assert.Equal(superSlabs, heap.Stats().SuperSlabs);
        owner.Free((void*)next);
        foreach (nint p in blocks)
            if (!far.Contains(p)) owner.Free((void*)p);
        owner.Release();
        Assert.True(heap.Audit().IsClean);
    }

    [Fact]
    public void A_block_freed_again_after_its_span_went_back_and_was_carved_again_is_a_double_free()
    {
        using var heap = new HakmemHeap();
        var owner = heap.ForThisThread();
        var (first, more) = UsedUpSpan(owner, 8192, 8);
        foreach (nint p in first) owner.Free((void*)p); // the span empties (listed)
        heap.Trim(); // ... and goes back to its SuperSlab
        // The class's next new span takes the slot written before, and carves a batch of its blocks.
        var again = Enumerable.Range(0, 8).Select(_ => (nint)owner.Alloc(8192)).ToList();
        Assert.Contains(again, p => SlotOf(p) == SlotOf(first[0]));
        nint stale = first[^1]; // the span's last block, not carved again yet (a refill carves a few): its old free tag is still there
        Assert.DoesNotContain(stale, again);

        var e = Assert.Throws<HeapCorruptionException>(() => owner.Free((void*)stale));

        Assert.Contains("double free", e.Message);
        foreach (nint p in again) owner.Free((void*)p);
        owner.Free((void*)more);
        owner.Release();
        Assert.True(heap.Audit().IsClean);
    }

    [Fact]
    public void A_tiny_span_the_owner_emptied_stays_with_its_class_while_its_blocks_are_cached()
    {
        // The other side of the rule: a tiny class's tiers take any block (1024-byte blocks: the fast tier takes 64,
        // the TLS SLL 256), so the span never empties and its slot is not carved for another class.
        using var heap = new HakmemHeap(new HakmemOptions { FastCap = 64, TlsSll = true, TlsList = false });
        var owner = heap.ForThisThread();
        var (first, more) = UsedUpSpan(owner, 1024, 64);
        nint slot = SlotOf(first[0]);
        foreach (nint p in first) owner.Free((void*)p);

        var other = (nint)owner.Alloc(10240);
        var third = (nint)owner.Alloc(12288);

        Assert.NotEqual(slot, SlotOf(other));
        Assert.NotEqual(slot, SlotOf(third));
        owner.Free((void*)other);
        owner.Free((void*)third);
        owner.Free((void*)more);
        owner.Release();
        Assert.True(heap.Audit().IsClean);
    }

    [Fact]
    public void Trim_gives_back_the_spans_the_calling_thread_emptied_without_waiting_a_round()
    {
        using var heap = new HakmemHeap();
        var owner = heap.ForThisThread();
        var blocks = Enumerable.Range(0, 2000).Select(_ => (nint)owner.Alloc(8192)).ToList(); // 250 spans, 8 SuperSlabs
        foreach (nint p in blocks) owner.Free((void*)p); // all but the current span listed, none given back yet
        Assert.True(heap.Stats().SuperSlabs >= 8);

        heap.Trim();

        Assert.True(heap.Stats().MappedBytes <= 2L << 20, $"{heap.Stats().MappedBytes} bytes still mapped after Trim: only the current span's SuperSlab stays");
        var p2 = (nint)owner.Alloc(8192);
        owner.Free((void*)p2);
        owner.Release();
        Assert.True(heap.Audit().IsClean);
    }
}
