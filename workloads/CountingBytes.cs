using System.Runtime.CompilerServices;

namespace Hakmem.Workloads;

/// <summary>The fill of glibc's malloc benchmarks: byte g of a block holds g (mod 256); and the check the
/// workloads add before a free, of the first bytes only (the line the free itself touches).</summary>
public static unsafe class CountingBytes
{
    private const ulong FirstEight = 0x0706_0504_0302_0100;

    /// <summary>Every byte written, eight at a time as the C compilers' vectorized loop does (a byte loop
    /// would charge each block's fill, not its allocation, to the allocator): the eight bytes from a
    /// multiple of 8 never carry into each other.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Fill(byte* p, nuint size)
    {
        nuint g = 0;
        for (; g + 8 <= size; g += 8) *(ulong*)(p + g) = FirstEight + (g & 0xFF) * 0x0101_0101_0101_0101UL;
        for (; g < size; g++) p[g] = (byte)g;
    }

    /// <summary>Whether the first <paramref name="bytes"/> (at most 8) of the block still count 0, 1, 2, ...</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool HeadIntact(byte* p, uint bytes)
    {
        if (bytes == 8) return *(ulong*)p == FirstEight;
        if (bytes == 4) return *(uint*)p == unchecked((uint)FirstEight);
        for (uint g = 0; g < bytes; g++)
            if (p[g] != (byte)g) return false;
        return true;
    }
}
