using System.Globalization;
using System.Text.Json;

namespace Hakmem.Lab.Running;

/// <summary>One thing a cell may ask of a build: a workload, an allocator kind, a member of the run spec or a
/// hakmem option. <see cref="Commit"/> is the commit that brought it (null: this build's generation, which
/// answers the capability query); <see cref="Since"/> that commit's time, by which a runs file without the
/// feature's column is read (<see cref="Capabilities.AbsentColumn"/>).</summary>
public sealed record Feature(string Name, string What, string? Commit, DateTimeOffset? Since, Func<RunSpec, bool> UsedBy);

/// <summary>What a build of hklab can run. A build answers <c>hklab __capabilities</c> with the names of its
/// table; a build older than the query cannot answer, and what it lacks is read from the commits: a feature
/// whose commit is not an ancestor of the build's. So a side of <c>ab</c> (or a commit of <c>bisect</c>) that
/// cannot run a cell is refused before the first run, naming the feature and its commit, instead of running
/// without it while the cell key says it ran with it.</summary>
public static class Capabilities
{
    public const string CommandName = "__capabilities";

    private static DateTimeOffset At(string time) => DateTimeOffset.Parse(time, CultureInfo.InvariantCulture);

    private static bool Hakmem(RunSpec s) => s.Allocator == "hakmem";

    public static readonly IReadOnlyList<Feature> All =
    [
        new("workload:larson", "the larson workload", "f58e0e2bdfceb4e1e880cfc8a3cf33fb9e2910d7", At("2026-11-24T04:08:28Z"), s => s.Workload == "larson"),
        new("workload:random_mixed", "the random_mixed workload", "f58e0e2bdfceb4e1e880cfc8a3cf33fb9e2910d7", At("2026-11-24T04:08:28Z"), s => s.Workload == "random_mixed"),
        new("workload:mid_large_mt", "the mid_large_mt workload", "f58e0e2bdfceb4e1e880cfc8a3cf33fb9e2910d7", At("2026-11-24T04:08:28Z"), s => s.Workload == "mid_large_mt"),
        new("workload:large_mixed", "the large_mixed workload", "c6f07b681853e372c0f600be271d0d2e665be3f5", At("2026-12-01T22:31:29Z"), s => s.Workload == "large_mixed"),
        new("workload:exec", "external programs (--exec)", "ba23874004987f32c612ce1a0b69b3f7e377bcf7", At("2026-12-01T20:40:06Z"), s => s.Workload == "exec"),
        new("allocator:lib", "malloc libraries given by path (lib:PATH)", "ba23874004987f32c612ce1a0b69b3f7e377bcf7", At("2026-12-01T20:40:06Z"),
            s => s.Allocator.StartsWith(Backends.BackendInfo.LibraryPrefix, StringComparison.Ordinal)),
        new("spec:env", "environment assignments of a cell (--env)", "ba23874004987f32c612ce1a0b69b3f7e377bcf7", At("2026-12-01T20:40:06Z"), s => s.Env.Count > 0),
        new("spec:ops_regex", "the pattern a program's throughput is read with (--ops-regex)", "ba23874004987f32c612ce1a0b69b3f7e377bcf7", At("2026-12-01T20:40:06Z"), s => s.OpsRegex != null),
        new("option:inject", "seed-bug canaries (HAKMEM_INJECT)", "64b2670c26d8cce0ebcbfa687d7c6b79d9f78dfd", At("2026-11-24T04:33:21Z"), s => Hakmem(s) && s.Hakmem.Inject != SeedBug.None),
        new("option:large_cache_mb", "hakmem's large-block cache (HAKMEM_LARGE_CACHE_MB; builds before it have none, as with 0)", "c6f07b681853e372c0f600be271d0d2e665be3f5",
            At("2026-12-01T22:31:29Z"), s => Hakmem(s) && s.Hakmem.LargeCacheBytes != 0),
        new("option:large_decay_ms", "the large-block cache's decay (HAKMEM_LARGE_DECAY_MS)", "c6f07b681853e372c0f600be271d0d2e665be3f5",
            At("2026-12-01T22:31:29Z"), s => Hakmem(s) && s.Hakmem.LargeCacheDecayMs != HakmemOptions.Default.LargeCacheDecayMs),
        new("option:mid_cache", "hakmem's mid classes on their spans alone (HAKMEM_MID_CACHE=0; builds before it always cache them)", null, null,
            s => Hakmem(s) && !s.Hakmem.MidCache),
        new("spec:cwd", "a program's working directory (--cwd)", null, null, s => s.Cwd != null),
        new("spec:touch", "every page of every block written once (--touch all)", null, null, s => s.Touch != null),
        new("spec:repeat", "the measured part repeated in one process (--repeat)", null, null, s => s.Repeat != null),
        new("spec:pin", "the worker's threads pinned to CPUs (--pin)", null, null, s => s.Pin == true),
        new("spec:settle_ms", "the retained memory after an idle wait and a release call (--settle)", null, null, s => s.SettleMs != null),
        // Not asked of a cell: what a build of this generation does for every run.
        new("report:options", "the worker reports the options it ran with, and refuses a spec it cannot read whole", null, null, _ => false),
    ];

    /// <summary>The worker's answer to the capability query: one JSON line of feature names.</summary>
    public static int Answer()
    {
        Console.Out.WriteLine(JsonSerializer.Serialize(new { features = All.Select(f => f.Name) }));
        return 0;
    }

    /// <summary>Reads a build's answer; null when it gave none (a build older than the query).</summary>
    public static IReadOnlyList<string>? ParseAnswer(string stdout)
    {
        foreach (string line in stdout.Split('\n'))
        {
            if (!line.TrimStart().StartsWith('{')) continue;
            try
            {
                using var doc = JsonDocument.Parse(line);
                if (doc.RootElement.TryGetProperty("features", out var f) && f.ValueKind == JsonValueKind.Array)
                    return f.EnumerateArray().Select(e => e.GetString() ?? "").ToList();
            }
            catch (JsonException)
            {
            }
        }
        return null;
    }

    /// <summary>The features the cells use.</summary>
    public static IReadOnlyList<Feature> UsedBy(IEnumerable<RunSpec> specs)
    {
        var list = specs.ToList();
        return All.Where(f => list.Any(f.UsedBy)).ToList();
    }

    /// <summary>What a build lacks of <paramref name="used"/>: from its own answer when it gave one, else from the
    /// commits (<paramref name="isAncestor"/>: whether a feature's commit is in the build's history; null when
    /// that cannot be told).</summary>
    public static IReadOnlyList<(Feature Feature, string Why)> Missing(IReadOnlyList<Feature> used, IReadOnlyList<string>? answer, Func<string, bool?> isAncestor)
    {
        var missing = new List<(Feature, string)>();
        foreach (var f in used)
        {
            if (answer != null)
            {
                if (!answer.Contains(f.Name)) missing.Add((f, "the build does not list it"));
                continue;
            }
            if (f.Commit == null)
            {
                missing.Add((f, "it is newer than the build, which answers no capability query"));
                continue;
            }
            switch (isAncestor(f.Commit))
            {
                case false: missing.Add((f, $"it came with commit {f.Commit[..12]}, which the build's commit does not contain")); break;
                case null: missing.Add((f, $"the build's commit is not known here, and it came with commit {f.Commit[..12]}")); break;
            }
        }
        return missing;
    }

    /// <summary>The value a runs file means by a hakmem row without the option's column: the default of the build
    /// that wrote it, which had the option only if the run came after the option's commit.</summary>
    public static T AbsentColumn<T>(string feature, DateTimeOffset runTime, T legacy, T current)
    {
        var f = All.First(x => x.Name == feature);
        return f.Since is { } since && runTime < since ? legacy : current;
    }
}
