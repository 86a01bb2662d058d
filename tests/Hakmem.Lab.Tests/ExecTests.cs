using Hakmem.Lab.Backends;
using Hakmem.Lab.Results;
using Hakmem.Lab.Running;

namespace Hakmem.Lab.Tests;

/// <summary>Any allocator build and any benchmark program under the lab, with real native code: a small C
/// benchmark that can be told to fail in every way, and a malloc library of our own, through lib:PATH
/// (dlopen in the worker) and through LD_PRELOAD (a program).</summary>
public class ExecTests
{
    private static string Bench => NativeFixture.Program("bench_fixture");
    private static string CountMalloc => NativeFixture.Library("countmalloc");

    private static Task<RunResult> Run(RunSpec spec, double timeout = 60) => new ChildRunner(Hklab.Command).RunAsync(spec, TimeSpan.FromSeconds(timeout));

    private static RunSpec Exec(string args, string allocator = "system") => new("exec", [$"{Bench} {args}"], allocator, HakmemOptions.Default);

    [Theory]
    [InlineData("2 200000", "ok", null, "")]
    [InlineData("2 200000 segv", "crash", 11, "killed by SIGSEGV")]
    [InlineData("2 200000 abort", "abort", 6, "killed by SIGABRT: free(): invalid pointer")]
    [InlineData("2 200000 exit3", "error", null, "exited with code 3: error: the arena is exhausted")]
    [InlineData("2 200000 silent", "ok", null, "no figure in the output: judged by its time")]
    [InlineData("2 200000 hang", "timeout", 9, "its process group was killed by SIGKILL")]
    public async Task Every_way_a_program_ends_is_classified(string args, string outcome, int? signal, string message)
    {
        var r = await Run(Exec(args), timeout: 2);
        Assert.True(outcome == r.Outcome.Name(), $"{args}: {r.Outcome.Name()} (exit {r.ExitCode}): {r.Message}");
        Assert.Equal(signal, r.Signal);
        Assert.Contains(message, r.Message);
        Assert.Null(r.LeakedBlocks); // unknown for a program, never 0
        Assert.True(r.Seconds > 0);
        if (outcome == "ok" && args == "2 200000") Assert.True(r.OpsPerSec > 1e6, $"throughput {r.OpsPerSec}");
        if (outcome == "ok") Assert.True(r.PeakRssKb > 0, "peak RSS from the program's rusage");
        if (outcome == "crash") Assert.Equal(139, r.ExitCode);
    }

    [Fact]
    public async Task A_hung_program_is_gone_after_its_timeout()
    {
        var r = await Run(Exec("1 10 hang"), timeout: 1);
        Assert.Equal(Outcome.Timeout, r.Outcome);
        Assert.DoesNotContain(Directory.GetDirectories("/proc"), d => int.TryParse(Path.GetFileName(d), out int pid) && Hklab.IsRunning(pid) && CommandLine(d).Contains($"{Bench}\0" + "1\0" + "10\0" + "hang"));
    }

    private static string CommandLine(string procDir)
    {
        try
        {
            return File.ReadAllText(Path.Combine(procDir, "cmdline"));
        }
        catch (IOException)
        {
            return "";
        }
    }

    [Fact]
    public async Task Throughput_is_read_from_ops_per_second_and_from_a_pattern_of_ones_own()
    {
        var plain = await Run(Exec("2 100000 opsps"));
        Assert.True(plain.OpsPerSec > 1e6, plain.Message);
        var custom = await Run(Exec("2 100000") with { OpsRegex = @"Throughput = (\d+)" });
        Assert.True(custom.OpsPerSec > 1e6, custom.Message);
        var none = await Run(Exec("2 100000") with { OpsRegex = @"nothing like this (\d+)" });
        Assert.Equal(0, none.OpsPerSec);
        Assert.Contains("judged by its time", none.Message);
        Assert.Equal(Results.Metrics.Seconds, none.Report!.Metric);
    }

    [Fact]
    public async Task The_allocator_is_preloaded_into_the_program()
    {
        // countmalloc returns NULL after 1000 calls when asked: the program fails only if it really runs on it.
        var spec = Exec("2 100000", $"lib:{CountMalloc}") with { Env = new SortedDictionary<string, string> { ["COUNTMALLOC_FAIL_AFTER"] = "1000" } };
        var r = await Run(spec);
        Assert.Equal(Outcome.Error, r.Outcome);
        Assert.Contains("out of memory", r.Message);
        Assert.Equal(Outcome.Ok, (await Run(Exec("2 100000", $"lib:{CountMalloc}"))).Outcome);
        Assert.Equal(Outcome.Ok, (await Run(Exec("2 100000") with { Env = spec.Env })).Outcome); // glibc: not affected
    }

    [Fact]
    public async Task A_library_by_path_is_loaded_in_the_worker_for_the_in_process_workloads()
    {
        var spec = new RunSpec("random_mixed", ["20000", "256", "1"], $"lib:{CountMalloc}", HakmemOptions.Default);
        Assert.Equal(Outcome.Ok, (await Run(spec)).Outcome);
        var capped = await Run(spec with { Env = new SortedDictionary<string, string> { ["COUNTMALLOC_FAIL_AFTER"] = "100" } });
        Assert.Equal(Outcome.Oom, capped.Outcome); // its malloc, not glibc's, served the workload
    }

    [Fact]
    public async Task A_library_that_does_not_load_or_lacks_malloc_is_refused_naming_it()
    {
        string dir = Hklab.TempDir("badlib");
        try
        {
            string notElf = Path.Combine(dir, "libnot.so");
            File.WriteAllText(notElf, "not a library");
            var r = await Run(new RunSpec("random_mixed", ["1000", "64", "1"], $"lib:{notElf}", HakmemOptions.Default));
            Assert.Equal(Outcome.Refused, r.Outcome);
            Assert.Contains("does not load", r.Message);
            // A library that exports no malloc of its own (its dependency, glibc, would answer dlsym).
            string noMalloc = NativeFixture.Library("exit_fault");
            var m = await Run(new RunSpec("random_mixed", ["1000", "64", "1"], $"lib:{noMalloc}", HakmemOptions.Default));
            Assert.Equal(Outcome.Refused, m.Outcome);
            Assert.Contains("does not define 'malloc' itself", m.Message);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void A_matrix_of_a_program_over_environment_axes_and_threads_records_each_cell()
    {
        string dir = Path.Combine(Hklab.TempDir("exec-matrix"), "set");
        try
        {
            var o = Hklab.Run("matrix", "--exec", $"{Bench} {{threads}} 50000", "--allocators", $"system,lib:{CountMalloc}", "--env", "FIXTURE_KNOB=0,1",
                "--threads", "1,2", "--runs", "2", "--out", dir);
            Assert.True(o.ExitCode == 0, o.Stdout + o.Stderr);
            var runs = RunsCsv.Read(Path.Combine(dir, RunsCsv.RunsFile));
            Assert.Equal(2 * 2 * 2 * 2, runs.Count); // allocators x env x threads x runs
            Assert.All(runs, r => Assert.Equal("exec", r.Workload));
            Assert.Equal([$"{Bench} 1 50000", $"{Bench} 2 50000"], runs.Select(r => r.Args).Distinct().Order());
            Assert.Equal(["lib:libcountmalloc.so", "system"], runs.Select(r => r.Allocator).Distinct().Order());
            Assert.Equal(["FIXTURE_KNOB=0", "FIXTURE_KNOB=1"], runs.Select(r => r.Env).Distinct().Order());
            Assert.All(runs, r => Assert.Null(r.LeakedBlocks));
            Assert.Equal(8, Csv.Read<SummaryRecord>(Path.Combine(dir, RunsCsv.SummaryFile)).Count);
            Assert.Contains(CountMalloc, File.ReadAllText(Path.Combine(dir, RunsCsv.MetaFile)));
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(dir)!, true);
        }
    }

    [Fact]
    public void HAKMEM_assignments_of_an_env_axis_set_hakmems_knobs()
    {
        string dir = Path.Combine(Hklab.TempDir("env-knobs"), "set");
        try
        {
            var o = Hklab.Run("matrix", "--quick", "--workloads", "random_mixed", "--allocators", "hakmem", "--fast-cap", "64", "--tls-list", "off", "--p0", "on",
                "--env", "HAKMEM_TINY_FAST_CAP=0,32", "--runs", "1", "--out", dir);
            Assert.True(o.ExitCode == 0, o.Stdout + o.Stderr);
            var runs = RunsCsv.Read(Path.Combine(dir, RunsCsv.RunsFile));
            Assert.Equal([0, 32], runs.Select(r => r.FastCap!.Value).Order());
            Assert.All(runs, r => Assert.Equal($"HAKMEM_TINY_FAST_CAP={r.FastCap}", r.Env));
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(dir)!, true);
        }
    }

    [Theory]
    [InlineData("run --exec ./x --allocator hakmem", "has no native library to preload")]
    [InlineData("run --exec ./x --allocator bump", "has no native library to preload")]
    [InlineData("matrix --exec ./x --allocators hakmem", "has no native library to preload")]
    [InlineData("run --exec ./x --allocator lib:/nonexistent/libx.so", "/nonexistent/libx.so does not exist")]
    [InlineData("run random_mixed 10 10 1 --allocator lib:", "lib: needs a path")]
    [InlineData("run --exec './x {threads}' --env NOEQUALS", "--env 'NOEQUALS' is not valid: expected NAME=value")]
    [InlineData("matrix --exec ./x --env A=1,,2", "--env 'A=1,,2' has an empty value")]
    [InlineData("matrix --exec ./x --env A=1 --env A=2", "--env A is given twice")]
    [InlineData("run --exec ./x --ops-regex (", "--ops-regex '(' is not a regular expression")]
    [InlineData("run --exec ./x --ops-regex ops", "--ops-regex 'ops' has no group")]
    [InlineData("run --exec ./x --threads 4", "has no {threads} to take a thread count")]
    [InlineData("run larson 1 8 128 1024 1 1 1 --exec ./x", "give either a workload or --exec")]
    [InlineData("run --exec 'unclosed", "a quote is never closed")]
    public void Bad_exec_input_is_one_line_and_exit_2(string command, string expected)
    {
        var o = Hklab.Run(Split(command));
        Assert.Equal(2, o.ExitCode);
        Assert.Contains(expected, Assert.Single(o.Stderr.TrimEnd('\n').Split('\n')));
    }

    [Fact]
    public void A_scenario_file_of_ones_own_adds_exec_scenarios()
    {
        string dir = Hklab.TempDir("scenarios");
        try
        {
            string file = Path.Combine(dir, "mine.json");
            File.WriteAllText(file, $"[{{ \"name\": \"my-bench\", \"workload\": \"exec\", \"arguments\": \"{Bench} 2 50000\", \"about\": \"test\" }}]");
            var o = Hklab.Run(new Dictionary<string, string> { ["HKLAB_SCENARIOS"] = file }, "run", "my-bench", "--allocator", "system", "--csv", Path.Combine(dir, "runs.csv"));
            Assert.True(o.ExitCode == 0, o.Stdout + o.Stderr);
            var run = Assert.Single(RunsCsv.Read(Path.Combine(dir, "runs.csv")));
            Assert.Equal("exec", run.Workload);
            Assert.Equal($"{Bench} 2 50000", run.Args);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    /// <summary>Words of a test's command line; a closed '...' groups (an unclosed one stays as it is).</summary>
    private static string[] Split(string command)
    {
        var words = new List<string>();
        for (int i = 0; i < command.Length;)
        {
            if (command[i] == ' ') { i++; continue; }
            int close = command[i] == '\'' ? command.IndexOf('\'', i + 1) : -1;
            int end = close > 0 ? close + 1 : command.IndexOf(' ', i) is var sp && sp >= 0 ? sp : command.Length;
            words.Add(close > 0 ? command[(i + 1)..close] : command[i..end]);
            i = end;
        }
        return words.ToArray();
    }
}
