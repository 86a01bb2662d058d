using Hakmem.Lab.Compare;
using Hakmem.Lab.Results;

namespace Hakmem.Lab.Tests;

/// <summary>The compare gate on result sets whose right answer is known: made slower, faster, noisier,
/// failing, or with cells left out.</summary>
public class CompareTests
{
    private static List<RunRecord> Runs(double mean, int n, int failed = 0, int seed = 1, string cell = "larson", double noise = 0.02, string failure = "crash")
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(i => new RunRecord
        {
            RunId = $"{cell}-{seed}-{i}",
            Workload = cell, Args = "1 8 128 1024 1 12345 4", Allocator = "hakmem", FastCap = 64, TlsSll = "on", TlsList = "off", P0 = "on",
            Guards = "off", Threads = 4, Run = i + 1,
            Outcome = i < failed ? failure : "ok",
            OpsPerSec = i < failed ? 0 : mean * (1 + (rng.NextDouble() - 0.5) * noise),
        }).ToList();
    }

    [Theory]
    [InlineData(1.10, "faster")]
    [InlineData(0.80, "slower")]
    [InlineData(0.90, "slower")]
    [InlineData(1.01, "same")]
    public void Throughput_verdicts_on_synthetic_samples(double factor, string expected)
    {
        var row = Assert.Single(Comparer.Compare(Runs(1e6, 20, seed: 1), Runs(1e6 * factor, 20, seed: 2), 0.05));
        Assert.Equal(expected, row.Verdict);
        Assert.Equal(factor, row.Ratio!.Value, 2);
        Assert.True(row.RatioLow <= factor && factor <= row.RatioHigh, $"{factor} outside {row.RatioLow}-{row.RatioHigh}");
        Assert.Equal(expected == "slower", row.IsRegression());
    }

    [Fact]
    public void A_noisy_20_percent_slowdown_is_never_same()
    {
        // 5 runs a side, +-30% run-to-run noise: nothing can be shown either way.
        var row = Assert.Single(Comparer.Compare(Runs(1e6, 5, seed: 3, noise: 0.6), Runs(0.8e6, 5, seed: 4, noise: 0.6), 0.05));
        Assert.Equal("unknown", row.Verdict);
        Assert.Contains("90% interval", row.Note);
        Assert.True(row.RatioLow < 0.95 && row.RatioHigh > 0.8, $"{row.RatioLow}-{row.RatioHigh}");
    }

    [Fact]
    public void Same_needs_the_interval_inside_the_band()
    {
        // A 3% slowdown with 2% noise against a 2% threshold: not shown inside +-2%, not shown beyond it.
        var row = Assert.Single(Comparer.Compare(Runs(1e6, 7, seed: 5), Runs(0.97e6, 7, seed: 6), 0.02));
        Assert.NotEqual("same", row.Verdict);
    }

    [Fact]
    public void The_ratio_of_a_set_scaled_by_a_constant_is_that_constant()
    {
        var before = Runs(1e6, 9, seed: 7, noise: 0.2);
        var after = before.Select(r => r with { OpsPerSec = r.OpsPerSec * 0.8 }).ToList();
        var row = Assert.Single(Comparer.Compare(before, after, 0.05));
        Assert.Equal(0.8, row.Ratio!.Value, 4);
        Assert.Equal("slower", row.Verdict);
    }

    [Fact]
    public void Fewer_than_five_runs_is_unknown()
    {
        var row = Assert.Single(Comparer.Compare(Runs(1e6, 4, seed: 1), Runs(2e6, 20, seed: 2), 0.05));
        Assert.Equal("unknown", row.Verdict);
        Assert.Contains("fewer than 5", row.Note);
    }

    [Fact]
    public void A_set_against_itself_is_same()
    {
        var runs = Runs(1e6, 3, seed: 1, noise: 0.5);
        Assert.Equal("same", Assert.Single(Comparer.Compare(runs, runs, 0.05)).Verdict);
    }

    [Theory]
    [InlineData("crash")]
    [InlineData("oom")]
    [InlineData("error")]
    [InlineData("timeout")]
    [InlineData("abort")]
    [InlineData("corrupt")]
    public void Seven_ok_then_seven_failed_runs_are_less_stable_with_nothing_finished_after(string failure)
    {
        var row = Assert.Single(Comparer.Compare(Runs(1e6, 7), Runs(1e6, 7, failed: 7, failure: failure), 0.05));
        Assert.Equal("less stable", row.Stability);
        Assert.Equal(7, row.FailuresAfter);
        Assert.Equal("unknown", row.Verdict);
        Assert.Contains("no finished runs after", row.Note);
        Assert.True(row.IsRegression());
    }

    [Fact]
    public void Leaks_are_not_failures_but_more_of_them_is_less_stable()
    {
        var after = Runs(1e6, 10).Select((r, i) => i < 8 ? r with { Outcome = "leak" } : r).ToList();
        var row = Assert.Single(Comparer.Compare(Runs(1e6, 10), after, 0.05));
        Assert.Equal(0, row.FailuresAfter);
        Assert.Equal(8, row.LeaksAfter);
        Assert.Equal("less stable", row.Stability);
    }

    [Fact]
    public void Crashes_0_of_20_then_8_of_20_are_less_stable()
    {
        var row = Assert.Single(Comparer.Compare(Runs(1e6, 20, failed: 0), Runs(1e6, 20, failed: 8, seed: 1), 0.05));
        Assert.Equal("less stable", row.Stability);
        Assert.True(row.IsRegression());
        Assert.Equal(0.0016, row.FailuresP!.Value, 4);
        var back = Assert.Single(Comparer.Compare(Runs(1e6, 20, failed: 8), Runs(1e6, 20, failed: 0), 0.05));
        Assert.Equal("more stable", back.Stability);
        Assert.False(back.IsRegression());
    }

    [Fact]
    public void One_crash_more_is_not_shown_either_way()
    {
        var row = Assert.Single(Comparer.Compare(Runs(1e6, 20, failed: 0), Runs(1e6, 20, failed: 1, seed: 1), 0.05));
        Assert.Equal("unknown", row.Stability);
        Assert.False(row.IsRegression());
        Assert.Equal("same", Assert.Single(Comparer.Compare(Runs(1e6, 20), Runs(1e6, 20, seed: 2), 0.05)).Stability);
    }

    [Fact]
    public void A_cell_in_one_set_only_is_missing_and_fails_unless_allowed()
    {
        var before = Runs(1e6, 10, cell: "larson").Concat(Runs(1e6, 10, cell: "random_mixed")).ToList();
        var rows = Comparer.Compare(before, Runs(1e6, 10, seed: 2, cell: "larson"), 0.05);
        var missing = Assert.Single(rows, r => r.Verdict == "missing");
        Assert.StartsWith("random_mixed", missing.Cell);
        Assert.Equal("only in the before set", missing.Note);
        Assert.True(missing.IsRegression());
        Assert.False(missing.IsRegression(allowMissing: true));
    }

    [Fact]
    public void Over_many_unchanged_cells_the_false_discovery_rate_keeps_false_verdicts_away()
    {
        // 100 cells, the same distribution before and after, threshold 0: each test alone is wrong 5% of the time.
        var before = new List<RunRecord>();
        var after = new List<RunRecord>();
        for (int c = 0; c < 100; c++)
        {
            before.AddRange(Runs(1e6, 10, seed: 1000 + c, cell: $"w{c}", noise: 0.1));
            after.AddRange(Runs(1e6, 10, seed: 5000 + c, cell: $"w{c}", noise: 0.1));
        }
        var rows = Comparer.Compare(before, after, 0);
        int unadjusted = before.GroupBy(r => r.Workload).Count(g =>
            RatioTest.Estimate(g.Select(r => r.OpsPerSec).ToList(), after.Where(r => r.Workload == g.Key).Select(r => r.OpsPerSec).ToList(), 0, 0.05) is var e
            && (e.PSlower < 0.05 || e.PFaster < 0.05));
        Assert.True(unadjusted >= 3, $"the unadjusted tests flag {unadjusted} cells: the data does not exercise the adjustment");
        Assert.Equal(0, rows.Count(r => r.Verdict is "slower" or "faster"));
    }

    [Fact]
    public void The_adjustment_keeps_the_power_to_see_a_slowdown_of_every_cell()
    {
        var before = new List<RunRecord>();
        var after = new List<RunRecord>();
        for (int c = 0; c < 100; c++)
        {
            before.AddRange(Runs(1e6, 7, seed: 1000 + c, cell: $"w{c}", noise: 0.05));
            after.AddRange(Runs(0.85e6, 7, seed: 5000 + c, cell: $"w{c}", noise: 0.05));
        }
        Assert.All(Comparer.Compare(before, after, 0.05), r => Assert.Equal("slower", r.Verdict));
    }

    [Fact]
    public void Compare_and_summary_give_a_cell_the_same_median()
    {
        var after = Runs(1e6, 9, seed: 8, noise: 0.3);
        var row = Assert.Single(Comparer.Compare(Runs(1e6, 9), after, 0.05));
        Assert.Equal(Assert.Single(Summarizer.Summarize(after)).OpsMedian, row.MedianAfter);
    }

    [Fact]
    public void No_common_cell_is_an_error_naming_the_cells()
    {
        var e = Assert.Throws<ArgumentException>(() => Comparer.Compare(Runs(1, 5, cell: "larson"), Runs(1, 5, cell: "random_mixed"), 0.05));
        Assert.Contains("no cell is in both", e.Message);
        Assert.Contains("'larson", e.Message);
        Assert.Contains("'random_mixed", e.Message);
    }

    [Fact]
    public void Exit_codes_of_hklab_compare()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"hklab-cmp-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            string before = Path.Combine(dir, "before.csv"), slower = Path.Combine(dir, "slower.csv"), same = Path.Combine(dir, "same.csv");
            string oom = Path.Combine(dir, "oom.csv"), partial = Path.Combine(dir, "partial.csv");
            RunsCsv.Write(before, Runs(1e6, 10, seed: 1).Concat(Runs(1e6, 10, seed: 1, cell: "random_mixed")));
            RunsCsv.Write(slower, Runs(0.8e6, 10, seed: 2).Concat(Runs(1e6, 10, seed: 2, cell: "random_mixed")));
            RunsCsv.Write(same, Runs(1e6, 10, seed: 3).Concat(Runs(1e6, 10, seed: 3, cell: "random_mixed")));
            RunsCsv.Write(oom, Runs(1e6, 10, failed: 10, failure: "oom").Concat(Runs(1e6, 10, seed: 3, cell: "random_mixed")));
            RunsCsv.Write(partial, Runs(1e6, 10, seed: 3));
            var o = Hklab.Run("compare", before, slower, "--out", Path.Combine(dir, "c1.csv"));
            Assert.Equal(1, o.ExitCode);
            Assert.Contains("| slower |", o.Stdout);
            Assert.Contains("1 slower", o.Stdout);
            Assert.Equal(0, Hklab.Run("compare", before, same, "--out", Path.Combine(dir, "c2.csv")).ExitCode);
            Assert.All(Csv.Read<CellComparison>(Path.Combine(dir, "c2.csv")), c => Assert.Equal("same", c.Verdict));
            var failing = Hklab.Run("compare", before, oom, "--out", Path.Combine(dir, "c3.csv"));
            Assert.Equal(1, failing.ExitCode);
            Assert.Contains("1 less stable", failing.Stderr);
            var missing = Hklab.Run("compare", before, partial, "--out", Path.Combine(dir, "c4.csv"));
            Assert.Equal(1, missing.ExitCode);
            Assert.Contains("1 missing", missing.Stderr);
            Assert.Equal(0, Hklab.Run("compare", before, partial, "--allow-missing", "--out", Path.Combine(dir, "c5.csv")).ExitCode);
            var absent = Hklab.Run("compare", before, Path.Combine(dir, "nope.csv"));
            Assert.Equal(2, absent.ExitCode);
            Assert.Contains("nope.csv", absent.Stderr);
            var badThreshold = Hklab.Run("compare", before, same, "--threshold", "lots");
            Assert.Equal(2, badThreshold.ExitCode);
            Assert.Contains("--threshold 'lots'", badThreshold.Stderr);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void A_partial_set_an_ab_set_without_a_side_and_an_output_inside_a_set_are_refused()
    {
        string dir = Hklab.TempDir("cmp-rules");
        try
        {
            string before = Path.Combine(dir, "before"), after = Path.Combine(dir, "after"), ab = Path.Combine(dir, "ab");
            foreach (string d in new[] { before, after, ab }) Directory.CreateDirectory(d);
            RunsCsv.Write(Path.Combine(before, RunsCsv.RunsFile), Runs(1e6, 10, seed: 1));
            new ResultMeta { MatrixId = "m", Cells = 1, PlannedRuns = 10 }.Write(before);
            RunsCsv.Write(Path.Combine(after, RunsCsv.RunsFile), Runs(1e6, 6, seed: 2));
            new ResultMeta { MatrixId = "m", Cells = 1, PlannedRuns = 10, DoneRuns = 6, Partial = true, Gaps = "interrupted after 6 of 10 runs" }.Write(after);
            RunsCsv.Write(Path.Combine(ab, RunsCsv.RunsFile), Runs(1e6, 10, seed: 3).Select(r => r with { Side = "A" })
                .Concat(Runs(0.7e6, 10, seed: 4).Select(r => r with { Side = "B" })));
            new ResultMeta { MatrixId = "ab", Cells = 1, PlannedRuns = 20, Sides = ["A: x", "B: y"] }.Write(ab);

            var partial = Hklab.Run("compare", before, after);
            Assert.Equal(2, partial.ExitCode);
            Assert.Contains("after '" + after + "' is partial (6 of 10 planned runs: interrupted after 6 of 10 runs): --allow-partial", partial.Stderr);
            var allowed = Hklab.Run("compare", before, after, "--allow-partial");
            Assert.True(allowed.ExitCode == 0, allowed.Stdout + allowed.Stderr);
            // The default output lies beside the after set, never inside it.
            Assert.True(File.Exists(Path.Combine(dir, "compare-before-vs-after.csv")));
            Assert.False(File.Exists(Path.Combine(after, "compare.csv")));

            var noSide = Hklab.Run("compare", before, ab);
            Assert.Equal(2, noSide.ExitCode);
            Assert.Contains("is an hklab ab result set (sides A and B): --side A or --side B", noSide.Stderr);
            var sideB = Hklab.Run("compare", before, ab, "--side", "B");
            Assert.Equal(1, sideB.ExitCode); // B is 30% slower than the before set: only B's runs were compared
            Assert.Contains("| slower |", sideB.Stdout);
            Assert.Equal(0, Hklab.Run("compare", before, ab, "--side", "A").ExitCode);

            var intoAb = Hklab.Run("compare", before, ab, "--side", "A", "--out", Path.Combine(ab, "mine.csv"));
            Assert.Equal(2, intoAb.ExitCode);
            Assert.Contains("is inside an hklab ab result set", intoAb.Stderr);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
