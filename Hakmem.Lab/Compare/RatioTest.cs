using Perfolizer.Mathematics.SignificanceTesting.Base;
using Perfolizer.Mathematics.SignificanceTesting.MannWhitney;
using Perfolizer.Metrology;
using Pragmastat;
using Pragmastat.Algorithms;

namespace Hakmem.Lab.Compare;

/// <summary>The throughput ratio after/before of one cell, and the three one-sided questions the gate asks
/// of it. Distribution-free, on log throughput (a ratio is a shift there): the ratio is the exponent of
/// the Hodges-Lehmann shift (the median of all pairwise log ratios); its interval is Moses' interval, the
/// pairwise log ratios at the order statistics the exact Mann-Whitney distribution gives, at 1 - 2 alpha
/// (90% for alpha 5%, as two one-sided tests at 5% are); the p-values are Mann-Whitney's (Perfolizer)
/// against the band [1 - t, 1 + t]: <see cref="PSlower"/> for "below 1 - t", <see cref="PFaster"/> for
/// "above 1 + t", <see cref="PSame"/> for "inside" (both one-sided tests, the larger p).</summary>
public sealed record RatioEstimate(double Ratio, double Low, double High, double PSlower, double PFaster, double PSame);

public static class RatioTest
{
    private static readonly Threshold None = Threshold.Parse("0%");

    public static RatioEstimate Estimate(IReadOnlyList<double> before, IReadOnlyList<double> after, double threshold, double alpha)
    {
        var b = new Sample(before.Select(x => Math.Log(x)).ToArray());
        var a = new Sample(after.Select(x => Math.Log(x)).ToArray());
        double down = Math.Log(1 - threshold), up = Math.Log(1 + threshold);
        double pSlower = Greater(b + down, a);  // after < before * (1 - t)
        double pFaster = Greater(a, b + up);    // after > before * (1 + t)
        double pAbove = Greater(a, b + down), pBelow = Greater(b + up, a);

        int n = before.Count, m = after.Count;
        long pairs = (long)n * m;
        int k = CriticalCount(n, m, alpha);
        double median = FastShift.Estimate(a.Values, b.Values, [0.5], false)[0];
        double low = double.NegativeInfinity, high = double.PositiveInfinity;
        if (k >= 1)
        {
            // The k-th smallest and the k-th largest pairwise difference (type-7 quantiles hit them exactly).
            double[] bounds = FastShift.Estimate(a.Values, b.Values, [(k - 1) / (double)(pairs - 1), (pairs - k) / (double)(pairs - 1)], false);
            (low, high) = (bounds[0], bounds[1]);
        }
        return new RatioEstimate(Math.Exp(median), Math.Exp(low), Math.Exp(high), pSlower, pFaster, Math.Max(pAbove, pBelow));
    }

    /// <summary>P-value of "x is stochastically greater than y".</summary>
    private static double Greater(Sample x, Sample y) => MannWhitneyTest.Instance.Perform(x, y, AlternativeHypothesis.Greater, None).PValue.Value;

    /// <summary>The largest k with P(U &lt;= k - 1) &lt;= alpha under the null (U the Mann-Whitney count of
    /// n x m pairs): exact for small samples, the normal approximation past them. 0 when even the most
    /// extreme order statistic does not reach the level (too few runs for an interval).</summary>
    public static int CriticalCount(int n, int m, double alpha)
    {
        if (n + m <= 60)
        {
            var cdf = MannWhitneyLoefflerExactCdf.Instance; // Cdf(n, m, u) is P(U < u)
            int k = 0;
            while (k < n * m && cdf.Cdf(n, m, k + 1) <= alpha) k++;
            return k;
        }
        double mean = n * m / 2.0, sd = Math.Sqrt(n * m * (n + m + 1) / 12.0);
        double z = Perfolizer.Mathematics.Distributions.ContinuousDistributions.NormalDistribution.Standard.Quantile(new Pragmastat.Probability(alpha));
        return Math.Max(0, (int)Math.Floor(mean + z * sd - 0.5) + 1);
    }
}
