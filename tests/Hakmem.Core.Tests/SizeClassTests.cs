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
    public void The_division_free_block_index_is_exact_over_every_span()
    {
        for (int c = 0; c < SizeClasses.Count; c++)
        {
            uint bs = SizeClasses.BlockSize(c);
            ulong magic = SizeClasses.DivMagic(bs);
            ulong spanBytes = (ulong)SizeClasses.SpanSlabs(c) * 65536;
            Assert.True(spanBytes / bs >= (c < SizeClasses.TinyCount ? 64ul : 8ul));
            for (ulong off = 0; off < spanBytes; off++)
                if (((off * magic) >> SizeClasses.DivShift) != off / bs) Assert.Fail($"class {c}: offset {off}");
        }
    }
}
