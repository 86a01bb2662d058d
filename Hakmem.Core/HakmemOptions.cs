using System.Globalization;
using System.Text.Json.Serialization;

namespace Hakmem;

/// <summary>Allocator configuration. Each knob selects a different code path (see ThreadCache and
/// Refill); the defaults are the fastest correct configuration. Each property maps to exactly one
/// <c>HAKMEM_*</c> environment variable, listed once in <see cref="Variables"/>. The lab hands the options to
/// workers of other builds (ab, bisect), whose capability check turns away a cell asking for an option they lack;
/// an option added later is written to a run spec only when it asks for something other than what builds before
/// it always did (see MidCache), so the cells that do not ask for it still run there.</summary>
public sealed record HakmemOptions
{
    public const int MaxFastCap = 1024;

    /// <summary>HAKMEM_TINY_FAST_CAP: blocks per class in the fast tier; 0 switches the tier off.</summary>
    public int FastCap { get; init; } = 64;
    /// <summary>HAKMEM_TINY_TLS_SLL: the per-class thread-local singly linked list.</summary>
    public bool TlsSll { get; init; } = true;
    /// <summary>HAKMEM_TINY_TLS_LIST: the per-class list that spills its excess to the owner spans.</summary>
    public bool TlsList { get; init; }
    /// <summary>HAKMEM_TINY_P0_BATCH_REFILL: refill pops or carves a whole batch and splices it at once.</summary>
    public bool P0BatchRefill { get; init; } = true;
    /// <summary>HAKMEM_MID_CACHE: the thread cache's tiers for mid classes (blocks above 1 KiB) too. Off, a mid
    /// allocation takes one block from the current span and the owner's free puts it back on its span, as mimalloc's
    /// pages do: a span (not the current one) whose last block came back goes back to its SuperSlab for any class,
    /// so threads that free each other's blocks keep fewer partly used spans (less memory), while a thread churning
    /// mid blocks pays a span operation per call (slower).</summary>
    [JsonIgnore]
    public bool MidCache { get; init; } = true;

    /// <summary>MidCache as a run spec carries it: only when off, so a spec of the default reads in builds from
    /// before the option (whose mid classes always had the tiers), which refuse a member they do not know.</summary>
    [JsonInclude, JsonPropertyName("mid_cache")]
    private bool? MidCacheWhenOff
    {
        get => MidCache ? null : false;
        init => MidCache = value ?? true;
    }
    /// <summary>HAKMEM_TINY_REFILL_FAILFAST: validate every list operation and keep an exact live bitmap.</summary>
    public bool Guards { get; init; }
    /// <summary>HAKMEM_MAX_MB (in MiB there): a cap on mapped memory; 0 = none. Past it Alloc returns null.</summary>
    public long MaxMemoryBytes { get; init; }
    /// <summary>HAKMEM_LARGE_CACHE_MB (in MiB there): freed large blocks kept mapped for reuse, at most
    /// this many bytes; 0 switches the cache off (every large block is an mmap and a munmap).</summary>
    public long LargeCacheBytes { get; init; } = 256L << 20;
    /// <summary>HAKMEM_LARGE_DECAY_MS: a cached large mapping not reused for this long goes back to the OS.</summary>
    public int LargeCacheDecayMs { get; init; } = 1000;
    /// <summary>HAKMEM_INJECT: seed-bug canaries to re-create (comma-separated names); None by default.</summary>
    public SeedBug Inject { get; init; }

    public static HakmemOptions Default { get; } = new();

    /// <summary>The environment variables, their meaning, and how each sets its property.</summary>
    public static IReadOnlyList<(string Name, string Expected, Func<HakmemOptions, string, HakmemOptions> Apply)> Variables { get; } =
    [
        ("HAKMEM_TINY_FAST_CAP", $"an integer from 0 to {MaxFastCap}", (o, v) => o with { FastCap = ParseInt(v, 0, MaxFastCap) }),
        ("HAKMEM_TINY_TLS_SLL", "0 or 1", (o, v) => o with { TlsSll = ParseBool(v) }),
        ("HAKMEM_TINY_TLS_LIST", "0 or 1", (o, v) => o with { TlsList = ParseBool(v) }),
        ("HAKMEM_TINY_P0_BATCH_REFILL", "0 or 1", (o, v) => o with { P0BatchRefill = ParseBool(v) }),
        ("HAKMEM_MID_CACHE", "0 or 1", (o, v) => o with { MidCache = ParseBool(v) }),
        ("HAKMEM_TINY_REFILL_FAILFAST", "0 or 1", (o, v) => o with { Guards = ParseBool(v) }),
        ("HAKMEM_MAX_MB", "a whole number of MiB, 0 for no cap", (o, v) => o with { MaxMemoryBytes = checked(ParseInt(v, 0, int.MaxValue) * 1024L * 1024L) }),
        ("HAKMEM_LARGE_CACHE_MB", "a whole number of MiB, 0 to switch the cache off", (o, v) => o with { LargeCacheBytes = checked(ParseInt(v, 0, int.MaxValue) * 1024L * 1024L) }),
        ("HAKMEM_LARGE_DECAY_MS", "a whole number of milliseconds from 1", (o, v) => o with { LargeCacheDecayMs = ParseInt(v, 1, int.MaxValue) }),
        ("HAKMEM_INJECT", $"canary names separated by commas ({string.Join(", ", SeedBugs.Names.Select(n => n.Name))}) or none", (o, v) => o with { Inject = SeedBugs.Parse(v) }),
    ];

    /// <summary>Defaults overridden by every <c>HAKMEM_*</c> variable that is set. A bad value throws
    /// <see cref="ArgumentException"/> naming the variable, the value and what is accepted:
    /// an experiment must never silently run with a configuration other than the one asked for.</summary>
    public static HakmemOptions FromEnvironment() => FromVariables(Environment.GetEnvironmentVariable);

    public static HakmemOptions FromVariables(Func<string, string?> lookup, HakmemOptions? start = null)
    {
        var o = start ?? Default;
        Trace.ParseRing(lookup(HakmemTrace.RingVariable)); // a process-wide switch, but as much a HAKMEM_* variable to check
        foreach (var (name, expected, apply) in Variables)
        {
            string? value = lookup(name);
            if (value is null) continue;
            try
            {
                o = apply(o, value.Trim());
            }
            catch (Exception e) when (e is FormatException or OverflowException)
            {
                throw new ArgumentException($"{name}='{value}' is not valid: expected {expected}.", name, e);
            }
        }
        o.Validate();
        return o;
    }

    /// <summary>Throws <see cref="ArgumentException"/> for values no heap can run with.</summary>
    public void Validate()
    {
        if (FastCap is < 0 or > MaxFastCap)
            throw new ArgumentException($"FastCap={FastCap} is out of range: expected 0 to {MaxFastCap}.", nameof(FastCap));
        if (LargeCacheBytes < 0)
            throw new ArgumentException($"LargeCacheBytes={LargeCacheBytes} is negative: expected 0 (no cache) or a byte count.", nameof(LargeCacheBytes));
        if (LargeCacheDecayMs < 1)
            throw new ArgumentException($"LargeCacheDecayMs={LargeCacheDecayMs} is out of range: expected at least 1.", nameof(LargeCacheDecayMs));
        if (MaxMemoryBytes < 0)
            throw new ArgumentException($"MaxMemoryBytes={MaxMemoryBytes} is negative: expected 0 (no cap) or a byte count.", nameof(MaxMemoryBytes));
    }

    private static int ParseInt(string v, int min, int max)
    {
        if (!int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n)) throw new FormatException();
        if (n < min || n > max) throw new OverflowException();
        return n;
    }

    private static bool ParseBool(string v) => v.ToLowerInvariant() switch
    {
        "1" or "on" or "true" or "yes" => true,
        "0" or "off" or "false" or "no" => false,
        _ => throw new FormatException(),
    };
}
