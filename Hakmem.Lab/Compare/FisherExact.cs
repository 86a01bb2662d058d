namespace Hakmem.Lab.Compare;

/// <summary>Fisher's exact test on a 2x2 table of counts: the one-sided p-value that the second group's
/// rate is higher than the first's by chance. Exact for the small run counts of a stability loop.</summary>
public static class FisherExact
{
    /// <summary>P(X >= b) where X is the failures falling in the "after" group under the hypergeometric
    /// distribution with the observed margins (a of n1 before, b of n2 after).</summary>
    public static double GreaterP(int a, int n1, int b, int n2)
    {
        int failures = a + b, n = n1 + n2;
        double p = 0;
        for (int x = b; x <= Math.Min(failures, n2); x++)
            p += Math.Exp(LogChoose(n2, x) + LogChoose(n1, failures - x) - LogChoose(n, failures));
        return Math.Min(1, p);
    }

    private static double LogChoose(int n, int k) =>
        k < 0 || k > n ? double.NegativeInfinity : LogFactorial(n) - LogFactorial(k) - LogFactorial(n - k);

    private static double LogFactorial(int n)
    {
        double s = 0;
        for (int i = 2; i <= n; i++) s += Math.Log(i);
        return s;
    }
}
