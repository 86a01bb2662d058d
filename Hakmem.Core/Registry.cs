using System.Runtime.CompilerServices;

namespace Hakmem;

/// <summary>Open-addressing hash of SuperSlab bases to their metadata. Lookups are lock-free and
/// probe at most <see cref="MaxProbe"/> slots; inserts and removals run under the heap lock. A key is
/// published after its value, so a reader that sees the key sees the value.</summary>
internal unsafe struct Registry
{
    public struct Entry
    {
        public nuint Key;
        public SuperSlab* Value;
    }

    private const nuint Tombstone = 1;
    public const int MaxProbe = 32;
    public const int Bits = 16; // 65536 entries: 128 GiB of SuperSlabs at full load

    private Entry* _table;
    private nuint _mask;

    public static Registry Create()
    {
        nuint entries = (nuint)1 << Bits;
        var r = new Registry { _table = (Entry*)Os.Map(entries * (nuint)sizeof(Entry)), _mask = entries - 1 };
        if (r._table == null) throw new OutOfMemoryException("cannot map the SuperSlab registry");
        return r;
    }

    public readonly bool IsCreated => _table != null;

    /// <summary>The SuperSlab number modulo the table size: the OS hands out mappings close together, so
    /// consecutive numbers fill consecutive slots without collisions (two bases collide only 128 GiB
    /// apart), and the free path's dependent chain has no multiply in it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static nuint Hash(nuint @base) => (@base >> Layout.SuperSlabShift) & (((nuint)1 << Bits) - 1);

    /// <summary>The home slot inline (where every base lands unless two collide), the probe out of line:
    /// the free path stays short and keeps its registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly SuperSlab* Find(nuint @base)
    {
        Entry* e = _table + Hash(@base);
        return Volatile.Read(ref e->Key) == @base ? e->Value : Probe(@base);
    }

    /// <summary>The home slot only: null when the base is not there (it may still be further along the
    /// probe; <see cref="Find"/> says for sure). For a fast path that leaves every miss to a slow one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly SuperSlab* FindHome(nuint @base)
    {
        Entry* e = _table + Hash(@base);
        return Volatile.Read(ref e->Key) == @base ? e->Value : null;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private readonly SuperSlab* Probe(nuint @base)
    {
        Entry* t = _table;
        nuint i = Hash(@base);
        for (int n = 0; n < MaxProbe; n++)
        {
            nuint k = Volatile.Read(ref t[i].Key);
            if (k == @base) return t[i].Value;
            if (k == 0) return null;
            i = (i + 1) & _mask;
        }
        return null;
    }

    /// <summary>False when the probe window is full (the caller gives the region back).</summary>
    public readonly bool Insert(nuint @base, SuperSlab* ss)
    {
        nuint i = Hash(@base);
        for (int n = 0; n < MaxProbe; n++)
        {
            nuint k = t(i).Key;
            if (k == 0 || k == Tombstone)
            {
                t(i).Value = ss;
                Volatile.Write(ref t(i).Key, @base);
                return true;
            }
            i = (i + 1) & _mask;
        }
        return false;
    }

    public readonly void Remove(nuint @base)
    {
        nuint i = Hash(@base);
        for (int n = 0; n < MaxProbe; n++)
        {
            nuint k = t(i).Key;
            if (k == @base) { Volatile.Write(ref t(i).Key, Tombstone); return; }
            if (k == 0) return;
            i = (i + 1) & _mask;
        }
    }

    private readonly ref Entry t(nuint i) => ref _table[i];

    public void Destroy()
    {
        if (_table == null) return;
        Os.Unmap(_table, (_mask + 1) * (nuint)sizeof(Entry));
        _table = null;
    }
}
