using System.Runtime.InteropServices;

namespace Hakmem.Lab.Running;

/// <summary>--pin: the worker's main thread, and so every thread it starts after (a new thread inherits its
/// creator's affinity), bound to as many CPUs as the workload has threads, the lowest-numbered ones it may
/// use, so that the scheduler does not move a thread from one CPU to another in the middle of a measured run.
/// With fewer CPUs than threads it is not pinned, and says so.</summary>
public static partial class CpuPinning
{
    /// <summary>Binds the calling thread (pid 0 is the caller); returns the CPUs ("0-1") or why it did not.</summary>
    public static string Pin(int threads)
    {
        var allowed = Enumerable.Range(0, Environment.ProcessorCount * 4).Where(IsAllowed).ToList();
        if (allowed.Count < threads) return $"not pinned: {threads} threads, {allowed.Count} CPUs";
        var cpus = allowed.Take(threads).ToList();
        var mask = new ulong[16];
        foreach (int c in cpus) mask[c / 64] |= 1UL << (c % 64);
        if (sched_setaffinity(0, (nuint)(mask.Length * 8), mask) != 0) return $"not pinned: sched_setaffinity error {Marshal.GetLastPInvokeError()}";
        bool contiguous = cpus[^1] - cpus[0] == cpus.Count - 1;
        return cpus.Count == 1 ? $"{cpus[0]}" : contiguous ? $"{cpus[0]}-{cpus[^1]}" : string.Join(',', cpus);
    }

    private static bool IsAllowed(int cpu)
    {
        var mask = new ulong[16];
        if (sched_getaffinity(0, (nuint)(mask.Length * 8), mask) < 0) return cpu < Environment.ProcessorCount;
        return cpu < mask.Length * 64 && (mask[cpu / 64] & (1UL << (cpu % 64))) != 0;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int sched_setaffinity(int pid, nuint size, ulong[] mask);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int sched_getaffinity(int pid, nuint size, ulong[] mask);
}
