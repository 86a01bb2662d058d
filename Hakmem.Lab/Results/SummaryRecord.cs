using CsvHelper.Configuration.Attributes;

namespace Hakmem.Lab.Results;

/// <summary>One row of a summary file: one cell, all its runs.</summary>
public sealed record SummaryRecord
{
    [Name("workload"), Index(0)] public string Workload { get; init; } = "";
    [Name("args"), Index(1)] public string Args { get; init; } = "";
    [Name("allocator"), Index(2)] public string Allocator { get; init; } = "";
    [Name("fast_cap"), Index(3)] public int? FastCap { get; init; }
    [Name("tls_sll"), Index(4)] public string TlsSll { get; init; } = "";
    [Name("tls_list"), Index(5)] public string TlsList { get; init; } = "";
    [Name("p0"), Index(6)] public string P0 { get; init; } = "";
    [Name("guards"), Index(7)] public string Guards { get; init; } = "";
    [Name("max_mb"), Index(8)] public long? MaxMb { get; init; }
    [Name("threads"), Index(9)] public int Threads { get; init; }
    [Name("inject"), Index(10)] public string Inject { get; init; } = "";
    [Name("runs"), Index(11)] public int Runs { get; init; }
    [Name("ok"), Index(12)] public int Ok { get; init; }
    [Name("leak"), Index(13)] public int Leak { get; init; }
    [Name("corrupt"), Index(14)] public int Corrupt { get; init; }
    [Name("abort"), Index(15)] public int Abort { get; init; }
    [Name("crash"), Index(16)] public int Crash { get; init; }
    [Name("oom"), Index(17)] public int Oom { get; init; }
    [Name("timeout"), Index(18)] public int Timeout { get; init; }
    [Name("error"), Index(19)] public int Error { get; init; }
    [Name("failures"), Index(20)] public int Failures { get; init; }
    [Name("crash_rate"), Index(21)] public double CrashRate { get; init; }
    [Name("crash_rate_low95"), Index(22)] public double CrashRateLow { get; init; }
    [Name("crash_rate_high95"), Index(23)] public double CrashRateHigh { get; init; }
    [Name("leaked_blocks_max"), Index(24)] public long? LeakedBlocksMax { get; init; }
    [Name("ops_per_sec_median"), Index(25)] public double? OpsMedian { get; init; }
    [Name("ops_per_sec_q1"), Index(26)] public double? OpsQ1 { get; init; }
    [Name("ops_per_sec_q3"), Index(27)] public double? OpsQ3 { get; init; }
    [Name("ops_per_sec_median_ci_low95"), Index(28)] public double? OpsCiLow { get; init; }
    [Name("ops_per_sec_median_ci_high95"), Index(29)] public double? OpsCiHigh { get; init; }
    [Name("peak_rss_kb_median"), Index(30)] public double? RssMedianKb { get; init; }
    /// <summary>Median of peak - base over the finished runs: the workload's and allocator's memory without the runtime's floor.</summary>
    [Name("rss_over_base_kb_median"), Index(31), Optional] public double? RssOverBaseMedianKb { get; init; }
    [Name("first_failure"), Index(32)] public string FirstFailure { get; init; } = "";
    /// <summary>hklab ab: the side (A or B) these runs are of; empty for a matrix.</summary>
    [Name("side"), Index(33), Optional] public string Side { get; init; } = "";
    [Name("env"), Index(34), Optional] public string Env { get; init; } = "";
    /// <summary>The evidence folder of the first failure (relative to the result directory).</summary>
    [Name("first_failure_artifacts"), Index(35), Optional] public string FirstFailureArtifacts { get; init; } = "";

    [Name("large_cache_mb"), Index(36), Optional] public long? LargeCacheMb { get; init; }
    [Name("large_decay_ms"), Index(37), Optional] public int? LargeDecayMs { get; init; }

    /// <summary>What the cell is judged by (ops_per_sec, or seconds for a program without a figure) and the
    /// figure's unit; the seconds median of its finished runs with its 95% interval, whatever the metric.</summary>
    [Name("metric"), Index(38), Optional] public string Metric { get; init; } = "";
    [Name("ops_unit"), Index(39), Optional] public string OpsUnit { get; init; } = "";
    [Name("seconds_median"), Index(40), Optional] public double? SecondsMedian { get; init; }
    [Name("seconds_median_ci_low95"), Index(41), Optional] public double? SecondsCiLow { get; init; }
    [Name("seconds_median_ci_high95"), Index(42), Optional] public double? SecondsCiHigh { get; init; }

    [Name("touch"), Index(43), Optional] public string Touch { get; init; } = "";
    /// <summary>Memory: the peak live bytes' median (KiB), the overhead (median over runs of (peak RSS - base) /
    /// peak live bytes: the memory the allocator took per byte the program held), and the retained RSS medians.</summary>
    [Name("peak_live_kb_median"), Index(44), Optional] public double? PeakLiveMedianKb { get; init; }
    [Name("overhead"), Index(45), Optional] public double? Overhead { get; init; }
    [Name("retained_kb_median"), Index(46), Optional] public double? RetainedMedianKb { get; init; }
    [Name("retained_settled_kb_median"), Index(47), Optional] public double? RetainedSettledMedianKb { get; init; }
    [Name("retained_released_kb_median"), Index(48), Optional] public double? RetainedReleasedMedianKb { get; init; }

    [Name("repeat"), Index(49), Optional] public int? Repeat { get; init; }
    [Name("pin"), Index(50), Optional] public string Pin { get; init; } = "";

    [Name("mid_cache"), Index(51), Optional] public string MidCache { get; init; } = "";

    [Ignore] public CellKey Key => new(Workload, Args, Allocator, FastCap, TlsSll, TlsList, P0, Guards, MaxMb, Threads, Inject, Env, LargeCacheMb, LargeDecayMs, Touch, Repeat, Pin, MidCache);
}
