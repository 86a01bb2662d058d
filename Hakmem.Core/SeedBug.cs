namespace Hakmem;

/// <summary>Bugs of the C allocator this design comes from, re-created on purpose (HAKMEM_INJECT) so the
/// lab can prove it detects them. Off by default; each is checked only on a slow path, so a heap
/// without them runs the same code as one built without them.</summary>
[Flags]
public enum SeedBug
{
    None = 0,
    /// <summary>registry-miss: every other SuperSlab is left out of the registry; frees of its blocks look
    /// foreign and are dropped silently (as LD_PRELOAD "worked" by leaking). Detected as a leak.</summary>
    RegistryMiss = 1,
    /// <summary>p0-double-count: P0 batch refill adds the batch to the span's Used counter twice.
    /// Detected by the audit (counter mismatch) or a guard.</summary>
    P0DoubleCount = 2,
    /// <summary>tls-list-disconnect: with FAST_CAP=0 and the TLS List on, spilled blocks and drained remote
    /// frees never reach the span's free list. Detected as a leak (or worse) at 2+ threads.</summary>
    TlsListDisconnect = 4,
    /// <summary>libc-fallback: abandoned spans are neither adopted nor collected (no reuse across threads, as
    /// in the C allocator whose SuperSlabs ran out), and when the memory
    /// cap refuses, fall back to libc malloc and later free those pointers through the heap. Detected as
    /// an abort (foreign pointer) under larson with a small HAKMEM_MAX_MB.</summary>
    LibcFallback = 8,
    /// <summary>unowned-drain: a thread freeing a block of another thread's span drains that span's remote
    /// queue into its free list without owning it (window widened). Detected as corruption or a crash.</summary>
    UnownedDrain = 16,
}

public static class SeedBugs
{
    /// <summary>Canary names as HAKMEM_INJECT and --inject spell them.</summary>
    public static readonly IReadOnlyList<(string Name, SeedBug Bug)> Names =
    [
        ("registry-miss", SeedBug.RegistryMiss),
        ("p0-double-count", SeedBug.P0DoubleCount),
        ("tls-list-disconnect", SeedBug.TlsListDisconnect),
        ("libc-fallback", SeedBug.LibcFallback),
        ("unowned-drain", SeedBug.UnownedDrain),
    ];

    /// <summary>"registry-miss,unowned-drain" -> flags; "" or "none" -> None; an unknown name throws
    /// FormatException naming it.</summary>
    public static SeedBug Parse(string text)
    {
        var bugs = SeedBug.None;
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (part == "none") continue;
            var match = Names.FirstOrDefault(n => n.Name == part);
            if (match.Name == null) throw new FormatException($"unknown canary '{part}'");
            bugs |= match.Bug;
        }
        return bugs;
    }

    public static string Format(SeedBug bugs) =>
        string.Join(',', Names.Where(n => (bugs & n.Bug) != 0).Select(n => n.Name));
}
