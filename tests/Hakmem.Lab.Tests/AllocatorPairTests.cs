using Hakmem.Lab.Compare;
using Hakmem.Lab.Results;

namespace Hakmem.Lab.Tests;

/// <summary>compare --allocators: one allocator's cells against another's, from one matrix or two, with answers
/// known by construction (hakmem made 20% slower or 30% bigger than mimalloc in one knob setting, equal in another).</summary>
public class AllocatorPairTests
{
    /// <summary>Ten runs of one cell: throughput about <paramref name="ops"/>, peak RSS about <paramref name="overKb"/>
    /// above a 40 MB base.</summary>
    private static IEnumerable<RunRecord> Cell(string allocator, int? fastCap, double ops, long overKb, string workload = "rptest", string env = "", int seed = 1)
    {
        var rng = new Random(seed);
        bool hk = allocator == "hakmem";
        return Enumerable.Range(0, 10).Select(i => new RunRecord
        {
            RunId = $"{allocator}-{fastCap}-{workload}-{i}", Workload = workload, Args = "2 0 1 2 2500 1000 100 8 16000", Allocator = allocator,
            FastCap = fastCap, TlsSll = hk ? "on" : "", TlsList = hk ? "off" : "", P0 = hk ? "on" : "", Guards = hk ? "off" : "", Threads = 2, Env = env, Run = i + 1,
            Outcome = "ok", OpsPerSec = ops * (1 + (rng.NextDouble() - 0.5) * 0.02),
            BaseRssKb = 40_000, PeakRssKb = 40_000 + (long)(overKb * (1 + (rng.NextDouble() - 0.5) * 0.02)),
        });
    }

    private static List<RunRecord> Matrix() =>
    [
        .. Cell("mimalloc", null, 1e6, 10_000, seed: 1),
        .. Cell("hakmem", 64, 0.8e6, 13_000, seed: 2),
        .. Cell("hakmem", 0, 1e6, 10_000, seed: 3),
        .. Cell("system", null, 0.5e6, 20_000, seed: 4),
    ];

    [Fact]
    public void Each_knob_setting_of_the_after_allocator_is_judged_against_the_before_allocator()
    {
        var runs = Matrix();
        var (before, after) = AllocatorPair.Relabel(runs, runs, "mimalloc", "hakmem");
        var rows = Comparer.Compare(before, after, 0.05);
        Assert.Equal(2, rows.Count);
        var slow = Assert.Single(rows, r => r.Cell.Contains("fast_cap=64"));
        Assert.Equal(Verdicts.Slower, slow.Verdict);
        Assert.Equal(0.8, slow.Ratio!.Value, 2);
        Assert.Equal(MemoryVerdict.Bigger, slow.Memory);
        Assert.InRange(slow.MemoryRatio!.Value, 1.25, 1.35);
        var level = Assert.Single(rows, r => r.Cell.Contains("fast_cap=0"));
        Assert.Equal(Verdicts.Same, level.Verdict);
        Assert.Equal(MemoryVerdict.Same, level.Memory);
        Assert.All(rows, r => Assert.Contains("| mimalloc->hakmem", r.Cell));
        Assert.All(rows, r => Assert.Equal(10, r.RunsBefore)); // mimalloc's runs on both rows; glibc's on neither
    }

    [Fact]
    public void Cells_match_by_their_settings_and_one_side_alone_is_missing()
    {
        // Both ran rptest plainly and under an environment, but not the same one; mimalloc ran larson too.
        List<RunRecord> runs =
        [
            .. Cell("mimalloc", null, 1e6, 10_000, seed: 1), .. Cell("hakmem", 64, 1e6, 10_000, seed: 2),
            .. Cell("mimalloc", null, 1e6, 10_000, env: "A=1", seed: 3), .. Cell("hakmem", 64, 1e6, 10_000, env: "A=2", seed: 4),
            .. Cell("mimalloc", null, 1e6, 10_000, workload: "larson", seed: 5),
        ];
        var (before, after) = AllocatorPair.Relabel(runs, runs, "mimalloc", "hakmem");
        var rows = Comparer.Compare(before, after, 0.05);
        Assert.Equal(4, rows.Count);
        Assert.Equal(Verdicts.Same, Assert.Single(rows, r => !r.Cell.Contains("env") && r.Cell.StartsWith("rptest")).Verdict);
        Assert.Equal(3, rows.Count(r => r.Verdict == Verdicts.Missing));
    }

    [Fact]
    public void One_allocator_at_two_knob_settings_in_two_sets_is_one_pair()
    {
        var (before, after) = AllocatorPair.Relabel(Cell("hakmem", 0, 1e6, 10_000, seed: 1).ToList(), Cell("hakmem", 64, 0.8e6, 10_000, seed: 2).ToList(), "hakmem", "hakmem");
        var row = Assert.Single(Comparer.Compare(before, after, 0.05));
        Assert.Equal(Verdicts.Slower, row.Verdict);
        Assert.Contains("| hakmem->hakmem fast_cap=64", row.Cell);
    }

    [Fact]
    public void A_pair_with_no_cell_in_common_says_what_each_side_has()
    {
        List<RunRecord> runs = [.. Cell("mimalloc", null, 1e6, 10_000, workload: "larson"), .. Cell("hakmem", 64, 1e6, 10_000)];
        var e = Assert.Throws<ArgumentException>(() => AllocatorPair.Relabel(runs, runs, "mimalloc", "hakmem"));
        Assert.Contains("no cell of hakmem in the after set has a cell of mimalloc", e.Message);
        Assert.Contains("mimalloc: 'larson 2 0 1 2 2500 1000 100 8 16000'; hakmem: 'rptest 2 0 1 2 2500 1000 100 8 16000'", e.Message);
    }

    [Fact]
    public void Two_cells_of_the_before_allocator_for_one_workload_are_refused()
    {
        var runs = Matrix();
        var e = Assert.Throws<ArgumentException>(() => AllocatorPair.Relabel(runs, runs, "hakmem", "mimalloc"));
        Assert.Contains("hakmem has more than one cell of rptest", e.Message);
        Assert.Contains("fast_cap=64", e.Message);
    }

    [Fact]
    public void The_cli_judges_the_pair_fails_on_bigger_and_keeps_the_table_in_its_columns()
    {
        string root = Hklab.TempDir("pair");
        try
        {
            string set = Path.Combine(root, "m.csv");
            RunsCsv.Write(set, Matrix());
            var o = Hklab.RunIn(root, "compare", set, set, "--allocators", "mimalloc,hakmem");
            Assert.True(o.ExitCode == 1, o.Stdout + o.Stderr);
            // The default file names the pair, so that the reverse pair of the same sets writes a file of its own.
            Assert.True(File.Exists(Path.Combine(root, "compare-m-vs-m-mimalloc-vs-hakmem.csv")), o.Stdout);
            Assert.Equal(2, Csv.Read<CellComparison>(Path.Combine(root, "compare-m-vs-m-mimalloc-vs-hakmem.csv")).Count);
            Assert.Contains("mimalloc's cells (before) against hakmem's (after)", o.Stdout);
            Assert.Contains("1 slower", o.Stderr);
            Assert.Contains("1 bigger", o.Stderr);
            var table = o.Stdout.Split('\n').Where(l => l.StartsWith('|')).ToList();
            Assert.Equal(4, table.Count); // header, rule, two cells
            int columns = table[0].Count(c => c == '|');
            Assert.All(table, l => Assert.Equal(columns, l.Replace("\\|", "").Count(c => c == '|')));
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    [Theory]
    [InlineData("mimalloc", "--allocators 'mimalloc' is not valid: expected two allocators")]
    [InlineData("mimalloc,", "--allocators 'mimalloc,' is not valid: expected two allocators")]
    [InlineData("jemalloc,hakmem", "--allocators jemalloc,hakmem: the before set has no runs of jemalloc (it has hakmem, mimalloc, system)")]
    [InlineData("mimalloc,tcmalloc", "the after set has no runs of tcmalloc")]
    [InlineData("hakmem,system", "hakmem has more than one cell of rptest")]
    [InlineData("hakmem,hakmem", "hakmem has more than one cell of rptest")]
    public void Bad_pairs_are_one_line_and_exit_2(string pair, string expected)
    {
        string root = Hklab.TempDir("pair-bad");
        try
        {
            string set = Path.Combine(root, "m.csv");
            RunsCsv.Write(set, Matrix());
            var o = Hklab.RunIn(root, "compare", set, set, "--allocators", pair, "-o", Path.Combine(root, "c.csv"));
            Assert.Equal(2, o.ExitCode);
            Assert.Contains(expected, Assert.Single(o.Stderr.TrimEnd('\n').Split('\n')));
            Assert.False(File.Exists(Path.Combine(root, "c.csv")));
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }
}
