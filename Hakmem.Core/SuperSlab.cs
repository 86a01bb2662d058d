using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Hakmem;

/// <summary>Metadata of one 64 KiB slab slot; for the head slot of a span it describes the span. The
/// other slots of a span hold replicas of what the free path reads (Start, Owner, Inverse, Shift, BlockSize,
/// Capacity, Class, CacheOffset), so that free reads its slot's record without going through HeadSlab first;
/// everything else lives in the head only.
/// 128 bytes, so a slot's record is found with a shift. The first cache line holds everything the
/// free path reads (Start, Inverse, Shift, Capacity, Owner, CacheOffset) and the
/// owner's list fields; the second holds the slow-path links and the remote queue head, so frees
/// from other threads do not bounce the line every free reads.</summary>
[StructLayout(LayoutKind.Explicit, Size = 128)]
internal unsafe struct Slab
{
    [FieldOffset(0)] public void* FreeList;       // owner only
    [FieldOffset(8)] public byte* Start;          // first block (the span's base)
    [FieldOffset(16)] public ThreadCache* Owner;  // null when free or abandoned (then it is on the heap's abandoned list)
    [FieldOffset(24)] public Slab* HeadSlab;      // the span's head Slab (self for the head): one load on free
    [FieldOffset(32)] public ulong Inverse;       // SizeClasses.BlockIndexer(BlockSize): the odd part's inverse
    [FieldOffset(40)] public uint BlockSize;
    [FieldOffset(44)] public uint Capacity;       // blocks in the span (0 for a free slot)
    [FieldOffset(48)] public uint Carved;         // blocks ever handed out of the linear area
    [FieldOffset(52)] public uint Used;           // carved blocks not on FreeList (user, caches, remote queue)
    [FieldOffset(56)] public short Class;         // -1 when the slot is free
    [FieldOffset(58)] public byte Index;          // slot index in the SuperSlab
    [FieldOffset(59)] public byte Span;           // slots in the span (head only)
    [FieldOffset(60)] public byte Shift;          // SizeClasses.BlockIndexer(BlockSize): the power of two
    [FieldOffset(62)] public ushort CacheOffset;  // ThreadCache.CacheOffset(Class): where free finds the class's cache record
    [FieldOffset(64)] public Slab* Next;          // owner's ring per class, or the abandoned list
    [FieldOffset(72)] public Slab* Prev;
    [FieldOffset(80)] public SuperSlab* Super;
    [FieldOffset(88)] public nuint GroupKey;      // registry: the base of the SuperSlab whose group starts here (first record of a group)
    [FieldOffset(96)] public void* RemoteHead;    // MPSC stack of blocks freed by other threads
    [FieldOffset(104)] public Slab* EmptiedNext;  // the owner's list of spans other threads' frees emptied (RemoteQueue.Listed)

    /// <summary>Blocks this span can still give without a remote drain.</summary>
    public readonly bool HasLocalBlocks
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => FreeList != null || Carved < Capacity;
    }
}

/// <summary>Out-of-band header of a SuperSlab: its base, which slots are free, and where its 32 Slab
/// records are (its group of the registry; its own copy only when left out of the registry by the
/// registry-miss canary). It is mapped separately from the 2 MiB region so that user overruns cannot
/// reach it.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct SuperSlab
{
    public const ulong MagicValue = 0x48414B4D454D5353; // "HAKMEMSS"
    public const int SlabsOffset = 128;
    public static readonly nuint MetaBytes = Os.RoundUpToPage(SlabsOffset + (nuint)(Layout.SlabsPerSuperSlab * sizeof(Slab)));
    /// <summary>Guard mode: one bit per 16 bytes of the region, set while a block is with the user.</summary>
    public static readonly nuint LiveBitsBytes = Layout.SuperSlabSize / Layout.MinBlock / 8;

    public ulong Magic;
    public byte* Base;
    public long HeapId;
    public uint FreeMask;            // bit i set: slot i free (heap lock)
    public int Resting;              // 1: empty, its pages given up with Os.Rest until a span is carved from it (heap lock)
    public uint WrittenMask;         // bit i set: slot i was carved since the mapping: its pages may be resident (heap lock)
    public SuperSlab* Next;          // heap's list of SuperSlabs (heap lock)
    public SuperSlab* Prev;
    public ulong* LiveBits;          // guard mode only, else null
    public Slab* SlabArray;          // the 32 records: in the registry, or OwnSlabs

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Slab* Slabs(SuperSlab* ss) => ss->SlabArray;

    /// <summary>The records' place in the header's own mapping, for a SuperSlab outside the registry.</summary>
    public static Slab* OwnSlabs(SuperSlab* ss) => (Slab*)((byte*)ss + SlabsOffset);

    /// <summary>Records of free slots, each its own span of nothing: Class -1, Capacity 0.</summary>
    public static void InitSlabs(SuperSlab* ss, Slab* slabs)
    {
        ss->SlabArray = slabs;
        for (int k = 0; k < Layout.SlabsPerSuperSlab; k++)
        {
            slabs[k].Super = ss;
            slabs[k].Index = (byte)k;
            slabs[k].HeadSlab = slabs + k;
            slabs[k].Class = -1;
        }
    }

    /// <summary>The head Slab of the span holding <paramref name="p"/>, which lies in this SuperSlab.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Slab* SpanOf(SuperSlab* ss, void* p)
    {
        nuint slot = ((nuint)p & Layout.SuperSlabMask) >> Layout.SlabShift;
        return Slabs(ss)[slot].HeadSlab;
    }

    /// <summary>First index of <paramref name="count"/> contiguous free slots, or -1: bit j of the mask ANDed with its
    /// shifts by 1 .. count - 1 is set when slots j .. j + count - 1 are all free (shifts bring in zeros: no slot past
    /// the last).</summary>
    public static int FindFreeRun(uint freeMask, int count)
    {
        uint runs = freeMask;
        for (int i = 1; i < count && runs != 0; i++) runs &= freeMask >> i;
        return runs == 0 ? -1 : BitOperations.TrailingZeroCount(runs);
    }
}
