using Hakmem.Lab.Results;

namespace Hakmem.Lab.Tests;

/// <summary>hklab matrix end to end on a small slice, in real child processes.</summary>
public class MatrixCommandTests
{
    [Fact]
    public void A_small_quick_matrix_writes_a_self_describing_result_set()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"hklab-matrix-{Guid.NewGuid():N}");
        try
        {
            var o = Hklab.Run("matrix", "--quick", "--workloads", "random_mixed,larson", "--allocators", "hakmem,system", "--fast-cap", "64",
                "--tls-list", "off", "--p0", "on,off", "--threads", "2", "--runs", "2", "--out", dir);
            Assert.True(o.ExitCode == 0, o.Stdout + o.Stderr);
            var runs = RunsCsv.Read(Path.Combine(dir, RunsCsv.RunsFile));
            var summary = Csv.Read<SummaryRecord>(Path.Combine(dir, RunsCsv.SummaryFile));
            Assert.Equal(2 * (2 + 1) * 2, runs.Count); // 2 workloads x (2 hakmem configs + system) x 2 runs
            Assert.Equal(6, summary.Count);
            Assert.All(summary, s => Assert.Equal(2, s.Ok));
            Assert.All(runs.Where(r => r.Workload == "larson"), r => Assert.Equal(2, r.Threads));
            var meta = ResultMeta.Read(dir)!;
            Assert.Equal(6, meta.Cells);
            Assert.Contains("--quick", meta.CommandLine);
            Assert.False(string.IsNullOrEmpty(meta.Cpu));
            Assert.True(File.Exists(Path.Combine(dir, RunsCsv.SummaryMarkdown)));
            Assert.Contains("runs 12/12", o.Stdout);
            // The runtime's floor is recorded beside the peak, and the summary shows what lies above it.
            Assert.All(runs, r => Assert.True(r.BaseRssKb > 10_000 && r.BaseRssKb < r.PeakRssKb, $"base {r.BaseRssKb} KB, peak {r.PeakRssKb} KB"));
            Assert.All(summary, s => Assert.True(s.RssOverBaseMedianKb > 0 && s.RssOverBaseMedianKb < s.RssMedianKb));
            Assert.Contains("| peak - base |", File.ReadAllText(Path.Combine(dir, RunsCsv.SummaryMarkdown)));
            Assert.Equal(12, meta.DoneRuns);
            Assert.False(meta.Partial);
            // Where it was measured: the kernel, glibc, THP, the cgroup's limits, and each allocator's file by its hash.
            Assert.Equal(File.ReadAllText("/proc/sys/kernel/osrelease").Trim(), meta.Kernel);
            Assert.Matches(@"^2\.\d+", meta.Glibc);
            Assert.NotEqual("", meta.TransparentHugePages);
            Assert.NotEqual("", meta.CgroupMemory);
            var libc = Assert.Single(meta.NativeLibraries, l => l.Allocator == "system");
            string sha = Hklab.Start("sha256sum", [libc.Path]).Stdout.Split(' ')[0];
            Assert.Equal(sha, libc.Sha256);
            Assert.Equal(new FileInfo(libc.Path).Length, libc.Bytes);
            Assert.StartsWith("libc6 ", libc.Package);

            // Another mimalloc file under the same name: compare says so in its first line.
            string other = dir + "-other";
            CopyDirectory(dir, other);
            var changed = meta with { NativeLibraries = meta.NativeLibraries.Select(l => l.Allocator == "system" ? l with { Sha256 = new string('0', 64) } : l).ToList() };
            changed.Write(other);
            var cmp = Hklab.Run("compare", dir, other, "--out", dir + ".csv");
            Assert.StartsWith("note: the sets were measured in different places (system is another file", cmp.Stdout);
            Directory.Delete(other, true);
            File.Delete(dir + ".csv");
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
        }
    }

    [Theory]
    [InlineData("--threads", "0")]
    [InlineData("--workloads", "nosuch")]
    [InlineData("--allocators", "hakmem,nosuch")]
    [InlineData("--shard", "5/4")]
    [InlineData("--p0", "sometimes")]
    public void Bad_matrix_options_exit_2_naming_the_value(string option, string value)
    {
        var o = Hklab.Run("matrix", "--quick", option, value, "--out", Path.Combine(Path.GetTempPath(), "hklab-never"));
        Assert.Equal(2, o.ExitCode);
        Assert.Contains(value.Split(',')[^1], o.Stderr);
        Assert.False(Directory.Exists(Path.Combine(Path.GetTempPath(), "hklab-never")));
    }

    [Fact]
    public void A_program_that_cannot_take_the_thread_axis_is_said_and_runs_once()
    {
        string dir = Path.Combine(Hklab.TempDir("threads-axis"), "set");
        try
        {
            var o = Hklab.Run("matrix", "--quick", "--workloads", "larson", "--exec", "/bin/true", "--allocators", "system", "--threads", "1,2", "--runs", "1", "--out", dir);
            Assert.True(o.ExitCode == 0, o.Stdout + o.Stderr);
            Assert.Contains("--threads '1,2' does not apply to exec '/bin/true' (no {threads} in its command)", o.Stderr);
            var runs = Results.RunsCsv.Read(Path.Combine(dir, Results.RunsCsv.RunsFile));
            Assert.Equal(2, runs.Count(r => r.Workload == "larson"));
            Assert.Single(runs, r => r.Workload == "exec");
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(dir)!, true);
        }
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string f in Directory.GetFiles(from)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
    }
}
