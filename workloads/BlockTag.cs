using System.Runtime.CompilerServices;

namespace Hakmem.Workloads;

/// <summary>Every block a workload allocates carries its block id: in the first word and, xor a key, in
/// the last whole word (blocks under 8 bytes: the low bytes of the id turned so that its serial comes
/// first, so that two tiny blocks of one size still differ). The id is unique per allocation and
/// encodes the size, and the workload keeps it next to the pointer, so a block checked before it is
/// freed has its own id unless something wrote into it while it was live: an overlapping block, the
/// same block handed out twice, or an allocator that put a live block on a free list. Just before a
/// block is freed its first word is poisoned, so a second reference to it cannot pass the check.</summary>
public static unsafe class BlockTag
{
    public const int SizeBits = 24;
    public const nuint MaxSize = ((nuint)1 << SizeBits) - 1;
    private const ulong TailKey = 0x7A11_7A11_7A11_7A11;

    /// <summary>An id: thread slot (8 bits), per-thread serial (32 bits), size (24 bits).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Id(uint thread, ulong serial, nuint size) =>
        ((ulong)thread << 56) | ((serial & 0xFFFF_FFFF) << SizeBits) | (ulong)size;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static nuint SizeOf(ulong id) => (nuint)(id & MaxSize);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Write(void* p, ulong id)
    {
        nuint size = SizeOf(id);
        if (size >= 8)
        {
            *(ulong*)p = id;
            if (size >= 16) *(ulong*)((byte*)p + (size & ~(nuint)7) - 8) = id ^ TailKey;
        }
        else
        {
            ulong tiny = Tiny(id);
            for (nuint i = 0; i < size; i++) ((byte*)p)[i] = (byte)(tiny >> (int)(8 * i));
        }
    }

    /// <summary>What a block under 8 bytes holds: the id rotated so that the serial, then the thread, come
    /// before the size (which every block of that size shares).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Tiny(ulong id) => ulong.RotateRight(id, SizeBits);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Check(void* p, ulong id)
    {
        nuint size = SizeOf(id);
        if (size >= 8)
            return *(ulong*)p == id && (size < 16 || *(ulong*)((byte*)p + (size & ~(nuint)7) - 8) == (id ^ TailKey));
        ulong tiny = Tiny(id);
        for (nuint i = 0; i < size; i++)
            if (((byte*)p)[i] != (byte)(tiny >> (int)(8 * i))) return false;
        return true;
    }

    /// <summary>Overwrite the id of a block about to be freed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Poison(void* p, ulong id)
    {
        nuint size = SizeOf(id);
        if (size >= 8) *(ulong*)p = ~id;
        else if (size > 0) *(byte*)p = (byte)~Tiny(id);
    }
}
