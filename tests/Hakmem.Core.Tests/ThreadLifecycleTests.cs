using Hakmem;

namespace Hakmem.Tests;

/// <summary>What happens to spans when threads go away: released caches leave abandoned spans that
/// the next thread adopts; caches of threads that died are reclaimed; memory goes back to the OS.</summary>
public unsafe class ThreadLifecycleTests
{
    private static void OnThread(Action body)
    {
        Exception? error = null;
        var t = new Thread(() => { try { body(); } catch (Exception e) { error = e; } });
        t.Start();
        t.Join();
        if (error != null) throw new Exception("worker failed", error);
    }

    [Fact]
    public void A_released_threads_spans_are_adopted_by_the_next_thread_instead_of_new_memory()
    {
        using var heap = new HakmemHeap();
        var kept = new List<nint>();
        OnThread(() =>
        {
            var blocks = Enumerable.Range(0, 20_000).Select(_ => (nint)heap.Alloc(64)).ToList();
            for (int i = 0; i < blocks.Count; i++)
                if (i % 2 == 0) heap.Free((void*)blocks[i]); else kept.Add(blocks[i]);
            heap.ReleaseThreadCache();
        });
        long superSlabs = heap.Stats().SuperSlabs;
        OnThread(() =>
        {
            var again = Enumerable.Range(0, 9_000).Select(_ => (nint)heap.Alloc(64)).ToList();
            foreach (var p in again) heap.Free((void*)p);
            heap.ReleaseThreadCache();
        });
        var stats = heap.Stats();
        Assert.True(stats.SpansAdopted > 0);
        Assert.Equal(superSlabs, stats.SuperSlabs);
        foreach (var p in kept) heap.Free((void*)p);
        Assert.True(heap.Audit().IsClean);
    }

    [Fact]
    public void Caches_of_threads_that_ended_without_releasing_are_reclaimed()
    {
        using var heap = new HakmemHeap();
        var kept = new List<nint>();
        OnThread(() =>
        {
            var blocks = Enumerable.Range(0, 5_000).Select(i => (nint)heap.Alloc((nuint)(16 + i % 900))).ToList();
            for (int i = 0; i < blocks.Count; i++)
                if (i % 10 == 0) kept.Add(blocks[i]); else heap.Free((void*)blocks[i]);
            // no ReleaseThreadCache: the thread's cache still holds freed blocks when it ends
        });
        var audit = heap.Audit();
        Assert.Equal(1, heap.Stats().ThreadCachesReclaimed);
        Assert.Empty(audit.Violations);
        Assert.Equal(kept.Count, audit.LiveBlocks);
        foreach (var p in kept) heap.Free((void*)p); // frees into abandoned spans: remote queue
        audit = heap.Audit();
        Assert.Equal(0, audit.LiveBlocks);
        Assert.True(heap.Stats().MappedBytes <= 2 * 1024 * 1024, "empty SuperSlabs beyond one are returned to the OS");
    }

    [Fact]
    public void A_burst_freed_and_allocated_again_reuses_its_superslabs_until_the_last_cache_is_released()
    {
        using var heap = new HakmemHeap();
        var t = heap.ForThisThread();
        var blocks = new nint[1000];
        for (int i = 0; i < blocks.Length; i++) blocks[i] = (nint)t.Alloc(16384);
        long burst = heap.Stats().MappedBytes;
        Assert.True(burst >= 8 * 2 * 1024 * 1024, $"{burst} bytes mapped for 16 MB of blocks");
        foreach (var p in blocks) t.Free((void*)p);
        Assert.Equal(burst, heap.Stats().MappedBytes); // empty SuperSlabs kept while this thread has a cache
        for (int i = 0; i < blocks.Length; i++) blocks[i] = (nint)t.Alloc(16384);
        Assert.Equal(burst, heap.Stats().PeakMappedBytes);
        foreach (var p in blocks) t.Free((void*)p);
        t.Release();
        Assert.True(heap.Stats().MappedBytes <= 2 * 1024 * 1024, $"{heap.Stats().MappedBytes} bytes still mapped after the last cache was released");
        Assert.True(heap.Audit().IsClean);
    }

    [Fact]
    public void Freeing_everything_returns_mapped_memory_to_the_os()
    {
        using var heap = new HakmemHeap();
        var blocks = new List<nint>();
        for (int i = 0; i < 200_000; i++) blocks.Add((nint)heap.Alloc((nuint)(16 + i % 2000)));
        blocks.Add((nint)heap.Alloc(5_000_000));
        var full = heap.Stats();
        Assert.True(full.MappedBytes > 100L * 1024 * 1024);
        foreach (var p in blocks) heap.Free((void*)p);
        heap.ReleaseThreadCache();
        var empty = heap.Stats();
        Assert.True(empty.MappedBytes <= 2 * 1024 * 1024, $"{empty.MappedBytes} bytes still mapped");
        Assert.Equal(full.PeakMappedBytes, empty.PeakMappedBytes);
        Assert.True(heap.Audit().IsClean);
    }

    [Fact]
    public void Several_heaps_with_different_options_work_side_by_side_on_one_thread()
    {
        using var a = new HakmemHeap(new HakmemOptions { FastCap = 0, TlsList = true });
        using var b = new HakmemHeap(new HakmemOptions { Guards = true, P0BatchRefill = false });
        var pa = new List<nint>();
        var pb = new List<nint>();
        for (int i = 0; i < 10_000; i++)
        {
            pa.Add((nint)a.Alloc((nuint)(i % 700)));
            pb.Add((nint)b.Alloc((nuint)(i % 3000)));
        }
        Assert.Equal(10_000, a.Audit().LiveBlocks);
        Assert.Equal(10_000, b.Audit().LiveBlocks);
        foreach (var p in pa) a.Free((void*)p);
        foreach (var p in pb) b.Free((void*)p);
        Assert.True(a.Audit().IsClean);
        Assert.True(b.Audit().IsClean);
    }
}
