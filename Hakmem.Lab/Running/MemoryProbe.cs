using System.Globalization;
using System.Runtime.InteropServices;

namespace Hakmem.Lab.Running;

/// <summary>The worker's view of its own memory and CPU: RSS, the peak (VmHWM) and its reset, the pages the
/// kernel may still reclaim (LazyFree, left by MADV_FREE), and the process's CPU times and page faults.</summary>
public static partial class MemoryProbe
{
    /// <summary>Resets this process's peak RSS (VmHWM) to its RSS now: writing 5 to /proc/self/clear_refs.
    /// False where the kernel refuses (then the peak still holds what came before).</summary>
    public static bool ResetPeak()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>The smallest young-generation budget this process's runtime was given (DOTNET_GCgen0size, hex as the
    /// runtime reads it), in KiB; null when the runtime sized it itself (from the L3 cache).</summary>
    public static long? Gen0BudgetKb()
    {
        string? v = Environment.GetEnvironmentVariable(ChildRunner.Gen0SizeVariable)?.Trim();
        if (string.IsNullOrEmpty(v)) return null;
        if (v.StartsWith("0x", StringComparison.OrdinalIgnoreCase)) v = v[2..];
        return ulong.TryParse(v, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong bytes) && bytes > 0 ? (long)(bytes / 1024) : null;
    }

    /// <summary>RSS now without the pages the kernel may still take back on its own (LazyFree): what an
    /// allocator that freed with MADV_FREE has given back but not yet lost.</summary>
    public static long RetainedRssKb()
    {
        long rss = Worker.CurrentRssKb();
        try
        {
            long lazy = Worker.ParseStatusKb(File.ReadLines("/proc/self/smaps_rollup"), "LazyFree:");
            return Math.Max(0, rss - lazy);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return rss;
        }
    }

    /// <summary>CPU seconds in user and kernel mode, and minor and major page faults, of this process so far.</summary>
    public readonly record struct Usage(double User, double Sys, long MinorFaults, long MajorFaults)
    {
        public static Usage operator -(Usage a, Usage b) => new(a.User - b.User, a.Sys - b.Sys, a.MinorFaults - b.MinorFaults, a.MajorFaults - b.MajorFaults);
    }

    public static unsafe Usage Now()
    {
        byte* u = stackalloc byte[256];
        if (getrusage(0, u) != 0) return default;
        double Time(int offset) => *(long*)(u + offset) + *(long*)(u + offset + 8) / 1e6;
        return new Usage(Time(0), Time(16), *(long*)(u + 64), *(long*)(u + 72));
    }

    public static double Round(double seconds) => Math.Round(seconds, 4, MidpointRounding.AwayFromZero);

    [LibraryImport("libc")]
    private static unsafe partial int getrusage(int who, byte* usage);
}
