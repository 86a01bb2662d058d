using System.Runtime.CompilerServices;

namespace Hakmem.Workloads;

/// <summary>Shared by a workload's threads: the stop flag, and the first corruption, out-of-memory or
/// allocator failure seen by any of them. The first event of each kind wins; any of them stops the run.</summary>
public sealed class WorkloadMonitor
{
    private volatile bool _stop;
    private readonly ManualResetEventSlim _stopped = new();
    private long _corruptions;
    private long _firstCorruptOp = -1;
    private string? _corruptDetail;
    private volatile bool _outOfMemory;
    private Exception? _failure;

    public bool StopRequested => _stop;
    public bool Failed => _corruptDetail != null || _outOfMemory || _failure != null;
    public bool Corrupted => Volatile.Read(ref _corruptDetail) != null;

    public void Stop()
    {
        _stop = true;
        _stopped.Set();
    }

    /// <summary>Sleep until <paramref name="duration"/> has passed or a thread stopped the run.</summary>
    public void StopAfter(TimeSpan duration)
    {
        _stopped.Wait(duration);
        Stop();
    }

    public void Corrupt(long op, string detail)
    {
        Interlocked.Increment(ref _corruptions);
        if (Interlocked.CompareExchange(ref _corruptDetail, detail, null) == null) Interlocked.Exchange(ref _firstCorruptOp, op);
        Stop();
    }

    /// <summary>A live block failed its tag check at operation <paramref name="op"/>. Out of line: the message
    /// is built here, so the workloads' hot loops carry no string formatting (which costs them registers).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public unsafe void Overwritten(long op, void* p, ulong id) =>
        Corrupt(op, $"block 0x{(nint)p:x} of {BlockTag.SizeOf(id)} bytes was overwritten while live");

    /// <summary>A live block no longer holds what the workload wrote into it (its original's own fill, read
    /// back where the original reads it): <paramref name="what"/> says which bytes. Out of line, as above.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public unsafe void OverwrittenFill(long op, void* p, nuint size, string what) =>
        Corrupt(op, $"block 0x{(nint)p:x} of {size} bytes was overwritten while live ({what})");

    public void OutOfMemory()
    {
        _outOfMemory = true;
        Stop();
    }

    public void Fail(Exception e)
    {
        Interlocked.CompareExchange(ref _failure, e, null);
        Stop();
    }

    public WorkloadResult Result(long ops, double seconds) =>
        new(ops, seconds, Interlocked.Read(ref _corruptions), Interlocked.Read(ref _firstCorruptOp), _corruptDetail, _outOfMemory, _failure);
}

/// <summary>What a workload did: operations and wall time of the measured part, the first corruption
/// (with the operation count at which it was seen), and whether it ran out of memory or the allocator
/// threw (<see cref="Failure"/>, e.g. a HeapCorruptionException). A classic workload also gives the figure
/// its C original prints (<see cref="Original"/>), computed the original's way.</summary>
public sealed record WorkloadResult(long Ops, double Seconds, long Corruptions, long FirstCorruptOp, string? CorruptDetail,
    bool OutOfMemory, Exception? Failure)
{
    public double OpsPerSecond => Seconds > 0 ? Ops / Seconds : 0;
    public OriginalFigure? Original { get; init; }
}

/// <summary>The figure a C benchmark prints, beside the lab's operations per wall-second: rptest's memory
/// ops per CPU second, xmalloc-test's frees per second, glibc-thread's iteration count, or the time for
/// a benchmark that prints none.</summary>
public sealed record OriginalFigure(string Name, double Value, string Unit)
{
    public override string ToString() => $"{Name}: {Value.ToString("G6", System.Globalization.CultureInfo.InvariantCulture)}{(Unit.Length > 0 ? " " + Unit : "")}";
}
