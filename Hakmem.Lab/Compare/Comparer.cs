using System.Globalization;
using System.Text;
using Hakmem.Lab.Cli;
using Hakmem.Lab.Results;
using Hakmem.Lab.Running;
using Perfolizer.Mathematics.Common;
using Perfolizer.Mathematics.SignificanceTesting;
using Perfolizer.Mathematics.SignificanceTesting.MannWhitney;
using Perfolizer.Metrology;
using Pragmastat;
using Pragmastat.Estimators;

namespace Hakmem.Lab.Compare;

/// <summary>Before/after, cell by cell. Throughput: Mann-Whitney with a relative threshold
/// (Perfolizer's SimpleEquivalenceTest), so a shift smaller than the threshold is "same" however
/// significant; Hodges-Lehmann shift and ratio of medians; fewer than 5 finished runs on a side is
/// "unknown" (unless both sides hold the very same measurements). Stability: Fisher's exact test on failure and leak counts, "less stable" at p &lt; 0.05.</summary>
public static class Comparer
{
    public const int MinSamples = 5;
    public const double Alpha = 0.05;

    public static IReadOnlyList<CellComparison> Compare(IReadOnlyList<RunRecord> before, IReadOnlyList<RunRecord> after, double threshold)
    {
        var b = before.GroupBy(CellKey.Of).ToDictionary(g => g.Key, g => g.ToList());
        var a = after.GroupBy(CellKey.Of).ToDictionary(g => g.Key, g => g.ToList());
        var common = b.Keys.Where(a.ContainsKey).ToList();
        if (common.Count == 0)
            throw new ArgumentException("no cell is in both result sets: before has "
                + $"{Describe(b.Keys)}; after has {Describe(a.Keys)}");
        return common.Select(k => Compare(k, b[k], a[k], threshold)).OrderBy(SortKey).ToList();
    }

    private static string Describe(IEnumerable<CellKey> keys)
    {
        var list = keys.Take(3).Select(k => $"'{k}'").ToList();
        int n = keys.Count();
        return n == 0 ? "no cells" : string.Join(", ", list) + (n > 3 ? $" and {n - 3} more" : "");
    }

    public static CellComparison Compare(CellKey key, IReadOnlyList<RunRecord> before, IReadOnlyList<RunRecord> after, double threshold)
    {
        double[] xb = Finished(before), xa = Finished(after);
        string verdict = Verdicts.Unknown, note = "";
        double? shift = null, ratio = null, mb = null, ma = null;
        if (xb.Length > 0) mb = Median(xb);
        if (xa.Length > 0) ma = Median(xa);
        if (mb is > 0 && ma != null) ratio = Math.Round(ma.Value / mb.Value, 4);
        if (xb.Length > 0 && xb.Order().SequenceEqual(xa.Order()))
        {
            // The same measurements on both sides (a result set against itself): no change, with certainty.
            verdict = Verdicts.Same;
            shift = 0;
        }
        else if (xb.Length < MinSamples || xa.Length < MinSamples)
            note = $"fewer than {MinSamples} finished runs on a side ({xb.Length} before, {xa.Length} after)";
        else
        {
            var sb = new Sample(xb);
            var sa = new Sample(xa);
            var result = new SimpleEquivalenceTest(MannWhitneyTest.Instance)
                .Perform(sa, sb, Threshold.Parse((threshold * 100).ToString("0.###", CultureInfo.InvariantCulture) + "%"), new SignificanceLevel(Alpha));
            verdict = result switch
            {
                ComparisonResult.Greater => Verdicts.Faster,
                ComparisonResult.Lesser => Verdicts.Slower,
                ComparisonResult.Indistinguishable => Verdicts.Same,
                _ => Verdicts.Unknown,
            };
            shift = Math.Round(ShiftEstimator.Instance.Estimate(sa, sb).NominalValue, 1);
        }
        int fb = before.Count(r => OutcomeNames.Parse(r.Outcome).IsFailure()), fa = after.Count(r => OutcomeNames.Parse(r.Outcome).IsFailure());
        int lb = before.Count(r => r.Outcome == "leak"), la = after.Count(r => r.Outcome == "leak");
        double pFail = FisherExact.GreaterP(fb, before.Count, fa, after.Count);
        double pLeak = FisherExact.GreaterP(lb, before.Count, la, after.Count);
        double pBetter = FisherExact.GreaterP(fa, after.Count, fb, before.Count);
        string stability = pFail < Alpha || pLeak < Alpha ? Verdicts.LessStable : pBetter < Alpha ? Verdicts.MoreStable : Verdicts.Stable;
        return new CellComparison
        {
            Cell = key.ToString(), Verdict = verdict, Stability = stability, RunsBefore = before.Count, RunsAfter = after.Count,
            MedianBefore = mb is double x ? Math.Round(x, 1) : null, MedianAfter = ma is double y ? Math.Round(y, 1) : null,
            Ratio = ratio, Shift = shift, FailuresBefore = fb, FailuresAfter = fa, FailuresP = Math.Round(pFail, 5),
            LeaksBefore = lb, LeaksAfter = la, LeaksP = Math.Round(pLeak, 5), Note = note,
        };
    }

    private static double[] Finished(IEnumerable<RunRecord> runs) => runs.Where(r => r.Outcome is "ok" or "leak").Select(r => r.OpsPerSec).ToArray();

    private static double Median(double[] xs) => Units.Median(xs);

    /// <summary>Worst first: less stable, then slower (biggest loss first), unknown, same, faster.</summary>
    private static (int, double) SortKey(CellComparison c) =>
        (c.Stability == Verdicts.LessStable ? 0 : c.Verdict switch { Verdicts.Slower => 1, Verdicts.Unknown => 2, Verdicts.Same => 3, _ => 4 }, c.Ratio ?? 1);

    public static string Summary(IReadOnlyList<CellComparison> rows)
    {
        int Count(string v) => rows.Count(r => r.Verdict == v);
        var ratios = rows.Where(r => r.Ratio is > 0 && r.Verdict != Verdicts.Unknown).Select(r => r.Ratio!.Value).ToList();
        string geo = ratios.Count == 0 ? "n/a" : Math.Exp(ratios.Average(Math.Log)).ToString("0.000", CultureInfo.InvariantCulture);
        return $"{rows.Count} cells: {Count(Verdicts.Faster)} faster, {Count(Verdicts.Slower)} slower, {Count(Verdicts.Same)} same, "
            + $"{Count(Verdicts.Unknown)} unknown; {rows.Count(r => r.Stability == Verdicts.LessStable)} less stable, "
            + $"{rows.Count(r => r.Stability == Verdicts.MoreStable)} more stable; geometric mean ratio after/before {geo}";
    }

    public static string Markdown(IReadOnlyList<CellComparison> rows, double threshold)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"| cell | throughput (threshold {(threshold * 100).ToString("0.#", CultureInfo.InvariantCulture)}%) | ratio | median before | median after | HL shift | stability | failures before/after | leaks before/after |");
        sb.AppendLine("|---|---|---:|---:|---:|---:|---|---|---|");
        foreach (var r in rows)
        {
            string Rate(double? x) => x is double v ? Units.Rate(v) : "-";
            string shift = r.Shift is double s ? (s >= 0 ? "+" : "-") + Units.Rate(Math.Abs(s)) : "-";
            sb.AppendLine($"| {r.Cell} | {r.Verdict}{(r.Note.Length > 0 ? $" ({r.Note})" : "")} | {(r.Ratio is double q ? q.ToString("0.000", CultureInfo.InvariantCulture) : "-")} | "
                + $"{Rate(r.MedianBefore)} | {Rate(r.MedianAfter)} | {shift} | {r.Stability} | {r.FailuresBefore}/{r.RunsBefore} -> {r.FailuresAfter}/{r.RunsAfter} | {r.LeaksBefore} -> {r.LeaksAfter} |");
        }
        return sb.ToString();
    }
}
