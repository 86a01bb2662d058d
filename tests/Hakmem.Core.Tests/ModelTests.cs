using FsCheck;
using FsCheck.Fluent;
using Hakmem;

namespace Hakmem.Tests;

/// <summary>Random sequences of Alloc/Free/Realloc/Calloc/AlignedAlloc over tiny, mid and large sizes,
/// checked against a model of the live blocks: contents preserved, no two live blocks overlap,
/// zeroed where promised, aligned where asked, and the audit agrees with the model.</summary>
public unsafe class ModelTests
{
    public enum Kind { Alloc, Free, Realloc, Calloc, Aligned }

    public readonly record struct Op(Kind Kind, int Size, int Pick, int AlignShift);

    private static readonly Gen<int> Sizes = Gen.Frequency(
        (6, Gen.Choose(0, 1024)),          // tiny
        (3, Gen.Choose(1025, 65536)),      // mid
        (1, Gen.Choose(65537, 600_000)));  // large

    private static readonly Gen<Op> Ops =
        from kind in Gen.Frequency((5, Gen.Constant(Kind.Alloc)), (4, Gen.Constant(Kind.Free)), (2, Gen.Constant(Kind.Realloc)),
                                   (1, Gen.Constant(Kind.Calloc)), (1, Gen.Constant(Kind.Aligned)))
        from size in Sizes
        from pick in Gen.Choose(0, 1 << 20)
        from align in Gen.Choose(0, 20)
        select new Op(kind, size, pick, align);

    private static readonly Arbitrary<Op[]> Sequences = Arb.From(Gen.ArrayOf(Ops));

    private sealed record Live(nint Ptr, int Size, byte Fill);

    [Theory]
    [MemberData(nameof(Knobs.AllWithGuards), MemberType = typeof(Knobs))]
    public void Random_sequences_match_the_model(int fast, bool sll, bool list, bool p0, bool guards)
    {
        var options = Knobs.Options(fast, sll, list, p0, guards);
        Prop.ForAll(Sequences, ops => Run(options, ops))
            .Check(Config.QuickThrowOnFailure.WithMaxTest(60).WithEndSize(300));
    }

    private static void Run(HakmemOptions options, Op[] ops)
    {
        using var heap = new HakmemHeap(options);
        var live = new List<Live>();
        byte fill = 1;
        foreach (var op in ops)
        {
            switch (op.Kind)
            {
                case Kind.Alloc:
                    Add(heap, live, (byte*)heap.Alloc((nuint)op.Size), op.Size, fill++);
                    break;
                case Kind.Calloc:
                {
                    int count = op.Size % 7 + 1;
                    int each = op.Size / count;
                    byte* p = (byte*)heap.Calloc((nuint)count, (nuint)each);
                    Assert.True(p != null);
                    Assert.True(new Span<byte>(p, count * each).IndexOfAnyExcept((byte)0) < 0, "calloc memory is not zero");
                    Add(heap, live, p, count * each, fill++);
                    break;
                }
                case Kind.Aligned:
                {
                    nuint alignment = (nuint)1 << op.AlignShift;
                    byte* p = (byte*)heap.AlignedAlloc(alignment, (nuint)op.Size);
                    Assert.True(p != null);
                    Assert.Equal((nuint)0, (nuint)p % alignment);
                    Add(heap, live, p, op.Size, fill++);
                    break;
                }
                case Kind.Free when live.Count > 0:
                {
                    var b = Take(live, op.Pick);
                    Check(b);
                    heap.Free((void*)b.Ptr);
                    break;
                }
                case Kind.Realloc when live.Count > 0:
                {
                    var b = Take(live, op.Pick);
                    Check(b);
                    byte* p = (byte*)heap.Realloc((void*)b.Ptr, (nuint)op.Size);
                    Assert.True(p != null);
                    int kept = Math.Min(b.Size, op.Size);
                    Assert.True(new Span<byte>(p, kept).IndexOfAnyExcept(b.Fill) < 0, "realloc lost contents");
                    Add(heap, live, p, op.Size, fill++);
                    break;
                }
            }
            if (fill == 0) fill = 1;
        }
        var audit = heap.Audit();
        Assert.Empty(audit.Violations);
        Assert.Equal(live.Count, audit.LiveBlocks);
        foreach (var b in live)
        {
            Check(b);
            heap.Free((void*)b.Ptr);
        }
        audit = heap.Audit();
        Assert.Empty(audit.Violations);
        Assert.Equal(0, audit.LiveBlocks);
    }

    private static void Add(HakmemHeap heap, List<Live> live, byte* p, int size, byte fill)
    {
        Assert.True(p != null);
        Assert.True(heap.UsableSize(p) >= (nuint)size);
        nint start = (nint)p, end = start + Math.Max(size, 1);
        foreach (var b in live)
            Assert.False(start < b.Ptr + Math.Max(b.Size, 1) && b.Ptr < end, $"block 0x{start:x}+{size} overlaps live 0x{b.Ptr:x}+{b.Size}");
        new Span<byte>(p, size).Fill(fill);
        live.Add(new Live(start, size, fill));
    }

    private static Live Take(List<Live> live, int pick)
    {
        int i = pick % live.Count;
        var b = live[i];
        live[i] = live[^1];
        live.RemoveAt(live.Count - 1);
        return b;
    }

    private static void Check(Live b) =>
        Assert.True(new Span<byte>((void*)b.Ptr, b.Size).IndexOfAnyExcept(b.Fill) < 0, $"contents of 0x{b.Ptr:x} changed while live");
}
