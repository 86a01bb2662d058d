namespace Hakmem.Lab.Bisect;

/// <summary>One step of a crash bisection: this many runs at this position, and why (bits expected, seconds).</summary>
public sealed record CrashStep(int Position, int Runs, double Gain, double Cost);

/// <summary>What to test next. By crash: the commit and number of runs that promise the most information about
/// the first bad commit per second spent (<see cref="CrashPosterior.Gains"/> over the cost: a build for a commit
/// not built yet, plus the runs), one batch at a time, so every batch is planned on everything seen so far. By
/// throughput: plain bisection over the commits still between the last good and the first bad one, each verdict
/// a paired comparison that either decided or made the commit a skip.</summary>
public static class BisectPlanner
{
    /// <summary>The batch sizes weighed at each step (more runs at one commit amortize its build).</summary>
    public static readonly int[] BatchSizes = [1, 2, 3, 5, 8, 13, 20];

    /// <summary>Below this many bits expected from the best step, more runs cannot move the answer.</summary>
    public const double NothingToLearn = 1e-4;

    /// <summary>The step with the most expected bits per second; null when no step can teach anything (the
    /// positions left are ones the data cannot tell apart) or no run is left in the budget.</summary>
    /// <param name="built">Whether a position is built already (its next runs cost no build).</param>
    /// <param name="buildSeconds">What a build is expected to take (the builds so far).</param>
    /// <param name="runSeconds">What a run is expected to take (the runs so far).</param>
    public static CrashStep? NextCrash(CrashPosterior posterior, Func<int, bool> built, double buildSeconds, double runSeconds, int remaining)
    {
        if (remaining <= 0) return null;
        CrashStep? best = null;
        double bestRate = 0;
        foreach (int m in BatchSizes.Where(m => m <= remaining).DefaultIfEmpty(remaining).Distinct())
        {
            var gains = posterior.Gains(m);
            for (int j = 0; j < gains.Length; j++)
            {
                if (posterior.IsSkipped(j) || gains[j] < NothingToLearn) continue;
                double cost = (built(j) ? 0 : Math.Max(buildSeconds, 0.01)) + m * Math.Max(runSeconds, 0.01);
                double rate = gains[j] / cost;
                // Ties go to the commit nearer the middle of the posterior, then to fewer runs (the order of the loops).
                if (best == null || rate > bestRate * (1 + 1e-9)) (best, bestRate) = (new CrashStep(j, m, gains[j], cost), rate);
            }
        }
        return best;
    }

    /// <summary>The commit to test between a good <paramref name="lo"/> and a bad <paramref name="hi"/>: the one
    /// nearest the middle that is not a skip; null when none is left (then hi is the first bad one, or one of
    /// the skips before it).</summary>
    public static int? NextThroughput(int lo, int hi, Func<int, bool> skipped)
    {
        double middle = (lo + hi) / 2.0;
        int? best = null;
        for (int j = lo + 1; j < hi; j++)
            if (!skipped(j) && (best == null || Math.Abs(j - middle) < Math.Abs(best.Value - middle))) best = j;
        return best;
    }
}
