namespace Hakmem.Workloads;

/// <summary>cache_scratch <c>nthreads iterations objSize repetitions concurrency</c>: Hoard's cache-scratch
/// (mimalloc-bench: <c>cache-scratch 1 1000 1 2000000 P</c> and <c>cache-scratch P 1000 1 2000000 P</c>). The
/// main thread allocates one object of objSize bytes per thread (tiny ones sit side by side, on one cache
/// line) and hands each to a thread, which frees it first, then runs cache_thrash's loop (see
/// <see cref="CacheWorkload"/>). It measures passive false sharing: an allocator that gives a thread the
/// block another thread freed, on a line it shares with blocks other threads use, makes their writes fight
/// over that line; the ideal is a time flat in the thread count.
///
/// Changed from the original: the handed objects, which the original allocates and frees without touching,
/// carry a block tag, written by main and checked by the thread before it frees it (an overlap among them is
/// corruption); the byte read back in the loop is compared with the byte written, as in cache_thrash.
/// Throughput counts bytes, the original reports time (given as its figure).</summary>
public sealed record CacheScratch(int ThreadCount, int Iterations, int ObjectSize, int Repetitions, int Concurrency)
    : CacheWorkload(ThreadCount, Iterations, ObjectSize, Repetitions, Concurrency)
{
    public override string Name => "cache_scratch";

    public static CacheScratch Parse(IReadOnlyList<string> args)
    {
        var a = ParseArguments("cache_scratch", args);
        return new CacheScratch(a.Threads, a.Iterations, a.ObjectSize, a.Repetitions, a.Concurrency);
    }

    public override unsafe WorkloadResult Run<TAlloc>(TAlloc allocator)
    {
        var monitor = new WorkloadMonitor();
        var handed = new Slot[ThreadCount];
        WorkerThreads.RunAttached(allocator, 0, monitor, (ref TAlloc main, int _) =>
        {
            for (int t = 0; t < ThreadCount; t++)
            {
                void* p = main.Alloc((nuint)ObjectSize);
                if (p == null)
                {
                    monitor.OutOfMemory();
                    return;
                }
                ulong id = BlockTag.Id(0, (ulong)t, (nuint)ObjectSize);
                BlockTag.Write(p, id);
                handed[t] = new Slot { Block = (nint)p, Id = id };
            }
        });
        if (monitor.Failed)
        {
            WorkerThreads.RunAttached(allocator, 0, monitor, (ref TAlloc main, int _) =>
            {
                foreach (var s in handed)
                    if (s.Block != 0) main.Free((void*)s.Block, BlockTag.SizeOf(s.Id));
            });
            return monitor.Result(0, 0);
        }
        return RunThreads(allocator, monitor, (ref TAlloc a, int t) => FreeHanded(ref a, ref handed[t], monitor));
    }

    /// <summary>A thread's first act: check the tag of the object main handed it and free it (a block of
    /// another thread: a cross-thread free).</summary>
    private static unsafe void FreeHanded<TAlloc>(ref TAlloc allocator, ref Slot handed, WorkloadMonitor monitor) where TAlloc : struct, IAllocator<TAlloc>
    {
        void* p = (void*)handed.Block;
        if (!BlockTag.Check(p, handed.Id))
        {
            monitor.Overwritten(0, p, handed.Id);
            return;
        }
        BlockTag.Poison(p, handed.Id);
        allocator.Free(p, BlockTag.SizeOf(handed.Id));
        handed.Block = 0;
    }
}
