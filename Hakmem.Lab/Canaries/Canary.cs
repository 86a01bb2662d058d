using Hakmem.Lab.Running;

namespace Hakmem.Lab.Canaries;

/// <summary>A seed bug, the cell it is run in (the command line where the C allocator showed it), and
/// the outcomes through which the lab is expected to see it.</summary>
public sealed record Canary(SeedBug Bug, string Seed, string Recreates, RunSpec Target, IReadOnlyList<Outcome> DetectedBy, string How)
{
    public string Name => SeedBugs.Format(Bug);

    /// <summary>The target cell with the bug injected.</summary>
    public RunSpec Injected => Target with { Hakmem = Target.Hakmem with { Inject = Bug } };

    /// <summary>Detected: the run ended the way this bug makes it end. Any other failure (a timeout of the
    /// registry-miss cell, say) is not a detection: it is something else going wrong.</summary>
    public bool Detects(Outcome o) => DetectedBy.Contains(o);

    /// <summary>"leak" or "corrupt or crash", for a table.</summary>
    public string Expected => string.Join(" or ", DetectedBy.Select(o => o.Name())) + $" ({How})";

    private static RunSpec Cell(string workload, string args, HakmemOptions? options = null) =>
        new(workload, args.Split(' '), "hakmem", options ?? HakmemOptions.Default);

    public static readonly IReadOnlyList<Canary> All =
    [
        new(SeedBug.RegistryMiss, "000", "SuperSlabs missing from the registry: their frees look foreign and are dropped",
            Cell("random_mixed", "25000 2048 123"), [Outcome.Leak], "the audit counts the dropped blocks"),
        new(SeedBug.P0DoubleCount, "001", "P0 batch refill counts the batch twice",
            Cell("random_mixed", "10000 256 42", HakmemOptions.Default with { P0BatchRefill = true }), [Outcome.Corrupt], "the audit's counter check"),
        new(SeedBug.TlsListDisconnect, "002", "FAST_CAP=0 + TLS List: spills and remote frees never reach the span free list",
            Cell("larson", "2 8 128 1024 100 12345 4", HakmemOptions.Default with { FastCap = 0, TlsList = true }), [Outcome.Leak, Outcome.Corrupt, Outcome.Crash],
            "the spilled blocks are counted live"),
        new(SeedBug.LibcFallback, "003", "no reuse across threads; at the memory cap, blocks come from libc malloc and are freed through the heap",
            Cell("larson", "2 8 128 1024 1 12345 4", HakmemOptions.Default with { MaxMemoryBytes = 16L << 20 }), [Outcome.Abort, Outcome.Crash],
            "the free of a libc pointer is refused as foreign"),
        new(SeedBug.UnownedDrain, "004", "remote queues drained into free lists by threads that do not own them",
            Cell("larson", "2 8 128 1024 1 12345 4"), [Outcome.Corrupt, Outcome.Crash, Outcome.Abort], "blocks handed out twice"),
    ];
}
