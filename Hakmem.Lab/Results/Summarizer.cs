using Hakmem.Lab.Running;

namespace Hakmem.Lab.Results;

/// <summary>Runs -> one summary row per cell: outcome counts, the crash rate with its Wilson interval,
/// and the throughput distribution (Harrell-Davis quartiles and a 95% confidence interval of the
/// median, from Perfolizer) over the runs that finished.</summary>
public static class Summarizer
{
    /// <summary>One row per cell, and per side for an interleaved comparison (hklab ab).</summary>
    public static IReadOnlyList<SummaryRecord> Summarize(IEnumerable<RunRecord> runs) =>
        runs.GroupBy(r => (Key: CellKey.Of(r), r.Side)).OrderBy(g => g.Key.Side, StringComparer.Ordinal)
            .Select(g => Summarize(g.Key.Key, g.ToList()) with { Side = g.Key.Side }).ToList();

    public static SummaryRecord Summarize(CellKey key, IReadOnlyList<RunRecord> runs)
    {
        int Count(Outcome o) => runs.Count(r => r.Outcome == o.Name());
        int failures = runs.Count(r => OutcomeNames.Parse(r.Outcome).IsFailure());
        var (low, high) = Wilson.Interval(failures, runs.Count);
        var finished = runs.Where(r => OutcomeNames.Parse(r.Outcome).Finished()).ToList();
        var ops = Throughput(finished.Where(r => r.Metric != Metrics.Seconds && r.OpsPerSec > 0).Select(r => r.OpsPerSec).ToList()); // a program without a figure is judged by its time
        var seconds = finished.Where(r => r.Seconds > 0).Select(r => r.Seconds).ToList();
        var secondsCi = seconds.Count > 0 ? Estimators.MedianInterval(seconds) : null;
        return new SummaryRecord
        {
            Workload = key.Workload, Args = key.Args, Allocator = key.Allocator, FastCap = key.FastCap, TlsSll = key.TlsSll, TlsList = key.TlsList,
            P0 = key.P0, Guards = key.Guards, MaxMb = key.MaxMb, Threads = key.Threads, Inject = key.Inject, Env = key.Env,
            LargeCacheMb = key.LargeCacheMb, LargeDecayMs = key.LargeDecayMs, Touch = key.Touch, Repeat = key.Repeat, Pin = key.Pin, MidCache = key.MidCache,
            PeakLiveMedianKb = MedianOf(finished.Select(r => (double?)r.PeakLiveKb)),
            Overhead = MedianOf(finished.Select(r => r.Overhead), 3),
            RetainedMedianKb = MedianOf(finished.Select(r => (double?)r.RetainedKb)),
            RetainedSettledMedianKb = MedianOf(finished.Select(r => (double?)r.RetainedSettledKb)),
            RetainedReleasedMedianKb = MedianOf(finished.Select(r => (double?)r.RetainedReleasedKb)),
            Runs = runs.Count,
            Ok = Count(Outcome.Ok), Leak = Count(Outcome.Leak), Corrupt = Count(Outcome.Corrupt), Abort = Count(Outcome.Abort),
            Crash = Count(Outcome.Crash), Oom = Count(Outcome.Oom), Timeout = Count(Outcome.Timeout), Error = Count(Outcome.Error),
            Failures = failures,
            CrashRate = runs.Count == 0 ? 0 : Math.Round((double)failures / runs.Count, 4),
            CrashRateLow = Math.Round(low, 4),
            CrashRateHigh = Math.Round(high, 4),
            LeakedBlocksMax = runs.Max(r => r.LeakedBlocks),
            OpsMedian = ops?.Median, OpsQ1 = ops?.Q1, OpsQ3 = ops?.Q3, OpsCiLow = ops?.CiLow, OpsCiHigh = ops?.CiHigh,
            RssMedianKb = finished.Count == 0 ? null : Math.Round(Estimators.Median(finished.Select(r => (double)r.PeakRssKb).ToList())),
            RssOverBaseMedianKb = finished.Where(r => r.RssOverBaseKb != null).Select(r => (double)r.RssOverBaseKb!.Value).ToList() is { Count: > 0 } over
                ? Math.Round(Estimators.Median(over)) : null,
            Metric = string.Join(" and ", finished.Select(r => r.Metric).Where(m => m.Length > 0).Distinct().Order(StringComparer.Ordinal)),
            OpsUnit = string.Join(" and ", finished.Where(r => r.Metric != Metrics.Seconds).Select(r => r.OpsUnit).Where(u => u.Length > 0).Distinct().Order(StringComparer.Ordinal)),
            SecondsMedian = seconds.Count > 0 ? Math.Round(Estimators.Median(seconds), 6) : null,
            SecondsCiLow = secondsCi is var (sl, _) ? Math.Round(sl, 6) : null,
            SecondsCiHigh = secondsCi is var (_, sh) ? Math.Round(sh, 6) : null,
            FirstFailure = runs.FirstOrDefault(r => r.Outcome != "ok")?.Message ?? "",
            FirstFailureArtifacts = runs.FirstOrDefault(r => r.Outcome != "ok")?.Artifacts ?? "",
        };
    }

    /// <summary>The Harrell-Davis median of the known values, or null when none is known.</summary>
    private static double? MedianOf(IEnumerable<double?> values, int digits = 0)
    {
        var known = values.OfType<double>().ToList();
        return known.Count == 0 ? null : Math.Round(Estimators.Median(known), digits);
    }

    public sealed record Distribution(double Median, double Q1, double Q3, double? CiLow, double? CiHigh);

    /// <summary>Quartiles and the median's 95% interval; null without samples, no interval below 3 samples.</summary>
    public static Distribution? Throughput(IReadOnlyList<double> values)
    {
        if (values.Count == 0) return null;
        double[] q = Estimators.Quantiles(values, 0.25, 0.5, 0.75);
        var ci = Estimators.MedianInterval(values);
        return new Distribution(Math.Round(q[1], 1), Math.Round(q[0], 1), Math.Round(q[2], 1),
            ci is var (lo, _) ? Math.Round(lo, 1) : null, ci is var (_, hi) ? Math.Round(hi, 1) : null);
    }
}
