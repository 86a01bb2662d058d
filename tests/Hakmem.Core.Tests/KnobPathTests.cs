using Hakmem;

namespace Hakmem.Tests;

/// <summary>Each knob selects a different code path; these tests observe the difference in behaviour,
/// not in a label.</summary>
public unsafe class KnobPathTests
{
    [Fact]
    public void With_every_tier_off_each_allocation_refills_from_the_span()
    {
        using var heap = new HakmemHeap(new HakmemOptions { FastCap = 0, TlsSll = false, TlsList = false });
        var blocks = Enumerable.Range(0, 1000).Select(_ => (nint)heap.Alloc(64)).ToList();
        var stats = heap.Stats();
        Assert.Equal(1000, stats.Refills);
        foreach (var p in blocks) heap.Free((void*)p);
    }

    [Fact]
    public void With_a_cache_tier_refills_are_batched()
    {
        using var heap = new HakmemHeap(new HakmemOptions { FastCap = 0, TlsSll = true });
        var blocks = Enumerable.Range(0, 1000).Select(_ => (nint)heap.Alloc(64)).ToList();
        Assert.True(heap.Stats().Refills <= 1000 / 16);
        foreach (var p in blocks) heap.Free((void*)p);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void P0_splices_a_carved_run_in_address_order_while_single_refill_pushes_one_by_one(bool p0)
    {
        using var heap = new HakmemHeap(new HakmemOptions { FastCap = 0, TlsSll = true, P0BatchRefill = p0 });
        byte* a = (byte*)heap.Alloc(64);
        byte* b = (byte*)heap.Alloc(64);
        if (p0) Assert.Equal(64, b - a);           // the batch is one linked run: a, a+64, a+128 ...
        else Assert.True(b - a > 64);              // pushed one at a time: the last carved comes first
        heap.Free(a);
        heap.Free(b);
    }

    [Theory]
    [InlineData(64, true)]
    [InlineData(0, false)]
    public void The_fast_tier_keeps_freed_blocks_in_an_array_and_the_SLL_links_them(int fastCap, bool untouched)
    {
        using var heap = new HakmemHeap(new HakmemOptions { FastCap = fastCap, TlsSll = true });
        long* p = (long*)heap.Alloc(64);
        p[0] = 0x1234;
        heap.Free(p);
        // Reading a freed block is only done here to observe which tier took it.
        Assert.Equal(untouched, p[0] == 0x1234);
        Assert.True(heap.Alloc(64) == p);
        heap.Free(p);
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, false)]
    [InlineData(true, true)]
    [InlineData(false, true)] // the TLS List spills past its cap: a mid class without tiers must not take that path
    public void Without_the_mid_cache_a_mid_block_goes_back_to_its_span_and_an_emptied_span_serves_another_class_at_once(bool midCache, bool tlsList)
    {
        using var heap = new HakmemHeap(new HakmemOptions { MidCache = midCache, TlsList = tlsList });
        // A first span of 4 KiB blocks used up (16 blocks of 64 KiB), a second one current, then the first one's blocks freed.
        var first = Enumerable.Range(0, 16).Select(_ => (nint)heap.Alloc(4096)).ToList();
        byte* next = (byte*)heap.Alloc(4096);
        Assert.Equal(64 * 1024, next - (byte*)first[0]);
        foreach (var p in first) heap.Free((void*)p);
        // Without the cache the first span had every block back and went back to its SuperSlab: the 8 KiB span is
        // carved in its slot. With the cache its blocks wait in the thread's tiers and the span holds the slot.
        byte* larger = (byte*)heap.Alloc(8192);
        Assert.Equal(!midCache, larger == (byte*)first[0]);
        heap.Free(larger);
        heap.Free(next);

        // Each mid allocation is a refill of its own without the cache, a batch with it; tiny classes keep their tiers either way.
        long refills = heap.Stats().Refills;
        var mid = Enumerable.Range(0, 64).Select(_ => (nint)heap.Alloc(4096)).ToList();
        long midRefills = heap.Stats().Refills - refills;
        if (midCache) Assert.InRange(midRefills, 1, 16);
        else Assert.Equal(64, midRefills);
        refills = heap.Stats().Refills;
        var tiny = Enumerable.Range(0, 64).Select(_ => (nint)heap.Alloc(64)).ToList();
        Assert.InRange(heap.Stats().Refills - refills, 1, 4);
        foreach (var p in mid.Concat(tiny)) heap.Free((void*)p);
        Assert.True(heap.Audit().IsClean);
    }

    [Fact]
    public void The_TLS_List_spills_its_excess_back_to_the_spans()
    {
        using var heap = new HakmemHeap(new HakmemOptions { FastCap = 0, TlsSll = false, TlsList = true });
        var blocks = Enumerable.Range(0, 5000).Select(_ => (nint)heap.Alloc(64)).ToList();
        foreach (var p in blocks) heap.Free((void*)p);
        Assert.True(heap.Stats().Spills > 0);
        Assert.True(heap.Audit().IsClean);
    }

    [Fact]
    public void Without_the_TLS_List_overflow_goes_straight_to_the_spans()
    {
        using var heap = new HakmemHeap(new HakmemOptions { FastCap = 0, TlsSll = true, TlsList = false });
        var blocks = Enumerable.Range(0, 5000).Select(_ => (nint)heap.Alloc(64)).ToList();
        foreach (var p in blocks) heap.Free((void*)p);
        Assert.Equal(0, heap.Stats().Spills);
        Assert.True(heap.Audit().IsClean);
    }

    [Fact]
    public void With_TLS_LIST_on_the_TLS_List_takes_the_SLLs_place_and_spills_even_with_the_SLL_enabled()
    {
        // 88 frees of 64 B more than the chain's cap. Were the TLS List behind the SLL, the SLL would take
        // its cap and the List the other 88, below its own cap: no spill.
        using var heap = new HakmemHeap(new HakmemOptions { FastCap = 0, TlsSll = true, TlsList = true });
        int cap = SizeClasses.ListCap(SizeClasses.ClassOf(64));
        var blocks = Enumerable.Range(0, cap + 88).Select(_ => (nint)heap.Alloc(64)).ToList();
        foreach (var p in blocks) heap.Free((void*)p);
        Assert.Equal(1, heap.Stats().Spills);
        Assert.True(heap.Audit().IsClean);
    }

    [Theory]
    [InlineData(64, true, false, new[] { Tier.Fast, Tier.Sll, Tier.Span })]
    [InlineData(64, true, true, new[] { Tier.Fast, Tier.List, Tier.Span })]
    [InlineData(0, true, true, new[] { Tier.List, Tier.Span })]
    [InlineData(0, false, true, new[] { Tier.List, Tier.Span })]
    [InlineData(0, true, false, new[] { Tier.Sll, Tier.Span })]
    [InlineData(0, false, false, new[] { Tier.Span })]
    [InlineData(64, false, false, new[] { Tier.Fast, Tier.Span })]
    internal void The_tier_order_of_each_knob_setting(int fastCap, bool sll, bool list, Tier[] expected)
    {
        var o = new HakmemOptions { FastCap = fastCap, TlsSll = sll, TlsList = list };
        Assert.Equal(expected, TierOrder.Of(o));
        Assert.Equal(expected.Length > 1 ? expected[^2] : Tier.Span, TierOrder.RefillTarget(o));
    }
}
