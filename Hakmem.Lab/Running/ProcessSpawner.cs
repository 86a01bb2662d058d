using System.Collections.Concurrent;
using System.Diagnostics;

namespace Hakmem.Lab.Running;

/// <summary>Starts every worker from one thread that lives as long as the lab. A worker asks the kernel to
/// kill it when its parent dies (PR_SET_PDEATHSIG), and "parent" there is the thread that forked it: a
/// worker started from a thread-pool thread would be killed the moment the pool retired that thread,
/// in the middle of a measurement.</summary>
public static class ProcessSpawner
{
    private static readonly BlockingCollection<(ProcessStartInfo Info, TaskCompletionSource<Process> Started)> s_queue = new();

    static ProcessSpawner()
    {
        var thread = new Thread(Loop) { IsBackground = true, Name = "hklab worker spawner" };
        thread.Start();
    }

    public static Task<Process> StartAsync(ProcessStartInfo info)
    {
        var started = new TaskCompletionSource<Process>(TaskCreationOptions.RunContinuationsAsynchronously);
        s_queue.Add((info, started));
        return started.Task;
    }

    private static void Loop()
    {
        foreach (var (info, started) in s_queue.GetConsumingEnumerable())
        {
            try
            {
                started.SetResult(Process.Start(info) ?? throw new InvalidOperationException($"cannot start {info.FileName}"));
            }
            catch (Exception e)
            {
                started.SetException(e);
            }
        }
    }
}
