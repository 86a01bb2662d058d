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
        Assert.Equal("0/20 runs failed: rate < 16% at 95%", Wilson.Describe(0, 20));
    }

    private static string Header => string.Join(',', RunsCsv.Columns);

    /// <summary>A row of the runs file with every column but the ones given empty or zero.</summary>
    private static string Row(string id, string outcome = "ok", string ops = "1000.5", string message = "")
    {
        var fields = RunsCsv.Columns.Select(c => c switch
        {
            "run_id" => id, "time" => "2026-01-02T03:04:05Z", "workload" => "random_mixed", "args" => "10 10 1", "allocator" => "system",
            "threads" => "1", "run" => "1", "outcome" => outcome, "exit_code" => "0", "seconds" => "0.5", "ops" => "500", "ops_per_sec" => ops,
            "peak_rss_kb" => "100", "message" => message, _ => "",
        });
        return string.Join(',', fields);
    }

    private static string Write(string text)
    {
        string path = Path.Combine(Path.GetTempPath(), $"hklab-{Guid.NewGuid():N}.csv");
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Outcomes_are_read_whatever_their_case_and_counted_as_the_outcome_they_name()
    {
        string path = Write(Header + "\n" + Row("a-1", outcome: "OK") + "\n" + Row("a-2", outcome: "Crash") + "\n" + Row("a-3", outcome: "leak") + "\n");
        try
        {
            var runs = RunsCsv.Read(path);
            Assert.Equal(["ok", "crash", "leak"], runs.Select(r => r.Outcome));
            var cell = Assert.Single(Summarizer.Summarize(runs));
            Assert.Equal((1, 1, 1, 1), (cell.Ok, cell.Crash, cell.Leak, cell.Failures));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_runs_file_with_CRLF_line_ends_and_quoted_fields_is_read()
    {
        string path = Write(Header + "\r\n" + Row("a-1", message: "\"free(): invalid pointer, then \"\"abort\"\"\r\nsecond line\"") + "\r\n" + Row("a-2") + "\r\n");
        try
        {
            var runs = RunsCsv.Read(path);
            Assert.Equal(2, runs.Count);
            Assert.Equal("free(): invalid pointer, then \"abort\"\r\nsecond line", runs[0].Message);
            Assert.Equal(1000.5, runs[1].OpsPerSec);
            Assert.Equal("", runs[1].Routes);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_runs_file_of_an_earlier_version_without_the_newer_columns_is_read()
    {
        string[] optional = ["base_rss_kb", "routes"];
        var columns = RunsCsv.Columns.Where(c => !optional.Contains(c)).ToList();
        var row = Row("a-1").Split(',').Where((_, i) => !optional.Contains(RunsCsv.Columns[i]));
        string path = Write(string.Join(',', columns) + "\n" + string.Join(',', row) + "\n");
        try
        {
            var run = Assert.Single(RunsCsv.Read(path));
            Assert.Null(run.BaseRssKb);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("ops", "line 3, column 'ops_per_sec': 'fast' is not a number")]
    [InlineData("nan", "line 3, column 'ops_per_sec': NaN is not a throughput")]
    [InlineData("infinity", "line 3, column 'ops_per_sec': Infinity is not a throughput")]
    [InlineData("negative", "line 3, column 'ops_per_sec': -5 is not a throughput")]
    [InlineData("outcome", "line 3, column 'outcome': 'fine' is not an outcome: expected ok, leak")]
    [InlineData("duplicate", "line 3, column 'run_id': run 'a-1' is also on line 2")]
    [InlineData("short", "line 3: 5 fields, expected")]
    [InlineData("long", "line 3: {columns+2} fields, expected {columns}")]
    [InlineData("header", "line 1: missing column 'ops_per_sec'")]
    [InlineData("quote", "line 3: a quoted field is never closed")]
    [InlineData("stray-quote", "line 3: a quote inside a field that is not quoted")]
    [InlineData("empty", "is empty: expected a header row")]
    public void A_bad_runs_file_is_one_line_naming_file_line_and_column(string bad, string expected)
    {
        string header = bad == "header" ? Header.Replace("ops_per_sec", "opsps") : Header;
        string second = bad switch
        {
            "ops" => Row("a-2", ops: "fast"),
            "nan" => Row("a-2", ops: "NaN"),
            "infinity" => Row("a-2", ops: "Infinity"),
            "negative" => Row("a-2", ops: "-5"),
            "outcome" => Row("a-2", outcome: "fine"),
            "duplicate" => Row("a-1"),
            "short" => "a-2,2026-01-02T03:04:05Z,,,random_mixed",
            "long" => Row("a-2") + ",x,y",
            "quote" => Row("a-2", message: "\"unterminated"),
            "stray-quote" => Row("a-2", message: "x\"y"),
            _ => Row("a-2"),
        };
        string path = Write(bad == "empty" ? "" : header + "\n" + Row("a-1") + "\n" + second + "\n");
        expected = expected.Replace("{columns+2}", (RunsCsv.Columns.Count + 2).ToString()).Replace("{columns}", RunsCsv.Columns.Count.ToString());
        try
        {
            var e = Assert.Throws<CsvInputException>(() => RunsCsv.Read(path));
            Assert.Contains(path, e.Message);
            Assert.Contains(expected, e.Message);
            Assert.DoesNotContain("\n", e.Message);
            var o = Hklab.Run("report", path);
            Assert.Equal(2, o.ExitCode);
            Assert.Single(o.Stderr.Trim().Split('\n'));
            Assert.Contains(expected, o.Stderr);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
