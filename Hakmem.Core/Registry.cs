using System.Runtime.CompilerServices;

namespace Hakmem;

/// <summary>The heap's registry of SuperSlabs, which is also where their Slab records live: a table of
/// one record per 64 KiB slot of address space, modulo <see cref="Window"/>. The record of the slot holding
/// p is at (p >> 16) mod <see cref="Slots"/>, so free reaches it from the address with a shift and a mask:
/// no hash, no probe, no dependent load. It needs no key compare either: a record accepts only the block
/// starts of its own span (the exact block check that refuses interior pointers), and a free slot has
/// Capacity 0, so the record of a slot that is not p's refuses p, and the caller takes its slow path.
/// A SuperSlab takes the 32 records of its group (base >> 21 mod <see cref="Groups"/>); the heap maps
/// no SuperSlab whose group is taken (one a multiple of the window away), so every registered SuperSlab
/// is found at its group with one compare. Records are written under the heap lock; a group's key (the
/// SuperSlab's base) is published after its records and cleared before them, so a lock-free
/// <see cref="Find"/> that sees the key sees the SuperSlab.</summary>
internal unsafe struct Registry
{
    public const int SlotBits = 19;
    /// <summary>Records: 64 MiB of address space, touched one page per SuperSlab.</summary>
    public const nuint Slots = (nuint)1 << SlotBits;
    public const nuint Groups = Slots / Layout.SlabsPerSuperSlab;
    /// <summary>Address space the table covers before two slots share a record: 32 GiB of SuperSlabs.</summary>
    public const ulong Window = (ulong)Slots << Layout.SlabShift;
    private const int RecordShift = 7; // sizeof(Slab) == 128

    private Slab* _slabs;

    public static Registry Create()
    {
        var r = new Registry { _slabs = (Slab*)Os.Map(Slots * (nuint)sizeof(Slab)) };
        if (r._slabs == null) throw new OutOfMemoryException("cannot map the SuperSlab registry");
        return r;
    }

    /// <summary>The record of the slot holding <paramref name="p"/> in this table: p's own when p lies in a
    /// registered SuperSlab; otherwise another slot's or an unused one, which refuses p in the block check.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Slab* SlabOf(void* p) =>
        (Slab*)((byte*)_slabs + (((nuint)p >> (Layout.SlabShift - RecordShift)) & ((Slots - 1) << RecordShift)));

    /// <summary>The first record of the group of a SuperSlab base.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private readonly Slab* Group(nuint @base) => _slabs + ((@base >> Layout.SlabShift) & (Slots - 1));

    /// <summary>The registered SuperSlab at <paramref name="base"/> (2 MiB aligned), or null. Lock-free.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly SuperSlab* Find(nuint @base)
    {
        Slab* g = Group(@base);
        return Volatile.Read(ref g->GroupKey) == @base && @base != 0 ? g->Super : null;
    }

    /// <summary>Whether a SuperSlab at <paramref name="base"/> could be registered (heap lock).</summary>
    public readonly bool IsFree(nuint @base) => Group(@base)->Super == null;

    /// <summary>The 32 records for a SuperSlab at <paramref name="base"/>, whose group is free (heap lock);
    /// it is found only once <see cref="Publish"/> has run.</summary>
    public readonly Slab* Claim(nuint @base) => Group(@base);

    public readonly void Publish(nuint @base) => Volatile.Write(ref Group(@base)->GroupKey, @base);

    /// <summary>Unregister the SuperSlab at <paramref name="base"/> and free its group (heap lock). Every
    /// record loses its capacity, and keeps its start and inverse: a free reading one meanwhile (of a pointer
    /// elsewhere whose slot falls here) sees a capacity of 0, or a whole record that refuses it, never an
    /// inverse of 0 (which would make every offset index 0).</summary>
    public readonly void Remove(nuint @base)
    {
        Slab* g = Group(@base);
        if (g->GroupKey != @base) return;
        Volatile.Write(ref g->GroupKey, 0);
        for (int k = 0; k < Layout.SlabsPerSuperSlab; k++)
        {
            Volatile.Write(ref g[k].Capacity, 0);
            g[k].Super = null;
        }
    }

    public void Destroy()
    {
        if (_slabs == null) return;
        Os.Unmap(_slabs, Slots * (nuint)sizeof(Slab));
        _slabs = null;
    }
}
