using System.Runtime.InteropServices;
using Hakmem;

namespace Hakmem.Tests;

/// <summary>Each seed-bug canary really breaks the heap the way its seed describes, and the heap's own
/// detectors (audit, foreign-pointer check) see it; with Inject = None the same program is clean.</summary>
public unsafe class CanaryTests
{
    private static List<nint> AllocMany(HakmemHeap heap, int n, int size = 64) =>
        Enumerable.Range(0, n).Select(i => (nint)heap.Alloc((nuint)(size + i % 200))).ToList();

    [Theory]
    [InlineData(SeedBug.None, 0)]
    [InlineData(SeedBug.RegistryMiss, 1)]
    public void Registry_miss_drops_frees_silently_and_the_audit_counts_the_leak(SeedBug bug, int expectLeak)
    {
        using var heap = new HakmemHeap(new HakmemOptions { Inject = bug });
        var blocks = AllocMany(heap, 20_000);
        foreach (var p in blocks) heap.Free((void*)p); // no exception either way
        heap.ReleaseThreadCache();
        var audit = heap.Audit();
        Assert.Empty(audit.Violations);
        Assert.Equal(expectLeak != 0, audit.LiveBlocks > 0);
    }

    [Theory]
    [InlineData(SeedBug.None, false)]
    [InlineData(SeedBug.P0DoubleCount, true)]
    public void P0_double_count_is_an_audit_counter_mismatch(SeedBug bug, bool mismatch)
    {
        using var heap = new HakmemHeap(new HakmemOptions { P0BatchRefill = true, Inject = bug });
        var blocks = AllocMany(heap, 1000);
        var audit = heap.Audit();
        Assert.Equal(mismatch, audit.Violations.Any(v => v.Contains("counter mismatch", StringComparison.Ordinal)));
        foreach (var p in blocks) heap.Free((void*)p);
    }

    [Theory]
    [InlineData(SeedBug.None, false)]
    [InlineData(SeedBug.TlsListDisconnect, true)]
    public void Tls_list_disconnect_loses_spilled_blocks(SeedBug bug, bool leaks)
    {
        using var heap = new HakmemHeap(new HakmemOptions { FastCap = 0, TlsSll = false, TlsList = true, Inject = bug });
        var blocks = AllocMany(heap, 40_000); // past the TLS List's cap in every class they fall into
        foreach (var p in blocks) heap.Free((void*)p);
        heap.ReleaseThreadCache();
        Assert.Equal(leaks, heap.Audit().LiveBlocks > 0);
    }

    [Fact]
    public void Tls_list_disconnect_needs_the_seeds_condition()
    {
        using var heap = new HakmemHeap(new HakmemOptions { FastCap = 64, TlsList = true, Inject = SeedBug.TlsListDisconnect });
        var blocks = AllocMany(heap, 5000);
        foreach (var p in blocks) heap.Free((void*)p);
        heap.ReleaseThreadCache();
        Assert.True(heap.Audit().IsClean);
    }

    [Fact]
    public void Libc_fallback_hands_out_libc_blocks_at_the_cap_and_their_free_is_refused()
    {
        using var heap = new HakmemHeap(new HakmemOptions { MaxMemoryBytes = 2 << 20, Inject = SeedBug.LibcFallback });
        var blocks = new List<nint>();
        void* p;
        do
        {
            p = heap.Alloc(1024);
            Assert.True(p != null, "with the canary the heap never returns null");
            blocks.Add((nint)p);
        }
        while (heap.Stats().OutOfMemoryRefusals == 0);
        var e = Assert.Throws<HeapCorruptionException>(() => heap.Free((void*)blocks[^1]));
        Assert.Contains("foreign pointer", e.Message);
        NativeMemory.Free((void*)blocks[^1]);
        foreach (var b in blocks.SkipLast(1)) heap.Free((void*)b);
    }

    [Fact]
    public void Without_the_canary_the_cap_gives_null()
    {
        using var heap = new HakmemHeap(new HakmemOptions { MaxMemoryBytes = 2 << 20 });
        var blocks = new List<nint>();
        void* p;
        while ((p = heap.Alloc(1024)) != null) blocks.Add((nint)p);
        foreach (var b in blocks) heap.Free((void*)b);
        Assert.True(heap.Audit().IsClean);
    }

    [Theory]
    [InlineData("registry-miss", SeedBug.RegistryMiss)]
    [InlineData("registry-miss, unowned-drain", SeedBug.RegistryMiss | SeedBug.UnownedDrain)]
    [InlineData("none", SeedBug.None)]
    public void HAKMEM_INJECT_names_the_canaries(string value, SeedBug expected)
    {
        Assert.Equal(expected, HakmemOptions.FromVariables(n => n == "HAKMEM_INJECT" ? value : null).Inject);
    }

    [Fact]
    public void An_unknown_canary_is_refused_by_name()
    {
        var e = Assert.Throws<ArgumentException>(() => HakmemOptions.FromVariables(n => n == "HAKMEM_INJECT" ? "registry-miss,use-after-free" : null));
        Assert.Contains("HAKMEM_INJECT", e.Message);
        Assert.Contains("use-after-free", e.InnerException!.Message);
    }
}
