using System.Globalization;

namespace Hakmem;

/// <summary>The process-wide diagnostic switches, read once from the environment. Static readonly, and
/// read by the heap's constructor before any allocation path is compiled, so the JIT folds a switch
/// that is off: the code behind it is not in the compiled path at all.</summary>
internal static class Trace
{
    /// <summary><c>HAKMEM_FREE_ROUTE_TRACE=1</c>: count allocations and frees by route.</summary>
    public static readonly bool Routes = Environment.GetEnvironmentVariable("HAKMEM_FREE_ROUTE_TRACE") is "1" or "on" or "true";

    /// <summary><c>HAKMEM_TINY_TRACE_RING=1</c> (256 events) or <c>=N</c>: each thread keeps its last N
    /// allocator events; 0 when off.</summary>
    public static readonly int RingSize = ParseRing(Environment.GetEnvironmentVariable("HAKMEM_TINY_TRACE_RING"));

    public static readonly bool Ring = RingSize > 0;

    /// <summary>Either switch: the paths call <see cref="HakmemHeap"/>'s out-of-line Traced only then.</summary>
    public static readonly bool On = Routes || Ring;

    /// <summary><c>HAKMEM_TINY_TRACE_RING_FILE</c>: the rings live in this file (a shared mapping), so they
    /// outlive the process: what it did before a SIGSEGV can be read after it.</summary>
    public static readonly string? RingFile = Environment.GetEnvironmentVariable("HAKMEM_TINY_TRACE_RING_FILE");

    public const int DefaultRingSize = 256, MaxRingSize = 1 << 16;

    /// <summary>"1" is the default size; other numbers are the size, rounded up to a power of two.</summary>
    public static int ParseRing(string? value)
    {
        if (string.IsNullOrEmpty(value) || value is "0" or "off" or "false") return 0;
        if (value is "1" or "on" or "true") return DefaultRingSize;
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n < 2 || n > MaxRingSize)
            throw new ArgumentException($"HAKMEM_TINY_TRACE_RING='{value}' is not valid: expected 1 (256 events per thread), 0, or a number of events from 2 to {MaxRingSize}");
        return (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)n);
    }
}
