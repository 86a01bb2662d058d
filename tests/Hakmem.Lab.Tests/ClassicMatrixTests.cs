using System.CommandLine;
using Hakmem.Lab.Cli;
using Hakmem.Lab.Matrix;
using Hakmem.Lab.Reporting;
using Hakmem.Lab.Results;
using Hakmem.Workloads;

namespace Hakmem.Lab.Tests;

/// <summary>The classic workloads in the matrix: <c>--workloads classic</c> names them all, the threads axis
/// reaches the argument each names as its thread count and no other, and each runs ok on hakmem and glibc.</summary>
public class ClassicMatrixTests
{
    private static MatrixDefinition Definition(params string[] args)
    {
        var options = new MatrixOptions("runs per cell");
        var command = new Command("matrix");
        options.AddTo(command);
        return options.Definition(command.Parse(args), MatrixDefinition.DefaultRuns);
    }

    [Fact]
    public void The_classic_preset_is_every_classic_workload_and_the_threads_axis_reaches_their_thread_argument()
    {
        var def = Definition("--workloads", "classic", "--allocators", "system", "--threads", "1,3");
        Assert.Equal(WorkloadCatalog.ClassicNames, def.Workloads);
        var cells = def.Expand();
        // Seven take a thread count (two cells each); glibc_simple and malloc_large run once.
        Assert.Equal(7 * 2 + 2, cells.Count);
        foreach (var c in cells)
        {
            if (c.Workload.ThreadArgument is int at) Assert.Equal(c.Workload.Threads.ToString(), c.Spec.Arguments[at]);
            else Assert.Equal(1, c.Workload.Threads);
        }
        Assert.Equal([1, 3], cells.Where(c => c.Workload.Name == "rptest").Select(c => c.Workload.Threads).Order());
        Assert.Single(cells, c => c.Workload.Name == "malloc_large");
    }

    [Fact]
    public void Classic_mixes_with_other_workloads_and_a_duplicate_is_run_once()
    {
        var def = Definition("--workloads", "larson,classic,mstress", "--allocators", "system", "--threads", "2");
        Assert.Equal(["larson", .. WorkloadCatalog.ClassicNames], def.Workloads);
    }

    [Fact]
    public void The_default_matrix_stays_the_four_workloads_of_the_lab()
    {
        Assert.Equal(["larson", "random_mixed", "mid_large_mt", "large_mixed"], Definition("--allocators", "system").Workloads);
    }

    [Theory]
    [InlineData("rptest", "2 0 1 2 1500 1000 100 8 16000", "rptest T 0 1 2 1500 1000 100 8 16000")]
    [InlineData("xmalloc_test", "4 2 64", "xmalloc_test T 2 64")]
    [InlineData("larson", "2 8 128 1024 100 12345 4", "larson 2 8 128 1024 100 12345 T")]
    [InlineData("glibc_simple", "16 2000000", "glibc_simple 16 2000000")]
    [InlineData("exec", "./larson 2 4", "exec ./larson 2 4")]
    public void A_chart_puts_the_thread_counts_of_a_command_line_side_by_side(string workload, string args, string family)
    {
        Assert.Equal(family, Charts.Family(new RunRecord { Workload = workload, Args = args }));
    }

    /// <summary>Each classic workload once on hakmem and once on glibc, in the lab's own child processes.</summary>
    [Fact]
    public void Every_classic_workload_runs_ok_on_hakmem_and_glibc()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"hklab-classic-{Guid.NewGuid():N}");
        try
        {
            var o = Hklab.Run("matrix", "--quick", "--workloads", "classic", "--allocators", "hakmem,system", "--fast-cap", "64", "--tls-list", "off",
                "--p0", "on", "--threads", "2", "--runs", "1", "--out", dir);
            Assert.True(o.ExitCode == 0, o.Stdout + o.Stderr);
            var runs = RunsCsv.Read(Path.Combine(dir, RunsCsv.RunsFile));
            Assert.Equal(2 * WorkloadCatalog.ClassicNames.Count, runs.Count);
            Assert.All(runs, r => Assert.True(r.Outcome == "ok", $"{r.Workload} {r.Args} on {r.Allocator}: {r.Outcome} {r.Message}"));
            Assert.All(runs, r => Assert.True(r.OpsPerSec > 0, $"{r.Workload} on {r.Allocator}: no throughput"));
            Assert.All(runs.Where(r => r.Allocator == "hakmem"), r => Assert.Equal(0, r.LeakedBlocks));
            Assert.All(runs.Where(r => r.Workload is not ("glibc_simple" or "malloc_large")), r => Assert.Equal(2, r.Threads));
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
        }
    }
}
