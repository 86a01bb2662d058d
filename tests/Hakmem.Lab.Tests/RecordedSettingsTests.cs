using Hakmem.Lab.Results;
using Hakmem.Lab.Running;

namespace Hakmem.Lab.Tests;

/// <summary>A result says exactly what ran: every setting that changes a run reaches its row and keys its
/// cell, whatever set it (a flag, the shell, --env); settings that do not belong to a cell never reach its
/// run; what a worker cannot run is refused as a configuration error, never judged as a failure.</summary>
public class RecordedSettingsTests
{
    private static string Repo => Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", ".."));

    /// <summary>A program that prints the variable NAME as [value] on stderr and fails: its message shows what it saw.</summary>
    private static string Shows(string name) => $"sh -c 'echo \"[${name}]\" >&2; exit 3'";

    /// <summary>One run of the workload with <paramref name="variable"/>=<paramref name="value"/> in the shell (said once, as
    /// from the environment) and one without, each into its own runs file under root: (with, without).</summary>
    private static (RunRecord With, RunRecord Without, string WithFile, string WithoutFile) RunWithAndWithout(string root, string variable, string value, params string[] workload)
    {
        string with = Path.Combine(root, "with.csv"), without = Path.Combine(root, "without.csv");
        var o = Hklab.Run(new Dictionary<string, string> { [variable] = value }, ["run", .. workload, "--csv", with]);
        Assert.True(o.ExitCode == 0, o.Stdout + o.Stderr);
        Assert.Contains($"from the environment: {variable}={value}", o.Stderr);
        Assert.Equal(0, Hklab.Run(["run", .. workload, "--csv", without]).ExitCode);
        return (Assert.Single(RunsCsv.Read(with)), Assert.Single(RunsCsv.Read(without)), with, without);
    }

    [Fact]
    public void The_large_block_cache_set_in_the_shell_is_recorded_and_keys_the_cell()
    {
        string root = Hklab.TempDir("settings-cache");
        try
        {
            var (a, b, off, on) = RunWithAndWithout(root, "HAKMEM_LARGE_CACHE_MB", "0", "large_mixed", "2000", "16", "7");
            Assert.Equal((0L, 1000), (a.LargeCacheMb!.Value, a.LargeDecayMs!.Value));
            Assert.Equal(256L, b.LargeCacheMb);
            Assert.NotEqual(CellKey.Of(a), CellKey.Of(b));
            Assert.Contains("large_cache_mb=0", CellKey.Of(a).ToString());
            // compare does not pair a cache-off cell with a cache-on one.
            var cmp = Hklab.Run("compare", off, on, "--out", Path.Combine(root, "cmp.csv"));
            Assert.Equal(2, cmp.ExitCode);
            Assert.Contains("no cell is in both result sets", cmp.Stderr);
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    [Fact]
    public void The_mid_cache_switched_off_in_the_shell_is_recorded_keys_the_cell_and_is_asked_of_other_builds()
    {
        string root = Hklab.TempDir("settings-mid");
        try
        {
            var (a, b, _, _) = RunWithAndWithout(root, "HAKMEM_MID_CACHE", "0", "random_mixed", "2000", "64", "1");
            Assert.Equal(("off", ""), (a.MidCache, b.MidCache)); // on is the column left empty, as in every set from before it
            Assert.NotEqual(CellKey.Of(a), CellKey.Of(b));
            Assert.Contains("mid_cache=off", CellKey.Of(a).ToString());
            // repro runs it as it ran; a build that lacks the option is turned away before its first run.
            RunSpec off = Cli.ReproCommand.SpecOf(a, null), on = Cli.ReproCommand.SpecOf(b, null);
            Assert.False(off.Hakmem.MidCache);
            Assert.True(on.Hakmem.MidCache);
            Assert.Contains(Capabilities.UsedBy([off]), f => f.Name == "option:mid_cache");
            Assert.DoesNotContain(Capabilities.UsedBy([on]), f => f.Name == "option:mid_cache");
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    [Fact]
    public void An_allocators_variable_from_the_shell_reaches_its_cells_recorded_and_no_other()
    {
        string root = Hklab.TempDir("settings-ambient");
        try
        {
            string program = Path.Combine(root, "program.csv"), hakmem = Path.Combine(root, "hakmem.csv");
            var env = new Dictionary<string, string> { ["MIMALLOC_ARENA_EAGER_COMMIT"] = "1", ["DOTNET_gcConcurrent"] = "0" };
            var o = Hklab.Run(env, "run", "--exec", Shows("MIMALLOC_ARENA_EAGER_COMMIT"), "--csv", program);
            Assert.Equal(1, o.ExitCode);
            Assert.Contains("from the environment: DOTNET_gcConcurrent=0;MIMALLOC_ARENA_EAGER_COMMIT=1", o.Stderr);
            var run = Assert.Single(RunsCsv.Read(program));
            Assert.EndsWith("[1]", run.Message); // the program saw it ...
            Assert.Equal("MIMALLOC_ARENA_EAGER_COMMIT=1", run.Env); // ... and the row says so; the runtime's knob is not a program's

            // A runtime knob the cell does not record never reaches the program.
            var runtime = Hklab.Run(env, "run", "--exec", Shows("DOTNET_gcConcurrent"), "--csv", Path.Combine(root, "runtime.csv"));
            Assert.EndsWith("[]", Assert.Single(RunsCsv.Read(Path.Combine(root, "runtime.csv"))).Message);

            // hakmem's cell is not changed by mimalloc's variable: not in its key; the runtime's knob is.
            Assert.Equal(0, Hklab.Run(env, "run", "random_mixed", "20000", "256", "1", "--csv", hakmem).ExitCode);
            Assert.Equal("DOTNET_gcConcurrent=0", Assert.Single(RunsCsv.Read(hakmem)).Env);
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    [Fact]
    public void LD_PRELOAD_from_the_shell_is_never_passed_to_a_run_and_that_is_said()
    {
        string root = Hklab.TempDir("settings-preload");
        try
        {
            string csv = Path.Combine(root, "runs.csv");
            var env = new Dictionary<string, string> { ["LD_PRELOAD"] = NativeFixture.Library("countmalloc") };
            var o = Hklab.Run(env, "run", "--exec", Shows("LD_PRELOAD"), "--csv", csv);
            Assert.Contains("LD_PRELOAD=", o.Stderr);
            Assert.Contains("is not passed to runs", o.Stderr);
            Assert.EndsWith("[]", Assert.Single(RunsCsv.Read(csv)).Message);
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    [Fact]
    public void A_run_the_worker_refuses_stops_the_command_with_exit_2_and_is_not_written_as_a_run()
    {
        string root = Hklab.TempDir("settings-refused");
        try
        {
            string notElf = Path.Combine(root, "libnot.so"), csv = Path.Combine(root, "runs.csv");
            File.WriteAllText(notElf, "not a library");
            var o = Hklab.Run("run", "random_mixed", "1000", "64", "1", "--allocator", $"lib:{notElf}", "--runs", "3", "--csv", csv);
            Assert.Equal(2, o.ExitCode);
            Assert.Contains("does not load", Assert.Single(o.Stderr.TrimEnd('\n').Split('\n'))); // refused before the first run
            Assert.False(File.Exists(csv));

            // A run the worker refuses stops the command, and is not written: a program with two figures and no headline.
            var worker = Hklab.Run("run", "--exec", "sh -c 'echo 100 ops/s; echo 200 ops/s'", "--runs", "3", "--csv", csv);
            Assert.Equal(2, worker.ExitCode);
            Assert.Contains("a configuration error, not a stability failure", worker.Stderr);
            Assert.Contains("several figures", worker.Stderr);
            Assert.Empty(RunsCsv.Read(csv));
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    [Fact]
    public void A_worker_refuses_a_spec_member_it_does_not_know_instead_of_dropping_it()
    {
        string spec = """{"workload":"random_mixed","arguments":["1000","64","1"],"allocator":"hakmem","hakmem":{},"a_future_member":500}""";
        var o = Hklab.Run(Worker.CommandName, spec);
        Assert.Equal(2, o.ExitCode);
        var report = WorkerReport.Find(o.Stdout)!;
        Assert.Equal("refused", report.Status);
        Assert.Contains("a_future_member", report.Message);
    }

    [Fact]
    public void Options_a_worker_reports_other_than_the_cells_are_a_refusal_naming_them()
    {
        var spec = new RunSpec("large_mixed", ["2000", "16", "7"], "hakmem", HakmemOptions.Default);
        var ran = new WorkerReport { Status = "ok", Options = HakmemOptions.Default with { LargeCacheBytes = 0 }, Ran = spec.Parse().CommandLine };
        Assert.Contains("LargeCacheBytes 0 instead of 268435456", ChildRunner.Mismatch(spec, ran));
        Assert.Contains("ran 'large_mixed 9 9 9'", ChildRunner.Mismatch(spec, ran with { Options = HakmemOptions.Default, Ran = "large_mixed 9 9 9" }));
        Assert.Null(ChildRunner.Mismatch(spec, ran with { Options = HakmemOptions.Default }));
        Assert.Null(ChildRunner.Mismatch(spec, new WorkerReport { Status = "ok" })); // a build older than the report cannot say
    }

    [Fact]
    public void A_build_lists_what_it_can_run()
    {
        var o = Hklab.Run(Capabilities.CommandName);
        Assert.Equal(0, o.ExitCode);
        var features = Capabilities.ParseAnswer(o.Stdout)!;
        Assert.Contains("workload:large_mixed", features);
        Assert.Contains("option:large_cache_mb", features);
        Assert.Contains("option:mid_cache", features);
    }

    [Fact]
    public void Runs_files_without_the_new_columns_key_their_cells_as_they_ran()
    {
        // Before the large-block cache (2026-11-24): hakmem ran without one. After it (2026-12-02): with the default.
        var before = RunsCsv.Read(Path.Combine(Repo, "results", "baselines", "perf-2026-11-24", RunsCsv.RunsFile)).Where(r => r.Allocator == "hakmem").ToList();
        var after = RunsCsv.Read(Path.Combine(Repo, "results", "baselines", "perf-2026-12-02", RunsCsv.RunsFile)).Where(r => r.Allocator == "hakmem").ToList();
        Assert.All(before, r => Assert.Equal(0L, r.LargeCacheMb));
        Assert.All(after, r => Assert.Equal((256L, 1000), (r.LargeCacheMb!.Value, r.LargeDecayMs!.Value)));
        // A run made today with the defaults is the very cell of the committed baseline: compare pairs them.
        var row = after.First(r => r.Workload == "random_mixed" && r.FastCap == 64);
        var spec = new RunSpec("random_mixed", row.Args.Split(' '), "hakmem", HakmemOptions.Default with { FastCap = 64, TlsList = false, P0BatchRefill = true });
        Assert.Equal(CellKey.Of(row), CellKey.For(spec, spec.Parse()));
    }
}
