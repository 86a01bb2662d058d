using Hakmem.Lab.Backends;
using Hakmem.Lab.Running;
using Hakmem.Workloads;

namespace Hakmem.Lab.Tests;

/// <summary>Realloc on every backend keeps a block's contents (mstress grows its arrays by it), and a
/// library that does not define realloc itself is refused, naming it.</summary>
public class ReallocTests
{
    /// <summary>A chain of reallocations through the size classes (tiny, mid, large and back), each block's
    /// bytes checked after the move; a shrink that still fits keeps the block where it is.</summary>
    private static unsafe void Keeps_contents<TAlloc>(TAlloc allocator) where TAlloc : struct, IAllocator<TAlloc>
    {
        var a = allocator.AttachThread();
        try
        {
            nuint[] sizes = [24, 100, 5000, 200_000, 300_000, 40];
            byte* p = (byte*)a.Realloc(null, 0, sizes[0]);
            Assert.True(p != null, "realloc of null allocates");
            for (nuint i = 0; i < sizes[0]; i++) p[i] = (byte)(i * 7 + 1);
            for (int k = 1; k < sizes.Length; k++)
            {
                nuint kept = Math.Min(sizes[k - 1], sizes[k]);
                p = (byte*)a.Realloc(p, sizes[k - 1], sizes[k]);
                Assert.True(p != null, $"realloc to {sizes[k]}");
                for (nuint i = 0; i < kept; i++)
                    Assert.True(p[i] == (byte)(i * 7 + 1), $"byte {i} lost by the realloc from {sizes[k - 1]} to {sizes[k]} bytes");
                for (nuint i = kept; i < sizes[k]; i++) p[i] = (byte)(i * 7 + 1);
            }
            a.Free(p, sizes[^1]);
        }
        finally
        {
            a.DetachThread();
        }
    }

    [Fact]
    public unsafe void Hakmem_realloc_keeps_contents_through_every_size_class_and_leaks_nothing()
    {
        using var heap = new HakmemHeap();
        Keeps_contents(new HakmemAllocator(heap));
        var a = new HakmemAllocator(heap).AttachThread();
        try
        {
            void* p = a.Alloc(1000);
            Assert.True(p == a.Realloc(p, 1000, 900), "a shrink within the block keeps it");
            a.Free(p, 900);
        }
        finally
        {
            a.DetachThread();
        }
        var audit = heap.Audit();
        Assert.Empty(audit.Violations);
        Assert.Equal(0, audit.LiveBlocks);
    }

    [Fact]
    public void Hakmem_realloc_keeps_contents_in_guard_mode()
    {
        using var heap = new HakmemHeap(new HakmemOptions { Guards = true });
        Keeps_contents(new HakmemAllocator(heap));
        Assert.Empty(heap.Audit().Violations);
        Assert.Equal(0, heap.Audit().LiveBlocks);
    }

    [Fact]
    public void Glibc_realloc_keeps_contents() => Keeps_contents(NativeAllocator.Load(BackendInfo.Get("system")));

    public static TheoryData<string> Names => new(BackendInfo.Names);

    /// <summary>mstress on each backend in a child: thread 1 makes 120000 allocations, so its array of blocks
    /// grows past 100000 entries by a realloc, and every block it points to is checked when freed; a realloc
    /// that lost the array would free garbage.</summary>
    [Theory]
    [MemberData(nameof(Names))]
    public async Task Mstress_grows_its_arrays_by_realloc_on_every_backend(string name)
    {
        var backend = BackendInfo.Get(name);
        var r = await new ChildRunner(Hklab.Command).RunAsync(new RunSpec("mstress", ["2", "600", "1"], name, HakmemOptions.Default), TimeSpan.FromSeconds(120));
        if (!backend.IsAvailable())
        {
            Assert.Equal(Outcome.Error, r.Outcome);
            return;
        }
        Assert.True(r.Outcome == Outcome.Ok, $"{name}: {r.Outcome.Name()} {r.Message}");
        Assert.True(r.Ops > 270_000, $"{name}: {r.Ops} operations");
    }

    [Fact]
    public async Task A_library_without_its_own_realloc_is_refused_naming_it()
    {
        string lib = NativeFixture.Library("norealloc");
        var r = await new ChildRunner(Hklab.Command).RunAsync(new RunSpec("random_mixed", ["1000", "64", "1"], "lib:" + lib, HakmemOptions.Default), TimeSpan.FromSeconds(60));
        Assert.Equal(Outcome.Refused, r.Outcome);
        Assert.Contains("does not define 'realloc' itself", r.Message);
    }
}
