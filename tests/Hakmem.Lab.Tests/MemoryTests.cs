using Hakmem.Lab.Compare;
using Hakmem.Lab.Results;

namespace Hakmem.Lab.Tests;

/// <summary>Memory as a result and a verdict: an allocator that pads its blocks is found bigger, the same
/// build against itself never is; what an allocator retains after the frees is measured (bump keeps its
/// peak, hakmem without its large-block cache gives nearly all back); memory over time is sampled.</summary>
public class MemoryTests
{
    [Fact]
    public void A_malloc_that_pads_every_block_is_found_bigger_by_ab_and_fails_it()
    {
        string root = Hklab.TempDir("mem-pad");
        try
        {
            string plain = NativeFixture.Library("padmalloc", "PAD", "0"), padded = NativeFixture.Library("padmalloc", "PAD", "8192");
            string dir = Path.Combine(root, "ab");
            var o = Hklab.Run("ab", $"lib:{plain}", $"lib:{padded}", "--workloads", "random_mixed", "--quick", "--runs", "8", "--out", dir);
            Assert.True(o.ExitCode == 1, o.Stdout + o.Stderr);
            Assert.Contains("bigger", o.Stderr);
            var row = Assert.Single(Csv.Read<CellComparison>(Path.Combine(dir, ResultSet.CompareFile)));
            Assert.Equal(MemoryVerdict.Bigger, row.Memory);
            Assert.True(row.MemoryRatioLow > 2, $"ratio {row.MemoryRatio} ({row.MemoryRatioLow} - {row.MemoryRatioHigh})");
            // Off: memory is not judged, and the speed alone does not fail it.
            var off = Hklab.Run("ab", $"lib:{plain}", $"lib:{padded}", "--workloads", "random_mixed", "--quick", "--runs", "5", "--memory-threshold", "off", "--out", Path.Combine(root, "off"));
            Assert.True(off.ExitCode is 0 or 1, off.Stdout + off.Stderr); // the padding's memset may make it slower: that is for the speed verdict
            Assert.Equal("", Assert.Single(Csv.Read<CellComparison>(Path.Combine(root, "off", ResultSet.CompareFile))).Memory);
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    [Fact]
    public void The_same_build_against_itself_is_never_bigger_and_with_enough_runs_the_same()
    {
        string root = Hklab.TempDir("mem-same");
        try
        {
            string build = Path.GetDirectoryName(Hklab.Command.FileName)!, dir = Path.Combine(root, "ab");
            var o = Hklab.Run("ab", build, build, "--quick", "--workloads", "large_mixed", "--allocators", "hakmem,system", "--fast-cap", "64", "--tls-list", "off",
                "--p0", "on", "--runs", "10", "--out", dir);
            Assert.True(o.ExitCode is 0 or 1, o.Stdout + o.Stderr);
            var rows = Csv.Read<CellComparison>(Path.Combine(dir, ResultSet.CompareFile));
            Assert.All(rows, r => Assert.NotEqual(MemoryVerdict.Bigger, r.Memory));
            Assert.All(rows, r => Assert.NotEqual(MemoryVerdict.Smaller, r.Memory));
            Assert.Contains(rows, r => r.Memory == MemoryVerdict.Same);
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    [Fact]
    public void Sets_whose_workers_had_different_young_generation_budgets_are_not_compared_on_memory()
    {
        // Ten runs a side, three times the memory after: bigger, unless the workers' managed heaps grew differently.
        static IReadOnlyList<RunRecord> Side(long peakKb, long? gen0Kb, string workload = "larson") =>
            Enumerable.Range(1, 10).Select(i => new RunRecord
            {
                Workload = workload, Args = "2 8 128 1024 1 12345 2", Allocator = "system", Outcome = "ok", Run = i,
                BaseRssKb = 40_000, PeakRssKb = 40_000 + peakKb + i, PeakReset = true, Gen0BudgetKb = gen0Kb,
            }).ToList();
        IReadOnlyDictionary<CellKey, CellComparison> Judge(IReadOnlyList<RunRecord> before, IReadOnlyList<RunRecord> after) =>
            MemoryVerdict.Judge(new Dictionary<CellKey, IReadOnlyList<RunRecord>> { [CellKey.Of(before[0])] = before },
                new Dictionary<CellKey, IReadOnlyList<RunRecord>> { [CellKey.Of(after[0])] = after }, MemoryVerdict.DefaultThreshold, paired: false);

        var same = Assert.Single(Judge(Side(16_000, 4096), Side(48_000, 4096)).Values);
        Assert.Equal(MemoryVerdict.Bigger, same.Memory);

        var older = Assert.Single(Judge(Side(16_000, null), Side(48_000, 4096)).Values);
        Assert.Equal(MemoryVerdict.Unknown, older.Memory);
        Assert.Contains("young-generation budget was sized by the runtime before and 4096 KiB after", older.MemoryNote);
    }

    [Fact]
    public void A_memory_verdict_says_when_the_workload_itself_held_more_and_what_the_overhead_did()
    {
        // Ten runs a side, the peak above base about 2.4 times the peak live bytes on both sides.
        static IReadOnlyList<RunRecord> Side(long liveKb, string side = "") =>
            Enumerable.Range(1, 10).Select(i => new RunRecord
            {
                Workload = "rptest", Args = "2 0 1 2 2500 1000 100 8 16000", Allocator = "hakmem", Outcome = "ok", Run = i, Side = side,
                BaseRssKb = 40_000, PeakRssKb = 40_000 + (liveKb + i) * 12 / 5, PeakLiveKb = liveKb + i, PeakReset = true,
            }).ToList();
        CellComparison Judge(IReadOnlyList<RunRecord> before, IReadOnlyList<RunRecord> after) => Assert.Single(MemoryVerdict.Judge(
            new Dictionary<CellKey, IReadOnlyList<RunRecord>> { [CellKey.Of(before[0])] = before },
            new Dictionary<CellKey, IReadOnlyList<RunRecord>> { [CellKey.Of(after[0])] = after }, MemoryVerdict.DefaultThreshold, paired: false).Values);

        // 1.6 times the live bytes, 1.6 times the RSS: bigger, and the note says the workload held more at the same overhead.
        var more = Judge(Side(5_000), Side(8_000));
        Assert.Equal(MemoryVerdict.Bigger, more.Memory);
        Assert.Equal("the workload held more: peak live 5005 KB -> 8005 KB; overhead 2.40 -> 2.40 per live byte", more.MemoryNote);
        Assert.Contains("the workload held less", Judge(Side(8_000), Side(5_000)).MemoryNote);
        // The same live bytes: the verdict is the allocator's alone, and nothing is said of the workload.
        Assert.DoesNotContain("held", Judge(Side(5_000), Side(5_000)).MemoryNote);
        // Programs (no live figure) get no such note either.
        var programs = Side(5_000).Select(r => r with { PeakLiveKb = null }).ToList();
        Assert.Equal("", MemoryVerdict.LiveNote(programs, Side(8_000), 0.1));

        // ab's sequential verdict says it too.
        var paired = Comparer.ComparePaired([.. Side(5_000, "A"), .. Side(8_000, "B")], 0.02, sequential: true);
        Assert.Contains("the workload held more", Assert.Single(paired).MemoryNote);
    }

    [Fact]
    public void Bump_retains_its_peak_and_hakmem_gives_nearly_everything_back()
    {
        string root = Hklab.TempDir("mem-retained");
        try
        {
            string bump = Path.Combine(root, "bump.csv"), hakmem = Path.Combine(root, "hakmem.csv");
            Assert.Equal(0, Hklab.Run("run", "large_mixed", "3000", "64", "7", "--allocator", "bump", "--settle", "100", "--csv", bump).ExitCode);
            var b = Assert.Single(RunsCsv.Read(bump));
            Assert.True(b.RetainedKb >= 0.9 * b.RssOverBaseKb, $"bump retained {b.RetainedKb} KB of {b.RssOverBaseKb} KB above base");
            Assert.True(b.RetainedReleasedKb >= 0.9 * b.RssOverBaseKb, "bump has nothing to release");

            var o = Hklab.Run("run", "random_mixed", "300000", "65536", "1", "--settle", "100", "--csv", hakmem);
            Assert.True(o.ExitCode == 0, o.Stdout + o.Stderr);
            var h = Assert.Single(RunsCsv.Read(hakmem));
            Assert.True(h.RssOverBaseKb > 8192, $"peak above base {h.RssOverBaseKb} KB");
            Assert.True(h.RetainedKb < 0.25 * h.RssOverBaseKb, $"hakmem retained {h.RetainedKb} KB of {h.RssOverBaseKb} KB above base");
            Assert.True(h.PeakReset);
            Assert.Equal(100, h.SettleMs);
            Assert.Equal(4096, h.Gen0BudgetKb); // the worker's young generation, as the lab set it (ChildRunner)
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    [Fact]
    public void Memory_over_time_is_sampled_by_the_lab_into_a_file_per_run()
    {
        string root = Hklab.TempDir("mem-rss");
        try
        {
            string dir = Path.Combine(root, "set");
            var o = Hklab.Run(["matrix", "--quick", "--workloads", "large_mixed", "--allocators", "hakmem", "--fast-cap", "64", "--tls-list", "off", "--p0", "on", "--runs", "1", "--rss-every", "5", "--out", dir]);
            Assert.True(o.ExitCode == 0, o.Stdout + o.Stderr);
            var run = Assert.Single(RunsCsv.Read(Path.Combine(dir, RunsCsv.RunsFile)));
            var series = RssSeries.Read(dir, run.RunId)!;
            Assert.True(series.Count >= 3, $"{series.Count} samples");
            Assert.True(series.Zip(series.Skip(1)).All(p => p.Second.Ms > p.First.Ms));
            Assert.InRange(series.Max(s => s.RssKb), 10_000, run.PeakRssKb + 4096); // the worker's RSS, never above its peak by more than a sample's lag
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    [Fact]
    public void The_one_slot_MiB_cell_holds_exactly_1024_KB_live_and_glibc_with_every_page_touched_costs_about_one_byte_per_byte()
    {
        string root = Hklab.TempDir("mem-live");
        try
        {
            string one = Path.Combine(root, "one.csv"), cal = Path.Combine(root, "cal.csv");
            var o = Hklab.Run("run", "large_mixed", "20000", "1", "7", "1048576", "1048576", "--csv", one);
            Assert.True(o.ExitCode == 0, o.Stdout + o.Stderr);
            var r = Assert.Single(RunsCsv.Read(one));
            Assert.Equal(1024, r.PeakLiveKb);
            Assert.True(r.PeakLiveExact);

            // glibc with a fixed mmap threshold below every block: each block is its own mapping, every page
            // written once: the peak RSS above base is the live bytes, page-rounded.
            var c = Hklab.Run("run", "large_mixed", "600", "32", "7", "262144", "1048576", "--allocator", "system", "--touch", "all",
                "--env", "GLIBC_TUNABLES=glibc.malloc.mmap_threshold=131072", "--runs", "3", "--csv", cal);
            Assert.True(c.ExitCode == 0, c.Stdout + c.Stderr);
            var rows = RunsCsv.Read(cal);
            Assert.All(rows, x => Assert.Equal("all", x.Touch));
            var overheads = rows.Select(x => (double)x.RssOverBaseKb!.Value / x.PeakLiveKb!.Value).Order().ToArray();
            Assert.InRange(overheads[1], 0.9, 1.3);
            Assert.Contains("overhead median", c.Stdout);
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    [Theory]
    [InlineData("run random_mixed 10 10 1 --settle 0", "--settle '0' is not valid")]
    [InlineData("run random_mixed 10 10 1 --settle x", "--settle 'x' is not valid")]
    [InlineData("run random_mixed 10 10 1 --rss-every 0", "--rss-every '0' is not valid")]
    [InlineData("run random_mixed 10 10 1 --touch some", "--touch 'some' is not valid: expected own or all")]
    [InlineData("compare {a} {a} --memory-threshold 150%", "--memory-threshold '150%' is not valid")]
    [InlineData("compare {a} {a} --memory-threshold lots", "--memory-threshold 'lots' is not valid")]
    public void Bad_memory_options_are_one_line_and_exit_2(string command, string expected)
    {
        string root = Hklab.TempDir("mem-bad");
        try
        {
            string a = Path.Combine(root, "a.csv");
            RunsCsv.Write(a, [new RunRecord { RunId = "x-1", Workload = "random_mixed", Args = "10 10 1", Allocator = "system", Threads = 1, Run = 1, Outcome = "ok", OpsPerSec = 1 }]);
            var o = Hklab.RunIn(root, command.Replace("{a}", a).Split(' '));
            Assert.Equal(2, o.ExitCode);
            Assert.Contains(expected, Assert.Single(o.Stderr.TrimEnd('\n').Split('\n')));
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }
}
