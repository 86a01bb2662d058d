namespace Hakmem.Workloads;

/// <summary>What one worker thread of a workload does, on its attached copy of the allocator.</summary>
public delegate void WorkerBody<TAlloc>(ref TAlloc allocator, int index) where TAlloc : struct, IAllocator<TAlloc>;

/// <summary>The threads of the classic workloads: each attaches to the allocator once, runs its part and
/// detaches when it ends, whatever happened; an exception is the run's failure (it stops the others through
/// the monitor), never a lost thread.</summary>
public static class WorkerThreads
{
    /// <summary>The body on the calling thread, attached.</summary>
    public static void RunAttached<TAlloc>(TAlloc allocator, int index, WorkloadMonitor monitor, WorkerBody<TAlloc> body)
        where TAlloc : struct, IAllocator<TAlloc>
    {
        var a = allocator.AttachThread();
        try
        {
            body(ref a, index);
        }
        catch (Exception e)
        {
            monitor.Fail(e);
        }
        finally
        {
            a.DetachThread();
        }
    }

    /// <summary>Starts <paramref name="count"/> threads running the body with indexes first .. first + count - 1.</summary>
    public static Thread[] Start<TAlloc>(TAlloc allocator, int count, WorkloadMonitor monitor, WorkerBody<TAlloc> body, int first = 0)
        where TAlloc : struct, IAllocator<TAlloc>
    {
        var threads = new Thread[count];
        for (int i = 0; i < count; i++)
        {
            int index = first + i;
            threads[i] = new Thread(() => RunAttached(allocator, index, monitor, body), maxStackSize: 256 * 1024) { IsBackground = true };
        }
        foreach (var t in threads) t.Start();
        return threads;
    }

    public static void JoinAll(Thread[] threads)
    {
        foreach (var t in threads) t.Join();
    }

    /// <summary>Start, then join: the threads' whole lives.</summary>
    public static void Run<TAlloc>(TAlloc allocator, int count, WorkloadMonitor monitor, WorkerBody<TAlloc> body, int first = 0)
        where TAlloc : struct, IAllocator<TAlloc> => JoinAll(Start(allocator, count, monitor, body, first));
}
