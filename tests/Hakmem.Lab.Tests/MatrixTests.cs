using Hakmem.Lab.Matrix;
using Hakmem.Lab.Results;
using Hakmem.Lab.Running;

namespace Hakmem.Lab.Tests;

public class MatrixTests
{
    private static MatrixDefinition Def(IReadOnlyList<string>? workloads = null, IReadOnlyList<string>? allocators = null, int runs = 3) =>
        new(workloads ?? MatrixDefinition.DefaultWorkloads, allocators ?? ["hakmem", "system", "mimalloc"], [0, 64], [false, true], [false, true],
            [1, 2, 4, 8], runs, Quick: true, HakmemOptions.Default);

    [Fact]
    public void Knobs_multiply_only_for_hakmem_and_threads_only_for_threaded_workloads()
    {
        var cells = Def().Expand();
        // larson and mid_large_mt: 4 thread counts x (8 hakmem configs + 2 others); random_mixed and large_mixed: 8 + 2.
        Assert.Equal(2 * 4 * (8 + 2) + 2 * (8 + 2), cells.Count);
        Assert.All(cells.Where(c => c.Spec.Allocator != "hakmem"), c => Assert.Null(c.Key.FastCap));
        Assert.All(cells.Where(c => c.Workload.Name is "random_mixed" or "large_mixed"), c => Assert.Equal(1, c.Workload.Threads));
        Assert.Equal(4, cells.Where(c => c.Workload.Name == "larson" && c.Spec.Allocator == "system").Select(c => c.Workload.Threads).Distinct().Count());
        Assert.Equal(8, cells.Where(c => c.Workload.Name == "random_mixed" && c.Spec.Allocator == "hakmem").Select(c => c.Key.Knobs).Distinct().Count());
        Assert.Equal(cells.Count, cells.Select(c => c.Key).Distinct().Count());
    }

    [Fact]
    public void A_scenario_keeps_its_own_command_line()
    {
        var cells = Def(["larson-4t-high"], ["system"]).Expand();
        var cell = Assert.Single(cells);
        Assert.Equal("10 8 128 1024 1 12345 4", cell.Key.Args);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    public void Shards_partition_the_plan_deterministically(int n)
    {
        var plan = MatrixDefinition.Plan(Def().Expand(), 3);
        var shards = Enumerable.Range(1, n).Select(k => new Shard(k, n).Select(plan)).ToList();
        Assert.Equal(plan.Count, shards.Sum(s => s.Count));
        Assert.Equal(plan.Select(p => p.Index).Order(), shards.SelectMany(s => s).Select(p => p.Index).Order());
        Assert.Equal(shards[0].Select(p => p.Index), new Shard(1, n).Select(MatrixDefinition.Plan(Def().Expand(), 3)).Select(p => p.Index));
        Assert.All(shards, s => Assert.InRange(s.Count, plan.Count / n, plan.Count / n + 1));
    }

    [Theory]
    [InlineData("0/2")]
    [InlineData("3/2")]
    [InlineData("a/b")]
    [InlineData("2")]
    public void A_bad_shard_is_refused_naming_it(string text)
    {
        var e = Assert.Throws<ArgumentException>(() => Shard.Parse(text));
        Assert.Contains($"'{text}'", e.Message);
    }

    /// <summary>A deterministic stand-in for the child process: the result depends on the cell only.</summary>
    private static Task<RunResult> Fake(RunSpec spec, TimeSpan timeout, CancellationToken cancel)
    {
        int h = Math.Abs($"{spec.Allocator} {string.Join(' ', spec.Arguments)} {spec.KnobText}".GetHashCode() % 1000); // the same cell, the same figures, in every shard
        var outcome = spec.Allocator == "system" && spec.Arguments[^1] == "8" ? Outcome.Crash : Outcome.Ok;
        return Task.FromResult(new RunResult(outcome, outcome == Outcome.Ok ? 0 : 139, outcome == Outcome.Ok ? null : 11, 0.5, 1000 + h, 2000 + h,
            0, 0, 4096, outcome == Outcome.Ok ? "" : "killed by signal 11", null));
    }

    /// <summary>Shard <paramref name="s"/> of a small matrix run with the fake executor into ROOT/K-N.</summary>
    private static async Task<string> RunShard(string root, Shard s)
    {
        var def = Def(runs: 2);
        var cells = def.Expand();
        var plan = MatrixDefinition.Plan(cells, def.Runs);
        string id = MatrixDefinition.Id(cells);
        string dir = Path.Combine(root, s.ToString().Replace('/', '-'));
        var meta = new ResultMeta { CommandLine = "test", MatrixId = id, Cells = cells.Count, PlannedRuns = plan.Count, Shards = s.IsWhole ? [] : [s.ToString()] };
        var runs = await new MatrixRunner(Fake, TextWriter.Null, false).RunAsync(s.Select(plan), dir, meta, _ => TimeSpan.FromSeconds(1), id, default);
        ResultSet.WriteSummaries(dir, runs, meta);
        return dir;
    }

    [Fact]
    public async Task Merged_shards_equal_the_unsharded_result_set()
    {
        string root = Path.Combine(Path.GetTempPath(), $"hklab-merge-{Guid.NewGuid():N}");
        try
        {
            string whole = await RunShard(root, Shard.Whole);
            var parts = new List<string>();
            foreach (int k in new[] { 2, 1, 3 }) parts.Add(await RunShard(root, new Shard(k, 3)));
            var set = Merge.Load(parts);
            var (merged, meta) = (set.Runs, set.Meta);
            Assert.Equal(["1/3", "2/3", "3/3"], meta.Shards);
            Assert.False(set.IsPartial);
            Assert.False(meta.Partial);
            var expected = RunsCsv.Read(Path.Combine(whole, RunsCsv.RunsFile));
            Assert.Equal(expected.Select(r => r with { Time = default }), merged.Select(r => r with { Time = default }));
            Assert.Equal(Summarizer.Summarize(expected), Summarizer.Summarize(merged));
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    [Fact]
    public async Task A_shard_left_out_or_cut_short_fails_the_merge_unless_allowed()
    {
        var def = Def(runs: 2);
        int planned = def.Expand().Count * def.Runs;
        string root = Path.Combine(Path.GetTempPath(), $"hklab-merge-{Guid.NewGuid():N}");
        try
        {
            string one = await RunShard(root, new Shard(1, 3)), two = await RunShard(root, new Shard(2, 3)), three = await RunShard(root, new Shard(3, 3));
            string output = Path.Combine(root, "merged");
            var leftOut = Hklab.Run("merge", one, three, "--out", output);
            Assert.Equal(1, leftOut.ExitCode);
            Assert.Contains("shard 2/3 missing", leftOut.Stderr);
            Assert.False(Directory.Exists(output), "nothing is written for a partial merge");

            // Shard 3 cut short: its last run never made it into runs.csv.
            string runsFile = Path.Combine(three, RunsCsv.RunsFile);
            var lines = File.ReadAllLines(runsFile);
            string lost = lines[^1].Split(',')[0];
            File.WriteAllLines(runsFile, lines[..^1]);
            var cut = Hklab.Run("merge", one, two, three, "--out", output);
            Assert.Equal(1, cut.ExitCode);
            Assert.Contains($"1 run of the shards given missing ({lost})", cut.Stderr);

            var allowed = Hklab.Run("merge", one, three, "--out", output, "--allow-partial");
            Assert.Equal(0, allowed.ExitCode);
            Assert.Contains("partial", allowed.Stderr);
            var meta = ResultMeta.Read(output)!;
            Assert.True(meta.Partial);
            Assert.Equal(planned, meta.PlannedRuns);
            Assert.Equal(RunsCsv.Read(Path.Combine(output, RunsCsv.RunsFile)).Count, meta.DoneRuns);
            Assert.Contains("**partial**", File.ReadAllText(Path.Combine(output, RunsCsv.SummaryMarkdown)));
            Assert.Contains("shard 2/3 missing", File.ReadAllText(Path.Combine(output, RunsCsv.SummaryMarkdown)));
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    [Fact]
    public void Shards_of_different_matrices_are_not_merged()
    {
        string root = Path.Combine(Path.GetTempPath(), $"hklab-merge-{Guid.NewGuid():N}");
        try
        {
            foreach (var (name, id) in new[] { ("a", "1111"), ("b", "2222") })
            {
                string dir = Path.Combine(root, name);
                Directory.CreateDirectory(dir);
                RunsCsv.Write(Path.Combine(dir, RunsCsv.RunsFile), [new RunRecord { RunId = $"{id}-c0000-r001", Outcome = "ok" }]);
                new ResultMeta { MatrixId = id, Shards = [name == "a" ? "1/2" : "2/2"] }.Write(dir);
            }
            var e = Assert.Throws<ArgumentException>(() => Merge.Load([Path.Combine(root, "a"), Path.Combine(root, "b")]));
            Assert.Contains("different matrices", e.Message);
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    [Fact]
    public void Summary_statistics_on_known_samples()
    {
        var d = Summarizer.Throughput([1, 2, 3, 4, 5, 6, 7, 8, 9])!;
        Assert.Equal(5, d.Median, 6);
        Assert.True(d.Q1 < 5 && d.Q3 > 5 && Math.Abs((5 - d.Q1) - (d.Q3 - 5)) < 1e-6);
        Assert.True(d.CiLow < 5 && d.CiHigh > 5);
        Assert.Null(Summarizer.Throughput([]));
        var flat = Summarizer.Throughput([7, 7, 7])!;
        Assert.Equal((7.0, 7.0, 7.0), (flat.Q1, flat.Median, flat.Q3));

        var key = new CellKey("larson", "1", "hakmem", 64, "on", "off", "on", "off", null, 4, "");
        var runs = Enumerable.Range(0, 20).Select(i => new RunRecord
        {
            Workload = "larson", Args = "1", Allocator = "hakmem", FastCap = 64, TlsSll = "on", TlsList = "off", P0 = "on", Guards = "off", Threads = 4,
            Outcome = i < 3 ? "crash" : i < 5 ? "leak" : "ok", OpsPerSec = 100 + i, PeakRssKb = 1000, LeakedBlocks = i < 5 ? 2 : 0,
            Message = i < 3 ? "killed by signal 11" : "",
        }).ToList();
        var s = Summarizer.Summarize(key, runs);
        Assert.Equal((20, 15, 2, 3, 3), (s.Runs, s.Ok, s.Leak, s.Crash, s.Failures));
        Assert.Equal(0.15, s.CrashRate);
        Assert.Equal(Wilson.Interval(3, 20).Low, s.CrashRateLow, 3);
        Assert.Equal("killed by signal 11", s.FirstFailure);
        Assert.Equal(2, s.LeakedBlocksMax);
    }
}
