namespace Hakmem.Lab.Results;

/// <summary>The Wilson score interval of a binomial proportion: honest at 0 of n (0/20 gives an upper
/// bound of about 16%, not 0%).</summary>
public static class Wilson
{
    public const double Z95 = 1.959963984540054;

    public static (double Low, double High) Interval(int failures, int runs, double z = Z95)
    {
        if (runs <= 0) return (0, 1);
        double n = runs, p = failures / n, z2 = z * z;
        double center = (p + z2 / (2 * n)) / (1 + z2 / n);
        double half = z * Math.Sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n);
        return (Math.Max(0, center - half), Math.Min(1, center + half));
    }

    /// <summary>"0/20 runs failed: rate < 16% at 95%" or "3/20 runs failed: rate 15% (5.2%-36%) at 95%".</summary>
    public static string Describe(int failures, int runs, string what = "runs failed")
    {
        var (lo, hi) = Interval(failures, runs);
        if (failures == 0) return $"{failures}/{runs} {what}: rate < {Percent(hi)} at 95%";
        return $"{failures}/{runs} {what}: rate {Percent((double)failures / runs)} ({Percent(lo)}-{Percent(hi)}) at 95%";
    }

    private static string Percent(double x) =>
        (x * 100).ToString(x * 100 < 10 ? "0.#" : "0", System.Globalization.CultureInfo.InvariantCulture) + "%";
}
