using Hakmem;

namespace Hakmem.Tests;

public class SizeClassTests
{
    [Fact]
    public void Every_size_gets_the_smallest_class_that_holds_it()
    {
        for (nuint size = 0; size <= SizeClasses.MaxSmall; size++)
        {
            int c = SizeClasses.ClassOf(size);
            Assert.True(SizeClasses.BlockSize(c) >= size, $"size {size} -> class {c}");
            if (c > 0) Assert.True(SizeClasses.BlockSize(c - 1) < Math.Max(size, 1), $"size {size} could use class {c - 1}");
        }
    }

    [Fact]
    public unsafe void The_thread_cache_record_alloc_looks_up_by_size_is_its_class_record()
    {
        var tc = (ThreadCache*)System.Runtime.InteropServices.NativeMemory.AllocZeroed(ThreadCache.Bytes(0));
        try
        {
            for (nuint size = 0; size <= SizeClasses.MaxSmall; size++)
                Assert.Equal(SizeClasses.ClassOf(size), ThreadCache.ClassOf(tc, ThreadCache.CacheFor(tc, size)));
            for (int c = 0; c < SizeClasses.Count; c++)
                Assert.True((ClassCache*)((byte*)tc + ThreadCache.CacheOffset(c)) == ThreadCache.Classes(tc) + c);
        }
        finally
        {
            System.Runtime.InteropServices.NativeMemory.Free(tc);
        }
    }

    [Fact]
    public void Tiny_classes_are_16_bytes_apart_up_to_128_and_every_class_above_wastes_at_most_a_quarter()
    {
        Assert.Equal(1024u, SizeClasses.BlockSize(SizeClasses.TinyCount - 1));
        for (int c = 0; c < 8; c++) Assert.Equal(16u * (uint)(c + 1), SizeClasses.BlockSize(c));
        for (int c = 8; c < SizeClasses.Count; c++)
        {
            uint prev = SizeClasses.BlockSize(c - 1);
            Assert.True((SizeClasses.BlockSize(c) - prev - 1) <= 0.25 * SizeClasses.BlockSize(c), $"class {c}");
            Assert.Equal(0u, SizeClasses.BlockSize(c) % 16);
        }
    }

    [Fact]
    public void The_one_multiply_block_index_accepts_exactly_the_block_starts_of_every_span()
    {
        for (int c = 0; c < SizeClasses.Count; c++)
        {
            uint bs = SizeClasses.BlockSize(c);
            var (inverse, shift) = SizeClasses.BlockIndexer(bs);
            ulong spanBytes = (ulong)SizeClasses.SpanSlabs(c) * 65536;
            ulong capacity = spanBytes / bs;
            Assert.True(capacity >= (c < SizeClasses.TinyCount ? 64ul : 4ul));
            if (c >= SizeClasses.TinyCount) Assert.Equal((bs * 4 + 65535) / 65536, (uint)SizeClasses.SpanSlabs(c)); // the fewest slabs for 4 blocks
            for (ulong off = 0; off < spanBytes + 2 * bs; off++)
            {
                bool start = off % bs == 0 && off / bs < capacity;
                ulong index = SizeClasses.BlockIndex(off, inverse, shift);
                if ((index < capacity) != start) Assert.Fail($"class {c} ({bs} B): offset {off} gives index {index}");
                if (start && index != off / bs) Assert.Fail($"class {c}: offset {off} gives index {index}, not {off / bs}");
            }
            // Below the span's start (the offset wraps around) and far past it: never a block.
            foreach (ulong off in new[] { ulong.MaxValue, ulong.MaxValue - 15, 0UL - bs, 0UL - 16 * bs, 1UL << 40, (1UL << 63) + bs })
                Assert.True(SizeClasses.BlockIndex(off, inverse, shift) >= capacity, $"class {c}: offset 0x{off:x}");
        }
    }
}
