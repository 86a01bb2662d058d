using CsvHelper.Configuration.Attributes;

namespace Hakmem.Lab.Compare;

/// <summary>One row of compare.csv: one cell before and after.</summary>
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
    [Name("hodges_lehmann_shift"), Index(8)] public double? Shift { get; init; }
    [Name("failures_before"), Index(9)] public int FailuresBefore { get; init; }
    [Name("failures_after"), Index(10)] public int FailuresAfter { get; init; }
    [Name("failures_p"), Index(11)] public double FailuresP { get; init; }
    [Name("leaks_before"), Index(12)] public int LeaksBefore { get; init; }
    [Name("leaks_after"), Index(13)] public int LeaksAfter { get; init; }
    [Name("leaks_p"), Index(14)] public double LeaksP { get; init; }
    [Name("note"), Index(15)] public string Note { get; init; } = "";

    [Ignore] public bool IsRegression => Verdict == Verdicts.Slower || Stability == Verdicts.LessStable;
}

public static class Verdicts
{
    public const string Faster = "faster", Slower = "slower", Same = "same", Unknown = "unknown";
    public const string LessStable = "less stable", MoreStable = "more stable", Stable = "same";
}
