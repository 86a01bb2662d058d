using System.Runtime.InteropServices;
using Hakmem;

namespace Hakmem.Tests;

/// <summary>Every pointer the heap must refuse is refused with a HeapCorruptionException that names
/// the pointer and the reason, and nothing is written for it.</summary>
public unsafe class BadInputTests
{
    private static HeapCorruptionException Refused(Action free, void* p, string reason)
    {
        var e = Assert.Throws<HeapCorruptionException>(free);
        Assert.Equal((nuint)p, e.Pointer);
        Assert.Contains($"0x{(nuint)p:x}", e.Message);
        Assert.Contains(reason, e.Message);
        return e;
    }

    public static TheoryData<int, bool, bool, bool, bool> Configurations => Knobs.AllWithGuards;

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Double_free_is_caught_in_every_configuration(int fast, bool sll, bool list, bool p0, bool guards)
    {
        using var heap = new HakmemHeap(Knobs.Options(fast, sll, list, p0, guards));
        foreach (nuint size in new nuint[] { 16, 100, 1024, 3000, 65536 })
        {
            var others = Enumerable.Range(0, 50).Select(_ => (nint)heap.Alloc(size)).ToList();
            void* p = heap.Alloc(size);
            heap.Free(p);
            Refused(() => heap.Free(p), p, "double free");
            foreach (var o in others) heap.Free((void*)o);
        }
        Assert.True(heap.Audit().IsClean);
    }

    [Fact]
    public void Double_free_from_another_thread_is_caught()
    {
        using var heap = new HakmemHeap();
        void* p = heap.Alloc(64);
        heap.Free(p);
        Exception? caught = null;
        var t = new Thread(() => caught = Record.Exception(() => heap.Free(p)));
        t.Start();
        t.Join();
        var e = Assert.IsType<HeapCorruptionException>(caught);
        Assert.Contains("double free", e.Message);
    }

    [Fact]
    public void A_block_freed_again_after_its_span_went_back_and_was_carved_again_is_a_double_free()
    {
        // Every tier off: each block comes straight from its span, carved in order, and goes straight back to it.
        using var heap = new HakmemHeap(new HakmemOptions { FastCap = 0, TlsSll = false, TlsList = false });
        static nint SlotOf(nint p) => p & ~(nint)0xFFFF;
        var first = Enumerable.Range(0, 8).Select(_ => (nint)heap.Alloc(8192)).ToList(); // 8 blocks of 8 KiB: one 64 KiB span
        var more = Enumerable.Range(0, 8).Select(_ => (nint)heap.Alloc(8192)).ToList();  // a second span, now the current one
        Assert.All(first, p => Assert.Equal(SlotOf(first[0]), SlotOf(p)));
        Assert.DoesNotContain(more, p => SlotOf(p) == SlotOf(first[0]));
        foreach (nint p in first) heap.Free((void*)p); // the first span empties and goes back to its SuperSlab
        // The class's next span takes the slot written before and carves only what it hands out.
        var again = Enumerable.Range(0, 2).Select(_ => (nint)heap.Alloc(8192)).ToList();
        Assert.Contains(again, p => SlotOf(p) == SlotOf(first[0]));
        nint stale = first[^1]; // the last block of the old span: not carved again, its old free tag still there
        Assert.DoesNotContain(stale, again);

        Refused(() => heap.Free((void*)stale), (void*)stale, "double free");

        foreach (nint p in again.Concat(more)) heap.Free((void*)p);
        Assert.True(heap.Audit().IsClean);
    }

    [Fact]
    public void Guard_mode_catches_a_double_free_even_when_the_freed_block_was_overwritten()
    {
        using var heap = new HakmemHeap(new HakmemOptions { Guards = true });
        long* p = (long*)heap.Alloc(64);
        heap.Free(p);
        p[1] = 0; // a use-after-free write wipes the free tag
        Refused(() => heap.Free(p), p, "double free");
    }

    [Fact]
    public void A_large_block_freed_twice_is_refused()
    {
        using var heap = new HakmemHeap();
        void* p = heap.Alloc(1 << 20);
        heap.Free(p);
        Refused(() => heap.Free(p), p, "double free of a large block");
        using var uncached = new HakmemHeap(new HakmemOptions { LargeCacheBytes = 0 });
        p = uncached.Alloc(1 << 20);
        uncached.Free(p);
        Refused(() => uncached.Free(p), p, "already freed");
    }

    [Fact]
    public void Foreign_pointers_are_refused_and_nothing_is_written_into_them()
    {
        using var heap = new HakmemHeap();
        heap.Free(heap.Alloc(64));
        byte* native = (byte*)NativeMemory.Alloc(256);
        try
        {
            new Span<byte>(native, 256).Fill(0xAB);
            Refused(() => heap.Free(native + 64), native + 64, "foreign pointer");
            Assert.True(new Span<byte>(native, 256).IndexOfAnyExcept((byte)0xAB) < 0, "the heap wrote into memory it does not own");
            long* local = stackalloc long[2];
            local[0] = 42;
            Refused(() => heap.Free(local), local, "foreign pointer");
            Assert.Equal(42, local[0]);
        }
        finally
        {
            NativeMemory.Free(native);
        }
    }

    [Theory]
    [InlineData(64, 8)]
    [InlineData(48, 16)]
    [InlineData(1024, 512)]
    [InlineData(5000, 16)]
    public void Interior_pointers_are_refused(int size, int offset)
    {
        using var heap = new HakmemHeap();
        byte* p = (byte*)heap.Alloc((nuint)size);
        p[offset] = 7;
        Refused(() => heap.Free(p + offset), p + offset, "interior pointer");
        Assert.Equal(7, p[offset]);
        heap.Free(p);
        Assert.True(heap.Audit().IsClean);
    }

    [Fact]
    public void Interior_pointers_of_large_blocks_are_refused()
    {
        using var heap = new HakmemHeap();
        byte* p = (byte*)heap.Alloc(300_000);
        Refused(() => heap.Free(p + 4096), p + 4096, "interior pointer of a large block");
        heap.Free(p);
    }

    [Fact]
    public void A_pointer_into_an_unused_slab_is_refused()
    {
        using var heap = new HakmemHeap();
        byte* p = (byte*)heap.Alloc(64);
        byte* superSlab = (byte*)((nuint)p & ~(nuint)(2 * 1024 * 1024 - 1));
        byte* unused = superSlab + 20 * 65536;
        Refused(() => heap.Free(unused), unused, "unused part of a SuperSlab");
        heap.Free(p);
    }

    [Fact]
    public void A_pointer_of_another_heap_is_refused_and_named()
    {
        using var a = new HakmemHeap();
        using var b = new HakmemHeap();
        void* p = a.Alloc(100);
        void* big = a.Alloc(100_000);
        Refused(() => b.Free(p), p, $"another heap (heap {a.Id})");
        Refused(() => b.Free(big), big, $"another heap (heap {a.Id})");
        a.Free(p);
        a.Free(big);
        Assert.True(a.Audit().IsClean);
    }

    [Fact]
    public void Use_after_dispose_throws_ObjectDisposedException()
    {
        var heap = new HakmemHeap();
        void* p = heap.Alloc(32);
        var handle = heap.ForThisThread();
        heap.Dispose();
        Assert.Throws<ObjectDisposedException>(() => heap.Alloc(32));
        Assert.Throws<ObjectDisposedException>(() => heap.Free(p));
        Assert.Throws<ObjectDisposedException>(() => handle.Alloc(32));
        Assert.Throws<ObjectDisposedException>(() => heap.Audit());
        heap.Dispose(); // twice is fine
    }

    [Fact]
    public void Sizes_that_cannot_be_served_return_null_instead_of_wrapping()
    {
        using var heap = new HakmemHeap();
        Assert.True(heap.Alloc(nuint.MaxValue) == null);
        Assert.True(heap.Alloc(nuint.MaxValue - 4096) == null);
        Assert.True(heap.Calloc(nuint.MaxValue / 2, 3) == null);
        Assert.True(heap.Calloc((nuint)1 << 32, (nuint)1 << 32) == null);
        Assert.True(heap.Realloc(null, nuint.MaxValue) == null);
        Assert.True(heap.AlignedAlloc(64, nuint.MaxValue) == null);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(48)]
    public void Alignment_that_is_not_a_power_of_two_is_an_argument_error(int alignment)
    {
        using var heap = new HakmemHeap();
        var e = Assert.Throws<ArgumentException>(() => heap.AlignedAlloc((nuint)alignment, 10));
        Assert.Contains(alignment.ToString(), e.Message);
    }

    [Fact]
    public void Alloc_of_zero_bytes_gives_distinct_freeable_pointers()
    {
        using var heap = new HakmemHeap();
        void* a = heap.Alloc(0), b = heap.Alloc(0);
        Assert.True(a != null && b != null && a != b);
        heap.Free(a);
        heap.Free(b);
        Assert.True(heap.Audit().IsClean);
    }

    [Fact]
    public void Pointers_into_the_later_slabs_of_a_span_are_checked_like_the_first()
    {
        // 32 KiB blocks: a span of two 64 KiB slabs, 4 blocks. Free reads the record of the slot it lands
        // in, so the second slot's record must say what the head says, and nothing once the span is gone.
        using var heap = new HakmemHeap();
        var blocks = Enumerable.Range(0, 4).Select(_ => (nint)heap.Alloc(32768)).Order().ToList();
        byte* second = (byte*)blocks[2]; // 64 KiB past the span's start: in the second slot
        Assert.Equal(65536, (int)(blocks[2] - blocks[0]));
        Refused(() => heap.Free(second + 16), second + 16, "interior pointer");
        var t = new Thread(() => heap.Free(second)); // another thread: the replica's owner sends it to the remote queue
        t.Start();
        t.Join();
        Assert.Equal(1, heap.Stats().RemoteFrees);
        Refused(() => heap.Free(second), second, "double free");
        foreach (var p in blocks.Where(p => p != (nint)second)) heap.Free((void*)p);
        heap.ReleaseThreadCache();
        Assert.True(heap.Audit().IsClean);
        _ = heap.Alloc(16); // keep a SuperSlab mapped: the span's slots are free now
        Refused(() => heap.Free(second), second, "unused part of a SuperSlab");
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void A_live_block_whose_data_matches_the_free_tag_is_freed_not_refused(int fast, bool sll, bool list, bool p0, bool guards)
    {
        using var heap = new HakmemHeap(Knobs.Options(fast, sll, list, p0, guards));
        var keep = Enumerable.Range(0, 10).Select(_ => (nint)heap.Alloc(64)).ToList();
        ulong* a = (ulong*)heap.Alloc(64);
        heap.Free(a);
        ulong tag = a[1]; // what free wrote there (read after the free, as only a test may)
        ulong* b = (ulong*)heap.Alloc(64);
        Assert.True(a == b, "the block did not come back");
        b[1] = tag; // the user's data happens to equal the tag
        heap.Free(b);
        Assert.Equal(10, heap.Audit().LiveBlocks);
        foreach (var p in keep) heap.Free((void*)p);
        Assert.True(heap.Audit().IsClean);
    }
}
