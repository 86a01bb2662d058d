using System.Numerics;
using System.Runtime.InteropServices;

namespace Hakmem;

/// <summary>The rest of the malloc API, built on Alloc and Free.</summary>
public sealed unsafe partial class HakmemHeap
{
    /// <summary>Bytes usable in the block at <paramref name="p"/> (at least what was asked for).</summary>
    public nuint UsableSize(void* p)
    {
        if (p == null) return 0;
        ThrowIfDisposed();
        SuperSlab* ss = _registry.Find((nuint)p & ~Layout.SuperSlabMask);
        if (ss == null) return LargeUsableSize(p);
        return SpanOfBlock(ss, p)->BlockSize;
    }

    /// <summary>glibc semantics: null allocates; the block keeps its place when the new size fits its
    /// usable size and uses at least half of it; otherwise a new block gets the contents. On failure
    /// null is returned and the old block stays valid.</summary>
    public void* Realloc(void* p, nuint size)
    {
        if (p == null) return Alloc(size);
        nuint usable = UsableSize(p);
        if (size <= usable && size >= usable / 2) return p;
        void* q = Alloc(size);
        if (q == null) return null;
        nuint keep = Math.Min(size, usable);
        Buffer.MemoryCopy(p, q, keep, keep);
        Free(p);
        return q;
    }

    /// <summary><see cref="Realloc"/> through a thread's own cache (<see cref="HakmemThread.Realloc"/>): the
    /// same rule, with the allocation and the free on the thread's paths. A small block's size comes from
    /// its registry record (no lock, no lookup); a large block's from the large-block table, under its
    /// lock as its free takes it.</summary>
    internal void* ReallocWith(ThreadCache* tc, void* p, nuint size)
    {
        if (p == null) return AllocWith(tc, size);
        nuint usable = UsableSizeOfBlock(p);
        if (size <= usable && size >= usable / 2) return p;
        void* q = AllocWith(tc, size);
        if (q == null) return null;
        nuint keep = Math.Min(size, usable);
        Buffer.MemoryCopy(p, q, keep, keep);
        FreeWith(tc, p);
        return q;
    }

    /// <summary><see cref="UsableSize"/> with the free path's first step: the record of p's slot, when it
    /// holds p as a block, says its size; anything else (a large block, guard mode, a bad pointer, which
    /// throws there) takes the general way.</summary>
    private nuint UsableSizeOfBlock(void* p)
    {
        if (!_checked)
        {
            Slab* r = _registry.SlabOf(p);
            if (IsBlockOf(r, p)) return r->BlockSize;
        }
        return UsableSize(p);
    }

    /// <summary>Zeroed memory for <paramref name="count"/> elements; null when count * size overflows.</summary>
    public void* Calloc(nuint count, nuint size)
    {
        ulong high = Math.BigMul((ulong)count, (ulong)size, out ulong total);
        if (high != 0 || total > SizeClasses.MaxRequest) return null;
        if (total > SizeClasses.MaxSmall) return AllocLarge((nuint)total, 0, zero: true); // fresh pages are zero already
        void* p = Alloc((nuint)total);
        if (p != null) NativeMemory.Clear(p, (nuint)total);
        return p;
    }

    /// <summary>A block whose address is a multiple of <paramref name="alignment"/> (a power of two),
    /// freed by plain <see cref="Free"/>. Up to 64 KiB it is a power-of-two size class (spans start on
    /// 64 KiB boundaries, so such blocks are aligned to their size); above, an aligned mapping.</summary>
    public void* AlignedAlloc(nuint alignment, nuint size)
    {
        if (alignment == 0 || !BitOperations.IsPow2((ulong)alignment))
            throw new ArgumentException($"alignment {alignment} is not a power of two", nameof(alignment));
        if (alignment <= Layout.MinBlock) return Alloc(size);
        if (size > SizeClasses.MaxRequest) return null;
        nuint n = Math.Max(size, alignment);
        if (n <= SizeClasses.MaxSmall) return Alloc((nuint)BitOperations.RoundUpToPowerOf2((ulong)n));
        ThrowIfDisposed();
        return AllocLarge(n, alignment);
    }
}
