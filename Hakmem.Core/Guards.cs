using System.Diagnostics.CodeAnalysis;

namespace Hakmem;

/// <summary>Guard mode (HAKMEM_TINY_REFILL_FAILFAST=1), on in Release builds too: every block taken
/// from or put on a list is checked to lie inside its span on a block boundary measured from the
/// span's start (never absolute alignment: a 48-byte class is not 48-aligned), counters are checked
/// against each other, and a bitmap records exactly which blocks are with the user, so every double
/// free is caught. A failure names the invariant, the class, the slab and the pointer.</summary>
public sealed unsafe partial class HakmemHeap
{
    /// <summary>A block popped from a tier of <paramref name="tc"/>: inside a span the thread owns, of the class.</summary>
    private void GuardCachedBlock(ThreadCache* tc, int c, void* p, string tier) => OwnedSpanOf(tc, c, p, tier);

    /// <summary>A node of a list of span <paramref name="s"/>: inside the carved part, on a block boundary.</summary>
    private static void GuardListNode(Slab* s, void* p, string list)
    {
        nuint rel = (nuint)((byte*)p - s->Start);
        if ((byte*)p < s->Start || rel >= (nuint)s->Carved * s->BlockSize)
            GuardFail($"{list} entries lie inside the carved part of their span", s, p, $"offset {(long)((byte*)p - s->Start)}, carved {s->Carved} x {s->BlockSize}");
        if (rel % s->BlockSize != 0)
            GuardFail($"{list} entries lie on a block boundary measured from the span start", s, p, $"offset {rel} is not a multiple of {s->BlockSize}");
    }

    /// <summary>The block goes to the user: it must not be with the user already.</summary>
    private void GuardHandOut(void* p)
    {
        ulong* word = LiveWord(p, out ulong bit);
        if ((Interlocked.Or(ref *word, bit) & bit) != 0)
            GuardFail("a block handed out is not already live", SpanOfOwnBlock(p, "a block handed out"), p, "live bit already set");
    }

    /// <summary>The block comes back from the user: it must be with the user (exact double-free check).</summary>
    private void GuardTakeBack(Slab* s, void* p)
    {
        ulong* word = LiveWord(p, out ulong bit);
        if ((Interlocked.And(ref *word, ~bit) & bit) == 0)
            throw new HeapCorruptionException((nuint)p, $"double free (guard: block is not live; class {s->Class}, {SlabName(s)})");
    }

    /// <summary>One bit per 16 bytes of the SuperSlab region (every block size is a multiple of 16).</summary>
    private ulong* LiveWord(void* p, out ulong bit)
    {
        SuperSlab* ss = _registry.Find((nuint)p & ~Layout.SuperSlabMask);
        nuint unit = ((nuint)p & Layout.SuperSlabMask) >> 4;
        bit = 1UL << (int)(unit & 63);
        return ss->LiveBits + (unit >> 6);
    }

    private static string SlabName(Slab* s) =>
        s == null ? "no slab" : $"SuperSlab 0x{(nuint)s->Super->Base:x} slab {s->Index}";

    [DoesNotReturn]
    private static void GuardFail(string invariant, Slab* s, void* p, string detail)
    {
        string cls = s == null ? "?" : s->Class.ToString(System.Globalization.CultureInfo.InvariantCulture);
        throw new HeapCorruptionException((nuint)p, $"guard: invariant '{invariant}' violated: {detail} (class {cls}, {SlabName(s)})");
    }
}
