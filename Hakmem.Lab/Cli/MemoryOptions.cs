using System.CommandLine;
using System.Globalization;

namespace Hakmem.Lab.Cli;

/// <summary>The options of how a run is measured, shared by run, matrix and ab: --touch, --settle, --rss-every,
/// --repeat, --pin; and compare's and ab's --memory-threshold.</summary>
public static class MemoryOptions
{
    public static Option<string?> TouchOption() => new("--touch")
    {
        Description = "in-process workloads: 'all' writes every page of every block once (for memory studies: RSS per requested byte), "
            + "'own' keeps each workload's pattern (the default); recorded in the touch column and part of the cell",
        HelpName = "own|all",
    };

    public static Option<int?> SettleOption() =>
        NumberOption.Int("--settle", "after the workload freed everything, wait this many ms and measure the retained RSS again, then after the "
            + "allocator's release call (malloc_trim, mi_collect, jemalloc's purge, hakmem's Trim); costs that time on every run", 1, 600_000, "ms");

    public static Option<int?> RssEveryOption() =>
        NumberOption.Int("--rss-every", "sample each run's RSS every this many ms (from /proc/PID/statm, by the lab) into rss/RUN_ID.csv beside the runs file; "
            + "report draws it", 1, 60_000, "ms");

    public static Option<string> MemoryThresholdOption() => new("--memory-threshold")
    {
        Description = "smallest relative change of peak RSS above base that counts (default 10%, and never below 1 MB); 'off' judges no memory",
        DefaultValueFactory = _ => "10%",
    };

    public static Option<int?> RepeatOption() =>
        NumberOption.Int("--repeat", "in-process workloads: run the measured part this many times in one process (after one warm-up); the run's figure is "
            + "the median repetition, each recorded; part of the cell", 2, 1000, "K");

    public static Option<bool> PinOption() => new("--pin")
    {
        Description = "pin each worker's threads to as many CPUs as the workload has threads (when there are that many); part of the cell",
    };

    /// <summary>--touch: null for the workloads' own pattern, "all" for every page.</summary>
    public static string? ParseTouch(string? text) => text switch
    {
        null or "own" => null,
        "all" => Running.Worker.TouchAll,
        _ => throw new ArgumentException($"--touch '{text}' is not valid: expected own or all"),
    };

    /// <summary>--memory-threshold: a relative change (10%, 0.1), or null for 'off'.</summary>
    public static double? ParseMemoryThreshold(string text)
    {
        if (text.Trim() == "off") return null;
        string s = text.Trim();
        bool percent = s.EndsWith('%');
        if (percent) s = s[..^1];
        if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v) || v <= 0 || (percent ? v >= 100 : v >= 1))
            throw new ArgumentException($"--memory-threshold '{text}' is not valid: expected a relative change such as 10% or 0.1, or off");
        return percent ? v / 100 : v;
    }
}
