using System.Text.Json.Serialization;
using Hakmem.Lab.Backends;

namespace Hakmem.Lab.Running;

/// <summary>One cell of the lab: a workload command line on one allocator configuration. Passed to the
/// worker process as JSON; the knobs only mean something for hakmem.</summary>
public sealed record RunSpec(
    string Workload,
    IReadOnlyList<string> Arguments,
    string Allocator,
    HakmemOptions Hakmem,
    string? SelfTest = null)
{
    /// <summary>The cell's environment assignments (--env), sorted by name: set in the worker, and in the
    /// program of an exec workload (HAKMEM_* among them: a C build of hakmem reads them itself).</summary>
    public IReadOnlyDictionary<string, string> Env { get; init; } = new SortedDictionary<string, string>(StringComparer.Ordinal);

    /// <summary>exec: the pattern throughput is read with (null: larson's line, or "N ops/s").</summary>
    public string? OpsRegex { get; init; }

    /// <summary>exec: seconds before the worker kills the program's process group.</summary>
    public double? ProgramTimeout { get; init; }

    /// <summary>exec: the program's working directory (--cwd); null: a directory of its own for each run.</summary>
    public string? Cwd { get; init; }

    /// <summary>--touch all: every page of every block written once; null: the workload's own pattern. Part of the cell.</summary>
    public string? Touch { get; init; }

    /// <summary>--repeat K: the measured part run K times in the process (after one warm-up); the run's figure is
    /// the median of the repetitions, each recorded. Part of the cell: warm repetitions measure something else
    /// than a first one, and a process that runs K times fails more often than one that runs once.</summary>
    public int? Repeat { get; init; }

    /// <summary>--pin: the worker's threads pinned to as many CPUs as the workload has threads (when there are
    /// that many), so that the scheduler does not move them mid-run. Part of the cell.</summary>
    public bool? Pin { get; init; }

    /// <summary>--settle MS: after the workload freed everything, wait this long and measure what is retained
    /// again, then after the allocator's release call.</summary>
    public int? SettleMs { get; init; }

    /// <summary>"NAME=v;NAME2=w", the env column and part of the cell key.</summary>
    [JsonIgnore]
    public string EnvText => EnvAssignments.Format(Env);

    [JsonIgnore]
    public BackendInfo Backend => BackendInfo.Get(Allocator);

    /// <summary>The workload as it will run (a scenario resolved to its command line).</summary>
    public global::Hakmem.Workloads.WorkloadSpec Parse() => global::Hakmem.Workloads.WorkloadSpec.Parse(Workload, Arguments);

    /// <summary>The knobs as words, for a heading: "fast_cap=64 tls_sll=on tls_list=off p0=on" (the cell key's words).</summary>
    [JsonIgnore]
    public string KnobText => Backend.IsHakmem ? (Results.CellKey.For(this, Parse()) with { Env = "" }).Knobs : "";

    public static string OnOff(bool b) => b ? "on" : "off";
}
