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
        var mask = new ulong[16]; // 1024 CPUs
        if (sched_getaffinity(0, (nuint)(mask.Length * 8), mask) < 0) return $"not pinned: sched_getaffinity error {Marshal.GetLastPInvokeError()}";
        var allowed = Enumerable.Range(0, mask.Length * 64).Where(c => (mask[c / 64] & (1UL << (c % 64))) != 0).ToList();
        if (allowed.Count < threads) return $"not pinned: {threads} threads, {allowed.Count} CPUs";
        var cpus = allowed.Take(threads).ToList();
        Array.Clear(mask);
        foreach (int c in cpus) mask[c / 64] |= 1UL << (c % 64);
        if (sched_setaffinity(0, (nuint)(mask.Length * 8), mask) != 0) return $"not pinned: sched_setaffinity error {Marshal.GetLastPInvokeError()}";
        bool contiguous = cpus[^1] - cpus[0] == cpus.Count - 1;
        return cpus.Count == 1 ? $"{cpus[0]}" : contiguous ? $"{cpus[0]}-{cpus[^1]}" : string.Join(',', cpus);
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int sched_setaffinity(int pid, nuint size, ulong[] mask);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int sched_getaffinity(int pid, nuint size, ulong[] mask);
}
