using System.Runtime.CompilerServices;

namespace Hakmem;

/// <summary>What the paths call when a diagnostic switch is on (<see cref="Trace.On"/>): the route
/// counters and the trace ring. Out of line, and never reached with the switches off: the JIT folds the
/// test before each call away.</summary>
public sealed unsafe partial class HakmemHeap
{
    /// <summary>An allocation, a free or a refill took <paramref name="route"/>; <paramref name="tc"/> is null
    /// for the events no thread cache sees (large blocks, frees from a thread without a cache).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Traced(ThreadCache* tc, Route route, int cls, void* p, long n = 1)
    {
        if (Trace.Routes)
        {
            if (tc != null) tc->Routes.Add(route, n);
            else _sharedRoutes.AddShared(route, n);
        }
        if (Trace.Ring)
        {
            var kind = route is Route.RefillSingle or Route.RefillBatch ? TraceKind.Refill : route <= Route.FreeLarge ? TraceKind.Free : TraceKind.Alloc;
            Record(tc, kind, route, cls, p, n);
        }
    }

    /// <summary>A slow-path event for the trace ring: a drain, a spill, an adoption.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void TraceEvent(ThreadCache* tc, TraceKind kind, int cls, void* p, long n) => Record(tc, kind, default, cls, p, n);

    private static void Record(ThreadCache* tc, TraceKind kind, Route route, int cls, void* p, long n)
    {
        if (tc != null) TraceRings.Record(tc->Ring, shared: false, kind, route, cls, p, n, tc->ThreadId);
        else TraceRings.Record(TraceRings.Shared, shared: true, kind, route, cls, p, n, Environment.CurrentManagedThreadId);
    }
}

/// <summary>The trace ring from outside the allocator: the variables that switch it on, and the text of a
/// ring file a process left behind.</summary>
public static class HakmemTrace
{
    public const string RingVariable = "HAKMEM_TINY_TRACE_RING", RingFileVariable = "HAKMEM_TINY_TRACE_RING_FILE", RoutesVariable = "HAKMEM_FREE_ROUTE_TRACE";

    /// <summary>The events of a ring file, the last <paramref name="last"/> of all threads in time order.</summary>
    public static string DecodeRingFile(string path, int last = Trace.DefaultRingSize) => TraceRings.Decode(File.ReadAllBytes(path), last);

    /// <summary>The size a HAKMEM_TINY_TRACE_RING value asks for (0: off); ArgumentException names a bad one.</summary>
    public static int RingSize(string? value) => Trace.ParseRing(value);
}
