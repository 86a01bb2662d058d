using System.Runtime.InteropServices;
using Hakmem;

namespace Hakmem.Tests;

public unsafe class RegistryTests
{
    private static readonly ulong First = 0x7f00_0000_0000;

    [Fact]
    public void A_published_SuperSlab_is_found_at_its_base_and_its_records_at_every_slot()
    {
        var r = Registry.Create();
        var ss = (SuperSlab*)NativeMemory.AllocZeroed((nuint)sizeof(SuperSlab));
        try
        {
            Assert.True(r.IsFree((nuint)First));
            Slab* slabs = r.Claim((nuint)First);
            SuperSlab.InitSlabs(ss, slabs);
            Assert.True(r.Find((nuint)First) == null, "found before it is published");
            r.Publish((nuint)First);
            Assert.True(r.Find((nuint)First) == ss);
            Assert.False(r.IsFree((nuint)First));
            for (int k = 0; k < Layout.SlabsPerSuperSlab; k++)
            {
                void* inSlot = (void*)(First + ((ulong)k << Layout.SlabShift) + 4096);
                Assert.True(r.SlabOf(inSlot) == slabs + k, $"slot {k}");
            }
            Assert.True(r.Find((nuint)(First + (2UL << 20))) == null, "the next SuperSlab's base");
            Assert.True(r.Find((nuint)(First + Registry.Window)) == null, "a base one window away shares the group, not the key");
            Assert.False(r.IsFree((nuint)(First + Registry.Window)), "and cannot be registered while the group is taken");
            Assert.True(r.SlabOf((void*)(First + Registry.Window)) == slabs, "its slots fall on the same records");
            r.Remove((nuint)(First + Registry.Window));
            Assert.True(r.Find((nuint)First) == ss, "removing another base leaves the group alone");
            slabs[5].Start = (byte*)First + (5 << 16); // a span of 48-byte blocks in slot 5
            slabs[5].Inverse = 0xAAAA_AAAA_AAAA_AAAB;
            slabs[5].Capacity = 1365;
            r.Remove((nuint)First);
            Assert.True(r.Find((nuint)First) == null);
            Assert.True(r.IsFree((nuint)First));
            Assert.True(slabs[5].Super == null && slabs[5].Capacity == 0, "records hold no block");
            Assert.True(slabs[5].Inverse == 0xAAAA_AAAA_AAAA_AAAB && slabs[5].Start != null,
                "a record keeps its start and inverse: a free reading it meanwhile never multiplies by 0");
        }
        finally
        {
            NativeMemory.Free(ss);
            r.Destroy();
        }
    }

    [Fact]
    public void A_record_accepts_only_the_block_starts_of_its_own_span()
    {
        // A freed SuperSlab's records, another SuperSlab's records one window away, an interior pointer:
        // the block check itself refuses them, so free needs no key compare.
        using var heap = new HakmemHeap();
        var t = heap.ForThisThread();
        byte* p = (byte*)t.Alloc(48);
        try
        {
            Slab* rec = heap.SuperSlabRegistry.SlabOf(p);
            Assert.True(rec->Capacity > 0);
            Assert.True(HakmemHeap.IsBlockOf(rec, p));
            Assert.False(HakmemHeap.IsBlockOf(rec, p + 16), "interior");
            Assert.False(HakmemHeap.IsBlockOf(rec, p + (long)Registry.Window), "one window away");
            Assert.False(HakmemHeap.IsBlockOf(rec, p - (long)Registry.Window), "one window below");
            Assert.False(HakmemHeap.IsBlockOf(rec, p + 65536), "the next slot");
            Slab empty = default;
            Assert.False(HakmemHeap.IsBlockOf(&empty, p), "a free slot's record");
        }
        finally
        {
            t.Free(p);
            t.Release();
        }
    }

    [Fact]
    public void A_heap_maps_no_SuperSlab_into_a_taken_group_and_refuses_when_every_group_is_taken()
    {
        using var heap = new HakmemHeap();
        var registry = heap.SuperSlabRegistry;
        var other = (SuperSlab*)NativeMemory.AllocZeroed((nuint)sizeof(SuperSlab));
        // Every group taken, as by SuperSlabs spread over the whole window: each region the OS hands out
        // falls on a taken group.
        for (nuint g = 0; g < Registry.Groups; g++) registry.Claim(g << Layout.SuperSlabShift)->Super = other;
        try
        {
            Assert.True(heap.Alloc(64) == null, "a SuperSlab was mapped into a taken group");
            Assert.True(heap.Stats().OutOfMemoryRefusals >= 1);
            void* big = heap.Alloc(1 << 20);
            Assert.True(big != null, "large blocks take no group");
            heap.Free(big);
        }
        finally
        {
            for (nuint g = 0; g < Registry.Groups; g++) registry.Claim(g << Layout.SuperSlabShift)->Super = null;
            NativeMemory.Free(other);
        }
        void* p = heap.Alloc(64);
        Assert.True(p != null);
        Assert.True(heap.SuperSlabRegistry.Find((nuint)p & ~Layout.SuperSlabMask) != null);
        heap.Free(p);
        Assert.True(heap.Audit().IsClean);
    }

    [Fact]
    public void The_header_fits_before_its_own_records()
    {
        Assert.True(sizeof(SuperSlab) <= SuperSlab.SlabsOffset);
        Assert.Equal(128, sizeof(Slab));
    }
}
