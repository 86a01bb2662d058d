using Hakmem;

namespace Hakmem.Tests;

/// <summary>What happens to spans when threads go away: released caches leave abandoned spans that
/// the next thread adopts; caches of threads that died are reclaimed; empty SuperSlabs rest (their pages given
/// back, MADV_FREE) for the next threads, and Trim returns them to the OS.</summary>
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
        var s = heap.Stats();
        Assert.True(s.RestingBytes > 0);
        Assert.Equal(s.MappedBytes, s.RestingBytes); // no thread holds a cache: every empty SuperSlab rests
        heap.Trim();
        Assert.Equal(0, heap.Stats().MappedBytes);
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
        var rested = heap.Stats();
        Assert.Equal(8L * 2 * 1024 * 1024, rested.RestingBytes); // the 8 kept for the next threads, their pages given up
        Assert.Equal(rested.MappedBytes, rested.RestingBytes);
        Assert.True(rested.MappedBytes <= 8 * 2 * 1024 * 1024, $"{rested.MappedBytes} bytes still mapped after the last cache was released");
        Assert.True(heap.Audit().IsClean);
    }

    [Fact]
    public void Once_no_thread_holds_a_cache_empty_superslabs_give_their_pages_up_and_the_next_threads_take_them_again()
    {
        using var heap = new HakmemHeap();
        nint first = 0;
        long mapped = 0;
        OnThread(() =>
        {
            var blocks = Enumerable.Range(0, 4000).Select(_ => (nint)heap.Alloc(1024)).ToList(); // 4 MiB, carved: touched
            first = blocks[0];
            foreach (var p in blocks) heap.Free((void*)p);
            Assert.Equal(0, heap.Stats().RestingBytes); // this thread still holds its cache: the pages stay
            mapped = heap.Stats().MappedBytes;
            heap.ReleaseThreadCache();
        });
        var rested = heap.Stats();
        Assert.True(rested.SuperSlabs >= 2, $"{rested.SuperSlabs} SuperSlabs");
        Assert.Equal(mapped, rested.MappedBytes); // every one kept, none unmapped
        Assert.Equal(rested.MappedBytes, rested.RestingBytes);
        Assert.True(LazyFreeKb(first) >= 1024, "the kernel holds the resting pages as lazily freed (MADV_FREE)");
        OnThread(() =>
        {
            var again = Enumerable.Range(0, 4000).Select(_ => (nint)heap.Alloc(1024)).ToList();
            Assert.Equal(0, heap.Stats().RestingBytes);
            Assert.Equal(mapped, heap.Stats().MappedBytes); // the resting ones serve again: nothing mapped or unmapped
            foreach (var p in again) heap.Free((void*)p);
            heap.ReleaseThreadCache();
        });
        Assert.Equal(mapped, heap.Stats().PeakMappedBytes); // the same mappings, not new ones
        heap.Trim();
        Assert.Equal(0, heap.Stats().MappedBytes);
        Assert.True(heap.Audit().IsClean);
    }

    /// <summary>LazyFree of the mapping (VMA) holding <paramref name="address"/>, from /proc/self/smaps.</summary>
    private static long LazyFreeKb(nint address)
    {
        bool inside = false;
        foreach (string line in File.ReadLines("/proc/self/smaps"))
        {
            int dash = line.IndexOf('-');
            if (dash > 0 && line.IndexOf(' ') > dash && ulong.TryParse(line.AsSpan(0, dash), System.Globalization.NumberStyles.HexNumber, null, out ulong start))
            {
                ulong end = ulong.Parse(line.AsSpan(dash + 1, line.IndexOf(' ') - dash - 1), System.Globalization.NumberStyles.HexNumber);
                inside = (ulong)address >= start && (ulong)address < end;
            }
            else if (inside && line.StartsWith("LazyFree:"))
                return long.Parse(line["LazyFree:".Length..].Trim().Split(' ')[0]);
        }
        return 0;
    }

    [Fact]
    public void Freeing_everything_gives_the_pages_back_and_trim_unmaps_them()
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
        Assert.Equal(8L * 2 * 1024 * 1024, empty.MappedBytes); // the kept ones, of far more
        Assert.True(empty.MappedBytes <= 8 * 2 * 1024 * 1024, $"{empty.MappedBytes} bytes still mapped");
        Assert.Equal(empty.MappedBytes, empty.RestingBytes); // what stays mapped has given its pages up
        Assert.Equal(full.PeakMappedBytes, empty.PeakMappedBytes);
        heap.Trim();
        Assert.Equal(0, heap.Stats().MappedBytes);
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
