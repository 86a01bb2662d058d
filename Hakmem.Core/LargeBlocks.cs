using System.Numerics;

namespace Hakmem;

/// <summary>The large blocks of a heap (above 64 KiB): each its own whole-page mapping, known by its start
/// address, plus a cache of freed mappings for reuse. Free never trusts anything stored in the block
/// itself. Mappings up to <see cref="MaxCached"/> are sized by class (4 per doubling, at most 25% more
/// address space than asked for), so any cached mapping of a class serves any request of it without a
/// syscall, with the pages its earlier users touched still in place. The cache keeps at most its byte
/// cap; a mapping nobody took back within the decay period goes back to the OS (a timer looks every
/// period while the cache holds any), and <see cref="TrimAll"/> empties it when the memory cap refuses.
/// Cached mappings stay counted in the budget: they are mapped. One lock of its own, held only around
/// the dictionary and the bins: never while mapping, unmapping, or asking another heap.</summary>
internal sealed unsafe class LargeBlocks(long cacheCap, int decayMs, MemoryBudget budget)
{
    /// <summary>Mappings above this are page-sized and never cached: their syscalls cost little next
    /// to touching them, and a cached one would hold that much memory.</summary>
    public const nuint MaxCached = 32u << 20;
    private const int MinShift = 16; // classes start above 64 KiB
    private const nuint RoomAbove = 4u << 20; // misses of bigger mappings resize a cached one (TakeToResize)
    private const int BinCount = (25 - MinShift) * 4 + 4; // up to MaxCached = 2^25

    private struct Cached
    {
        public nuint Start;
        public long FreedAt; // Environment.TickCount64
    }

    private readonly Lock _lock = new();
    private readonly Dictionary<nuint, nuint> _blocks = new();
    // Per class a stack of cached mappings, newest on top (most likely still in the CPU's caches).
    private readonly Cached[]?[] _bins = new Cached[BinCount][];
    private readonly int[] _binCounts = new int[BinCount];
    private long _bytes, _allocs, _cachedBytes, _cachedBlocks, _hits, _decayed, _resized;
    private Timer? _decayTimer;
    private bool _unmapped;

    /// <summary>The size of the mapping for a request of <paramref name="size"/> bytes: its class's size
    /// when it may be cached, else whole pages.</summary>
    public static nuint MappingSize(nuint size)
    {
        nuint pages = Os.RoundUpToPage(Math.Max(size, 1));
        if (pages > MaxCached || pages <= (1u << MinShift)) return pages;
        int k = BitOperations.Log2((ulong)pages - 1);
        nuint step = (nuint)1 << (k - 2);
        return (pages + step - 1) & ~(step - 1);
    }

    /// <summary>The bin of a class-sized mapping, or -1 for one that is never cached.</summary>
    private static int BinOf(nuint bytes)
    {
        if (bytes > MaxCached || bytes <= (1u << MinShift)) return -1;
        int k = BitOperations.Log2((ulong)bytes);
        nuint step = (nuint)1 << (k - 2);
        if ((bytes & (step - 1)) != 0) return -1; // not a class size
        return (k - MinShift) * 4 + (int)((bytes >> (k - 2)) & 3);
    }

    /// <summary>A cached mapping of exactly <paramref name="bytes"/>, now a live block; null when none.</summary>
    public void* TakeCached(nuint bytes)
    {
        int bin = BinOf(bytes);
        if (bin < 0 || cacheCap == 0) return null; // off: no lock to take
        lock (_lock)
        {
            int n = _binCounts[bin];
            if (n == 0) return null;
            nuint start = _bins[bin]![--n].Start;
            _binCounts[bin] = n;
            _cachedBytes -= (long)bytes;
            _cachedBlocks--;
            _hits++;
            AddLocked(start, bytes);
            return (void*)start;
        }
    }

    /// <summary>For a miss of a mapping above 4 MiB (the cache had none of its class): a cached mapping above
    /// 4 MiB, taken out of the cache to be resized (mremap) into the new block: the smallest at least as big, else
    /// the biggest; null when there is none. Its touched pages serve the new block instead of fresh ones mapped
    /// beside it (a resize moves page tables, it copies nothing): mapping new memory while the cache holds big
    /// mappings nobody asked for again adds the two, and malloc-large's 5-25 MiB blocks of random classes took
    /// 1.65x mimalloc's peak RSS that way.</summary>
    public (nuint Start, nuint Bytes)? TakeToResize(nuint bytes)
    {
        // Below RoomAbove a miss costs a syscall or two and the cache's exact hits save many times that
        // (large_mixed's 64 KiB-4 MiB churn lives on them); above it, the pages touched are the cost.
        if (bytes <= RoomAbove || Volatile.Read(ref _cachedBlocks) == 0) return null;
        lock (_lock)
        {
            int best = -1;
            for (int bin = BinOf(MappingSize(RoomAbove + 1)); bin < BinCount; bin++)
            {
                if (_binCounts[bin] == 0) continue;
                best = bin;
                if (BinBytes(bin) >= bytes) break; // the smallest at least as big; else the loop ends on the biggest
            }
            if (best < 0) return null;
            nuint size = BinBytes(best);
            nuint start = _bins[best]![--_binCounts[best]].Start; // the newest: its pages are the likeliest still warm
            _cachedBytes -= (long)size;
            _cachedBlocks--;
            _resized++;
            return (start, size);
        }
    }

    public void Add(void* p, nuint bytes)
    {
        lock (_lock) AddLocked((nuint)p, bytes);
    }

    private void AddLocked(nuint p, nuint bytes)
    {
        _blocks.Add(p, bytes);
        _bytes += (long)bytes;
        _allocs++;
    }

    /// <summary>Frees the live block starting at <paramref name="p"/>: its mapping goes into the cache when
    /// it fits, else back to the OS. False when there is no such block.</summary>
    public bool Free(void* p)
    {
        nuint bytes;
        lock (_lock)
        {
            if (!_blocks.Remove((nuint)p, out bytes)) return false;
            _bytes -= (long)bytes;
            int bin = BinOf(bytes);
            if (bin >= 0 && _cachedBytes + (long)bytes <= cacheCap)
            {
                ref Cached[]? stack = ref _bins[bin];
                int n = _binCounts[bin];
                if (stack == null || n == stack.Length) Array.Resize(ref stack, Math.Max(4, n * 2));
                stack[n] = new Cached { Start = (nuint)p, FreedAt = Environment.TickCount64 };
                _binCounts[bin] = n + 1;
                _cachedBytes += (long)bytes;
                _cachedBlocks++;
                _decayTimer ??= new Timer(static o => ((LargeBlocks)o!).Decay(), this, decayMs, decayMs);
                return true;
            }
        }
        Unmap([((nuint)p, bytes)]);
        return true;
    }

    /// <summary>Cached mappings freed longer than a decay period ago go back to the OS.</summary>
    public void Decay()
    {
        List<(nuint, nuint)>? old;
        lock (_lock)
        {
            if (_unmapped) return;
            old = TakeCachedLocked(freedBefore: Environment.TickCount64 - decayMs);
        }
        Unmap(old);
    }

    /// <summary>Every cached mapping goes back to the OS (the memory cap refused a mapping); false when
    /// the cache held none.</summary>
    public bool TrimAll()
    {
        List<(nuint, nuint)>? all;
        lock (_lock) all = TakeCachedLocked(freedBefore: long.MaxValue);
        Unmap(all);
        return all != null;
    }

    private void Unmap(List<(nuint Start, nuint Bytes)>? mappings)
    {
        if (mappings == null) return;
        foreach (var (start, bytes) in mappings)
        {
            Os.Unmap((void*)start, bytes);
            budget.Release((long)bytes);
        }
    }

    private List<(nuint Start, nuint Bytes)>? TakeCachedLocked(long freedBefore)
    {
        if (_cachedBlocks == 0) return null;
        List<(nuint, nuint)>? taken = null;
        for (int bin = 0; bin < BinCount; bin++)
        {
            Cached[]? stack = _bins[bin];
            int n = _binCounts[bin], kept = 0;
            if (n == 0) continue;
            nuint bytes = BinBytes(bin);
            for (int i = 0; i < n; i++)
            {
                if (stack![i].FreedAt < freedBefore) (taken ??= []).Add((stack[i].Start, bytes));
                else stack[kept++] = stack[i]; // order kept: oldest at the bottom
            }
            _cachedBytes -= (long)bytes * (n - kept);
            _cachedBlocks -= n - kept;
            _decayed += freedBefore == long.MaxValue ? 0 : n - kept;
            _binCounts[bin] = kept;
        }
        return taken;
    }

    private static nuint BinBytes(int bin)
    {
        int k = bin / 4 + MinShift;
        return ((nuint)4 + (nuint)(bin % 4)) << (k - 2);
    }

    public bool TryGetSize(void* p, out nuint bytes)
    {
        lock (_lock) return _blocks.TryGetValue((nuint)p, out bytes);
    }

    /// <summary>The live block <paramref name="p"/> points into (start included), if any.</summary>
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

    /// <summary>Whether <paramref name="p"/> is the start of a mapping in the cache (a freed block).</summary>
    public bool IsCached(void* p)
    {
        lock (_lock)
        {
            for (int bin = 0; bin < BinCount; bin++)
                for (int i = 0; i < _binCounts[bin]; i++)
                    if (_bins[bin]![i].Start == (nuint)p) return true;
        }
        return false;
    }

    public LargeCounts Counts()
    {
        lock (_lock) return new LargeCounts(_blocks.Count, _bytes, _allocs, _cachedBlocks, _cachedBytes, _hits, _decayed, _resized);
    }

    /// <summary>Unmaps every block and cached mapping (the heap is being disposed) and releases their bytes.</summary>
    public void UnmapAll()
    {
        List<(nuint, nuint)> all;
        lock (_lock)
        {
            _unmapped = true;
            _decayTimer?.Dispose();
            all = TakeCachedLocked(long.MaxValue) ?? [];
            foreach (var (start, bytes) in _blocks) all.Add((start, bytes));
            _blocks.Clear();
            _bytes = 0;
        }
        Unmap(all);
    }
}

internal readonly record struct LargeCounts(long Blocks, long Bytes, long Allocs, long CachedBlocks, long CachedBytes, long CacheHits, long Decayed, long Resized);
