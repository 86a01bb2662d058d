namespace Hakmem.Workloads;

/// <summary>A workload the lab runs in process: its name, its arguments (as its C original takes them) and
/// its parser. <see cref="Classic"/> marks the benchmarks of the field (mimalloc-bench's set), which
/// <c>--workloads classic</c> names together.</summary>
public sealed record WorkloadKind(string Name, string Usage, Func<IReadOnlyList<string>, WorkloadSpec> Parse, bool Classic = false);

/// <summary>Every in-process workload, in one table: the names the CLI lists, the parser a name selects,
/// the usage its help prints.</summary>
public static class WorkloadCatalog
{
    /// <summary>The <c>--workloads</c> item that stands for every classic workload.</summary>
    public const string ClassicPreset = "classic";

    public static readonly IReadOnlyList<WorkloadKind> All =
    [
        new("larson", Larson.UsageText, Larson.Parse),
        new("random_mixed", RandomMixed.UsageText, RandomMixed.Parse),
        new("mid_large_mt", MidLargeMt.UsageText, MidLargeMt.Parse),
        new("large_mixed", LargeMixed.UsageText, LargeMixed.Parse),
        new("xmalloc_test", XmallocTest.UsageText, XmallocTest.Parse, Classic: true),
        new("cache_scratch", CacheScratch.UsageText, CacheScratch.Parse, Classic: true),
        new("cache_thrash", CacheThrash.UsageText, CacheThrash.Parse, Classic: true),
        new("mstress", MStress.UsageText, MStress.Parse, Classic: true),
        new("rptest", RpTest.UsageText, RpTest.Parse, Classic: true),
        new("glibc_simple", GlibcSimple.UsageText, GlibcSimple.Parse, Classic: true),
        new("glibc_thread", GlibcThread.UsageText, GlibcThread.Parse, Classic: true),
        new("alloc_test", AllocTest.UsageText, AllocTest.Parse, Classic: true),
        new("malloc_large", MallocLarge.UsageText, MallocLarge.Parse, Classic: true),
    ];

    public static IReadOnlyList<string> ClassicNames { get; } = All.Where(k => k.Classic).Select(k => k.Name).ToArray();

    public static WorkloadKind? Find(string name) => All.FirstOrDefault(k => k.Name == name);

    /// <summary>Each workload with its arguments, for a help text: "larson seconds min_size ...; random_mixed ...".</summary>
    public static string UsageList() => string.Join("; ", All.Select(k => $"{k.Name} {k.Usage}"));
}
