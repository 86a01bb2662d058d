using CsvHelper.Configuration.Attributes;

namespace Hakmem.Lab.Results;

/// <summary>One row of a runs file: one run of one cell. Column names and order are stable; knobs that
/// do not apply to a backend (FAST_CAP of mimalloc) are empty.</summary>
public sealed record RunRecord
{
    [Name("run_id"), Index(0)] public string RunId { get; init; } = "";
    [Name("time"), Index(1), Format("yyyy-MM-ddTHH:mm:ssK")] public DateTimeOffset Time { get; init; }
    [Name("git_commit"), Index(2)] public string GitCommit { get; init; } = "";
    [Name("host"), Index(3)] public string Host { get; init; } = "";
    [Name("workload"), Index(4)] public string Workload { get; init; } = "";
    [Name("args"), Index(5)] public string Args { get; init; } = "";
    [Name("allocator"), Index(6)] public string Allocator { get; init; } = "";
    [Name("fast_cap"), Index(7)] public int? FastCap { get; init; }
    [Name("tls_sll"), Index(8)] public string TlsSll { get; init; } = "";
    [Name("tls_list"), Index(9)] public string TlsList { get; init; } = "";
    [Name("p0"), Index(10)] public string P0 { get; init; } = "";
    [Name("guards"), Index(11)] public string Guards { get; init; } = "";
    [Name("max_mb"), Index(12)] public long? MaxMb { get; init; }
    [Name("threads"), Index(13)] public int Threads { get; init; }
    [Name("inject"), Index(14)] public string Inject { get; init; } = "";
    [Name("run"), Index(15)] public int Run { get; init; }
    [Name("outcome"), Index(16)] public string Outcome { get; init; } = "";
    [Name("exit_code"), Index(17)] public int ExitCode { get; init; }
    [Name("signal"), Index(18)] public int? Signal { get; init; }
    [Name("seconds"), Index(19)] public double Seconds { get; init; }
    [Name("ops"), Index(20)] public long Ops { get; init; }
    [Name("ops_per_sec"), Index(21)] public double OpsPerSec { get; init; }
    [Name("leaked_blocks"), Index(22)] public long? LeakedBlocks { get; init; }
    [Name("leaked_bytes"), Index(23)] public long? LeakedBytes { get; init; }
    [Name("peak_rss_kb"), Index(24)] public long PeakRssKb { get; init; }
    /// <summary>RSS before the workload's first allocation: the runtime's floor, the same for every allocator.</summary>
    [Name("base_rss_kb"), Index(25), Optional] public long? BaseRssKb { get; init; }
    [Name("message"), Index(26)] public string Message { get; init; } = "";
    /// <summary>HAKMEM_FREE_ROUTE_TRACE=1: "free.fast=N;free.sll=N;...", empty otherwise.</summary>
    [Name("routes"), Index(27), Optional] public string Routes { get; init; } = "";
    /// <summary>The build whose worker ran this run: the commit, "-dirty" when the tree had changes.</summary>
    [Name("build"), Index(28), Optional] public string Build { get; init; } = "";
    /// <summary>hklab ab: the side that ran (A or B); empty in a matrix.</summary>
    [Name("side"), Index(29), Optional] public string Side { get; init; } = "";
    /// <summary>hklab ab: the order the pair ran in (AB or BA), drawn at random per pair.</summary>
    [Name("order"), Index(30), Optional] public string Order { get; init; } = "";
    /// <summary>The cell's environment assignments (--env), "NAME=v;NAME2=w" sorted; part of the cell.</summary>
    [Name("env"), Index(31), Optional] public string Env { get; init; } = "";
    /// <summary>A failed run's evidence (stderr, stdout, repro.sh, trace ring): its folder, relative to the runs file's.</summary>
    [Name("artifacts"), Index(32), Optional] public string Artifacts { get; init; } = "";

    /// <summary>hakmem's large-block cache in MiB (HAKMEM_LARGE_CACHE_MB; 0: off). A runs file without the
    /// column means the default of the build that wrote it (none before the cache existed).</summary>
    [Name("large_cache_mb"), Index(33), Optional] public long? LargeCacheMb { get; init; }
    /// <summary>hakmem's large-block cache decay in ms (HAKMEM_LARGE_DECAY_MS).</summary>
    [Name("large_decay_ms"), Index(34), Optional] public int? LargeDecayMs { get; init; }

    /// <summary>What the run is judged by: <c>ops_per_sec</c>, or <c>seconds</c> for a program that prints no
    /// figure of its own (less is better). compare refuses a cell whose sides differ in it.</summary>
    [Name("metric"), Index(35), Optional] public string Metric { get; init; } = "";
    /// <summary>The figure's unit: "per second", "per CPU second", "per run (...)" (a count in the program's own
    /// fixed time). compare refuses a cell whose sides differ in it.</summary>
    [Name("ops_unit"), Index(36), Optional] public string OpsUnit { get; init; } = "";
    /// <summary>exec: the text the figure was read from ("free/sec: 14.529 M"); empty for the lab's own count.</summary>
    [Name("ops_source"), Index(37), Optional] public string OpsSource { get; init; } = "";
    /// <summary>A classic workload: the figure its C original prints, computed its way ("free/sec: 14.529 M").</summary>
    [Name("original"), Index(38), Optional] public string Original { get; init; } = "";
    /// <summary>exec: the library preloaded into the program (LD_PRELOAD), empty for glibc.</summary>
    [Name("preload"), Index(39), Optional] public string Preload { get; init; } = "";
    /// <summary>CPU time in user and kernel mode, in seconds, and page faults (minor: no I/O; major: with I/O),
    /// as GNU time gives them (exec: the program's own).</summary>
    [Name("user_s"), Index(40), Optional] public double? UserSeconds { get; init; }
    [Name("sys_s"), Index(41), Optional] public double? SysSeconds { get; init; }
    [Name("minflt"), Index(42), Optional] public long? MinorFaults { get; init; }
    [Name("majflt"), Index(43), Optional] public long? MajorFaults { get; init; }

    /// <summary>--touch all: every page of every block written once ("all"); empty: the workload's own pattern. Part of the cell.</summary>
    [Name("touch"), Index(44), Optional] public string Touch { get; init; } = "";
    /// <summary>The peak of the bytes the workload asked for and had not yet freed, in KiB; exact, or (false) the
    /// peak of per-thread counts summed by a sampler (README gives the bound); empty for a program.</summary>
    [Name("peak_live_kb"), Index(45), Optional] public long? PeakLiveKb { get; init; }
    [Name("peak_live_exact"), Index(46), Optional] public bool? PeakLiveExact { get; init; }
    /// <summary>The peak RSS was reset after the warm-up (clear_refs): peak and base are the measured run's
    /// alone. Sets without it measured from before the warm-up, so their memory is not compared with these.</summary>
    [Name("peak_reset"), Index(47), Optional] public bool? PeakReset { get; init; }
    /// <summary>RSS above the base once the workload freed everything (LazyFree pages left out), in KiB: at
    /// once, after --settle's wait, and after the allocator's release call.</summary>
    [Name("retained_kb"), Index(48), Optional] public long? RetainedKb { get; init; }
    [Name("retained_settled_kb"), Index(49), Optional] public long? RetainedSettledKb { get; init; }
    [Name("retained_released_kb"), Index(50), Optional] public long? RetainedReleasedKb { get; init; }
    [Name("settle_ms"), Index(51), Optional] public int? SettleMs { get; init; }

    /// <summary>--repeat: the measured part run this many times in one process (empty: once); part of the cell.
    /// <c>repetitions</c> holds each repetition's throughput ("a;b;c"); ops_per_sec is their median.</summary>
    [Name("repeat"), Index(52), Optional] public int? Repeat { get; init; }
    [Name("repetitions"), Index(53), Optional] public string Repetitions { get; init; } = "";
    /// <summary>--pin: "on" (part of the cell); <c>pinned</c> the CPUs the worker ran on, or why it was not pinned.</summary>
    [Name("pin"), Index(54), Optional] public string Pin { get; init; } = "";
    [Name("pinned"), Index(55), Optional] public string Pinned { get; init; } = "";
    /// <summary>The worker's young-generation budget in KiB (DOTNET_GCgen0size; the lab sets 4096): the managed heap's
    /// own growth in peak and retained RSS. Empty in sets from before the lab set it (the runtime sized it from the L3
    /// cache), and for programs.</summary>
    [Name("gc_gen0_kb"), Index(56), Optional] public long? Gen0BudgetKb { get; init; }
    /// <summary>hakmem's mid classes without the thread cache's tiers (HAKMEM_MID_CACHE=0): "off"; empty when they have them
    /// (the default, and every set from before the option).</summary>
    [Name("mid_cache"), Index(57), Optional] public string MidCache { get; init; } = "";

    /// <summary>Peak RSS above the runtime's floor, when both are known.</summary>
    [Ignore] public long? RssOverBaseKb => BaseRssKb is long b && PeakRssKb > 0 ? Math.Max(0, PeakRssKb - b) : null;

    /// <summary>The memory the allocator took per byte the program held: peak RSS above base per peak live byte, when both are known.</summary>
    [Ignore] public double? Overhead => RssOverBaseKb is long over && PeakLiveKb is > 0 and long live ? (double)over / live : null;
}

public static class RunRecords
{
    public static RunRecord From(Running.RunSpec spec, Hakmem.Workloads.WorkloadSpec workload, Running.RunResult r, int run, string runId, DateTimeOffset time)
    {
        // The options the worker reports it ran with (the lab refused the run if they differ from the spec's).
        var k = CellKey.For(r.Report?.Options is { } ran && spec.Backend.IsHakmem ? spec with { Hakmem = ran } : spec, workload);
        return new RunRecord
        {
            RunId = runId,
            Time = time,
            GitCommit = Provenance.GitCommit,
            Host = Provenance.Host,
            Workload = k.Workload,
            Args = k.Args,
            Allocator = k.Allocator,
            FastCap = k.FastCap,
            TlsSll = k.TlsSll,
            TlsList = k.TlsList,
            P0 = k.P0,
            Guards = k.Guards,
            MaxMb = k.MaxMb,
            Threads = k.Threads,
            Inject = k.Inject,
            LargeCacheMb = k.LargeCacheMb,
            LargeDecayMs = k.LargeDecayMs,
            Env = k.Env,
            Run = run,
            Outcome = Running.OutcomeNames.Name(r.Outcome),
            ExitCode = r.ExitCode,
            Signal = r.Signal,
            Seconds = r.Seconds,
            Ops = r.Ops,
            OpsPerSec = Math.Round(r.OpsPerSec, 1),
            LeakedBlocks = r.LeakedBlocks,
            LeakedBytes = r.LeakedBytes,
            PeakRssKb = r.PeakRssKb,
            BaseRssKb = r.BaseRssKb,
            Message = r.Message,
            Routes = r.Routes,
            Build = Provenance.Build,
            Metric = r.Report?.Metric ?? (r.OpsPerSec > 0 || workload is not Hakmem.Workloads.ExecWorkload ? Metrics.OpsPerSec : Metrics.Seconds),
            OpsUnit = r.Report?.OpsUnit ?? Running.ProgramFigure.PerSecond,
            OpsSource = r.Report?.OpsSource ?? "",
            Original = r.Report?.Original ?? "",
            Preload = r.Report?.Preload ?? "",
            UserSeconds = r.Report?.UserSeconds,
            SysSeconds = r.Report?.SysSeconds,
            MinorFaults = r.Report?.MinorFaults,
            MajorFaults = r.Report?.MajorFaults,
            Touch = k.Touch,
            PeakLiveKb = r.Report?.PeakLiveKb,
            PeakLiveExact = r.Report?.PeakLiveExact,
            PeakReset = r.Report?.PeakReset,
            RetainedKb = r.Report?.RetainedKb,
            RetainedSettledKb = r.Report?.RetainedSettledKb,
            RetainedReleasedKb = r.Report?.RetainedReleasedKb,
            SettleMs = spec.SettleMs,
            Repeat = k.Repeat,
            Repetitions = r.Report?.Repetitions is { } reps ? string.Join(';', reps.Select(x => Math.Round(x, 1).ToString(System.Globalization.CultureInfo.InvariantCulture))) : "",
            Pin = k.Pin,
            MidCache = k.MidCache,
            Pinned = r.Report?.Pinned ?? "",
            Gen0BudgetKb = r.Report?.Gen0BudgetKb,
        };
    }
}

/// <summary>The metric a run is judged by.</summary>
public static class Metrics
{
    public const string OpsPerSec = "ops_per_sec", Seconds = "seconds";
}
