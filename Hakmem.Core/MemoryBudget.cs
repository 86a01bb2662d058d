namespace Hakmem;

/// <summary>The heap's mapped bytes against its cap (HAKMEM_MAX_MB; 0 = none), shared by SuperSlabs and
/// large blocks. Lock-free, so that a large allocation reserves without taking the heap lock.</summary>
internal sealed class MemoryBudget(long max)
{
    private long _mapped, _peak, _refusals;

    public long Max => max;
    public long Mapped => Volatile.Read(ref _mapped);
    public long Peak => Volatile.Read(ref _peak);
    public long Refusals => Volatile.Read(ref _refusals);

    /// <summary>Count <paramref name="bytes"/> as mapped unless that passes the cap.</summary>
    public bool TryReserve(long bytes)
    {
        long now = Volatile.Read(ref _mapped);
        while (true)
        {
            if (max != 0 && now + bytes > max) return false;
            long seen = Interlocked.CompareExchange(ref _mapped, now + bytes, now);
            if (seen == now) break;
            now = seen;
        }
        long total = now + bytes, peak = Volatile.Read(ref _peak);
        while (total > peak)
        {
            long seen = Interlocked.CompareExchange(ref _peak, total, peak);
            if (seen == peak) break;
            peak = seen;
        }
        return true;
    }

    public void Release(long bytes) => Interlocked.Add(ref _mapped, -bytes);

    /// <summary>An allocation was refused for the cap or by the OS.</summary>
    public void Refused() => Interlocked.Increment(ref _refusals);
}
