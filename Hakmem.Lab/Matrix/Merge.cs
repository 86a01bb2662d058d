using System.Globalization;
using Hakmem.Lab.Results;

namespace Hakmem.Lab.Matrix;

/// <summary>What merging shard result directories gives: the runs in plan order, the merged meta, and what
/// the plan holds that the inputs do not (whole shards, and runs of the shards that are there).</summary>
public sealed record MergedSet(IReadOnlyList<RunRecord> Runs, ResultMeta Meta, IReadOnlyList<string> MissingShards, IReadOnlyList<string> MissingRuns)
{
    public bool IsPartial => MissingShards.Count > 0 || MissingRuns.Count > 0;

    /// <summary>"shard 3/4 missing; 12 runs of the shards given missing (m1-c0003-r002, ...)".</summary>
    public static string Describe(IReadOnlyList<string> shards, IReadOnlyList<string> runs)
    {
        var parts = new List<string>();
        if (shards.Count > 0) parts.Add($"shard{(shards.Count > 1 ? "s" : "")} {string.Join(", ", shards)} missing");
        if (runs.Count > 0)
            parts.Add($"{runs.Count} run{(runs.Count > 1 ? "s" : "")} of the shards given missing ({string.Join(", ", runs.Take(3))}{(runs.Count > 3 ? ", ..." : "")})");
        return string.Join("; ", parts);
    }
}

/// <summary>Joins the result directories of a matrix's shards into one result set whose files are
/// those of the unsharded matrix (up to timing values): the runs in plan order, summaries derived anew.
/// The plan is known from the meta (matrix id, cells, planned runs), so a shard left out and a shard cut
/// short are both seen.</summary>
public static class Merge
{
    public static MergedSet Load(IReadOnlyList<string> dirs)
    {
        if (dirs.Count == 0) throw new ArgumentException("merge needs at least one result directory");
        var metas = new List<ResultMeta>();
        var runs = new List<RunRecord>();
        foreach (var d in dirs)
        {
            string file = RunsCsv.Resolve(d);
            metas.Add(ResultMeta.Read(Path.GetDirectoryName(Path.GetFullPath(file))!)
                ?? throw new ArgumentException($"'{d}' has no {RunsCsv.MetaFile}: only directories written by hklab matrix can be merged"));
            runs.AddRange(RunsCsv.Read(file));
        }
        var ids = metas.Select(m => m.MatrixId).Distinct().ToList();
        if (ids.Count > 1)
            throw new ArgumentException($"these are shards of different matrices ({string.Join(", ", ids)}): run every shard with the same matrix options");
        var shards = metas.SelectMany(m => m.Shards).ToList();
        var duplicate = shards.GroupBy(s => s).FirstOrDefault(g => g.Count() > 1);
        if (duplicate != null) throw new ArgumentException($"shard {duplicate.Key} is given twice");
        var parsed = shards.Select(Shard.Parse).ToList();
        if (parsed.Select(s => s.N).Distinct().Count() > 1)
            throw new ArgumentException($"shards of different splits ({string.Join(", ", shards)}): every shard must be K/N with the same N");
        var dupRun = runs.GroupBy(r => r.RunId).FirstOrDefault(g => g.Count() > 1);
        if (dupRun != null) throw new ArgumentException($"run {dupRun.Key} appears in two inputs");

        var ordered = runs.OrderBy(r => PlanOrder(r.RunId)).ToList();
        var first = metas[0];
        var (missingShards, missingRuns) = Gaps(first, parsed, runs);
        var meta = first with
        {
            CommandLine = string.Join(" | ", metas.Select(m => m.CommandLine).Distinct()),
            Started = metas.Min(m => m.Started),
            Finished = metas.Max(m => m.Finished),
            Shards = shards.Count > 0 ? shards.Order(StringComparer.Ordinal).ToList() : [],
            DoneRuns = ordered.Count,
            Partial = missingShards.Count > 0 || missingRuns.Count > 0,
            Gaps = MergedSet.Describe(missingShards, missingRuns),
        };
        return new MergedSet(ordered, meta, missingShards, missingRuns);
    }

    /// <summary>The plan's run ids that are not in <paramref name="runs"/>: by whole shard when a shard is
    /// not among the inputs, one by one for the shards that are.</summary>
    private static (IReadOnlyList<string> Shards, IReadOnlyList<string> Runs) Gaps(ResultMeta meta, IReadOnlyList<Shard> given, IReadOnlyList<RunRecord> runs)
    {
        if (meta.Cells <= 0 || meta.PlannedRuns <= 0 || meta.MatrixId.Length == 0) return ([], []);
        int n = given.Count > 0 ? given[0].N : 1;
        var missingShards = Enumerable.Range(1, n).Where(k => n > 1 && given.All(s => s.K != k)).Select(k => new Shard(k, n)).ToList();
        var present = runs.Select(r => r.RunId).ToHashSet(StringComparer.Ordinal);
        var missingRuns = new List<string>();
        int perCell = meta.PlannedRuns / meta.Cells;
        for (int index = 0; index < meta.PlannedRuns; index++)
        {
            int cell = index % meta.Cells, run = index / meta.Cells + 1;
            if (perCell * meta.Cells != meta.PlannedRuns) break;
            if (n > 1 && missingShards.Any(s => index % n == s.K - 1)) continue;
            string id = MatrixRunner.RunId(meta.MatrixId, cell, run);
            if (!present.Contains(id)) missingRuns.Add(id);
        }
        return (missingShards.Select(s => s.ToString()).ToList(), missingRuns);
    }

    /// <summary>Plan order from a run id "...-cCCCC-rRRR": run number first (the plan is round-robin), then cell.</summary>
    public static (int Run, int Cell) PlanOrder(string runId)
    {
        int c = runId.LastIndexOf("-c", StringComparison.Ordinal), r = runId.LastIndexOf("-r", StringComparison.Ordinal);
        if (c < 0 || r < c
            || !int.TryParse(runId.AsSpan(r + 2), NumberStyles.None, CultureInfo.InvariantCulture, out int run)
            || !int.TryParse(runId.AsSpan(c + 2, r - c - 2), NumberStyles.None, CultureInfo.InvariantCulture, out int cell))
            return (int.MaxValue, int.MaxValue);
        return (run, cell);
    }
}
