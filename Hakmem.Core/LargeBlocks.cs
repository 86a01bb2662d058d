namespace Hakmem;

/// <summary>The large blocks of a heap (above 64 KiB): each its own whole-page mapping, known by its start
/// address. Free never trusts anything stored in the block itself. The dictionary has a lock of its
/// own, held only around the dictionary: never while mapping, unmapping, or asking another heap.</summary>
internal sealed unsafe class LargeBlocks
{
    private readonly Lock _lock = new();
    private readonly Dictionary<nuint, nuint> _blocks = new();
    private long _bytes, _allocs;

    public void Add(void* p, nuint bytes)
    {
        lock (_lock)
        {
            _blocks.Add((nuint)p, bytes);
            _bytes += (long)bytes;
            _allocs++;
        }
    }

    /// <summary>Takes the block starting at <paramref name="p"/> out; false when there is none.</summary>
    public bool TryRemove(void* p, out nuint bytes)
    {
        lock (_lock)
        {
            if (!_blocks.Remove((nuint)p, out bytes)) return false;
            _bytes -= (long)bytes;
            return true;
        }
    }

    public bool TryGetSize(void* p, out nuint bytes)
    {
        lock (_lock) return _blocks.TryGetValue((nuint)p, out bytes);
    }

    /// <summary>The block <paramref name="p"/> points into (start included), if any.</summary>
    public (nuint Start, nuint Bytes)? BlockContaining(void* p)
    {
        nuint a = (nuint)p;
        lock (_lock)
        {
            foreach (var (start, bytes) in _blocks)
                if (a >= start && a < start + bytes) return (start, bytes);
        }
        return null;
    }

    public (long Blocks, long Bytes, long Allocs) Counts()
    {
        lock (_lock) return (_blocks.Count, _bytes, _allocs);
    }

    /// <summary>Unmaps every block (the heap is being disposed); returns the bytes given back.</summary>
    public long UnmapAll()
    {
        lock (_lock)
        {
            foreach (var (start, bytes) in _blocks) Os.Unmap((void*)start, bytes);
            _blocks.Clear();
            long freed = _bytes;
            _bytes = 0;
            return freed;
        }
    }
}
