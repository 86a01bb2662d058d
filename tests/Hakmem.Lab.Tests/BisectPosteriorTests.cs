using Hakmem.Lab.Bisect;

namespace Hakmem.Lab.Tests;

/// <summary>The posterior over the first bad commit and the planner that feeds it, on simulated outcomes whose
/// answer is known: no process, no clock.</summary>
public class BisectPosteriorTests
{
    /// <summary>A simulated bisection: commits 0..n, the first bad one at <paramref name="firstBad"/>, each run of a
    /// commit failing with its rate, drawn from a seeded generator; the ends get <paramref name="endRuns"/> runs
    /// each, then the planner chooses until one commit holds <paramref name="confidence"/> or the budget ends.
    /// Builds cost <paramref name="build"/> runs' time.</summary>
    public static (int Best, double Probability, int Runs, int Built, Dictionary<int, int> PerCommit) Simulate(int n, int firstBad, double goodRate, double badRate,
        int seed, double confidence = 0.95, int endRuns = 10, int maxRuns = 1000, double build = 1)
    {
        var rng = new Random(seed);
        var post = new CrashPosterior(n + 1);
        var built = new HashSet<int> { 0, n };
        var perCommit = new Dictionary<int, int>();
        int runs = 0;
        void Run(int j, int m)
        {
            int f = 0;
            for (int i = 0; i < m; i++) f += rng.NextDouble() < (j >= firstBad ? badRate : goodRate) ? 1 : 0;
            post.Add(j, m, f);
            runs += m;
            perCommit[j] = perCommit.GetValueOrDefault(j) + m;
        }
        Run(0, endRuns);
        Run(n, endRuns);
        while (post.Best().Probability < confidence)
        {
            var step = BisectPlanner.NextCrash(post, built.Contains, build, 1, maxRuns - runs);
            if (step == null) break;
            built.Add(step.Position);
            Run(step.Position, step.Runs);
        }
        var (best, p) = post.Best();
        return (best, p, runs, built.Count, perCommit);
    }

    [Fact]
    public void With_no_runs_the_first_bad_commit_is_uniform_over_the_range()
    {
        var post = new CrashPosterior(13);
        var k = post.FirstBad();
        Assert.Equal(0, k[0]);
        Assert.All(k.Skip(1), p => Assert.Equal(1.0 / 12, p, 6));
        Assert.Equal(Math.Log2(12), post.Entropy(), 6);
    }

    [Fact]
    public void A_commit_that_failed_makes_the_first_bad_one_at_or_before_it_likely()
    {
        var post = new CrashPosterior(13);
        post.Add(0, 20, 0);
        post.Add(12, 10, 3);
        post.Add(6, 5, 3);
        var k = post.FirstBad();
        // After it only if good commits fail too, at a rate GOOD's 20 clean runs make unlikely.
        Assert.True(k.Skip(7).Sum() < 0.05, $"P(first bad > 6) = {k.Skip(7).Sum()}");
        Assert.True(k.Take(7).Sum() > 0.95);
    }

    [Fact]
    public void Clean_runs_at_a_commit_move_the_first_bad_one_later_but_never_rule_it_out()
    {
        var post = new CrashPosterior(13);
        post.Add(0, 10, 0);
        post.Add(12, 10, 3);
        double before = post.FirstBad().Take(7).Sum();
        post.Add(6, 2, 0);
        double after = post.FirstBad().Take(7).Sum();
        Assert.True(after < before);
        Assert.True(after > 0.1, $"two clean runs prove little at a 30% failure rate: P(first bad <= 6) = {after}");
    }

    [Fact]
    public void An_untestable_commit_goes_with_the_next_one()
    {
        var post = new CrashPosterior(6);
        post.Skip(2);
        post.Skip(3);
        Assert.Equal([[1], [2, 3, 4], [5]], post.Groups().Select(g => g.ToArray()).ToArray());
        Assert.All(BisectPlanner.BatchSizes, m => Assert.Equal(0, post.Gains(m)[2]));
    }

    [Fact]
    public void Bad_failing_a_third_of_the_time_is_told_from_good_after_ten_runs_each()
    {
        Assert.True(CrashPosterior.ProbabilityWorse(0, 10, 3, 10) > 0.95);
        Assert.InRange(CrashPosterior.ProbabilityWorse(3, 10, 3, 10), 0.45, 0.55);
        Assert.True(CrashPosterior.ProbabilityWorse(3, 10, 0, 10) < 0.05);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(8)]
    [InlineData(12)]
    public void Bad_at_thirty_percent_and_good_never_reaches_the_confidence_at_the_right_commit(int firstBad)
    {
        for (int seed = 1; seed <= 5; seed++)
        {
            var (best, p, runs, _, _) = Simulate(12, firstBad, 0, 0.3, seed);
            Assert.True(p >= 0.95, $"seed {seed}: stopped at {p} after {runs} runs");
            Assert.Equal(firstBad, best);
        }
    }

    [Fact]
    public void Good_commits_that_fail_rarely_too_still_lead_to_the_right_commit()
    {
        int right = 0;
        for (int seed = 1; seed <= 10; seed++)
        {
            var (best, p, _, _, _) = Simulate(12, 7, 0.02, 0.25, seed, endRuns: 20);
            Assert.True(p >= 0.95);
            if (best == 7) right++;
        }
        Assert.True(right >= 9, $"{right} of 10 right at 95%");
    }

    [Fact]
    public void A_costly_build_makes_the_planner_run_more_at_each_commit()
    {
        var cheap = Simulate(12, 8, 0, 0.3, seed: 3, build: 0.1);
        var costly = Simulate(12, 8, 0, 0.3, seed: 3, build: 60);
        double perCommit(Dictionary<int, int> d) => d.Where(kv => kv.Key is not (0 or 12)).Average(kv => kv.Value);
        Assert.True(perCommit(costly.PerCommit) > perCommit(cheap.PerCommit), $"{perCommit(costly.PerCommit)} runs per commit with costly builds, {perCommit(cheap.PerCommit)} with cheap");
        Assert.True(costly.Built <= cheap.Built);
    }

    [Fact]
    public void The_budget_ends_the_planning()
    {
        var post = new CrashPosterior(13);
        post.Add(0, 10, 0);
        post.Add(12, 10, 3);
        Assert.Null(BisectPlanner.NextCrash(post, _ => true, 1, 1, remaining: 0));
        var step = BisectPlanner.NextCrash(post, _ => true, 1, 1, remaining: 2)!;
        Assert.InRange(step.Runs, 1, 2);
    }

    [Fact]
    public void Throughput_bisection_takes_the_middle_commit_that_is_not_a_skip()
    {
        Assert.Equal(6, BisectPlanner.NextThroughput(0, 12, _ => false));
        Assert.Equal(5, BisectPlanner.NextThroughput(0, 12, j => j == 6));
        Assert.Null(BisectPlanner.NextThroughput(3, 4, _ => false));
        Assert.Null(BisectPlanner.NextThroughput(3, 6, j => j is 4 or 5));
    }
}
