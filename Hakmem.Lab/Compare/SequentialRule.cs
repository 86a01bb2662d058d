namespace Hakmem.Lab.Compare;

/// <summary>The verdicts of a cell that keeps receiving pairs (hklab ab --max-runs), valid however often it is
/// looked at and whenever it stops. Each verdict is the rejection of a null about the median m of the
/// per-pair log ratios d = log(B/A), by a sign-test e-process: a bettor starts with wealth 1 and, pair after
/// pair, stakes a share of it on the sign of d - c; under the null the sign is a coin at worst fair, so the
/// wealth is a nonnegative supermartingale, and by Ville's inequality it ever reaches 1/alpha with
/// probability at most alpha, at any look and any stopping time (also an unknown final count, as --max-time
/// gives). With c_low = log(1 - t) and c_high = log(1 + t):
/// <list type="bullet">
/// <item><c>slower</c>: m &gt;= c_low rejected (betting that d &lt; c_low);</item>
/// <item><c>faster</c>: m &lt;= c_high rejected (betting that d &gt; c_high);</item>
/// <item><c>same</c>: both m &lt;= c_low and m &gt;= c_high rejected (an intersection-union test: if the truth
/// lies outside the band, one of the two nulls is true, and it is rejected with probability at most alpha).</item>
/// </list>
/// The sign test needs no assumption about the noise (not symmetric, not continuous: a tie with c counts
/// against the bet), which is why it is used here rather than Wilcoxon's signed ranks, whose exact small-n
/// distribution is a fixed-n one. Each stake is the Kelly fraction of the signs seen so far (with one
/// success and one failure added in advance), capped at 1.5: predictable, so the supermartingale holds.
/// Over many cells each is tested at alpha / cells (Bonferroni: valid for any dependence between cells and
/// any stopping rule; a cell once decided stays decided).</summary>
public static class SequentialRule
{
    public const double MaxStake = 1.5;

    /// <summary>The wealth of one bettor over the pairs, and the most it ever reached (what Ville bounds).</summary>
    public sealed class SignBet(Func<double, double> sign)
    {
        private double _successes, _bets;
        public double Wealth { get; private set; } = 1;
        public double MaxWealth { get; private set; } = 1;

        /// <summary>One more pair: <paramref name="sign"/> gives 1 when d lies strictly on the side bet on, 0 otherwise.</summary>
        public void Add(double d)
        {
            double p = (_successes + 1) / (_bets + 2);
            double stake = Math.Clamp(2 * (2 * p - 1), 0, MaxStake);
            double x = sign(d);
            Wealth *= 1 + stake * (x - 0.5);
            MaxWealth = Math.Max(MaxWealth, Wealth);
            _successes += x;
            _bets++;
        }
    }

    public sealed record Judgement(string Verdict, double ESlower, double EFaster, double ESame, int Pairs)
    {
        public bool Decided => Verdict != Verdicts.Unknown;
    }

    /// <summary>The verdict on pairs <paramref name="d"/> in the order they ran, each null rejected at
    /// <paramref name="alpha"/> (alpha / cells for a cell among many). For memory the same rule runs on the
    /// log ratios of memory, "faster" there meaning bigger.</summary>
    public static Judgement Judge(IReadOnlyList<double> d, double threshold, double alpha)
    {
        double low = Math.Log(1 - threshold), high = Math.Log(1 + threshold);
        // A tie with the boundary counts against the bet: under "m >= c" only P(d < c) <= 1/2 is known.
        var slower = new SignBet(x => x < low ? 1 : 0);
        var faster = new SignBet(x => x > high ? 1 : 0);
        var aboveLow = new SignBet(x => x > low ? 1 : 0);
        var belowHigh = new SignBet(x => x < high ? 1 : 0);
        foreach (double x in d)
        {
            slower.Add(x);
            faster.Add(x);
            aboveLow.Add(x);
            belowHigh.Add(x);
        }
        double bar = 1 / alpha;
        double eSame = Math.Min(aboveLow.MaxWealth, belowHigh.MaxWealth);
        string verdict = slower.MaxWealth >= bar ? Verdicts.Slower
            : faster.MaxWealth >= bar ? Verdicts.Faster
            : eSame >= bar ? Verdicts.Same
            : Verdicts.Unknown;
        return new Judgement(verdict, slower.MaxWealth, faster.MaxWealth, eSame, d.Count);
    }

    /// <summary>About how many pairs would decide an undecided cell at its observed noise: the count at which
    /// the estimate's distance to the nearest band edge is 2.5 standard errors (the same for "same", whose
    /// nearer edge decides it); null when the estimate sits within a hundredth of the band's width of an
    /// edge, where no affordable number of pairs resolves it.</summary>
    public static int? PairsToDecide(IReadOnlyList<double> d, double threshold)
    {
        if (d.Count < 2) return null;
        double median = Median(d), low = Math.Log(1 - threshold), high = Math.Log(1 + threshold);
        double gap = Math.Min(Math.Abs(median - low), Math.Abs(median - high));
        if (gap < (high - low) / 100) return null;
        double sigma = 1.4826 * Median(d.Select(x => Math.Abs(x - median)).ToList());
        if (sigma == 0) return d.Count;
        double n = Math.Pow(2.5 * sigma / gap, 2);
        return (int)Math.Ceiling(Math.Max(n, d.Count + 1));
    }

    /// <summary>The median absolute deviation of the per-pair log ratios: the noise that limits a paired verdict.</summary>
    public static double Spread(IReadOnlyList<double> d)
    {
        if (d.Count == 0) return double.NaN;
        double m = Median(d);
        return Median(d.Select(x => Math.Abs(x - m)).ToList());
    }

    private static double Median(IReadOnlyList<double> xs)
    {
        var s = xs.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }
}
