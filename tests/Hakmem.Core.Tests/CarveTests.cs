using Hakmem;
using Xunit;

namespace Hakmem.Tests;

/// <summary>Where a new span goes: a run of free slots found in one pass over the mask, and slots written
/// before preferred to fresh ones, so that RSS grows only when no used memory is free.</summary>
public unsafe class CarveTests
{
    [Fact]
    public void The_free_run_search_finds_the_first_run_a_slot_by_slot_scan_finds()
    {
        var rng = new Random(7);
        for (int n = 0; n < 20_000; n++)
        {
            uint mask = (uint)rng.NextInt64(0, 1L << 32) & (uint)rng.NextInt64(0, 1L << 32) | (n % 5 == 0 ? (uint)rng.NextInt64(0, 1L << 32) : 0);
            int count = 1 + rng.Next(32);
            Assert.Equal(SlotBySlot(mask, count), SuperSlab.FindFreeRun(mask, count));
        }
        Assert.Equal(0, SuperSlab.FindFreeRun(uint.MaxValue, 32));
        Assert.Equal(-1, SuperSlab.FindFreeRun(uint.MaxValue >> 1, 32));
        Assert.Equal(31, SuperSlab.FindFreeRun(1u << 31, 1));
        Assert.Equal(-1, SuperSlab.FindFreeRun(0, 1));
    }

    private static int SlotBySlot(uint mask, int count)
    {
        for (int i = 0; i + count <= 32; i++)
        {
            int k = 0;
            while (k < count && (mask >> (i + k) & 1) != 0) k++;
            if (k == count) return i;
        }
        return -1;
    }

    [Fact]
    public void A_new_span_goes_to_a_slot_written_before_rather_than_a_fresh_one_in_a_newer_superslab()
    {
        // No cache tiers: a free goes straight to its span, and an emptied span back to its SuperSlab.
        using var heap = new HakmemHeap(new HakmemOptions { FastCap = 0, TlsSll = false, TlsList = false });
        var blocks = new List<nint>();
        for (int i = 0; i < 200; i++) blocks.Add((nint)heap.Alloc(16384)); // 4 per 64 KiB slot: 50 slots, two SuperSlabs
        var stats = heap.Stats();
        Assert.Equal(2, stats.SuperSlabs);
        // Empty one span of the first SuperSlab (blocks 8..11: its third slot).
        nint slot = blocks[8];
        for (int i = 8; i < 12; i++) heap.Free((void*)blocks[i]);
        // Another class: a new span. The newer SuperSlab has fresh free slots; the older one, the slot just freed.
        nint p = (nint)heap.Alloc(8192);
        Assert.Equal(slot, p);
        heap.Free((void*)p);
        for (int i = 0; i < blocks.Count; i++) if (i < 8 || i >= 12) heap.Free((void*)blocks[i]);
        Assert.True(heap.Audit().IsClean);
    }
}
