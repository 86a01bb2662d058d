using System.Runtime.InteropServices;
using Hakmem;

namespace Hakmem.Tests;

/// <summary>The large-block cache: freed mappings come back for the next request of their class without a
/// syscall, within the byte cap, given back after the decay period or when the memory cap needs them.</summary>
public unsafe class LargeCacheTests
{
    private const int MiB = 1 << 20;

    [Fact]
    public void A_freed_large_block_serves_the_next_request_of_its_class_without_a_new_mapping()
    {
        using var heap = new HakmemHeap();
        void* p = heap.Alloc(300_000);
        long mapped = heap.Stats().MappedBytes;
        heap.Free(p);
        var cached = heap.Stats();
        Assert.Equal(1, cached.LargeCachedBlocks);
        Assert.Equal(mapped, cached.MappedBytes); // still mapped, still counted
        void* q = heap.Alloc(290_000); // same class (288-320 KiB)
        var after = heap.Stats();
        Assert.True(p == q, "the cached mapping was not reused");
        Assert.Equal(1, after.LargeCacheHits);
        Assert.Equal(0, after.LargeCachedBlocks);
        Assert.Equal(mapped, after.MappedBytes);
        Assert.True(heap.UsableSize(q) >= 300_000);
        heap.Free(q);
    }

    [Fact]
    public void With_the_cache_off_every_large_free_unmaps()
    {
        using var heap = new HakmemHeap(new HakmemOptions { LargeCacheBytes = 0 });
        for (int i = 0; i < 10; i++) heap.Free(heap.Alloc(300_000));
        var s = heap.Stats();
        Assert.Equal(0, s.LargeCacheHits);
        Assert.Equal(0, s.LargeCachedBytes);
        Assert.Equal(0, s.MappedBytes);
        Assert.Equal(10, s.LargeAllocs);
    }

    [Fact]
    public void The_cache_holds_no_more_than_its_cap_and_unmaps_the_rest()
    {
        using var heap = new HakmemHeap(new HakmemOptions { LargeCacheBytes = 4 * MiB });
        var blocks = Enumerable.Range(0, 10).Select(_ => (nint)heap.Alloc(MiB)).ToList();
        foreach (var p in blocks) heap.Free((void*)p);
        var s = heap.Stats();
        Assert.Equal(4, s.LargeCachedBlocks);
        Assert.Equal(4L * MiB, s.LargeCachedBytes);
        Assert.Equal(4L * MiB, s.MappedBytes);
    }

    [Fact]
    public void A_miss_above_4_MiB_resizes_a_cached_big_mapping_into_the_new_block_instead_of_mapping_beside_it()
    {
        using var heap = new HakmemHeap();
        // Cached: a 2 MiB mapping (never resized: small classes keep their exact hits) and three of 8 MiB, each
        // with a mark on its first page.
        void* small = heap.Alloc(2 * MiB);
        var big = Enumerable.Range(0, 3).Select(_ => (nint)heap.Alloc(8 * MiB)).ToList();
        for (int i = 0; i < big.Count; i++) *(int*)big[i] = 100 + i;
        heap.Free(small);
        foreach (var p in big) heap.Free((void*)p);
        long mapped = heap.Stats().MappedBytes;
        byte* c = (byte*)heap.Alloc(5 * MiB); // another class: a miss, served by the newest 8 MiB mapping, shrunk
        var s = heap.Stats();
        Assert.Equal(1, s.LargeCacheResized);
        Assert.Equal(102, *(int*)c);
        Assert.Equal(mapped - (8 * MiB - (long)heap.UsableSize(c)), s.MappedBytes); // the tail went back
        Assert.True(heap.UsableSize(c) >= 5 * MiB);
        c[5 * MiB - 1] = 1;
        byte* z = (byte*)heap.Calloc(1, 12 * MiB); // bigger than any cached: the biggest grows into it, zeroed
        Assert.Equal(2, heap.Stats().LargeCacheResized);
        Assert.Equal(0, *(int*)z);
        z[12 * MiB - 1] = 1;
        Assert.True(small == heap.Alloc(2 * MiB), "the small mapping was kept for its class");
        Assert.True((nint)heap.Alloc(8 * MiB) == big[0], "the last 8 MiB mapping serves its class");
        Assert.Equal(0, heap.Stats().LargeCachedBlocks);
    }

    [Fact]
    public void Blocks_of_different_classes_do_not_share_mappings_and_every_size_fits_its_mapping()
    {
        using var heap = new HakmemHeap();
        var rng = new Random(5);
        var live = new List<(nint P, int Size)>();
        for (int i = 0; i < 2000; i++)
        {
            if (live.Count > 0 && rng.Next(2) == 0)
            {
                int k = rng.Next(live.Count);
                var (p, size) = live[k];
                Assert.Equal((byte)size, ((byte*)p)[0]);
                Assert.Equal((byte)(size >> 8), ((byte*)p)[size - 1]);
                heap.Free((void*)p);
                live.RemoveAt(k);
            }
            else
            {
                int size = (int)Math.Exp(rng.NextDouble() * Math.Log(64.0) + Math.Log(65537.0));
                byte* p = (byte*)heap.Alloc((nuint)size);
                Assert.True(heap.UsableSize(p) >= (nuint)size);
                p[0] = (byte)size;
                p[size - 1] = (byte)(size >> 8);
                live.Add(((nint)p, size));
            }
        }
        Assert.True(heap.Stats().LargeCacheHits > 500, "the cache served few requests");
        foreach (var (p, _) in live) heap.Free((void*)p);
        Assert.True(heap.Audit().IsClean);
    }

    [Fact]
    public void Calloc_of_a_reused_mapping_is_zero()
    {
        using var heap = new HakmemHeap();
        byte* p = (byte*)heap.Alloc(200_000);
        NativeMemory.Fill(p, 200_000, 0xAB);
        heap.Free(p);
        byte* q = (byte*)heap.Calloc(1, 199_000);
        Assert.True(p == q, "the cached mapping was not reused");
        for (int i = 0; i < 199_000; i++)
            if (q[i] != 0) Assert.Fail($"byte {i} of the calloc'd block is {q[i]}");
        heap.Free(q);
    }

    [Fact]
    public void A_mapping_not_reused_within_the_decay_period_goes_back_to_the_OS()
    {
        using var heap = new HakmemHeap(new HakmemOptions { LargeCacheDecayMs = 50 });
        heap.Free(heap.Alloc(MiB));
        var freed = heap.Stats();
        Assert.Equal(1, freed.LargeCachedBlocks + freed.LargeCacheDecayed); // cached, or already decayed if this thread slept 50 ms
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (heap.Stats().LargeCachedBlocks != 0 && DateTime.UtcNow < deadline) Thread.Sleep(20);
        var s = heap.Stats();
        Assert.Equal(0, s.LargeCachedBlocks);
        Assert.Equal(1, s.LargeCacheDecayed);
        Assert.Equal(0, s.MappedBytes);
    }

    [Fact]
    public void Under_the_memory_cap_the_cache_is_trimmed_before_a_large_request_is_refused()
    {
        using var heap = new HakmemHeap(new HakmemOptions { MaxMemoryBytes = 8 * MiB });
        heap.Free(heap.Alloc(5 * MiB));
        Assert.Equal(5L * MiB, heap.Stats().LargeCachedBytes);
        void* p = heap.Alloc(6 * MiB); // another class: only the cached 5 MiB make room for it
        Assert.True(p != null, "refused while the cache held the memory");
        var s = heap.Stats();
        Assert.Equal(0, s.LargeCachedBytes);
        Assert.Equal(0, s.OutOfMemoryRefusals);
        heap.Free(p);
    }

    [Fact]
    public void Under_the_memory_cap_the_cache_is_trimmed_before_a_SuperSlab_is_refused()
    {
        using var heap = new HakmemHeap(new HakmemOptions { MaxMemoryBytes = 8 * MiB });
        heap.Free(heap.Alloc(7 * MiB));
        var blocks = Enumerable.Range(0, 3000).Select(_ => (nint)heap.Alloc(1024)).ToList(); // two SuperSlabs
        Assert.All(blocks, p => Assert.NotEqual(0, p));
        Assert.Equal(0, heap.Stats().LargeCachedBytes);
        foreach (var p in blocks) heap.Free((void*)p);
    }

    [Fact]
    public void A_cached_large_block_freed_again_is_a_double_free()
    {
        using var heap = new HakmemHeap();
        void* p = heap.Alloc(MiB);
        heap.Free(p);
        var e = Assert.Throws<HeapCorruptionException>(() => heap.Free(p));
        Assert.Contains("double free of a large block", e.Message);
        Assert.Equal(1, heap.Stats().LargeCachedBlocks); // nothing changed
    }

    [Fact]
    public void Threads_sharing_the_cache_never_get_the_same_mapping_twice()
    {
        using var heap = new HakmemHeap(new HakmemOptions { LargeCacheBytes = 16 * MiB });
        const int threads = 4, rounds = 3000;
        var failures = new List<string>();
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            var rng = new Random(t);
            var mine = new (nint P, ulong Tag, int Size)[8];
            for (int i = 0; i < rounds; i++)
            {
                int k = rng.Next(mine.Length);
                if (mine[k].P != 0)
                {
                    var (p, tag, size) = mine[k];
                    if (*(ulong*)p != tag || *(ulong*)(p + size - 8) != tag)
                        lock (failures) failures.Add($"thread {t}: block 0x{p:x} was written by someone else");
                    heap.Free((void*)p);
                    mine[k] = default;
                }
                else
                {
                    int size = 65536 + rng.Next(2 * MiB);
                    nint p = (nint)heap.Alloc((nuint)size);
                    ulong tag = ((ulong)t << 48) | (uint)i;
                    *(ulong*)p = tag;
                    *(ulong*)(p + size - 8) = tag;
                    mine[k] = (p, tag, size);
                }
            }
            foreach (var (p, _, _) in mine)
                if (p != 0) heap.Free((void*)p);
        })).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());
        Assert.Empty(failures);
        var s = heap.Stats();
        Assert.Equal(0, s.LargeBlocks);
        Assert.True(s.LargeCacheHits > 0);
        Assert.True(s.LargeCachedBytes <= 16 * MiB);
        Assert.Equal(s.LargeCachedBytes, s.MappedBytes - s.SuperSlabs * (2L * MiB));
    }

    [Theory]
    [InlineData(65537)]
    [InlineData(100_000)]
    [InlineData(1 << 20)]
    [InlineData((1 << 20) + 1)]
    [InlineData(4 << 20)]
    [InlineData(33 << 20)]
    public void A_mapping_is_whole_pages_at_least_the_request_and_at_most_a_quarter_more(int size)
    {
        nuint bytes = LargeBlocks.MappingSize((nuint)size);
        Assert.Equal((nuint)0, bytes % 4096);
        Assert.True(bytes >= (nuint)size);
        Assert.True(bytes <= Math.Max((nuint)(size * 1.25) + 4096, (nuint)size + 4096), $"{bytes} for {size}");
    }
}
