using System.Runtime.CompilerServices;

namespace Hakmem.Workloads;

/// <summary>Every block a workload allocates carries a tag derived from its address and size: the
/// first word, the size in the second, and the address again in the last whole word. A block checked
/// before it is freed still has its tag unless something else wrote into it while it was live: an
/// overlapping block, or an allocator that put a live block on a free list.</summary>
public static unsafe class BlockTag
{
    private const ulong HeadKey = 0xB10C_7A6A_11C0_FFEE;
    private const ulong SizeKey = 0x5EED_5EED_5EED_5EED;
    private const ulong TailKey = 0x7A11_7A11_7A11_7A11;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Write(void* p, nuint size)
    {
        ulong head = (ulong)p ^ HeadKey;
        if (size >= 8)
        {
            *(ulong*)p = head;
            if (size >= 16) ((ulong*)p)[1] = size ^ SizeKey;
            if (size >= 24) *(ulong*)((byte*)p + (size & ~(nuint)7) - 8) = (ulong)p ^ TailKey;
        }
        else
        {
            for (nuint i = 0; i < size; i++) ((byte*)p)[i] = (byte)(head >> (int)(8 * i));
        }
    }

    /// <summary>True when the block still carries the tag written for (p, size).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Check(void* p, nuint size)
    {
        ulong head = (ulong)p ^ HeadKey;
        if (size >= 8)
        {
            if (*(ulong*)p != head) return false;
            if (size >= 16 && ((ulong*)p)[1] != (size ^ SizeKey)) return false;
            return size < 24 || *(ulong*)((byte*)p + (size & ~(nuint)7) - 8) == ((ulong)p ^ TailKey);
        }
        for (nuint i = 0; i < size; i++)
            if (((byte*)p)[i] != (byte)(head >> (int)(8 * i))) return false;
        return true;
    }

    /// <summary>The size a block of at least 16 bytes was tagged with, or 0 when the size word is not intact.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static nuint SizeOf(void* p) => (nuint)(((ulong*)p)[1] ^ SizeKey);
}
