using System.Runtime.CompilerServices;

namespace Hakmem;

/// <summary>Which way an allocation or a free went, for the route counters
/// (<c>HAKMEM_FREE_ROUTE_TRACE=1</c>). Refill routes count blocks moved from a span into a cache.</summary>
internal enum Route
{
    FreeFast, FreeSll, FreeList, FreeSpan, FreeRemote, FreeLarge,
    AllocFast, AllocSll, AllocList, AllocSpan, AllocLarge,
    RefillSingle, RefillBatch,
}

/// <summary>Route counts of one thread cache, written by its own thread only (or under the heap lock,
/// or with Interlocked in the heap's shared set).</summary>
internal unsafe struct RouteCounters
{
    public const int Count = (int)Route.RefillBatch + 1;
    private fixed long _n[Count];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(Route r, long n = 1) => _n[(int)r] += n;

    public void AddShared(Route r, long n = 1) => Interlocked.Add(ref _n[(int)r], n);

    public readonly long this[Route r] => _n[(int)r];

    public void Add(in RouteCounters o)
    {
        for (int i = 0; i < Count; i++) _n[i] += o._n[i];
    }

    /// <summary>The chain's route for a free or an allocation: SLL or TLS List.</summary>
    public static Route Free(Tier t) => t switch { Tier.Fast => Route.FreeFast, Tier.Sll => Route.FreeSll, Tier.List => Route.FreeList, _ => Route.FreeSpan };
    public static Route Alloc(Tier t) => t switch { Tier.Fast => Route.AllocFast, Tier.Sll => Route.AllocSll, Tier.List => Route.AllocList, _ => Route.AllocSpan };
}

/// <summary>How many allocations and frees took each route (<c>HAKMEM_FREE_ROUTE_TRACE=1</c>).
/// <see cref="ToString"/> is the runs file's <c>routes</c> column:
/// <c>free.fast=N;free.sll=N;free.list=N;free.span=N;free.remote=N;free.large=N;alloc.fast=N;...</c></summary>
public sealed record RouteCounts(
    long FreeFast, long FreeSll, long FreeList, long FreeSpan, long FreeRemote, long FreeLarge,
    long AllocFast, long AllocSll, long AllocList, long AllocSpan, long AllocLarge,
    long RefillSingle, long RefillBatch)
{
    internal static RouteCounts From(in RouteCounters c) => new(
        c[Route.FreeFast], c[Route.FreeSll], c[Route.FreeList], c[Route.FreeSpan], c[Route.FreeRemote], c[Route.FreeLarge],
        c[Route.AllocFast], c[Route.AllocSll], c[Route.AllocList], c[Route.AllocSpan], c[Route.AllocLarge],
        c[Route.RefillSingle], c[Route.RefillBatch]);

    /// <summary>The routes taken since <paramref name="earlier"/> was counted (a workload after its warm-up).</summary>
    public RouteCounts Since(RouteCounts earlier) => new(
        FreeFast - earlier.FreeFast, FreeSll - earlier.FreeSll, FreeList - earlier.FreeList, FreeSpan - earlier.FreeSpan,
        FreeRemote - earlier.FreeRemote, FreeLarge - earlier.FreeLarge, AllocFast - earlier.AllocFast, AllocSll - earlier.AllocSll,
        AllocList - earlier.AllocList, AllocSpan - earlier.AllocSpan, AllocLarge - earlier.AllocLarge,
        RefillSingle - earlier.RefillSingle, RefillBatch - earlier.RefillBatch);

    public override string ToString() =>
        $"free.fast={FreeFast};free.sll={FreeSll};free.list={FreeList};free.span={FreeSpan};free.remote={FreeRemote};free.large={FreeLarge};"
        + $"alloc.fast={AllocFast};alloc.sll={AllocSll};alloc.list={AllocList};alloc.span={AllocSpan};alloc.large={AllocLarge};"
        + $"refill.single={RefillSingle};refill.batch={RefillBatch}";
}
