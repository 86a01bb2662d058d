namespace Hakmem;

/// <summary>Where a block of a thread's cache of one class can be, searched top to bottom by Alloc and
/// filled top to bottom by Free.</summary>
internal enum Tier : byte
{
    /// <summary>The fast array (FAST_CAP blocks; 0 switches it off).</summary>
    Fast,
    /// <summary>The TLS SLL: a capped linked list; a free past its cap goes straight to the span.</summary>
    Sll,
    /// <summary>The TLS List, in the SLL's place: past its cap it spills the older half back to the
    /// owner spans' free lists at once.</summary>
    List,
    /// <summary>The span itself: its free list, then its uncarved end.</summary>
    Span,
}

/// <summary>The one place the options become tiers: the fast array, then the chain (the TLS SLL, or the
/// TLS List in its place when TLS_LIST is on, as the C allocator's TLS List mode has it), then the span.
/// ThreadCache.Init sets each class's caps and chain tier from here (the mid classes' to none, spans only, with
/// MidCache off); Alloc, Free and Refill read only those, so every tier the options switch on is one the paths reach.</summary>
internal static class TierOrder
{
    /// <summary>The linked tier under the fast array; <see cref="Tier.Span"/> when there is none.</summary>
    public static Tier Chain(HakmemOptions o) => o.TlsList ? Tier.List : o.TlsSll ? Tier.Sll : Tier.Span;

    /// <summary>The tiers in search order; the span is always last.</summary>
    public static IReadOnlyList<Tier> Of(HakmemOptions o)
    {
        var tiers = new List<Tier>(3);
        if (o.FastCap > 0) tiers.Add(Tier.Fast);
        if (Chain(o) != Tier.Span) tiers.Add(Chain(o));
        tiers.Add(Tier.Span);
        return tiers;
    }

    /// <summary>Where a refill puts the blocks beyond the one it hands out: the chain when there is one
    /// (it holds more), else the fast array, else nowhere (each allocation takes its block from the span).</summary>
    public static Tier RefillTarget(HakmemOptions o) =>
        Chain(o) != Tier.Span ? Chain(o) : o.FastCap > 0 ? Tier.Fast : Tier.Span;

    public static string Name(Tier t) => t switch
    {
        Tier.Fast => "fast tier",
        Tier.Sll => "TLS SLL",
        Tier.List => "TLS List",
        _ => "span",
    };
}
