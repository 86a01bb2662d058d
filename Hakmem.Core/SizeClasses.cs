using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Hakmem;

/// <summary>Size classes. Tiny: 20 classes up to 1 KiB, every 16 bytes up to 128 and 4 per doubling
/// above (the seed's 8 classes left 8-128-byte requests 88 bytes per block on average). Mid: 4 classes
/// per doubling above 1 KiB up to 64 KiB (at most 25% internal waste). Above <see cref="MaxSmall"/> a request is large (mapped
/// directly). Lookup is one table load: no loop, no division.</summary>
internal static unsafe class SizeClasses
{
    public const int TinyCount = 20;
    public const int Count = 44;
    public const nuint MaxTiny = 1024;
    public const nuint MaxSmall = 64 * 1024;
    /// <summary>Requests above this fail (null) instead of wrapping around in rounding.</summary>
    public static readonly nuint MaxRequest = (nuint)1 << 46; // 64 TiB

    private static readonly uint[] s_blockSize =
    [
        16, 32, 48, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384, 448, 512, 640, 768, 896, 1024,
        1280, 1536, 1792, 2048, 2560, 3072, 3584, 4096,
        5120, 6144, 7168, 8192, 10240, 12288, 14336, 16384,
        20480, 24576, 28672, 32768, 40960, 49152, 57344, 65536,
    ];

    // Tiny: index (size + 15) >> 4 (0..64). Mid: index (size + 255) >> 8 (5..256). Unmanaged and never
    // freed: optimized code embeds a static readonly pointer as a constant, so the lookup is one load
    // (an array would first load its reference from the statics).
    private static readonly byte* s_tinyIndex = BuildIndex(4, (int)MaxTiny, 0, TinyCount);
    private static readonly byte* s_midIndex = BuildIndex(8, (int)MaxSmall, TinyCount, Count);

    private static byte* BuildIndex(int shift, int max, int first, int end)
    {
        int length = (max >> shift) + 1;
        var table = (byte*)NativeMemory.Alloc((nuint)length);
        for (int i = 0; i < length; i++)
        {
            int size = i << shift;
            int c = first;
            while (c < end - 1 && s_blockSize[c] < size) c++;
            table[i] = (byte)c;
        }
        return table;
    }

    public static uint BlockSize(int cls) => s_blockSize[cls];

    /// <summary>Class of a request of at most <see cref="MaxSmall"/> bytes (0 gets the smallest).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int ClassOf(nuint size)
    {
        if (size <= MaxTiny) return s_tinyIndex[(size + 15) >> 4];
        return s_midIndex[(size + 255) >> 8];
    }

    /// <summary>64 KiB slabs per span: tiny classes use one; mid classes use enough for 8 blocks.</summary>
    public static int SpanSlabs(int cls)
    {
        uint bs = s_blockSize[cls];
        if (cls < TinyCount) return 1;
        return (int)Math.Max(1, (8 * bs + Layout.SlabSize - 1) / Layout.SlabSize);
    }

    /// <summary>Multiplier m with (offset * m) >> DivShift == offset / blockSize for every offset
    /// inside a span (below 2^19): block index without a division on the free path.</summary>
    public static ulong DivMagic(uint blockSize) => ((1UL << DivShift) + blockSize - 1) / blockSize;
    public const int DivShift = 40;

    /// <summary>Per-thread list caps (TLS SLL, TLS List): about 256 KiB per class, 4..512 blocks.</summary>
    public static int ListCap(int cls) => (int)Math.Clamp(256 * 1024 / s_blockSize[cls], 4, 2048);

    /// <summary>Blocks moved per refill: about 16 KiB, 2..64 blocks.</summary>
    public static int Batch(int cls) => (int)Math.Clamp(16 * 1024 / s_blockSize[cls], 2, 64);
}
