namespace Hakmem.Workloads.Tests;

public class BlockTagTests
{
    [Fact]
    public unsafe void Tiny_blocks_of_one_size_carry_different_tags()
    {
        byte block = 0;
        ulong first = BlockTag.Id(0, 1, 1), second = BlockTag.Id(0, 2, 1);
        BlockTag.Write(&block, first);
        Assert.True(BlockTag.Check(&block, first));
        Assert.False(BlockTag.Check(&block, second)); // a one-byte block handed out twice shows
        BlockTag.Poison(&block, first);
        Assert.False(BlockTag.Check(&block, first));
    }
}
