using Hakmem;

namespace Hakmem.Tests;

/// <summary>Threads exchange blocks through a shared array, so most frees are cross-thread (remote
/// queue), some threads release their caches and some simply end. Whatever the interleaving, at the
/// end every block is accounted for: nothing live, no invariant broken, no block's contents touched
/// while it was live.</summary>
public unsafe class ConcurrencyTests
{
    private const int Threads = 4;
    private const int Slots = 512;
    private const int OpsPerThread = 40_000;

    [Theory]
    [MemberData(nameof(Knobs.AllWithGuards), MemberType = typeof(Knobs))]
    public void Blocks_exchanged_between_threads_are_all_accounted_for(int fast, bool sll, bool list, bool p0, bool guards) =>
        Exchange(Knobs.Options(fast, sll, list, p0, guards));

    /// <summary>Mid classes on their spans alone, under every knob: an owner's mid free goes back to its span, which goes
    /// back to its SuperSlab when its last block is back (unless current), while other threads' frees reach the same spans.</summary>
    [Theory]
    [MemberData(nameof(Knobs.AllWithGuards), MemberType = typeof(Knobs))]
    public void Without_the_mid_cache_blocks_exchanged_between_threads_are_all_accounted_for(int fast, bool sll, bool list, bool p0, bool guards) =>
        Exchange(Knobs.Options(fast, sll, list, p0, guards) with { MidCache = false });

    private static void Exchange(HakmemOptions options)
    {
        using var heap = new HakmemHeap(options);
        var slots = new nint[Slots];
        var errors = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var threads = new Thread[Threads];
        for (int t = 0; t < Threads; t++)
        {
            int id = t;
            threads[t] = new Thread(() =>
            {
                try
                {
                    var rng = new Random(1234 + id);
                    var handle = heap.ForThisThread();
                    for (int i = 0; i < OpsPerThread; i++)
                    {
                        int size = rng.Next(10) switch { < 7 => rng.Next(8, 1025), < 9 => rng.Next(1025, 40_000), _ => rng.Next(8, 200_000) };
                        long* p = (long*)(id % 2 == 0 ? handle.Alloc((nuint)size) : heap.Alloc((nuint)size));
                        if (p == null) { errors.Enqueue("out of memory"); return; }
                        Stamp(p, size);
                        nint old = Interlocked.Exchange(ref slots[rng.Next(Slots)], (nint)p);
                        if (old == 0) continue;
                        string? bad = Verify((long*)old);
                        if (bad != null) errors.Enqueue(bad);
                        if (id % 2 == 0) handle.Free((void*)old); else heap.Free((void*)old);
                    }
                    // Half the threads give their caches back; the others just end (the heap reclaims).
                    if (id < Threads / 2) handle.Release();
                }
                catch (Exception e)
                {
                    errors.Enqueue(e.ToString());
                }
            });
            threads[t].Start();
        }
        foreach (var th in threads) th.Join();
        Assert.Empty(errors);

        var before = heap.Audit();
        Assert.Empty(before.Violations);
        Assert.Equal(slots.Count(s => s != 0), before.LiveBlocks);
        foreach (nint p in slots)
        {
            if (p == 0) continue;
            Assert.Null(Verify((long*)p));
            heap.Free((void*)p);
        }
        var after = heap.Audit();
        Assert.Empty(after.Violations);
        Assert.Equal(0, after.LiveBlocks);
        var stats = heap.Stats();
        Assert.True(stats.RemoteFrees > 0, "the test must exercise cross-thread frees");
        Assert.Equal(Threads / 2, stats.ThreadCachesReclaimed);
    }

    // A block carries its size and a checksum at both ends; a block handed to two owners at once
    // (overlap) or written after free shows up as a mismatch.
    internal static void Stamp(long* p, int size)
    {
        long tag = (long)p ^ 0x5EED;
        p[0] = size;
        if (size >= 16) p[1] = tag;
        if (size >= 32) *(long*)((byte*)p + (size & ~7) - 8) = tag;
    }

    internal static string? Verify(long* p)
    {
        long size = p[0];
        long tag = (long)p ^ 0x5EED;
        if (size < 8 || size > 200_000) return $"block 0x{(nint)p:x}: size word {size} overwritten";
        if (size >= 16 && p[1] != tag) return $"block 0x{(nint)p:x}: head tag overwritten";
        if (size >= 32 && *(long*)((byte*)p + (size & ~7) - 8) != tag) return $"block 0x{(nint)p:x}: tail tag overwritten";
        return null;
    }
}
