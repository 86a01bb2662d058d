using Hakmem.Lab.Ab;
using Hakmem.Lab.Compare;
using Hakmem.Lab.Matrix;
using Hakmem.Lab.Results;

namespace Hakmem.Lab.Tests;

/// <summary>hklab ab: the pairs and their orders, the paired verdicts under drift whose right answer is
/// known, and the command end to end on real builds.</summary>
public class AbTests
{
    private static readonly MatrixDefinition Def = new(["larson", "random_mixed"], ["hakmem", "system"], [0, 64], [false], [true], [1, 4], 10, false, HakmemOptions.Default);

    [Fact]
    public void Every_cell_gets_one_pair_per_run_with_a_recorded_order_drawn_from_the_seed()
    {
        var cells = Def.Expand();
        var pairs = AbPlan.Pairs(cells, Def.Runs, seed: 7);
        Assert.Equal(cells.Count * Def.Runs, pairs.Count);
        Assert.All(pairs.GroupBy(p => (p.Cell.Index, p.Run)), g => Assert.Single(g));
        Assert.Equal(pairs.Select(p => p.Order), AbPlan.Pairs(cells, Def.Runs, seed: 7).Select(p => p.Order));
        Assert.NotEqual(pairs.Select(p => p.Order), AbPlan.Pairs(cells, Def.Runs, seed: 8).Select(p => p.Order));
        Assert.InRange(pairs.Count(p => p.AFirst), pairs.Count * 0.35, pairs.Count * 0.65);
        // Round-robin: run r of every cell before run r + 1 of any.
        Assert.Equal(pairs.OrderBy(p => p.Run).ThenBy(p => p.Cell.Index).Select(p => p.Index), pairs.Select(p => p.Index));
    }

    /// <summary>Paired runs of one cell: pair i at time i of n, the machine's speed falling by <paramref name="trend"/>
    /// over the whole run, the run that goes second in a pair faster by <paramref name="second"/>, B's true
    /// ratio to A <paramref name="ratio"/>.</summary>
    private static List<RunRecord> Paired(int n, double ratio, double trend, double second, int seed, bool randomOrder = true, string cell = "larson")
    {
        var rng = new Random(seed);
        var runs = new List<RunRecord>();
        for (int i = 0; i < n; i++)
        {
            double machine = 1e6 * (1 - trend * i / n);
            bool aFirst = !randomOrder || rng.Next(2) == 0;
            double Noise() => 1 + (rng.NextDouble() - 0.5) * 0.02;
            double a = machine * Noise() * (aFirst ? 1 : 1 + second), b = machine * ratio * Noise() * (aFirst ? 1 + second : 1);
            foreach (var (side, ops) in new[] { ("A", a), ("B", b) })
                runs.Add(new RunRecord
                {
                    RunId = $"{cell}-{i}-{side}", Workload = cell, Args = "2 8 128 1024 100 12345 2", Allocator = "hakmem", Threads = 2, Run = i + 1,
                    Outcome = "ok", OpsPerSec = ops, Side = side, Order = aFirst ? "AB" : "BA",
                });
        }
        return runs;
    }

    [Fact]
    public void A_drift_that_hits_both_sides_alike_gives_no_verdict()
    {
        // The machine slows by 40% over the run: unpaired, the spread swamps everything; paired, nothing moved.
        var row = Assert.Single(Comparer.ComparePaired(Paired(20, 1.0, trend: 0.4, second: 0, seed: 1), 0.02));
        Assert.DoesNotContain(row.Verdict, new[] { "slower", "faster" });
        Assert.InRange(1.0, row.RatioLow!.Value, row.RatioHigh!.Value);
    }

    [Fact]
    public void A_drift_within_each_pair_is_cancelled_by_the_random_order()
    {
        // The second run of every pair is 5% faster. In a fixed order A B, B would look 5% faster.
        var random = Assert.Single(Comparer.ComparePaired(Paired(30, 1.0, trend: 0.2, second: 0.05, seed: 2), 0.02));
        Assert.DoesNotContain(random.Verdict, new[] { "slower", "faster" });
        var fixedOrder = Assert.Single(Comparer.ComparePaired(Paired(30, 1.0, trend: 0.2, second: 0.05, seed: 2, randomOrder: false), 0.02));
        Assert.Equal("faster", fixedOrder.Verdict);
    }

    [Fact]
    public void A_small_slowdown_is_seen_through_a_large_drift()
    {
        var row = Assert.Single(Comparer.ComparePaired(Paired(20, 0.96, trend: 0.4, second: 0, seed: 3), 0.02));
        Assert.Equal("slower", row.Verdict);
        Assert.InRange(0.96, row.RatioLow!.Value, row.RatioHigh!.Value);
        Assert.True(row.RatioHigh < 0.98);
        // The same data unpaired: the drift hides it.
        var runs = Paired(20, 0.96, trend: 0.4, second: 0, seed: 3);
        var unpaired = Assert.Single(Comparer.Compare(runs.Where(r => r.Side == "A").ToList(), runs.Where(r => r.Side == "B").ToList(), 0.02));
        Assert.NotEqual("slower", unpaired.Verdict);
    }

    [Fact]
    public void The_signed_rank_interval_and_tails_match_known_values()
    {
        // n = 10: P(W+ <= 8) = 0.0244 (tables), so at alpha 2.5% the interval runs from the 9th smallest Walsh average.
        Assert.Equal(9, SignedRankTest.CriticalCount(10, 0.025));
        Assert.Equal(1.0, SignedRankTest.Distribution(10).Sum(), 9);
        Assert.Equal(1.0 / 1024, SignedRankTest.PAbove(Enumerable.Range(1, 10).Select(i => (double)i).ToList(), 0), 9);
    }

    private static string[] Small(params string[] more) =>
        ["--quick", "--workloads", "random_mixed", "--allocators", "hakmem", "--fast-cap", "64", "--tls-list", "off", "--p0", "on", .. more];

    [Fact]
    public void Ab_of_two_builds_writes_paired_runs_a_comparison_and_its_chart()
    {
        string root = Hklab.TempDir("ab");
        try
        {
            string build = Path.GetDirectoryName(Hklab.Command.FileName)!, dir = Path.Combine(root, "ab");
            var env = new Dictionary<string, string> { ["XDG_CACHE_HOME"] = Path.Combine(root, "cache") };
            var o = Hklab.Run(env, ["ab", build, build, .. Small("--runs", "5", "--seed", "11", "--out", dir)]);
            Assert.True(o.ExitCode is 0 or 1, o.Stdout + o.Stderr);
            Assert.Contains("ratio B/A", o.Stdout);
            Assert.Contains("builds, snapshots and bookkeeping", o.Stdout);
            var runs = RunsCsv.Read(Path.Combine(dir, RunsCsv.RunsFile));
            Assert.Equal(10, runs.Count);
            Assert.All(runs.GroupBy(r => r.Run), pair =>
            {
                Assert.Equal(["A", "B"], pair.Select(r => r.Side).Order());
                Assert.Single(pair.Select(r => r.Order).Distinct());
                Assert.Equal(pair.First().Order[0].ToString(), runs.First(r => r.Run == pair.Key).Side); // the first run written is the first side
            });
            var meta = ResultMeta.Read(dir)!;
            Assert.Equal(11, meta.Seed);
            Assert.Equal(2, meta.Sides.Count);
            Assert.Single(Csv.Read<CellComparison>(Path.Combine(dir, ResultSet.CompareFile)));
            Assert.Equal(2, Csv.Read<SummaryRecord>(Path.Combine(dir, RunsCsv.SummaryFile)).Count); // one row per side
            Assert.Contains("## B against A, paired", File.ReadAllText(Path.Combine(dir, RunsCsv.SummaryMarkdown)));
            var report = Hklab.Run("report", dir);
            Assert.Equal(0, report.ExitCode);
            Assert.Contains("ab-random-mixed", report.Stdout);
            Assert.Contains("## B against A, paired", File.ReadAllText(Path.Combine(dir, RunsCsv.SummaryMarkdown)));
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    [Fact]
    public void Ab_of_git_refs_builds_each_commit_once_in_a_worktree()
    {
        string root = Hklab.TempDir("ab-git");
        try
        {
            string repo = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", ".."));
            string clone = Path.Combine(root, "clone");
            Assert.Equal(0, Hklab.Start("git", ["clone", "-q", repo, clone]).ExitCode);
            var env = new Dictionary<string, string> { ["XDG_CACHE_HOME"] = Path.Combine(root, "cache") };
            string dir = Path.Combine(root, "ab");
            var o = Hklab.Start(Hklab.Command.FileName, ["ab", "HEAD", "HEAD", .. Small("--runs", "2", "--out", dir)], env, clone);
            Assert.True(o.ExitCode == 0, o.Stdout + o.Stderr);
            Assert.Contains("in a worktree", o.Stdout);
            Assert.Contains("B: HEAD", o.Stdout);
            Assert.Contains("cached", o.Stdout); // B is A's commit: built once
            string head = Hklab.Start("git", ["-C", clone, "rev-parse", "--short=12", "HEAD"]).Stdout.Trim();
            Assert.All(RunsCsv.Read(Path.Combine(dir, RunsCsv.RunsFile)), r => Assert.Equal(head, r.Build));
            Assert.Single(Directory.GetDirectories(Path.Combine(root, "cache", "hklab", "ab")));
            Assert.Single(Hklab.Start("git", ["-C", clone, "worktree", "list"]).Stdout.Trim().Split('\n')); // the build's worktree is gone again
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    [Fact]
    public void A_side_that_does_not_build_leaves_no_cache_entry_worktree_or_result_directory()
    {
        string root = Hklab.TempDir("ab-broken");
        try
        {
            string repo = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", ".."));
            string clone = Path.Combine(root, "clone");
            Assert.Equal(0, Hklab.Start("git", ["clone", "-q", repo, clone]).ExitCode);
            File.AppendAllText(Path.Combine(clone, "Hakmem.Lab", "Program.cs"), "\nthis does not compile\n");
            Assert.Equal(0, Hklab.Start("git", ["-C", clone, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "broken"]).ExitCode);
            var env = new Dictionary<string, string> { ["XDG_CACHE_HOME"] = Path.Combine(root, "cache") };
            string dir = Path.Combine(root, "ab");
            var o = Hklab.Start(Hklab.Command.FileName, ["ab", "HEAD", "HEAD", .. Small("--runs", "2", "--out", dir)], env, clone);
            Assert.Equal(2, o.ExitCode);
            Assert.Contains("side A 'HEAD' does not build", o.Stderr);
            Assert.False(Directory.Exists(dir), "an empty result directory was left");
            string abCache = Path.Combine(root, "cache", "hklab", "ab");
            Assert.Empty(Directory.Exists(abCache) ? Directory.GetFileSystemEntries(abCache) : []);
            Assert.Single(Hklab.Start("git", ["-C", clone, "worktree", "list"]).Stdout.Trim().Split('\n'));
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    [Fact]
    public void A_side_whose_build_predates_a_feature_of_the_cells_is_refused_naming_it_and_its_commit()
    {
        string root = Hklab.TempDir("ab-old");
        try
        {
            // A build directory that answers no capability query (as every build before it), stamped with a commit
            // from before the large_mixed workload and the large-block cache.
            string repo = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", ".."));
            string old = Path.Combine(root, "old");
            Directory.CreateDirectory(old);
            string bin = Path.GetDirectoryName(Hklab.Command.FileName)!;
            foreach (string f in new[] { "hklab.dll", "Hakmem.Core.dll", "Hakmem.Workloads.dll" }) File.Copy(Path.Combine(bin, f), Path.Combine(old, f));
            File.AppendAllText(Path.Combine(old, "hklab.dll"), "another build"); // its own snapshot, not this build's
            File.WriteAllText(Path.Combine(old, "hklab"), "#!/bin/sh\necho \"hklab: no command '$1'\" >&2\nexit 2\n");
            Assert.Equal(0, Hklab.Start("chmod", ["+x", Path.Combine(old, "hklab")]).ExitCode);
            string before = Hklab.Start("git", ["-C", repo, "rev-parse", "--short=12", "c6f07b681853e372c0f600be271d0d2e665be3f5~1"]).Stdout.Trim();
            File.WriteAllText(Path.Combine(old, "hklab.build"), before + "\n");
            string dir = Path.Combine(root, "ab");
            var env = new Dictionary<string, string> { ["XDG_CACHE_HOME"] = Path.Combine(root, "cache") };
            var o = Hklab.Start(Hklab.Command.FileName, ["ab", bin, old, "--workloads", "large_mixed", "--allocators", "hakmem", "--quick", "--out", dir], env, repo);
            Assert.Equal(2, o.ExitCode);
            string error = Assert.Single(o.Stderr.TrimEnd('\n').Split('\n'));
            Assert.Contains($"side B ({old}, build {before}) cannot run these cells", error);
            Assert.Contains("[workload:large_mixed]: it came with commit c6f07b681853", error);
            Assert.Contains("[option:large_cache_mb]", error);
            Assert.False(Directory.Exists(dir));

            // The same sides on a workload both have: only the cache stands between them, and the user can switch it off.
            var cacheOff = Hklab.Start(Hklab.Command.FileName, ["ab", bin, old, "--workloads", "random_mixed", "--allocators", "hakmem", "--quick", "--out", dir], env, repo);
            Assert.Contains("[option:large_cache_mb]", cacheOff.Stderr);
            Assert.DoesNotContain("workload:", cacheOff.Stderr);
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    [Fact]
    public void A_sequential_ab_adds_pairs_only_while_a_cell_is_undecided_and_says_what_it_cost()
    {
        string root = Hklab.TempDir("ab-seq");
        try
        {
            string fast = NativeFixture.Library("padmalloc", "PAD", "0"), slow = NativeFixture.Library("slowmalloc");
            string dir = Path.Combine(root, "slower");
            // B spins a microsecond in every malloc and free: several times slower, found within 8 pairs.
            var o = Hklab.Run("ab", $"lib:{fast}", $"lib:{slow}", "--workloads", "random_mixed", "--quick", "--runs", "5", "--max-runs", "30",
                "--memory-threshold", "off", "--out", dir);
            Assert.Equal(1, o.ExitCode);
            Assert.Contains("ab: round 6: 1 of 1 cells undecided", o.Stdout);
            // Progress counts each round's own pairs: never more done than the round holds.
            var progress = System.Text.RegularExpressions.Regex.Matches(o.Stdout, @"pairs done (\d+)/(\d+)");
            Assert.True(progress.Count >= 3, o.Stdout); // the first pairs, then at least round 6
            Assert.All(progress, m => Assert.True(int.Parse(m.Groups[1].Value) <= int.Parse(m.Groups[2].Value), m.Value));
            var row = Assert.Single(Csv.Read<CellComparison>(Path.Combine(dir, ResultSet.CompareFile)));
            Assert.Equal(Verdicts.Slower, row.Verdict);
            Assert.Contains("sequential", row.Note);
            int pairs = RunsCsv.Read(Path.Combine(dir, RunsCsv.RunsFile)).Count / 2;
            Assert.InRange(pairs, 6, 12); // it stopped once decided, far below --max-runs
            Assert.Equal(30, ResultMeta.Read(dir)!.MaxRuns);
            Assert.NotNull(row.PairSpread);

            // The same library on both sides with a budget too small to decide: undecided, and --require-decided fails it.
            var same = Hklab.Run("ab", $"lib:{fast}", $"lib:{fast}", "--workloads", "random_mixed", "--quick",
                "--runs", "5", "--max-runs", "6", "--threshold", "0.5%", "--memory-threshold", "off", "--require-decided", "--out", Path.Combine(root, "same"));
            Assert.Equal(1, same.ExitCode);
            Assert.Contains("still undecided (--require-decided)", same.Stderr);
            Assert.Equal(12, RunsCsv.Read(Path.Combine(root, "same", RunsCsv.RunsFile)).Count);
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    [Fact]
    public void The_refusal_of_an_existing_set_names_only_options_ab_has()
    {
        string root = Hklab.TempDir("ab-existing");
        try
        {
            string dir = Path.Combine(root, "ab");
            Directory.CreateDirectory(dir);
            File.WriteAllText(Path.Combine(dir, RunsCsv.MetaFile), "{}");
            string build = Path.GetDirectoryName(Hklab.Command.FileName)!;
            var o = Hklab.Run("ab", build, build, "--workloads", "random_mixed", "--allocators", "hakmem", "--out", dir);
            Assert.Equal(2, o.ExitCode);
            Assert.Contains("already holds a result set", o.Stderr);
            Assert.Contains("--force", o.Stderr);
            Assert.DoesNotContain("--resume", o.Stderr);
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    [Fact]
    public void Ab_of_two_malloc_libraries_runs_a_program_on_each_in_pairs()
    {
        string root = Hklab.TempDir("ab-lib");
        try
        {
            string before = NativeFixture.Library("countmalloc"), after = Path.Combine(root, "libafter.so");
            File.Copy(before, after);
            string dir = Path.Combine(root, "ab");
            var o = Hklab.Run("ab", $"lib:{before}", $"lib:{after}", "--exec", $"{NativeFixture.Program("bench_fixture")} {{threads}} 50000", "--threads", "2", "--runs", "5", "--out", dir);
            Assert.True(o.ExitCode is 0 or 1, o.Stdout + o.Stderr);
            var runs = RunsCsv.Read(Path.Combine(dir, RunsCsv.RunsFile));
            Assert.Equal(10, runs.Count);
            Assert.All(runs, r => Assert.Equal("lib", r.Allocator));
            Assert.Equal(["lib:libafter.so", "lib:libcountmalloc.so"], runs.Select(r => r.Build).Distinct().Order());
            Assert.All(runs, r => Assert.Equal(r.Side == "A" ? "lib:libcountmalloc.so" : "lib:libafter.so", r.Build));
            Assert.Single(Csv.Read<CellComparison>(Path.Combine(dir, ResultSet.CompareFile)));
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    [Theory]
    [InlineData("ab lib:/nonexistent.so .", "/nonexistent.so does not exist")]
    [InlineData("ab HEAD lib:/bin/true", "A and B must be of one kind")]
    [InlineData("ab nosuchref .", "side A 'nosuchref' is not a commit")]
    [InlineData("ab . /etc", "is neither a git checkout of hklab nor a build directory")]
    [InlineData("ab . . --runs 0", "--runs '0' is not valid")]
    [InlineData("ab . . --threshold 2", "--threshold '2' is not valid")]
    [InlineData("ab . . --runs 5 --max-runs 3", "--max-runs 3 is below --runs 5")]
    [InlineData("ab . . --max-runs 30 --max-time soon", "--max-time 'soon' is not valid")]
    [InlineData("ab . . --max-time 30m", "--max-time applies with --max-runs")]
    [InlineData("ab . . --memory-threshold 0", "--memory-threshold '0' is not valid")]
    public void Bad_sides_and_options_are_one_line_and_exit_2_before_anything_is_built(string command, string expected)
    {
        string cwd = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", ".."));
        string dir = Path.Combine(Hklab.TempDir("ab-bad"), "out");
        var o = Hklab.Start(Hklab.Command.FileName, [.. command.Split(' '), "--out", dir], null, cwd);
        Assert.Equal(2, o.ExitCode);
        Assert.Contains(expected, Assert.Single(o.Stderr.TrimEnd('\n').Split('\n')));
        Assert.DoesNotContain("building", o.Stdout);
        Assert.False(Directory.Exists(dir));
        Directory.Delete(Path.GetDirectoryName(dir)!, true);
    }
}
