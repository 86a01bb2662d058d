using System.Globalization;
using Hakmem.Lab.Results;

namespace Hakmem.Lab.Matrix;

/// <summary>Joins the result directories of a matrix's shards into one result set whose files are
/// those of the unsharded matrix (up to timing values): the runs in plan order, summaries derived anew.</summary>
public static class Merge
{
    public static (IReadOnlyList<RunRecord> Runs, ResultMeta Meta) Load(IReadOnlyList<string> dirs)
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
        var dupRun = runs.GroupBy(r => r.RunId).FirstOrDefault(g => g.Count() > 1);
        if (dupRun != null) throw new ArgumentException($"run {dupRun.Key} appears in two inputs");

        var ordered = runs.OrderBy(r => PlanOrder(r.RunId)).ToList();
        var first = metas[0];
        var meta = first with
        {
            CommandLine = string.Join(" | ", metas.Select(m => m.CommandLine).Distinct()),
            Started = metas.Min(m => m.Started),
            Finished = metas.Max(m => m.Finished),
            Shards = shards.Count > 0 ? shards.Order(StringComparer.Ordinal).ToList() : [],
        };
        return (ordered, meta);
    }

    /// <summary>Plan order from a run id "...-cCCCC-rRRR": run number first (the plan is round-robin), then cell.</summary>
    public static (int Run, int Cell) PlanOrder(string runId)
    {
        int c = runId.LastIndexOf("-c", StringComparison.Ordinal), r = runId.LastIndexOf("-r", StringComparison.Ordinal);
        if (c < 0 || r < c) return (int.MaxValue, int.MaxValue);
        return (int.Parse(runId.AsSpan(r + 2), CultureInfo.InvariantCulture), int.Parse(runId.AsSpan(c + 2, r - c - 2), CultureInfo.InvariantCulture));
    }

    /// <summary>Which shards of N are missing from a merged set.</summary>
    public static IReadOnlyList<string> Missing(IReadOnlyList<string> shards)
    {
        var parsed = shards.Select(Shard.Parse).ToList();
        if (parsed.Count == 0) return [];
        int n = parsed[0].N;
        return Enumerable.Range(1, n).Where(k => !parsed.Any(s => s.K == k)).Select(k => $"{k}/{n}").ToList();
    }
}
