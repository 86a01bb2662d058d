using Hakmem.Lab.Cli;
using Hakmem.Lab.Results;
using Hakmem.Lab.Running;

namespace Hakmem.Lab.Compare;

/// <summary>The memory verdict of a cell: its peak RSS above base (a program's own peak RSS; base is the RSS
/// when the measured run starts), judged like throughput: the ratio after/before (Hodges-Lehmann, unpaired or
/// paired) with its 90% interval, <c>bigger</c> or <c>smaller</c> only when it is shown beyond the band,
/// <c>same</c> only when it is shown inside it, each at a false discovery rate of 5% over the cells. The band is
/// max(threshold, 1 MB / the before median): below a megabyte RSS moves by a page table or a thread stack.
/// A side without the figure, or the two sides measured differently (the peak reset after the warm-up on
/// one side only), is <c>unknown</c>, said in its note.</summary>
public static class MemoryVerdict
{
    public const string Bigger = "bigger", Smaller = "smaller", Same = "same", Unknown = "unknown";
    public const double DefaultThreshold = 0.10;
    /// <summary>The smallest memory change that counts, whatever the threshold: below a megabyte, RSS moves by
    /// a page table or a thread stack.</summary>
    public const double FloorKb = 1024;

    /// <summary>The memory a run took: peak RSS above base for a run that has a base (in-process), the program's
    /// own peak RSS for a program; null when neither is known. At least 1 KiB (a ratio of logs needs it).</summary>
    public static double? Kb(RunRecord r) =>
        r.BaseRssKb != null ? Math.Max(1, r.RssOverBaseKb ?? 0) : r.Workload == "exec" && r.PeakRssKb > 0 ? r.PeakRssKb : null;

    private static bool Finished(RunRecord r) => OutcomeNames.Parse(r.Outcome).Finished();

    /// <summary>The young-generation budgets a side's in-process runs had ("sized by the runtime" for none): sides that
    /// differ are not compared on memory (larson's peak moved 3x with it). A program's peak is its own, so exec runs
    /// do not count.</summary>
    private static string Gen0Budgets(IEnumerable<RunRecord> runs) =>
        string.Join(", ", runs.Where(r => r.Workload != "exec").Select(r => r.Gen0BudgetKb is long kb ? $"{kb} KiB" : "sized by the runtime").Distinct().Order());

    /// <summary>Memory verdicts for the cells both sets hold, keyed like <see cref="Comparer"/>'s rows.</summary>
    public static IReadOnlyDictionary<CellKey, CellComparison> Judge(IReadOnlyDictionary<CellKey, IReadOnlyList<RunRecord>> before,
        IReadOnlyDictionary<CellKey, IReadOnlyList<RunRecord>> after, double threshold, bool paired)
    {
        var tested = new List<(CellKey Key, RatioEstimate Estimate, double Band, double[] B, double[] A)>();
        var rows = new Dictionary<CellKey, CellComparison>();
        foreach (var key in before.Keys.Where(after.ContainsKey))
        {
            var (b, a) = (before[key].Where(Finished).ToList(), after[key].Where(Finished).ToList());
            double[] bk = b.Select(Kb).OfType<double>().ToArray(), ak = a.Select(Kb).OfType<double>().ToArray();
            string gb = Gen0Budgets(b), ga = Gen0Budgets(a);
            string? why = bk.Length == 0 || ak.Length == 0 ? "no memory figure on a side (a set from before base RSS was recorded, or no finished run)"
                : b.Any(r => r.PeakReset == true) != a.Any(r => r.PeakReset == true) ? "measured differently: the peak was reset after the warm-up on one side only (sets of different hklab generations)"
                : gb != ga ? $"measured differently: the worker's young-generation budget was {gb} before and {ga} after (the managed heap's own growth is in the RSS)"
                : null;
            if (why != null)
            {
                rows[key] = new CellComparison { Memory = Unknown, MemoryNote = why, MemoryBeforeKb = Median(bk), MemoryAfterKb = Median(ak) };
                continue;
            }
            double band = Math.Min(0.99, Math.Max(threshold, FloorKb / Estimators.Median(bk)));
            RatioEstimate? e;
            if (paired)
            {
                var byRun = b.Where(r => Kb(r) != null).GroupBy(r => r.Run).ToDictionary(g => g.Key, g => Kb(g.First())!.Value);
                var both = a.Where(r => Kb(r) != null && byRun.ContainsKey(r.Run)).OrderBy(r => r.Run).ToList();
                e = both.Count >= Comparer.MinSamples
                    ? SignedRankTest.Estimate(both.Select(r => byRun[r.Run]).ToArray(), both.Select(r => Kb(r)!.Value).ToArray(), band, Comparer.Alpha) : null;
            }
            else e = bk.Length >= Comparer.MinSamples && ak.Length >= Comparer.MinSamples ? RatioTest.Estimate(bk, ak, band, Comparer.Alpha) : null;
            if (e == null)
            {
                rows[key] = new CellComparison { Memory = Unknown, MemoryNote = $"fewer than {Comparer.MinSamples} {(paired ? "pairs" : "finished runs a side")} with a memory figure",
                    MemoryBeforeKb = Median(bk), MemoryAfterKb = Median(ak) };
                continue;
            }
            tested.Add((key, e, band, bk, ak));
        }
        double[] qBigger = FalseDiscoveryRate.Adjust(tested.Select(t => t.Estimate.PFaster).ToList());
        double[] qSmaller = FalseDiscoveryRate.Adjust(tested.Select(t => t.Estimate.PSlower).ToList());
        double[] qSame = FalseDiscoveryRate.Adjust(tested.Select(t => t.Estimate.PSame).ToList());
        for (int i = 0; i < tested.Count; i++)
        {
            var (key, e, band, bk, ak) = tested[i];
            string verdict = qBigger[i] < Comparer.Alpha ? Bigger : qSmaller[i] < Comparer.Alpha ? Smaller : qSame[i] < Comparer.Alpha ? Same : Unknown;
            string note = verdict == Unknown ? $"the 90% interval {e.Low:0.000}-{e.High:0.000} does not settle the ±{band * 100:0.#}% band" : "";
            note = Join(note, LiveNote(before[key], after[key], band));
            rows[key] = new CellComparison
            {
                Memory = verdict, MemoryRatio = Round(e.Ratio), MemoryRatioLow = Round(e.Low), MemoryRatioHigh = Round(e.High),
                MemoryBeforeKb = Median(bk), MemoryAfterKb = Median(ak), MemoryNote = note,
            };
        }
        return rows;
    }

    /// <summary>When the workload itself held more (or fewer) live bytes on one side, beyond the band (a peak of live
    /// bytes that follows the threads' timing, as rptest's batches in flight do), the peak live bytes and the overhead
    /// (peak RSS above base per peak live byte) of each side: the RSS verdict then weighs the workload as well as the
    /// allocator, and the overhead says which one moved. Empty when a side has no live figure (programs, older sets).</summary>
    public static string LiveNote(IEnumerable<RunRecord> before, IEnumerable<RunRecord> after, double band)
    {
        static (double Live, double? Overhead)? Side(IEnumerable<RunRecord> runs)
        {
            var measured = runs.Where(r => Finished(r) && r.PeakLiveKb is > 0).ToList();
            if (measured.Count == 0) return null;
            double[] overheads = measured.Select(r => r.Overhead).OfType<double>().ToArray();
            return (Estimators.Median(measured.Select(r => (double)r.PeakLiveKb!.Value).ToArray()), overheads.Length > 0 ? Estimators.Median(overheads) : null);
        }
        if (Side(before) is not { } b || Side(after) is not { } a) return "";
        double ratio = a.Live / b.Live;
        if (ratio <= 1 + band && ratio >= 1 / (1 + band)) return "";
        string overhead = b.Overhead is double ob && a.Overhead is double oa ? $"; overhead {ob:0.00} -> {oa:0.00} per live byte" : "";
        return $"the workload held {(ratio > 1 ? "more" : "less")}: peak live {Units.Kb((long)b.Live)} -> {Units.Kb((long)a.Live)}{overhead}";
    }

    /// <summary>Two notes as one, "; " between them when both say something.</summary>
    internal static string Join(string a, string b) => a.Length == 0 ? b : b.Length == 0 ? a : $"{a}; {b}";

    private static double? Median(double[] xs) => xs.Length == 0 ? null : Math.Round(Estimators.Median(xs));

    private static double? Round(double x) => double.IsFinite(x) ? Math.Round(x, 4) : null;
}
