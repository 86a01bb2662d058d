namespace Hakmem.Lab.Compare;

/// <summary>The throughput ratio B/A of one cell from paired runs (each pair run back to back, so a drift of
/// the machine hits both alike), and the same three one-sided questions <see cref="RatioTest"/> asks of
/// unpaired sets. On the per-pair log ratios d = log(B / A): the ratio is the exponent of their
/// Hodges-Lehmann estimate (the median of the Walsh averages (d_i + d_j) / 2, i &lt;= j); its interval the
/// Walsh averages at the order statistics the exact Wilcoxon signed-rank distribution gives, at
/// 1 - 2 alpha; the p-values are one-sided Wilcoxon signed-rank tests of d against log(1 - t) and
/// log(1 + t), exact up to <see cref="ExactUpTo"/> pairs and by the normal approximation past that.</summary>
public static class SignedRankTest
{
    public const int ExactUpTo = 300;

    public static RatioEstimate Estimate(IReadOnlyList<double> a, IReadOnlyList<double> b, double threshold, double alpha)
    {
        if (a.Count != b.Count) throw new ArgumentException("paired samples of different lengths");
        double[] d = a.Zip(b, (x, y) => Math.Log(y) - Math.Log(x)).ToArray();
        double down = Math.Log(1 - threshold), up = Math.Log(1 + threshold);
        double pSlower = PBelow(d, down), pFaster = PAbove(d, up);
        double pSame = Math.Max(PAbove(d, down), PBelow(d, up));

        double[] walsh = Walsh(d);
        double median = Quantile(walsh, 0.5);
        int k = CriticalCount(d.Length, alpha);
        double low = double.NegativeInfinity, high = double.PositiveInfinity;
        if (k >= 1) (low, high) = (walsh[k - 1], walsh[walsh.Length - k]);
        return new RatioEstimate(Math.Exp(median), Math.Exp(low), Math.Exp(high), pSlower, pFaster, pSame);
    }

    /// <summary>P-value of "the pairs' differences lie above c" (W+ of d - c large).</summary>
    public static double PAbove(IReadOnlyList<double> d, double c) => Tail(d.Select(x => x - c).ToArray(), upper: true);

    /// <summary>P-value of "the pairs' differences lie below c".</summary>
    public static double PBelow(IReadOnlyList<double> d, double c) => Tail(d.Select(x => x - c).ToArray(), upper: false);

    private static double Tail(double[] x, bool upper)
    {
        var nonzero = x.Where(v => v != 0).ToArray(); // Wilcoxon: zero differences carry no sign
        int n = nonzero.Length;
        if (n == 0) return 1;
        // Ranks of |x|, ties averaged; W+ doubled so it stays an integer.
        var order = Enumerable.Range(0, n).OrderBy(i => Math.Abs(nonzero[i])).ToArray();
        var rank2 = new int[n];
        for (int i = 0; i < n;)
        {
            int j = i;
            while (j + 1 < n && Math.Abs(nonzero[order[j + 1]]) == Math.Abs(nonzero[order[i]])) j++;
            for (int t = i; t <= j; t++) rank2[order[t]] = i + j + 2; // 2 x the average of ranks i+1..j+1
            i = j + 1;
        }
        int w2 = Enumerable.Range(0, n).Where(i => nonzero[i] > 0).Sum(i => rank2[i]);
        int max2 = n * (n + 1);
        if (!upper) w2 = max2 - w2; // W- large is W+ small
        if (n > ExactUpTo)
        {
            double mean = n * (n + 1) / 4.0, sd = Math.Sqrt(n * (n + 1) * (2 * n + 1) / 24.0);
            double z = (w2 / 2.0 - 0.5 - mean) / sd;
            return 1 - Perfolizer.Mathematics.Distributions.ContinuousDistributions.NormalDistribution.Standard.Cdf(z);
        }
        // Exact: P(W+ >= w) under the null; with ties the doubled statistic is compared against doubled sums.
        double[] p = Distribution(n);
        double tail = 0;
        for (int s = 0; s < p.Length; s++)
            if (2 * s >= w2) tail += p[s];
        return Math.Min(1, tail);
    }

    /// <summary>P(W+ = s) for s = 0 .. n(n+1)/2 under the null: each rank's sign a fair coin.</summary>
    public static double[] Distribution(int n)
    {
        int max = n * (n + 1) / 2;
        var p = new double[max + 1];
        p[0] = 1;
        int reach = 0;
        for (int r = 1; r <= n; r++)
        {
            reach += r;
            for (int s = reach; s >= 0; s--) p[s] = 0.5 * (p[s] + (s >= r ? p[s - r] : 0));
        }
        return p;
    }

    /// <summary>The largest k with P(W+ &lt;= k - 1) &lt;= alpha: the interval runs from the k-th smallest to
    /// the k-th largest Walsh average. 0 when n is too small for the level.</summary>
    public static int CriticalCount(int n, double alpha)
    {
        if (n > ExactUpTo)
        {
            double mean = n * (n + 1) / 4.0, sd = Math.Sqrt(n * (n + 1) * (2 * n + 1) / 24.0);
            double z = Perfolizer.Mathematics.Distributions.ContinuousDistributions.NormalDistribution.Standard.Quantile(new Pragmastat.Probability(alpha));
            return Math.Max(0, (int)Math.Floor(mean + z * sd - 0.5) + 1);
        }
        double[] p = Distribution(n);
        double cdf = 0;
        int k = 0;
        while (k < p.Length && cdf + p[k] <= alpha) cdf += p[k++];
        return k;
    }

    private static double[] Walsh(double[] d)
    {
        var w = new List<double>(d.Length * (d.Length + 1) / 2);
        for (int i = 0; i < d.Length; i++)
            for (int j = i; j < d.Length; j++) w.Add((d[i] + d[j]) / 2);
        w.Sort();
        return w.ToArray();
    }

    private static double Quantile(double[] sorted, double q)
    {
        double h = (sorted.Length - 1) * q;
        int lo = (int)Math.Floor(h);
        return lo + 1 < sorted.Length ? sorted[lo] + (h - lo) * (sorted[lo + 1] - sorted[lo]) : sorted[lo];
    }
}
