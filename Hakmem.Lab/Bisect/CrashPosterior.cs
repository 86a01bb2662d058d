namespace Hakmem.Lab.Bisect;

/// <summary>The posterior over the first bad commit of a flaky failure, and what one more batch of runs at a
/// commit is expected to teach about it. Pure arithmetic: no process, no file, no clock.
/// <para>The model. Commits are positions 0..N along the walk from GOOD (0) to BAD (N); the first bad one is
/// k, 1 &lt;= k &lt;= N. Every commit before k fails a run with one unknown rate p_good, every commit from k on
/// with one unknown rate p_bad &gt; p_good; runs are independent. Priors: k uniform over 1..N; p_good and p_bad
/// each uniform on [0, 1] (Beta(1, 1)), conditioned on p_bad &gt; p_good. Both rates are integrated out on a
/// grid of <see cref="GridSize"/> points per rate, denser near 0 (p = u², u evenly spaced), where the rates of
/// rare failures live. A commit that cannot be tested (it does not build, or its build cannot run the cell)
/// contributes no data: the posterior cannot tell it from its neighbour, and <see cref="Groups"/> says which
/// positions stay together.</para>
/// <para>Given k, the data reduce to four counts (failures and runs before k, from k on), so the joint
/// posterior over (k, p_good, p_bad) costs N x grid pairs; a batch's expected information needs, per k, the
/// predictive distribution of its failures under p_good and under p_bad, whichever side of k the commit lies
/// on.</para></summary>
public sealed class CrashPosterior
{
    public const int GridSize = 48;

    private static readonly double[] s_p = Enumerable.Range(0, GridSize).Select(i => Math.Pow((i + 0.5) / GridSize, 2)).ToArray();
    /// <summary>The uniform prior on p seen through p = u²: density 2u per unit of u.</summary>
    private static readonly double[] s_logPrior = Enumerable.Range(0, GridSize).Select(i => Math.Log(2 * (i + 0.5) / GridSize)).ToArray();
    private static readonly double[] s_logP = s_p.Select(p => Math.Log(p)).ToArray();
    private static readonly double[] s_log1mP = s_p.Select(p => Math.Log(1 - p)).ToArray();

    private readonly int[] _runs, _failures;
    private readonly bool[] _skipped;
    /// <summary>Joint posterior marginals, normalized over all k: [k, a] summed over b (p_good = p[a]), and [k, b] over a.</summary>
    private double[,] _good = new double[0, 0], _bad = new double[0, 0];
    private double[] _k = [];
    private bool _stale = true;

    /// <summary>A walk of <paramref name="positions"/> commits (GOOD and BAD included: N + 1).</summary>
    public CrashPosterior(int positions)
    {
        if (positions < 2) throw new ArgumentOutOfRangeException(nameof(positions), "a walk holds GOOD and BAD at least");
        _runs = new int[positions];
        _failures = new int[positions];
        _skipped = new bool[positions];
    }

    public int Positions => _runs.Length;
    public int Runs(int position) => _runs[position];
    public int Failures(int position) => _failures[position];
    public bool IsSkipped(int position) => _skipped[position];

    /// <summary>Adds a batch's runs and failures at a position.</summary>
    public void Add(int position, int runs, int failures)
    {
        if (runs < 0 || failures < 0 || failures > runs) throw new ArgumentOutOfRangeException(nameof(failures));
        _runs[position] += runs;
        _failures[position] += failures;
        _stale = true;
    }

    /// <summary>A commit that cannot be tested: its data (if any) are dropped.</summary>
    public void Skip(int position)
    {
        _skipped[position] = true;
        _runs[position] = 0;
        _failures[position] = 0;
        _stale = true;
    }

    /// <summary>P(first bad = k) for k = 0..N (0 for k = 0: GOOD is good by assumption).</summary>
    public IReadOnlyList<double> FirstBad()
    {
        Update();
        return _k;
    }

    /// <summary>The most probable first bad commit and its probability.</summary>
    public (int Position, double Probability) Best()
    {
        var k = FirstBad();
        int best = 1;
        for (int i = 2; i < k.Count; i++) if (k[i] > k[best]) best = i;
        return (best, k[best]);
    }

    /// <summary>The positions the data can tell apart: each untestable commit goes with the next testable one
    /// (as git bisect says "the first bad commit could be any of"). Position 0 is in none.</summary>
    public IReadOnlyList<IReadOnlyList<int>> Groups()
    {
        var groups = new List<IReadOnlyList<int>>();
        var current = new List<int>();
        for (int i = 1; i < Positions; i++)
        {
            current.Add(i);
            if (!_skipped[i] || i == Positions - 1)
            {
                groups.Add(current);
                current = [];
            }
        }
        return groups;
    }

    /// <summary>The group holding the most probability, and that probability.</summary>
    public (IReadOnlyList<int> Group, double Probability) BestGroup()
    {
        var k = FirstBad();
        return Groups().Select(g => (g, g.Sum(i => k[i]))).MaxBy(x => x.Item2);
    }

    /// <summary>Entropy of the first-bad posterior, in bits.</summary>
    public double Entropy() => Entropy(FirstBad());

    /// <summary>The expected drop in entropy (bits) of the first-bad posterior from <paramref name="runs"/> more
    /// runs at <paramref name="position"/>: the entropy now minus its expectation over the batch's failure
    /// count under the posterior predictive.</summary>
    public double Gain(int position, int runs)
    {
        Update();
        var (a, c) = Predictive(runs);
        return Entropy(_k) - ExpectedEntropy(position, runs, a, c);
    }

    /// <summary>Gains of every position for one batch size (one pass over the predictive tables).</summary>
    public double[] Gains(int runs)
    {
        Update();
        var (a, c) = Predictive(runs);
        double now = Entropy(_k);
        var gains = new double[Positions];
        for (int j = 0; j < Positions; j++) gains[j] = _skipped[j] ? 0 : Math.Max(0, now - ExpectedEntropy(j, runs, a, c));
        return gains;
    }

    /// <summary>P(p_b &gt; p_a) for two independent rates with uniform priors after fa of na and fb of nb failures:
    /// the probability that the second fails more often than the first.</summary>
    public static double ProbabilityWorse(int fa, int na, int fb, int nb)
    {
        const int n = 4000;
        var la = new double[n];
        var lb = new double[n];
        for (int i = 0; i < n; i++)
        {
            double x = (i + 0.5) / n;
            la[i] = fa * Math.Log(x) + (na - fa) * Math.Log(1 - x);
            lb[i] = fb * Math.Log(x) + (nb - fb) * Math.Log(1 - x);
        }
        var wa = Normalize(la);
        var wb = Normalize(lb);
        double cdf = 0, p = 0;
        for (int i = 0; i < n; i++)
        {
            // P(a < x_i): the mass below, and half of this cell (a tie within a cell is even).
            p += wb[i] * (cdf + wa[i] / 2);
            cdf += wa[i];
        }
        return p;
    }

    private static double[] Normalize(double[] logs)
    {
        double max = logs.Max();
        var w = logs.Select(l => Math.Exp(l - max)).ToArray();
        double sum = w.Sum();
        for (int i = 0; i < w.Length; i++) w[i] /= sum;
        return w;
    }

    private void Update()
    {
        if (!_stale) return;
        int n = Positions;
        long totalRuns = _runs.Sum(x => (long)x), totalFailures = _failures.Sum(x => (long)x);
        var log = new double[n, GridSize * GridSize];
        double max = double.NegativeInfinity;
        long gRuns = 0, gFailures = 0;
        for (int k = 1; k < n; k++)
        {
            gRuns += _runs[k - 1];
            gFailures += _failures[k - 1];
            long bRuns = totalRuns - gRuns, bFailures = totalFailures - gFailures;
            for (int a = 0; a < GridSize; a++)
            {
                double good = s_logPrior[a] + gFailures * s_logP[a] + (gRuns - gFailures) * s_log1mP[a];
                for (int b = a + 1; b < GridSize; b++)
                {
                    double v = good + s_logPrior[b] + bFailures * s_logP[b] + (bRuns - bFailures) * s_log1mP[b];
                    log[k, a * GridSize + b] = v;
                    if (v > max) max = v;
                }
            }
        }
        _good = new double[n, GridSize];
        _bad = new double[n, GridSize];
        _k = new double[n];
        double sum = 0;
        for (int k = 1; k < n; k++)
            for (int a = 0; a < GridSize; a++)
                for (int b = a + 1; b < GridSize; b++)
                {
                    double w = Math.Exp(log[k, a * GridSize + b] - max);
                    _good[k, a] += w;
                    _bad[k, b] += w;
                    _k[k] += w;
                    sum += w;
                }
        for (int k = 1; k < n; k++)
        {
            _k[k] /= sum;
            for (int g = 0; g < GridSize; g++)
            {
                _good[k, g] /= sum;
                _bad[k, g] /= sum;
            }
        }
        _stale = false;
    }

    /// <summary>Per k and failure count f of a batch of <paramref name="m"/>: the joint probability of k and f when
    /// the tested commit is good (a: its rate is p_good) and when it is bad (c: p_bad).</summary>
    private (double[,] A, double[,] C) Predictive(int m)
    {
        int n = Positions;
        var binom = new double[GridSize, m + 1];
        for (int g = 0; g < GridSize; g++)
            for (int f = 0; f <= m; f++)
                binom[g, f] = Math.Exp(LogChoose(m, f) + f * s_logP[g] + (m - f) * s_log1mP[g]);
        var a = new double[n, m + 1];
        var c = new double[n, m + 1];
        for (int k = 1; k < n; k++)
            for (int g = 0; g < GridSize; g++)
            {
                double wg = _good[k, g], wb = _bad[k, g];
                if (wg == 0 && wb == 0) continue;
                for (int f = 0; f <= m; f++)
                {
                    a[k, f] += wg * binom[g, f];
                    c[k, f] += wb * binom[g, f];
                }
            }
        return (a, c);
    }

    private double ExpectedEntropy(int j, int m, double[,] a, double[,] c)
    {
        int n = Positions;
        double expected = 0;
        var u = new double[n];
        for (int f = 0; f <= m; f++)
        {
            double pf = 0;
            for (int k = 1; k < n; k++)
            {
                u[k] = j < k ? a[k, f] : c[k, f]; // commit j is good exactly when it comes before the first bad one
                pf += u[k];
            }
            if (pf <= 0) continue;
            double h = 0;
            for (int k = 1; k < n; k++)
                if (u[k] > 0)
                {
                    double q = u[k] / pf;
                    h -= q * Math.Log2(q);
                }
            expected += pf * h;
        }
        return expected;
    }

    private static double Entropy(IReadOnlyList<double> p) => -p.Where(x => x > 0).Sum(x => x * Math.Log2(x));

    private static double LogChoose(int n, int k)
    {
        double s = 0;
        for (int i = 1; i <= k; i++) s += Math.Log(n - k + i) - Math.Log(i);
        return s;
    }
}
