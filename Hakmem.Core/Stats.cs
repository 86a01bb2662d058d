namespace Hakmem;

/// <summary>Counters of a heap. Only slow paths count (refills, drains, spills, remote frees): a counter
/// on every allocation and free cost a few percent of throughput. Thread counters are summed without
/// stopping the threads, so a snapshot taken while they run is approximate; memory figures are exact.</summary>
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
    long MappedBytes,
    long PeakMappedBytes,
    long OutOfMemoryRefusals);

public sealed unsafe partial class HakmemHeap
{
    // Counters of released caches; guarded by _sync.
    private CacheCounters _folded;

    private void FoldCounters(ThreadCache* tc)
    {
        _folded.Add(tc->Counters);
        tc->Counters = default;
    }

    public HeapStats Stats()
    {
        lock (_sync)
        {
            ThrowIfDisposed();
            CacheCounters sum = _folded;
            foreach (var (cache, _) in _activeCaches) sum.Add(((ThreadCache*)cache)->Counters);
            return new HeapStats(
                sum.RemoteFrees + Interlocked.Read(ref _remoteFreesWithoutCache),
                sum.Refills, sum.Drains, sum.DrainedBlocks, sum.Spills,
                _spansAdopted, _cachesReclaimed, _activeCaches.Count,
                _superSlabCount, _superSlabPeak,
                _largeAllocs, _large.Count, _largeBytes,
                _mappedBytes, _peakMappedBytes, _oomRefusals);
        }
    }
}
