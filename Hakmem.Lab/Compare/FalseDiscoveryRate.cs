namespace Hakmem.Lab.Compare;

/// <summary>Benjamini-Hochberg: p-values of many cells turned into q-values, so that declaring every cell
/// with q &lt; alpha keeps the expected share of false declarations among them at most alpha, however
/// many cells a matrix has (108 cells tested at 5% each would otherwise give about 5 false verdicts
/// in every comparison of a set with itself).</summary>
public static class FalseDiscoveryRate
{
    public static double[] Adjust(IReadOnlyList<double> p)
    {
        int m = p.Count;
        var order = Enumerable.Range(0, m).OrderBy(i => p[i]).ToArray();
        var q = new double[m];
        double next = 1;
        for (int rank = m; rank >= 1; rank--)
        {
            int i = order[rank - 1];
            next = Math.Min(next, p[i] * m / rank);
            q[i] = next;
        }
        return q;
    }
}
