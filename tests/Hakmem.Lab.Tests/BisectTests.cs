using System.Text.Json;
using Hakmem.Lab.Bisect;
using Hakmem.Lab.Results;

namespace Hakmem.Lab.Tests;

/// <summary>hklab bisect end to end, on histories the tests make: a git repository of a small malloc library
/// (Native/bisect_mine.c, built by make at each commit), one commit of which starts crashing 30% of processes
/// with a real memory fault, or makes malloc slower. Which runs crash is decided by the run index the lab
/// gives each run (HKLAB_RUN_INDEX: 1, 4 and 7 of every ten), and the bench program's figure is the library's
/// own cost, so the right answer is certain, not likely.</summary>
public class BisectTests
{
    /// <summary>A repository of versions 0..<paramref name="last"/> (tags v0..vN), each a commit "version i" of
    /// config.h: BUG from <paramref name="bugFrom"/>, COST 110 from <paramref name="slowFrom"/> (100 before),
    /// and a version that does not compile at <paramref name="broken"/>.</summary>
    private static string History(string root, int last, int bugFrom = int.MaxValue, int slowFrom = int.MaxValue, int broken = -1) =>
        Repository(root, "v", "version", Enumerable.Range(0, last + 1).Select(i =>
            $"#define VERSION {i}\n#define BUG {(i >= bugFrom ? 1 : 0)}\n#define COST {(i >= slowFrom ? 110 : 100)}\n" + (i == broken ? "#error this version does not build\n" : "")).ToList());

    /// <summary>A repository of the library and the bench, one commit per config.h (tagged PREFIX0, PREFIX1, ...).</summary>
    private static string Repository(string root, string tag, string subject, IReadOnlyList<string> configs)
    {
        string repo = Path.Combine(root, "mymalloc");
        Directory.CreateDirectory(repo);
        File.Copy(Path.Combine(AppContext.BaseDirectory, "Native", "bisect_mine.c"), Path.Combine(repo, "mine.c"));
        File.Copy(Path.Combine(AppContext.BaseDirectory, "Native", "bisect_bench.c"), Path.Combine(repo, "bench.c"));
        File.WriteAllText(Path.Combine(repo, "Makefile"),
            "all: libmine.so bench\nlibmine.so: mine.c config.h\n\tgcc -shared -fPIC -O1 -w -o libmine.so mine.c\nbench: bench.c\n\tgcc -O1 -w -o bench bench.c\n");
        File.WriteAllText(Path.Combine(repo, ".gitignore"), "libmine.so\nbench\n");
        Git(repo, "init", "-q", ".");
        for (int i = 0; i < configs.Count; i++)
        {
            File.WriteAllText(Path.Combine(repo, "config.h"), configs[i]);
            Git(repo, "add", "-A");
            Git(repo, "commit", "-q", "-m", $"{subject} {i}");
            Git(repo, "tag", $"{tag}{i}");
        }
        return repo;
    }

    private static string Git(string repo, params string[] args)
    {
        var env = new Dictionary<string, string>
        {
            ["GIT_AUTHOR_NAME"] = "lab", ["GIT_AUTHOR_EMAIL"] = "lab@example.org", ["GIT_COMMITTER_NAME"] = "lab", ["GIT_COMMITTER_EMAIL"] = "lab@example.org",
        };
        var o = Hklab.Start("git", ["-C", repo, .. args], env);
        Assert.True(o.ExitCode == 0, $"git {string.Join(' ', args)}: {o.Stderr}");
        return o.Stdout.Trim();
    }

    private static Dictionary<string, string> Env(string root) => new() { ["XDG_CACHE_HOME"] = Path.Combine(root, "cache") };

    private static readonly string[] CrashCell = ["random_mixed", "2000", "64", "1", "--build", "make", "--allocator", "lib:libmine.so"];

    private static JsonElement Result(string dir) => JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, BisectOutput.ResultFile))).RootElement;

    [Fact]
    public async Task Each_run_gets_its_number_in_HKLAB_RUN_INDEX_and_a_run_without_one_none()
    {
        // A shell stands in for the worker and reports the variable's value as its op count ("1" and the value).
        var runner = new Running.ChildRunner(new Running.WorkerCommand("/bin/sh",
            ["-c", "echo \"HKLAB-RESULT {\\\"status\\\":\\\"ok\\\",\\\"ops\\\":1${HKLAB_RUN_INDEX:-},\\\"seconds\\\":1}\""]));
        var spec = new Running.RunSpec("random_mixed", ["10", "10", "1"], "system", HakmemOptions.Default);
        Assert.Equal(137, (await runner.RunAsync(spec, TimeSpan.FromSeconds(30), 37)).Ops);
        Assert.Equal(1, (await runner.RunAsync(spec, TimeSpan.FromSeconds(30))).Ops);
    }

    [Fact]
    public void Bisect_by_crash_names_the_commit_that_starts_crashing_a_share_of_runs()
    {
        string root = Hklab.TempDir("bisect-crash");
        try
        {
            // Version 6 does not build: the first commit a bisection of 12 tests (the middle) is a skip.
            string repo = History(root, 12, bugFrom: 8, broken: 6);
            string dir = Path.Combine(root, "out");
            var o = Hklab.Run(Env(root), ["bisect", "v0", "v12", .. CrashCell, "--repo", repo, "--out", dir]);
            Assert.True(o.ExitCode == 0, o.Stdout + o.Stderr);
            string eight = Git(repo, "rev-parse", "v8"), seven = Git(repo, "rev-parse", "v7");
            var result = Result(dir);
            Assert.Equal(eight, result.GetProperty("first_bad").GetString());
            Assert.Equal(seven, result.GetProperty("last_good").GetString());
            Assert.True(result.GetProperty("probability").GetDouble() >= 0.95);
            Assert.Contains($"first bad commit {eight[..12]}", o.Stdout);
            Assert.Contains($"skip {Git(repo, "rev-parse", "v6")[..12]}", o.Stdout);
            Assert.Contains("this version does not build", o.Stdout);
            Assert.Contains("P(BAD fails more often)", o.Stdout); // the ends first

            // Every run is in runs.csv with its commit; the crashes are real faults, at the runs the fixture dooms.
            var runs = RunsCsv.Read(Path.Combine(dir, RunsCsv.RunsFile));
            Assert.Equal(result.GetProperty("runs").GetInt32(), runs.Count);
            Assert.All(runs, r => Assert.Equal(12, r.Build.Length));
            Assert.All(runs.Where(r => r.Outcome == "crash"), r => Assert.Contains(r.Run % 10, new[] { 1, 4, 7 }));
            Assert.All(runs.Where(r => r.Outcome == "crash"), r => Assert.Equal(11, r.Signal)); // SIGSEGV
            Assert.All(runs.Where(r => r.Build == seven[..12] || r.Build == Git(repo, "rev-parse", "v0")[..12]), r => Assert.Equal("ok", r.Outcome));

            // One row per probed commit, the answer with its own rate, the summary with its subject and command.
            var rows = Csv.Read<BisectRow>(Path.Combine(dir, BisectOutput.TableFile));
            var first = Assert.Single(rows, r => r.Commit == eight);
            Assert.Equal("bad", first.Verdict);
            Assert.True(first.Runs >= 10 && first.Failures > 0 && first.RateLow > 0);
            Assert.Contains("first bad", first.Note);
            Assert.Equal("good", Assert.Single(rows, r => r.Commit == seven).Verdict);
            Assert.Contains(rows, r => r.Position == 0 && r.Note.Contains("GOOD"));
            Assert.Contains(rows, r => r.Position == 12 && r.Note.Contains("BAD"));
            Assert.Equal("skip", Assert.Single(rows, r => r.Position == 6).Verdict);
            string summary = File.ReadAllText(Path.Combine(dir, BisectOutput.SummaryFile));
            Assert.Contains($"**First bad commit: `{eight}`** version 8", summary);
            Assert.Contains("hklab bisect v0 v12", summary);
            Assert.Contains("Checked directly", summary);
            Assert.Single(Git(repo, "worktree", "list").Split('\n')); // the commits' worktrees are gone
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    [Fact]
    public void Bisect_by_crash_with_too_small_a_budget_exits_1_with_its_best_guess()
    {
        string root = Hklab.TempDir("bisect-budget");
        try
        {
            string repo = History(root, 12, bugFrom: 8);
            string dir = Path.Combine(root, "out");
            // The ends take 20 runs: two more cannot single out one commit of twelve.
            var o = Hklab.Run(Env(root), ["bisect", "v0", "v12", .. CrashCell, "--repo", repo, "--out", dir, "--max-runs", "22"]);
            Assert.True(o.ExitCode == 1, o.Stdout + o.Stderr);
            Assert.Contains("undecided: --max-runs 22 spent; best guess", o.Stdout);
            var result = Result(dir);
            Assert.False(result.GetProperty("found").GetBoolean());
            Assert.Equal(22, result.GetProperty("runs").GetInt32());
            Assert.Equal(40, result.GetProperty("first_bad").GetString()!.Length);
            Assert.InRange(result.GetProperty("probability").GetDouble(), 0.0, 0.95);
            Assert.Equal(22, RunsCsv.Read(Path.Combine(dir, RunsCsv.RunsFile)).Count);
            Assert.Contains("**Not found.**", File.ReadAllText(Path.Combine(dir, BisectOutput.SummaryFile)));
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    [Fact]
    public void An_interrupted_bisect_keeps_a_table_of_what_each_commit_measured()
    {
        string root = Hklab.TempDir("bisect-interrupted");
        try
        {
            string repo = History(root, 12, bugFrom: 8);
            string dir = Path.Combine(root, "out");
            string runsFile = Path.Combine(dir, RunsCsv.RunsFile);
            using (var lab = Hklab.SpawnInterruptible(Env(root), ["bisect", "v0", "v12", .. CrashCell, "--repo", repo, "--out", dir]))
            {
                // The ends alone take 20 runs: the first one seen is well before the end.
                var until = DateTime.UtcNow.AddMinutes(3);
                while (!File.Exists(runsFile) || File.ReadAllLines(runsFile).Length < 2)
                {
                    Assert.True(DateTime.UtcNow < until && !lab.Process.HasExited, lab.Output);
                    Thread.Sleep(20);
                }
                Hklab.Signal(lab.Id, "INT");
                Assert.True(lab.Process.WaitForExit(60_000));
                Assert.True(lab.Process.ExitCode == 130, lab.Output);
                Assert.Contains("bisect: interrupted after", lab.Output);
            }
            var result = Result(dir);
            Assert.False(result.GetProperty("found").GetBoolean());
            Assert.Equal(130, result.GetProperty("exit_code").GetInt32());
            int measured = RunsCsv.Read(runsFile).Count;
            Assert.Equal(measured, result.GetProperty("runs").GetInt32());
            var rows = Csv.Read<BisectRow>(Path.Combine(dir, BisectOutput.TableFile));
            Assert.Equal(measured, rows.Sum(r => r.Runs));
            Assert.Contains(rows, r => r.Runs > 0 && (r.Note.Contains("GOOD") || r.Note.Contains("BAD"))); // the ends run first
            Assert.All(rows, r => Assert.Contains(r.Verdict, new[] { "good", "bad", "undecided" }));
            Assert.Contains("interrupted after", File.ReadAllText(Path.Combine(dir, BisectOutput.SummaryFile)));
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    [Fact]
    public void Bisect_by_throughput_names_the_commit_that_made_malloc_slower()
    {
        string root = Hklab.TempDir("bisect-slow");
        try
        {
            string repo = History(root, 6, slowFrom: 4);
            string dir = Path.Combine(root, "out");
            var o = Hklab.Run(Env(root), ["bisect", "v0", "v6", "--exec", "./bench", "--build", "make", "--allocator", "lib:libmine.so",
                "--by", "throughput", "--repo", repo, "--out", dir, "--seed", "5", "--confidence", "0.8"]);
            Assert.True(o.ExitCode == 0, o.Stdout + o.Stderr);
            string four = Git(repo, "rev-parse", "v4");
            var result = Result(dir);
            Assert.Equal(four, result.GetProperty("first_bad").GetString());
            Assert.Equal(Git(repo, "rev-parse", "v3"), result.GetProperty("last_good").GetString());
            Assert.Contains($"checked directly: {four[..12]} against", o.Stdout);
            var rows = Csv.Read<BisectRow>(Path.Combine(dir, BisectOutput.TableFile));
            var first = Assert.Single(rows, r => r.Commit == four);
            Assert.Equal("bad", first.Verdict);
            Assert.InRange(first.Ratio!.Value, 0.89, 0.93); // 100/110, paired
            Assert.All(rows.Where(r => r.Position is > 0 and < 4), r => Assert.Equal("good", r.Verdict));
            var runs = RunsCsv.Read(Path.Combine(dir, RunsCsv.RunsFile));
            Assert.All(runs, r => Assert.Contains(r.Side, new[] { "A", "B" }));
            Assert.All(runs.GroupBy(r => r.Order), g => Assert.Contains(g.Key, new[] { "AB", "BA" }));
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    [Fact]
    public void A_slowdown_in_two_steps_is_reported_as_gradual()
    {
        string root = Hklab.TempDir("bisect-gradual");
        try
        {
            // Steps 2 and 3 each cost 4% more: 8% in all, beyond a 5% threshold; neither step alone is.
            string repo = Repository(root, "s", "step", new[] { 100, 100, 104, 108, 108 }.Select((c, i) => $"#define VERSION {i}\n#define BUG 0\n#define COST {c}\n").ToList());
            string dir = Path.Combine(root, "out");
            var o = Hklab.Run(Env(root), ["bisect", "s0", "s4", "--exec", "./bench", "--build", "make", "--allocator", "lib:libmine.so",
                "--by", "throughput", "--repo", repo, "--out", dir, "--seed", "5", "--confidence", "0.8"]);
            Assert.True(o.ExitCode == 1, o.Stdout + o.Stderr);
            Assert.Contains("the slowdown is gradual", o.Stdout);
            var gradual = Result(dir).GetProperty("gradual").EnumerateArray().Select(e => e.GetString()).ToList();
            Assert.Contains(Git(repo, "rev-parse", "s2"), gradual);
            Assert.Contains(Git(repo, "rev-parse", "s3"), gradual);
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    [Fact]
    public void A_BAD_that_does_not_fail_more_than_GOOD_is_said_with_both_rates_after_measuring_them()
    {
        string root = Hklab.TempDir("bisect-same");
        try
        {
            string repo = History(root, 3);
            string dir = Path.Combine(root, "out");
            var o = Hklab.Run(Env(root), ["bisect", "v0", "v3", .. CrashCell, "--repo", repo, "--out", dir, "--runs", "3"]);
            Assert.Equal(2, o.ExitCode);
            Assert.Contains("does not fail more often than GOOD", o.Stderr);
            Assert.Contains(": GOOD 0/9 runs failed: rate < 30% at 95%, BAD 0/9 runs failed: rate < 30% at 95%", o.Stderr);
            Assert.Contains("BAD never failed", o.Stderr);
            Assert.Equal(18, RunsCsv.Read(Path.Combine(dir, RunsCsv.RunsFile)).Count);
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    [Fact]
    public void Bad_input_is_one_line_naming_it_exit_2_and_nothing_written()
    {
        string root = Hklab.TempDir("bisect-input");
        try
        {
            string repo = History(root, 3, bugFrom: 2);
            string dir = Path.Combine(root, "out");
            void Refused(string[] args, string expected)
            {
                var o = Hklab.Run(Env(root), ["bisect", .. args, "--out", dir]);
                Assert.True(o.ExitCode == 2, $"{string.Join(' ', args)}: {o.Stdout}{o.Stderr}");
                Assert.Contains(expected, o.Stderr);
                Assert.Single(o.Stderr.Trim().Split('\n'));
                Assert.False(Directory.Exists(dir), $"{string.Join(' ', args)} left {dir}");
            }
            Refused(["v3", "v0", .. CrashCell, "--repo", repo], "is not an ancestor of BAD 'v0'");
            Refused(["v0", "nosuchref", .. CrashCell, "--repo", repo], "BAD 'nosuchref' is not a commit");
            Refused(["v0", "v3", .. CrashCell, "--repo", Path.Combine(root, "nothere")], "does not exist");
            Refused(["v0", "v3", .. CrashCell, "--repo", repo, "--confidence", "2"], "--confidence '2' is not valid");
            Refused(["v0", "v3", .. CrashCell, "--repo", repo, "--max-runs", "5"], "--max-runs 5 is below the 20 runs");
            Refused(["v0", "v3", "--repo", repo, "--build", "make"], "no cell");
            Refused(["v0", "v3", .. CrashCell, "--repo", repo, "--by", "speed"], "speed");
            // GOOD that does not build.
            Refused(["v0", "v3", "random_mixed", "2000", "64", "1", "--build", "false", "--allocator", "lib:libmine.so", "--repo", repo], "GOOD");
            // A dirty repository, unless allowed.
            File.AppendAllText(Path.Combine(repo, "config.h"), "/* edited */\n");
            Refused(["v0", "v3", .. CrashCell, "--repo", repo], "has uncommitted changes");
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }
}
