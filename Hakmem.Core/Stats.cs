namespace Hakmem;

/// <summary>Counters of a heap. Only slow paths count (refills, drains, spills, remote frees): a counter
/// on every allocation and free cost a few percent of throughput. <see cref="Routes"/> counts every
/// allocation and free by route, only under HAKMEM_FREE_ROUTE_TRACE=1 (null otherwise). Thread counters are summed without
/// stopping the threads, so a snapshot taken while they run is approximate; memory figures are exact. RestingBytes is
/// the part of MappedBytes in empty SuperSlabs kept mapped with their pages given up (MADV_FREE) once no thread held a cache.
/// EmptiedSpansTaken and EmptiedSpansReturned count spans other threads' frees emptied after their owner had used them up
/// (see Emptied.cs): taken back by their class, or given back to their SuperSlab.</summary>
public sealed record HeapStats(
    long RemoteFrees,
    long Refills,
    long Drains,
    long DrainedBlocks,
    long Spills,
    long SpansAdopted,
    long ThreadCachesReclaimed,
    int ThreadCaches,
    long SuperSlabs,
    long PeakSuperSlabs,
    long LargeAllocs,
    long LargeBlocks,
    long LargeBytes,
    long LargeCachedBlocks,
    long LargeCachedBytes,
    long LargeCacheHits,
    long LargeCacheDecayed,
    long LargeCacheResized,
    long MappedBytes,
    long PeakMappedBytes,
    long RestingBytes,
    long OutOfMemoryRefusals,
    long EmptiedSpansTaken,
    long EmptiedSpansReturned,
    RouteCounts? Routes = null);

public sealed unsafe partial class HakmemHeap
{
    // Counters of released caches; guarded by _sync.
    private CacheCounters _folded;
    private RouteCounters _foldedRoutes;
    // Routes counted without a thread cache (large blocks, frees from threads without one): Interlocked.
    private RouteCounters _sharedRoutes;

    private void FoldCounters(ThreadCache* tc)
    {
        _folded.Add(tc->Counters);
        tc->Counters = default;
        _foldedRoutes.Add(tc->Routes);
        tc->Routes = default;
    }

    private long RestingSuperSlabsLocked()
    {
        long n = 0;
        for (SuperSlab* ss = _superSlabs; ss != null; ss = ss->Next) n += ss->Resting;
        return n;
    }

    public HeapStats Stats()
    {
        lock (_sync)
        {
            ThrowIfDisposed();
            CacheCounters sum = _folded;
            RouteCounters routes = _foldedRoutes;
            routes.Add(_sharedRoutes);
            foreach (var (cache, _) in _activeCaches)
            {
                sum.Add(((ThreadCache*)cache)->Counters);
                routes.Add(((ThreadCache*)cache)->Routes);
            }
            var large = _large.Counts();
            return new HeapStats(
                sum.RemoteFrees + Interlocked.Read(ref _remoteFreesWithoutCache),
                sum.Refills, sum.Drains, sum.DrainedBlocks, sum.Spills,
                _spansAdopted, _cachesReclaimed, _activeCaches.Count,
                _superSlabCount, _superSlabPeak,
                large.Allocs, large.Blocks, large.Bytes,
                large.CachedBlocks, large.CachedBytes, large.CacheHits, large.Decayed, large.Resized,
                _budget.Mapped, _budget.Peak, RestingSuperSlabsLocked() * (long)Layout.SuperSlabSize, _budget.Refusals,
                sum.EmptiedSpansTaken, sum.EmptiedSpansReturned,
                Trace.Routes ? RouteCounts.From(routes) : null);
        }
    }
}
