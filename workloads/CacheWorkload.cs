using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Hakmem.Workloads;

/// <summary>What cache_scratch and cache_thrash share, as Hoard's two benchmarks do: their five arguments
/// <c>nthreads iterations objSize repetitions concurrency</c>, and the loop each of their threads runs
/// (allocate an object, write every byte of it and read it back repetitions / nthreads times, free it).
/// Throughput = bytes written (each read back) per second: the original divides the repetitions among the
/// threads, so a command line writes the same bytes at every thread count and ops/s is the inverse of the
/// time the original is measured by. concurrency (pthread_setconcurrency, a no-op on Linux) is taken and
/// ignored.</summary>
public abstract record CacheWorkload(int ThreadCount, int Iterations, int ObjectSize, int Repetitions, int Concurrency) : WorkloadSpec
{
    public const string UsageText = "nthreads iterations objSize repetitions concurrency";
    public override string Usage => UsageText;
    public override int Threads => ThreadCount;
    public override int? ThreadArgument => 0;

    public override IReadOnlyList<string> Arguments =>
        [ThreadCount.ToString(), Iterations.ToString(), ObjectSize.ToString(), Repetitions.ToString(), Concurrency.ToString()];

    public override WorkloadSpec WithThreads(int threads) => this with { ThreadCount = threads, Repetitions = Math.Max(Repetitions, threads) };
    public override WorkloadSpec Warmup() => this with { Iterations = Math.Min(Iterations, 20), Repetitions = Math.Max(Math.Min(Repetitions, 20_000), ThreadCount) };

    /// <summary>Each thread's writes per object.</summary>
    public int RepetitionsPerThread => Repetitions / ThreadCount;

    protected static (int Threads, int Iterations, int ObjectSize, int Repetitions, int Concurrency) ParseArguments(string workload, IReadOnlyList<string> args)
    {
        var r = new ArgReader(workload, UsageText, args, 5);
        r.End(5);
        var a = ((int)r.Long("nthreads", 1, 1024), (int)r.Long("iterations", 1, int.MaxValue), (int)r.Long("objSize", 1, (long)BlockTag.MaxSize),
            (int)r.Long("repetitions", 1, int.MaxValue), (int)r.Long("concurrency", 1, 1024));
        if (a.Item4 < a.Item1)
            throw r.Error($"repetitions {a.Item4} is smaller than nthreads {a.Item1}: each thread writes its objects repetitions / nthreads times");
        return a;
    }

    /// <summary>Runs the threads, timed from the first start to the last join (the original is timed as a
    /// whole process); each runs <paramref name="first"/> (cache_scratch's free of its handed object) before
    /// its iterations.</summary>
    protected WorkloadResult RunThreads<TAlloc>(TAlloc allocator, WorkloadMonitor monitor, WorkerBody<TAlloc>? first = null) where TAlloc : struct, IAllocator<TAlloc>
    {
        var written = new long[ThreadCount];
        var clock = Stopwatch.StartNew();
        WorkerThreads.Run(allocator, ThreadCount, monitor, (ref TAlloc a, int t) =>
        {
            first?.Invoke(ref a, t);
            if (!monitor.StopRequested) written[t] = Iterate(ref a, monitor);
        });
        double seconds = clock.Elapsed.TotalSeconds;
        return monitor.Result(written.Sum(), seconds) with { Original = new OriginalFigure("time", seconds, "s") };
    }

    /// <summary>One thread's iterations: returns the bytes it wrote. A byte that reads back other than it was
    /// written is corruption: something else (another holder of the block, or the allocator) wrote into it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe long Iterate<TAlloc>(ref TAlloc allocator, WorkloadMonitor monitor) where TAlloc : struct, IAllocator<TAlloc>
    {
        TAlloc a = allocator; // a local copy the JIT keeps in registers
        nuint size = (nuint)ObjectSize;
        int reps = RepetitionsPerThread, iterations = Iterations;
        long written = 0, perObject = (long)reps * ObjectSize;
        for (int i = 0; i < iterations; i++)
        {
            if (monitor.StopRequested) break;
            byte* obj = (byte*)a.Alloc(size);
            if (obj == null)
            {
                monitor.OutOfMemory();
                break;
            }
            if (!WriteAndReadBack(obj, size, reps))
            {
                monitor.OverwrittenFill(written, obj, size, "a byte read back is not the one just written");
                break; // left allocated: another holder may still use it
            }
            a.Free(obj, size);
            written += perObject;
        }
        allocator = a;
        return written;
    }

    /// <summary>The original's inner loops: every byte k of the object set to k and read back, repetitions
    /// times. The read is volatile, as the original's <c>volatile char ch = obj[k]</c> is, and compared. Not
    /// inlined and not generic: these loops are nearly all of the run's time, and one copy of their code
    /// serves every backend, so no backend gains or loses by how the JIT laid out its copy.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static unsafe bool WriteAndReadBack(byte* obj, nuint size, int repetitions)
    {
        for (int j = 0; j < repetitions; j++)
        {
            for (nuint k = 0; k < size; k++)
            {
                obj[k] = (byte)k;
                if (Volatile.Read(ref obj[k]) != (byte)k) return false;
            }
        }
        return true;
    }
}
