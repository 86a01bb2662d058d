using Hakmem.Lab.Compare;
using Hakmem.Lab.Results;
using Hakmem.Lab.Running;

namespace Hakmem.Lab.Tests;

/// <summary>Real benchmark programs measured right: the figure a program prints read with its unit (never a
/// spread, never a guess between several), time judged where it prints none, the program's own peak RSS
/// (not the lab's), the allocator really preloaded, a working directory of its own, and a library's own
/// crash handler seen for the crash it is.</summary>
public class ProgramMeasureTests
{
    private static string Bench => NativeFixture.Program("bench_fixture");

    [Theory]
    [InlineData("Throughput =  1234567 operations per second, relative time: 2.012s.", 1234567, ProgramFigure.PerSecond, "Throughput =  1234567 operations per second")]
    [InlineData("rtime: 6.883, free/sec: 14.529 M\n", 14.529e6, ProgramFigure.PerSecond, "free/sec: 14.529 M")]
    [InlineData("Total 145290000 freed in 10.00 seconds. 14.53M free/second\n", 14.53e6, ProgramFigure.PerSecond, "14.53M free/second")]
    [InlineData("rptest       2 threads random linear size [8,16000] 2500 loops: 1262633 memory ops/CPU second (14MiB peak, 5MiB -> 9MiB bytes sample, 80% overhead)", 1262633, ProgramFigure.PerCpuSecond, "1262633 memory ops/CPU second")]
    [InlineData("108295605 iterations\n", 108295605, ProgramFigure.PerRun, "108295605 iterations")]
    [InlineData("about to run thread 0...\n2 threads made 20000000 alloc/dealloc operations in 660 ms (33 ms per 1 million)\n", 20000000 / 0.66, ProgramFigure.PerSecond, "made 20000000 alloc/dealloc operations in 660 ms")]
    [InlineData("done: 5000000 ops in 1.25 s\n", 4e6, ProgramFigure.PerSecond, "5000000 ops in 1.25 s")]
    [InlineData("12345 ops/s\n", 12345, ProgramFigure.PerSecond, "12345 ops/s")]
    [InlineData("Throughput: 12.5 Mops/s (+- 0.3 Mops/s)\n", 12.5e6, ProgramFigure.PerSecond, "12.5 Mops/s")]
    [InlineData("threads 4\nops/s: 1234567\n", 1234567, ProgramFigure.PerSecond, "ops/s: 1234567")]
    [InlineData("total 5000000 ops/s\nthread 0: 1250000 ops/s\nthread 1: 1250000 ops/s\n", 5e6, ProgramFigure.PerSecond, "5000000 ops/s")]
    [InlineData("3.5 K ops/sec", 3500, ProgramFigure.PerSecond, "3.5 K ops/sec")]
    public void The_figure_of_each_format_is_read_with_its_unit(string output, double value, string unit, string source)
    {
        var f = ProgramFigure.Read(output, null)!;
        Assert.Equal(value, f.Value, value * 1e-9);
        Assert.Equal(unit, f.Unit);
        Assert.Equal(source, f.Source);
    }

    [Theory]
    [InlineData("start with 2 threads with a 50% load-per-thread and 250 iterations\n- iterations:  10\n")] // mstress: counts, not a figure
    [InlineData("")]
    [InlineData("Usage: benchmark <thread count>\n")]
    public void Output_without_a_figure_has_none(string output) => Assert.Null(ProgramFigure.Read(output, null));

    [Fact]
    public void Several_figures_and_no_headline_are_never_guessed()
    {
        var e = Assert.Throws<AmbiguousFigureException>(() => ProgramFigure.Read("phase 1: 100 ops/s\nphase 2: 250 ops/s\n", null));
        Assert.Contains("'100 ops/s' on line 1", e.Message);
        Assert.Contains("--ops-regex", e.Message);
        // Its own pattern settles it: group n, and a unit group that scales.
        var mine = ProgramFigure.Read("phase 1: 100 ops/s\nphase 2: 2.5 K ops/s\n", @"phase 2: (?<n>[0-9.]+) (?<unit>K)? ?ops/s")!;
        Assert.Equal(2500, mine.Value);
    }

    private static List<RunRecord> Timed(double seconds, int n, int seed, string cell = "exec") => Enumerable.Range(1, n).Select(i => new RunRecord
    {
        RunId = $"{seed}-{i}", Workload = cell, Args = "./prog", Allocator = "system", Threads = 1, Run = i, Outcome = "ok",
        Metric = Metrics.Seconds, Seconds = seconds * (1 + 0.004 * ((i * 7 + seed) % 5 - 2) / 2), OpsUnit = "",
    }).ToList();

    [Fact]
    public void A_program_whose_time_is_fixed_by_itself_is_unknown_never_same()
    {
        var row = Assert.Single(Comparer.Compare(Timed(2.02, 10, 1), Timed(2.02, 10, 2), 0.05));
        Assert.Equal(Verdicts.Unknown, row.Verdict);
        Assert.Contains("time is fixed by the program", row.Note);
        Assert.Equal("slower", Assert.Single(Comparer.Compare(Timed(1.0, 10, 1), Timed(2.0, 10, 2), 0.05)).Verdict);
    }

    [Fact]
    public void A_cell_measured_differently_on_the_two_sides_is_refused()
    {
        var before = Timed(1.0, 6, 1).Select(r => r with { Metric = Metrics.OpsPerSec, OpsPerSec = 1e6, OpsUnit = ProgramFigure.PerSecond }).ToList();
        var after = before.Select(r => r with { RunId = r.RunId + "b", OpsUnit = ProgramFigure.PerCpuSecond }).ToList();
        var e = Assert.Throws<ArgumentException>(() => Comparer.Compare(before, after, 0.05));
        Assert.Contains("measured differently", e.Message);
        Assert.Contains("per CPU second", e.Message);
    }

    [Fact]
    public void A_program_printing_its_own_figure_is_read_recorded_and_sourced()
    {
        string root = Hklab.TempDir("figure");
        try
        {
            string csv = Path.Combine(root, "runs.csv");
            var o = Hklab.Run("run", "--exec", "sh -c 'echo rtime: 6.883, free/sec: 14.529 M'", "--allocator", "mimalloc", "--csv", csv);
            Assert.True(o.ExitCode == 0, o.Stdout + o.Stderr);
            var r = Assert.Single(RunsCsv.Read(csv));
            Assert.Equal((14.529e6, Metrics.OpsPerSec, ProgramFigure.PerSecond, "free/sec: 14.529 M"), (r.OpsPerSec, r.Metric, r.OpsUnit, r.OpsSource));
            Assert.EndsWith("libmimalloc.so.2", r.Preload);
            Assert.NotNull(r.UserSeconds);
            Assert.True(r.MinorFaults > 0);
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    [Fact]
    public void A_time_only_program_made_twice_as_slow_is_found_slower()
    {
        string root = Hklab.TempDir("time-slower");
        try
        {
            string before = Path.Combine(root, "before.csv"), after = Path.Combine(root, "after.csv");
            // Sleeping, not working: run one side after the other, CPU-bound sides would carry whatever load the
            // machine had in each phase, and a phase under load can hide a factor of two.
            Assert.Equal(0, Hklab.Run("run", "--exec", $"{Bench} 1 250000 sleep", "--runs", "8", "--csv", before).ExitCode);
            Assert.Equal(0, Hklab.Run("run", "--exec", $"{Bench} 1 500000 sleep", "--runs", "8", "--csv", after).ExitCode);
            var runs = RunsCsv.Read(after);
            Assert.All(runs, r => Assert.Equal(Metrics.Seconds, r.Metric));
            var summary = Summarizer.Summarize(runs).Single();
            Assert.True(summary.SecondsMedian > 0 && summary.SecondsCiLow <= summary.SecondsMedian && summary.OpsMedian == null);
            // Compared as exec cells of different arguments they would be two cells: the same cell, twice as much work.
            string same = Path.Combine(root, "after-same.csv");
            File.WriteAllText(same, File.ReadAllText(after).Replace("1 500000 sleep", "1 250000 sleep"));
            var cmp = Hklab.Run("compare", before, same, "--out", Path.Combine(root, "c.csv"));
            Assert.True(cmp.ExitCode == 1, cmp.Stdout + cmp.Stderr);
            var row = Assert.Single(Csv.Read<CellComparison>(Path.Combine(root, "c.csv")));
            Assert.Equal(("slower", Metrics.Seconds), (row.Verdict, row.Metric));
            Assert.InRange(row.Ratio!.Value, 0.35, 0.65);
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(200)]
    public void A_programs_peak_RSS_is_its_own_as_GNU_time_gives_it(int mb)
    {
        string root = Hklab.TempDir("rss");
        try
        {
            string csv = Path.Combine(root, "runs.csv"), program = NativeFixture.Program("rss_fixture");
            var o = Hklab.Run("run", "--exec", $"{program} {mb}", "--csv", csv);
            Assert.True(o.ExitCode == 0, o.Stdout + o.Stderr);
            var r = Assert.Single(RunsCsv.Read(csv));
            var direct = Hklab.Start("/usr/bin/time", ["-f", "%M", program, mb.ToString()]);
            long gnu = long.Parse(direct.Stderr.Trim().Split('\n')[^1]);
            long own = long.Parse(direct.Stdout.Split(':')[1].Trim().Split(' ')[0]); // its own VmHWM
            long tolerance = Math.Max(gnu / 20, 1024);
            Assert.True(Math.Abs(r.PeakRssKb - gnu) <= tolerance, $"recorded {r.PeakRssKb} KB, GNU time {gnu} KB");
            Assert.True(Math.Abs(r.PeakRssKb - own) <= tolerance, $"recorded {r.PeakRssKb} KB, the program's VmHWM {own} KB");
            Assert.True(r.PeakRssKb < mb * 1024 + 4096, "the lab's own memory is not the program's");
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    [Theory]
    [InlineData("text", "does not load")]
    [InlineData("nomalloc", "does not define 'malloc' itself")]
    [InlineData("static", "is a static binary")]
    [InlineData("own", "has an allocator of its own")]
    public void A_preload_that_cannot_work_is_refused_before_the_first_run(string what, string expected)
    {
        string root = Hklab.TempDir("preload");
        try
        {
            string text = Path.Combine(root, "libtext.so");
            File.WriteAllText(text, "not a library");
            var (program, allocator) = what switch
            {
                "text" => ($"{Bench} 1 1000", $"lib:{text}"),
                "nomalloc" => ($"{Bench} 1 1000", $"lib:{NativeFixture.Library("exit_fault")}"),
                "static" => ($"{NativeFixture.StaticProgram("bench_fixture")} 1 1000", "mimalloc"),
                _ => (NativeFixture.Program("own_malloc"), "mimalloc"),
            };
            string csv = Path.Combine(root, "runs.csv");
            var o = Hklab.Run("run", "--exec", program, "--allocator", allocator, "--csv", csv);
            Assert.Equal(2, o.ExitCode);
            Assert.Contains(expected, Assert.Single(o.Stderr.TrimEnd('\n').Split('\n')));
            Assert.False(File.Exists(csv));
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    [Fact]
    public void A_program_runs_in_a_directory_of_its_own_kept_with_its_evidence_when_it_fails()
    {
        string root = Hklab.TempDir("cwd");
        try
        {
            string work = Directory.CreateDirectory(Path.Combine(root, "work")).FullName;
            File.WriteAllText(Path.Combine(work, "input.txt"), "42");
            // Reads input.txt given relative to where hklab runs, writes out.txt where it runs.
            string ok = "sh -c 'cat \"$1\" > out.txt' x input.txt", failing = "sh -c 'cat \"$1\" > out.txt; exit 3' x input.txt";
            var clean = Hklab.RunIn(work, "run", "--exec", ok, "--csv", "ok.csv");
            Assert.True(clean.ExitCode == 0, clean.Stdout + clean.Stderr);
            Assert.False(File.Exists(Path.Combine(work, "out.txt")), "the program wrote into the caller's directory");
            var failed = Hklab.RunIn(work, "run", "--exec", failing, "--csv", "failed.csv");
            Assert.Equal(1, failed.ExitCode);
            var r = Assert.Single(RunsCsv.Read(Path.Combine(work, "failed.csv")));
            Assert.Equal("42", File.ReadAllText(Path.Combine(work, r.Artifacts, Evidence.ProgramCwdFolder, "out.txt")).Trim());
            string mine = Directory.CreateDirectory(Path.Combine(root, "mine")).FullName;
            Assert.Equal(0, Hklab.RunIn(work, "run", "--exec", ok, "--cwd", mine).ExitCode);
            Assert.Equal("42", File.ReadAllText(Path.Combine(mine, "out.txt")).Trim());
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    [Theory]
    [InlineData("raise")]
    [InlineData("fault")]
    public void A_library_that_ends_the_run_with_its_own_crash_handler_is_a_crash_in_process(string mode)
    {
        string lib = NativeFixture.Library("crash_handler");
        var o = Hklab.Run("run", "random_mixed", "100000", "256", "1", "--allocator", $"lib:{lib}", "--env", $"CRASH_HANDLER_MODE={mode}", "--runs", "3");
        Assert.Equal(1, o.ExitCode);
        Assert.Contains("runs 3: crash 3", o.Stdout);
        Assert.Contains("fatal signal SIGSEGV received", o.Stdout);
    }
}
