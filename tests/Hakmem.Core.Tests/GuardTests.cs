using Hakmem;

namespace Hakmem.Tests;

/// <summary>Guard mode turns silent list corruption into an immediate failure that names the broken
/// invariant, the class, the slab and the pointer.</summary>
public unsafe class GuardTests
{
    private static HakmemOptions SllOnly(bool guards) => new() { FastCap = 0, TlsSll = true, Guards = guards };

    [Fact]
    public void A_free_list_link_overwritten_after_free_is_caught_before_it_is_followed()
    {
        using var heap = new HakmemHeap(SllOnly(guards: true));
        void** a = (void**)heap.Alloc(64);
        void** b = (void**)heap.Alloc(64);
        heap.Free(b);
        heap.Free(a);        // TLS SLL: a -> b -> ...
        long* outside = stackalloc long[2];
        *a = outside;       // use-after-free write into the link
        Assert.True(heap.Alloc(64) == a);
        var e = Assert.Throws<HeapCorruptionException>(() => heap.Alloc(64));
        Assert.Contains("guard: invariant", e.Message);
        Assert.Contains("TLS SLL", e.Message);
        Assert.Equal((nuint)outside, e.Pointer);
    }

    [Fact]
    public void A_link_to_the_middle_of_a_block_is_caught_with_class_and_slab()
    {
        using var heap = new HakmemHeap(SllOnly(guards: true));
        byte* a = (byte*)heap.Alloc(64);
        byte* b = (byte*)heap.Alloc(64);
        heap.Free(b);
        heap.Free(a);
        *(byte**)a = b + 8; // inside our span, off the block boundary
        heap.Alloc(64);
        var e = Assert.Throws<HeapCorruptionException>(() => heap.Alloc(64));
        Assert.Contains("block boundary measured from the span start", e.Message);
        Assert.Contains("class 3", e.Message);
        Assert.Contains("slab ", e.Message);
    }

    [Fact]
    public void A_handle_used_on_another_thread_is_caught()
    {
        using var heap = new HakmemHeap(new HakmemOptions { Guards = true });
        var handle = heap.ForThisThread();
        Exception? caught = null;
        var t = new Thread(() => caught = Record.Exception(() => handle.Alloc(16)));
        t.Start();
        t.Join();
        var e = Assert.IsType<HeapCorruptionException>(caught);
        Assert.Contains("only on its own thread", e.Message);
    }

    [Fact]
    public void Freeing_a_block_that_was_never_handed_out_is_caught_in_guard_mode()
    {
        using var heap = new HakmemHeap(SllOnly(guards: true));
        byte* a = (byte*)heap.Alloc(64);
        byte* neighbour = a + 64; // carved into the cache by the batch refill, never given to the user
        var e = Assert.Throws<HeapCorruptionException>(() => heap.Free(neighbour));
        Assert.Contains("not live", e.Message);
        heap.Free(a);
        Assert.True(heap.Audit().IsClean);
    }
}
