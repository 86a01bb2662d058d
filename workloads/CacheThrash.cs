namespace Hakmem.Workloads;

/// <summary>cache_thrash <c>nthreads iterations objSize repetitions concurrency</c>: Hoard's cache-thrash
/// (mimalloc-bench: <c>cache-thrash 1 1000 1 2000000 P</c> and <c>cache-thrash P 1000 1 2000000 P</c>). Each
/// of nthreads threads, iterations times: allocate an object of objSize bytes, write every byte and read it
/// back repetitions / nthreads times, free it (see <see cref="CacheWorkload"/>). It measures active false
/// sharing: an allocator that gives threads objects on one cache line makes their writes fight over it, and
/// the time grows with the threads instead of staying flat.
///
/// Changed from the original: the byte read back is compared with the byte written (the original reads it
/// into a volatile and drops it), so a block that two threads hold at once shows up as corruption when the
/// other thread's write lands between a byte's write and its read: a race no test can force, so nothing
/// here proves it. No block tag: every byte of the object is the original's own. Throughput counts bytes,
/// the original reports time (given as its figure).</summary>
public sealed record CacheThrash(int ThreadCount, int Iterations, int ObjectSize, int Repetitions, int Concurrency)
    : CacheWorkload(ThreadCount, Iterations, ObjectSize, Repetitions, Concurrency)
{
    public override string Name => "cache_thrash";

    public static CacheThrash Parse(IReadOnlyList<string> args)
    {
        var a = ParseArguments("cache_thrash", args);
        return new CacheThrash(a.Threads, a.Iterations, a.ObjectSize, a.Repetitions, a.Concurrency);
    }

    public override WorkloadResult Run<TAlloc>(TAlloc allocator) => RunThreads(allocator, new WorkloadMonitor());
}
