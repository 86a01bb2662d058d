using CsvHelper.Configuration.Attributes;

namespace Hakmem.Lab.Compare;

/// <summary>One row of compare.csv: one cell before and after. The ratio is after/before (above 1: faster)
/// with its 90% interval; the q-values are the throughput tests' p-values after the false discovery
/// rate adjustment over all cells of the comparison.</summary>
public sealed record CellComparison
{
    [Name("cell"), Index(0)] public string Cell { get; init; } = "";
    [Name("verdict"), Index(1)] public string Verdict { get; init; } = "";
    [Name("stability"), Index(2)] public string Stability { get; init; } = "";
    [Name("runs_before"), Index(3)] public int RunsBefore { get; init; }
    [Name("runs_after"), Index(4)] public int RunsAfter { get; init; }
    [Name("ops_median_before"), Index(5)] public double? MedianBefore { get; init; }
    [Name("ops_median_after"), Index(6)] public double? MedianAfter { get; init; }
    [Name("ratio"), Index(7)] public double? Ratio { get; init; }
    [Name("ratio_low90"), Index(8)] public double? RatioLow { get; init; }
    [Name("ratio_high90"), Index(9)] public double? RatioHigh { get; init; }
    [Name("q_slower"), Index(10)] public double? QSlower { get; init; }
    [Name("q_faster"), Index(11)] public double? QFaster { get; init; }
    [Name("q_same"), Index(12)] public double? QSame { get; init; }
    [Name("failures_before"), Index(13)] public int FailuresBefore { get; init; }
    [Name("failures_after"), Index(14)] public int FailuresAfter { get; init; }
    [Name("failures_p"), Index(15)] public double? FailuresP { get; init; }
    [Name("leaks_before"), Index(16)] public int LeaksBefore { get; init; }
    [Name("leaks_after"), Index(17)] public int LeaksAfter { get; init; }
    [Name("leaks_p"), Index(18)] public double? LeaksP { get; init; }
    [Name("note"), Index(19)] public string Note { get; init; } = "";
    /// <summary>What the cell is judged by: ops_per_sec, or seconds (a program without a figure: the ratio is then
    /// before's time over after's, above 1 still faster).</summary>
    [Name("metric"), Index(20), Optional] public string Metric { get; init; } = "";
    [Name("seconds_median_before"), Index(21), Optional] public double? SecondsBefore { get; init; }
    [Name("seconds_median_after"), Index(22), Optional] public double? SecondsAfter { get; init; }
    /// <summary>Memory: bigger, smaller, same or unknown (<see cref="MemoryVerdict"/>), the ratio after/before of
    /// peak RSS above base with its 90% interval, the medians in KiB, and why it is unknown.</summary>
    [Name("memory"), Index(23), Optional] public string Memory { get; init; } = "";
    [Name("memory_ratio"), Index(24), Optional] public double? MemoryRatio { get; init; }
    [Name("memory_ratio_low90"), Index(25), Optional] public double? MemoryRatioLow { get; init; }
    [Name("memory_ratio_high90"), Index(26), Optional] public double? MemoryRatioHigh { get; init; }
    [Name("memory_median_before_kb"), Index(27), Optional] public double? MemoryBeforeKb { get; init; }
    [Name("memory_median_after_kb"), Index(28), Optional] public double? MemoryAfterKb { get; init; }
    [Name("memory_note"), Index(29), Optional] public string MemoryNote { get; init; } = "";
    /// <summary>Paired runs (ab): the median absolute deviation of the per-pair log ratios, the noise that
    /// limits the verdict (0.02 is about ±2% per pair).</summary>
    [Name("pair_spread"), Index(30), Optional] public double? PairSpread { get; init; }

    /// <summary>What the gate fails on: slower, less stable, bigger, or (unless allowed) a cell in one set only.</summary>
    public bool IsRegression(bool allowMissing = false) =>
        Verdict == Verdicts.Slower || Stability == Verdicts.LessStable || Memory == MemoryVerdict.Bigger || (Verdict == Verdicts.Missing && !allowMissing);
}

public static class Verdicts
{
    public const string Faster = "faster", Slower = "slower", Same = "same", Unknown = "unknown", Missing = "missing";
    public const string LessStable = "less stable", MoreStable = "more stable", Stable = "same";
}
