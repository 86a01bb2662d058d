using Hakmem.Lab.Running;
using Perfolizer.Mathematics.Common;
using Perfolizer.Mathematics.QuantileEstimators;
using Pragmastat;

namespace Hakmem.Lab.Results;

/// <summary>Runs -> one summary row per cell: outcome counts, the crash rate with its Wilson interval,
/// and the throughput distribution (Harrell-Davis quartiles and a 95% confidence interval of the
/// median, from Perfolizer) over the runs that finished.</summary>
public static class Summarizer
{
    public static IReadOnlyList<SummaryRecord> Summarize(IEnumerable<RunRecord> runs) =>
        runs.GroupBy(CellKey.Of).Select(g => Summarize(g.Key, g.ToList())).ToList();

    public static SummaryRecord Summarize(CellKey key, IReadOnlyList<RunRecord> runs)
    {
        int Count(Outcome o) => runs.Count(r => r.Outcome == o.Name());
        int failures = runs.Count(r => OutcomeNames.Parse(r.Outcome).IsFailure());
        var (low, high) = Wilson.Interval(failures, runs.Count);
        var finished = runs.Where(r => r.Outcome is "ok" or "leak").ToList();
        var ops = Throughput(finished.Select(r => r.OpsPerSec).ToList());
        return new SummaryRecord
        {
            Workload = key.Workload, Args = key.Args, Allocator = key.Allocator, FastCap = key.FastCap, TlsSll = key.TlsSll, TlsList = key.TlsList,
            P0 = key.P0, Guards = key.Guards, MaxMb = key.MaxMb, Threads = key.Threads, Inject = key.Inject,
            Runs = runs.Count,
            Ok = Count(Outcome.Ok), Leak = Count(Outcome.Leak), Corrupt = Count(Outcome.Corrupt), Abort = Count(Outcome.Abort),
            Crash = Count(Outcome.Crash), Oom = Count(Outcome.Oom), Timeout = Count(Outcome.Timeout), Error = Count(Outcome.Error),
            Failures = failures,
            CrashRate = runs.Count == 0 ? 0 : Math.Round((double)failures / runs.Count, 4),
            CrashRateLow = Math.Round(low, 4),
            CrashRateHigh = Math.Round(high, 4),
            LeakedBlocksMax = runs.Max(r => r.LeakedBlocks),
            OpsMedian = ops?.Median, OpsQ1 = ops?.Q1, OpsQ3 = ops?.Q3, OpsCiLow = ops?.CiLow, OpsCiHigh = ops?.CiHigh,
            RssMedianKb = finished.Count == 0 ? null : Math.Round(HarrellDavisQuantileEstimator.Instance.Median(new Sample(finished.Select(r => (double)r.PeakRssKb).ToArray())).NominalValue),
            FirstFailure = runs.FirstOrDefault(r => r.Outcome != "ok")?.Message ?? "",
        };
    }

    public sealed record Distribution(double Median, double Q1, double Q3, double? CiLow, double? CiHigh);

    /// <summary>Quartiles and the median's 95% interval; null without samples, no interval below 3 samples.</summary>
    public static Distribution? Throughput(IReadOnlyList<double> values)
    {
        if (values.Count == 0) return null;
        var sample = new Sample(values.ToArray());
        var hd = HarrellDavisQuantileEstimator.Instance;
        double[] q = hd.Quantiles(sample, [new Probability(0.25), new Probability(0.5), new Probability(0.75)]);
        double? lo = null, hi = null;
        if (values.Count >= 3 && values.Distinct().Count() > 1)
        {
            var ci = hd.QuantileConfidenceIntervalEstimator(sample, new Probability(0.5)).ConfidenceInterval(ConfidenceLevel.L95);
            lo = Math.Round(Math.Max(ci.Lower, values.Min()), 1);
            hi = Math.Round(Math.Min(ci.Upper, values.Max()), 1);
        }
        return new Distribution(Math.Round(q[1], 1), Math.Round(q[0], 1), Math.Round(q[2], 1), lo, hi);
    }
}
