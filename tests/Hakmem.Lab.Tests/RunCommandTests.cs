using Hakmem.Lab.Results;

namespace Hakmem.Lab.Tests;

/// <summary>hklab run end to end, as a user types it.</summary>
public class RunCommandTests
{
    private static string TempCsv() => Path.Combine(Path.GetTempPath(), $"hklab-{Guid.NewGuid():N}.csv");

    [Fact]
    public void Three_runs_give_three_ok_rows()
    {
        string csv = TempCsv();
        var o = Hklab.Run("run", "random_mixed", "200000", "2048", "123", "--runs", "3", "--csv", csv);
        Assert.True(o.ExitCode == 0, o.Stdout + o.Stderr);
        var rows = RunsCsv.Read(csv);
        Assert.Equal(3, rows.Count);
        Assert.All(rows, r => Assert.Equal("ok", r.Outcome));
        Assert.All(rows, r => Assert.Equal(200000, r.Ops));
        Assert.All(rows, r => Assert.Equal(0, r.LeakedBlocks));
        Assert.Equal([1, 2, 3], rows.Select(r => r.Run));
        Assert.Contains("0/3 runs failed", o.Stdout);
        File.Delete(csv);
    }

    [Fact]
    public void HAKMEM_variables_apply_when_no_flag_is_given_and_flags_win()
    {
        string csv = TempCsv();
        var env = new Dictionary<string, string> { ["HAKMEM_TINY_FAST_CAP"] = "0", ["HAKMEM_TINY_TLS_LIST"] = "1" };
        var o = Hklab.Run(env, "run", "larson", "0.2", "8", "128", "256", "1", "12345", "2", "--p0", "off", "--csv", csv);
        Assert.True(o.ExitCode == 0, o.Stdout + o.Stderr);
        var row = Assert.Single(RunsCsv.Read(csv));
        Assert.Equal(0, row.FastCap);
        Assert.Equal("on", row.TlsList);
        Assert.Equal("off", row.P0);
        Assert.Equal(2, row.Threads);
        File.Delete(csv);
    }

    [Theory]
    [InlineData("run larson 1 200 100 1024 1 12345 4", "min_size 200 is larger than max_size 100")]
    [InlineData("run random_mixed 10 10 1 --threads 4", "single-threaded")]
    [InlineData("run random_mixed 10 10 1 --allocator nosuch", "unknown allocator 'nosuch'")]
    [InlineData("run random_mixed 10 10 1 --runs 0", "--runs '0' is not valid")]
    [InlineData("run random_mixed 10 10 1 --tls-list maybe", "--tls-list 'maybe' is not valid")]
    [InlineData("run nosuch", "unknown workload or scenario 'nosuch'")]
    [InlineData("micro --allocators hakmem,nosuch", "unknown allocator 'nosuch'")]
    [InlineData("micro --job nosuch", "--job 'nosuch' is not valid: expected short, dry")]
    [InlineData("matrix --runs 0", "--runs '0' is not valid")]
    public void Bad_arguments_exit_2_with_a_message_naming_them(string command, string expected)
    {
        var o = Hklab.Run(command.Split(' '));
        Assert.Equal(2, o.ExitCode);
        Assert.Contains(expected, o.Stdout + o.Stderr);
        Assert.DoesNotContain("run 1/", o.Stdout);
    }

    [Fact]
    public void A_bad_HAKMEM_value_is_refused_naming_the_variable()
    {
        var o = Hklab.Run(new Dictionary<string, string> { ["HAKMEM_TINY_FAST_CAP"] = "lots" }, "run", "random_mixed", "10", "10", "1");
        Assert.Equal(2, o.ExitCode);
        Assert.Contains("HAKMEM_TINY_FAST_CAP='lots'", o.Stderr);
    }
}
