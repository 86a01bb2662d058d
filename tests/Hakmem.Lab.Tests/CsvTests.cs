using Hakmem.Lab.Results;

namespace Hakmem.Lab.Tests;

public class CsvTests
{
    [Fact]
    public void Runs_file_round_trips_with_stable_columns_and_invariant_numbers()
    {
        var records = new[]
        {
            new RunRecord { RunId = "a-1", Time = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero), Workload = "larson", Args = "1 8 128 1024 1 12345 4",
                Allocator = "hakmem", FastCap = 0, TlsSll = "on", TlsList = "off", P0 = "on", Guards = "off", Threads = 4, Run = 1, Outcome = "crash",
                ExitCode = 139, Signal = 11, Seconds = 1.25, Ops = 1000, OpsPerSec = 1234.5, LeakedBlocks = 2, LeakedBytes = 64, PeakRssKb = 100,
                Message = "killed, by \"signal\" 11" },
            new RunRecord { RunId = "a-2", Workload = "random_mixed", Args = "10 10 1", Allocator = "mimalloc", Outcome = "ok", OpsPerSec = 0.5 },
        };
        string path = Path.Combine(Path.GetTempPath(), $"hklab-{Guid.NewGuid():N}.csv");
        try
        {
            RunsCsv.Write(path, records);
            string text = File.ReadAllText(path);
            Assert.Contains("1234.5", text);
            Assert.Contains(",1.25,", text);
            Assert.Contains("2026-01-02T03:04:05", text);
            Assert.Equal(records, RunsCsv.Read(path));
            Assert.StartsWith(string.Join(',', RunsCsv.Columns) + "\n", text);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void The_columns_the_lab_promises_are_all_there_in_order()
    {
        string[] promised = ["workload", "args", "allocator", "fast_cap", "tls_list", "p0", "threads", "inject", "run", "outcome", "exit_code",
            "signal", "seconds", "ops", "ops_per_sec", "leaked_blocks", "leaked_bytes", "peak_rss_kb", "message"];
        var columns = RunsCsv.Columns.ToList();
        Assert.All(promised, c => Assert.Contains(c, columns));
        Assert.Equal(promised, columns.Where(promised.Contains));
    }

    [Theory]
    [InlineData(0, 20, 0.0, 0.161)]
    [InlineData(20, 20, 0.839, 1.0)]
    [InlineData(5, 20, 0.112, 0.469)]
    public void Wilson_bounds_on_known_counts(int failures, int runs, double low, double high)
    {
        var (lo, hi) = Wilson.Interval(failures, runs);
        Assert.Equal(low, lo, 3);
        Assert.Equal(high, hi, 3);
    }

    [Fact]
    public void Zero_of_twenty_is_described_as_an_upper_bound()
    {
        Assert.Equal("0/20 crashes: rate < 16% at 95%", Wilson.Describe(0, 20));
    }
}
