using System.Numerics;
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

    /// <summary>64 KiB slabs per span: tiny classes use one; mid classes use enough for 4 blocks (one slab up to
    /// 16 KiB, as mimalloc's small pages). A smaller span empties sooner: blocks freed in a batch by another thread
    /// leave whole spans to give back rather than holes beside live blocks, which only their class can use again.</summary>
    public static int SpanSlabs(int cls)
    {
        uint bs = s_blockSize[cls];
        if (cls < TinyCount) return 1;
        return (int)Math.Max(1, (SpanBlocks * bs + Layout.SlabSize - 1) / Layout.SlabSize);
    }

    private const uint SpanBlocks = 4;

    /// <summary>The block index of an offset in one multiplication, exact or out of range: a block size is
    /// d = odd * 2^shift; with inverse the multiplicative inverse of odd modulo 2^64, rotating
    /// offset * inverse right by shift gives offset / d when d divides offset, and a value of at least
    /// 2^64 / d (far above any capacity) when it does not. So "offset is the start of block index &lt;
    /// capacity" is one multiply, one rotate and one compare, for every 64-bit offset (a pointer below
    /// the span's start included).</summary>
    public static (ulong Inverse, byte Shift) BlockIndexer(uint blockSize)
    {
        int shift = BitOperations.TrailingZeroCount(blockSize);
        ulong odd = blockSize >> shift, inverse = odd; // Newton's iteration: each step doubles the correct low bits
        for (int i = 0; i < 5; i++) inverse *= 2 - odd * inverse;
        return (inverse, (byte)shift);
    }

    /// <summary>The index of the block starting at <paramref name="offset"/>, or a value of at least
    /// 2^48 when no block starts there (see <see cref="BlockIndexer"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong BlockIndex(ulong offset, ulong inverse, int shift) => BitOperations.RotateRight(offset * inverse, shift);

    /// <summary>Per-thread list caps (TLS SLL, TLS List): about 256 KiB per class, 4..512 blocks.</summary>
    public static int ListCap(int cls) => (int)Math.Clamp(256 * 1024 / s_blockSize[cls], 4, 2048);

    /// <summary>Blocks moved per refill: about 16 KiB, 2..64 blocks.</summary>
    public static int Batch(int cls) => (int)Math.Clamp(16 * 1024 / s_blockSize[cls], 2, 64);
}
