using Hakmem.Lab.Compare;
using Hakmem.Lab.Results;

namespace Hakmem.Lab.Tests;

public class CompareTests
{
    private static List<RunRecord> Runs(double mean, int n, int crashes = 0, int seed = 1, string cell = "larson")
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(i => new RunRecord
        {
            Workload = cell, Args = "1 8 128 1024 1 12345 4", Allocator = "hakmem", FastCap = 64, TlsSll = "on", TlsList = "off", P0 = "on",
            Guards = "off", Threads = 4, Run = i + 1,
            Outcome = i < crashes ? "crash" : "ok",
            OpsPerSec = i < crashes ? 0 : mean * (1 + (rng.NextDouble() - 0.5) * 0.02),
        }).ToList();
    }

    [Theory]
    [InlineData(1.10, "faster")]
    [InlineData(0.90, "slower")]
    [InlineData(1.01, "same")]
    public void Throughput_verdicts_on_synthetic_samples(double factor, string expected)
    {
        var row = Assert.Single(Comparer.Compare(Runs(1e6, 20, seed: 1), Runs(1e6 * factor, 20, seed: 2), 0.05));
        Assert.Equal(expected, row.Verdict);
        Assert.Equal(factor, row.Ratio!.Value, 1);
        Assert.Equal(expected == "slower", row.IsRegression);
    }

    [Fact]
    public void Fewer_than_five_runs_is_unknown()
    {
        var row = Assert.Single(Comparer.Compare(Runs(1e6, 4, seed: 1), Runs(2e6, 20, seed: 2), 0.05));
        Assert.Equal("unknown", row.Verdict);
        Assert.Contains("fewer than 5", row.Note);
    }

    [Fact]
    public void Crashes_0_of_20_then_8_of_20_are_less_stable()
    {
        var row = Assert.Single(Comparer.Compare(Runs(1e6, 20, crashes: 0), Runs(1e6, 20, crashes: 8, seed: 1), 0.05));
        Assert.Equal("less stable", row.Stability);
        Assert.True(row.IsRegression);
        Assert.Equal(0.0016, row.FailuresP, 4);
        var back = Assert.Single(Comparer.Compare(Runs(1e6, 20, crashes: 8), Runs(1e6, 20, crashes: 0), 0.05));
        Assert.Equal("more stable", back.Stability);
        Assert.False(back.IsRegression);
    }

    [Fact]
    public void One_crash_more_is_not_significant()
    {
        var row = Assert.Single(Comparer.Compare(Runs(1e6, 20, crashes: 0), Runs(1e6, 20, crashes: 1, seed: 1), 0.05));
        Assert.Equal("same", row.Stability);
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
            RunsCsv.Write(before, Runs(1e6, 10, seed: 1));
            RunsCsv.Write(slower, Runs(0.8e6, 10, seed: 2));
            RunsCsv.Write(same, Runs(1e6, 10, seed: 3));
            var o = Hklab.Run("compare", before, slower, "--out", Path.Combine(dir, "c1.csv"));
            Assert.Equal(1, o.ExitCode);
            Assert.Contains("| slower |", o.Stdout);
            Assert.Contains("1 slower", o.Stdout);
            Assert.Equal(0, Hklab.Run("compare", before, same, "--out", Path.Combine(dir, "c2.csv")).ExitCode);
            Assert.Equal("same", Csv.Read<CellComparison>(Path.Combine(dir, "c2.csv")).Single().Verdict);
            var missing = Hklab.Run("compare", before, Path.Combine(dir, "nope.csv"));
            Assert.Equal(2, missing.ExitCode);
            Assert.Contains("nope.csv", missing.Stderr);
            var badThreshold = Hklab.Run("compare", before, same, "--threshold", "lots");
            Assert.Equal(2, badThreshold.ExitCode);
            Assert.Contains("--threshold 'lots'", badThreshold.Stderr);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
