using Hakmem.Lab.Compare;
using Hakmem.Lab.Results;

namespace Hakmem.Lab.Tests;

/// <summary>The sequential rule keeps its error rates however often it looks: simulated on per-pair log ratios
/// resampled from the committed ab sets (real noise of this machine), at true ratios 1, 1 - t and 1 + t
/// (the edges of the band, the worst case), with a look after every pair from the 10th on.</summary>
public class SequentialRuleTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const double Threshold = 0.02, Alpha = 0.05;
    private const int Runs = 10, MaxRuns = 80, Repetitions = 2000;

    private static string Repo => Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", ".."));

    /// <summary>Every pair's log ratio in the committed ab sets, each cell's centred on its own median: the
    /// noise alone, to which a simulation adds the true ratio.</summary>
    private static double[] Noise()
    {
        var noise = new List<double>();
        foreach (string set in new[] { "perf-2026-12-01/ab", "perf-2026-12-02/ab", "perf-2026-12-02/ab-final" })
        {
            var runs = RunsCsv.Read(Path.Combine(Repo, "results", "baselines", set, RunsCsv.RunsFile));
            foreach (var cell in runs.GroupBy(CellKey.Of))
            {
                var (a, b) = Comparer.Pairs(cell.Where(r => r.Side == "A").ToList(), cell.Where(r => r.Side == "B").ToList());
                var d = a.Zip(b, (x, y) => Math.Log(y / x)).ToList();
                if (d.Count < 5) continue;
                var sorted = d.Order().ToArray();
                double median = sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
                noise.AddRange(d.Select(x => x - median));
            }
        }
        return noise.ToArray();
    }

    /// <summary>One cell run as ab --runs 10 --max-runs 80 runs it: looked at after the 10th pair and after every one since.</summary>
    private static string Sequential(Random random, double[] noise, double truth)
    {
        var d = new List<double>();
        while (d.Count < MaxRuns)
        {
            d.Add(truth + noise[random.Next(noise.Length)]);
            if (d.Count < Runs) continue;
            var j = SequentialRule.Judge(d, Threshold, Alpha);
            if (j.Decided) return j.Verdict;
        }
        return Verdicts.Unknown;
    }

    private static (double Low, double High) Interval(int errors) => Wilson.Interval(errors, Repetitions);

    [Theory]
    [InlineData(1.0, "slower,faster")]
    [InlineData(1 - Threshold, "faster,same,slower")]
    [InlineData(1 + Threshold, "slower,same,faster")]
    public void Looking_after_every_pair_keeps_each_false_verdict_at_most_at_the_nominal_rate(double ratio, string wrong)
    {
        var noise = Noise();
        Assert.True(noise.Length >= 100, $"{noise.Length} pairs of noise");
        var random = new Random(20261202);
        var verdicts = Enumerable.Range(0, Repetitions).Select(_ => Sequential(random, noise, Math.Log(ratio))).ToList();
        output.WriteLine($"ratio {ratio}: {string.Join(", ", verdicts.GroupBy(v => v).OrderBy(g => g.Key).Select(g => $"{g.Key} {g.Count()}"))} of {Repetitions}");
        foreach (string verdict in wrong.Split(','))
        {
            int errors = verdicts.Count(v => v == verdict);
            var (_, high) = Interval(errors);
            Assert.True(high <= Alpha, $"ratio {ratio}: '{verdict}' {errors} times in {Repetitions} (upper 95% bound {high:P2}), more than {Alpha:P0}");
        }
    }

    [Fact]
    public void Looking_after_every_pair_with_a_fixed_n_test_would_not_keep_it()
    {
        // The reason for the rule: the fixed-n Wilcoxon test re-run after every pair declares "same" at the band's
        // edge far more often than 5%.
        var noise = Noise();
        var random = new Random(7);
        int sameAtEdge = 0;
        for (int rep = 0; rep < 400; rep++)
        {
            var d = new List<double>();
            while (d.Count < MaxRuns)
            {
                d.Add(Math.Log(1 - Threshold) + noise[random.Next(noise.Length)]);
                if (d.Count < Runs) continue;
                var e = SignedRankTest.Estimate(d.Select(_ => 1.0).ToArray(), d.Select(Math.Exp).ToArray(), Threshold, Alpha);
                if (e.PSame < Alpha) { sameAtEdge++; break; }
                if (e.PSlower < Alpha || e.PFaster < Alpha) break;
            }
        }
        Assert.True(sameAtEdge > 0.05 * 400, $"{sameAtEdge} of 400");
    }

    [Fact]
    public void A_real_slowdown_beyond_the_band_is_found_within_the_budget()
    {
        var noise = Noise();
        var random = new Random(11);
        var verdicts = Enumerable.Range(0, 400).Select(_ => Sequential(random, noise, Math.Log(0.94))).ToList();
        output.WriteLine($"ratio 0.94: {string.Join(", ", verdicts.GroupBy(v => v).OrderBy(g => g.Key).Select(g => $"{g.Key} {g.Count()}"))} of 400");
        Assert.True(verdicts.Count(v => v == Verdicts.Slower) > 0.8 * 400, string.Join(",", verdicts.GroupBy(v => v).Select(g => $"{g.Key} {g.Count()}")));
        Assert.DoesNotContain(Verdicts.Faster, verdicts);
    }

    [Fact]
    public void Known_paths_give_known_verdicts()
    {
        // Ten pairs all 10% slower: the slower bettor's wealth grows at each pair; at alpha 5% it crosses 20.
        var slow = SequentialRule.Judge(Enumerable.Repeat(Math.Log(0.9), 12).ToList(), Threshold, Alpha);
        Assert.Equal(Verdicts.Slower, slow.Verdict);
        Assert.True(slow.ESlower >= 20 && slow.EFaster == 1);
        // Exactly on the ratio 1: inside the band, "same" once both edges are beaten.
        Assert.Equal(Verdicts.Same, SequentialRule.Judge(Enumerable.Repeat(0.0, 12).ToList(), Threshold, Alpha).Verdict);
        // Alternating far above and far below: no side wins.
        var mixed = Enumerable.Range(0, 40).Select(i => i % 2 == 0 ? 0.2 : -0.2).ToList();
        Assert.Equal(Verdicts.Unknown, SequentialRule.Judge(mixed, Threshold, Alpha).Verdict);
        // The estimate of pairs needed: a cell sitting on the edge cannot be resolved; one between needs more.
        Assert.Null(SequentialRule.PairsToDecide(Enumerable.Range(0, 10).Select(i => Math.Log(0.98) + (i % 2 == 0 ? 0.01 : -0.01)).ToList(), Threshold));
        Assert.True(SequentialRule.PairsToDecide(Enumerable.Range(0, 10).Select(i => Math.Log(0.97) + (i % 2 == 0 ? 0.02 : -0.02)).ToList(), Threshold) > 10);
    }
}
