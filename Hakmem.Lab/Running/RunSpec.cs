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
    [JsonIgnore]
    public BackendInfo Backend => BackendInfo.Get(Allocator);

    /// <summary>The workload as it will run (a scenario resolved to its command line).</summary>
    public global::Hakmem.Workloads.WorkloadSpec Parse() => global::Hakmem.Workloads.WorkloadSpec.Parse(Workload, Arguments);

    /// <summary>The knobs as words, for a heading: "fast_cap=64 tls_sll=on tls_list=off p0=on".</summary>
    [JsonIgnore]
    public string KnobText => Backend.IsHakmem
        ? $"fast_cap={Hakmem.FastCap} tls_sll={OnOff(Hakmem.TlsSll)} tls_list={OnOff(Hakmem.TlsList)} p0={OnOff(Hakmem.P0BatchRefill)}"
          + (Hakmem.Guards ? " guards=on" : "") + (Hakmem.MaxMemoryBytes > 0 ? $" max_mb={Hakmem.MaxMemoryBytes >> 20}" : "")
          + (Hakmem.Inject != SeedBug.None ? $" inject={SeedBugs.Format(Hakmem.Inject)}" : "")
        : "";

    public static string OnOff(bool b) => b ? "on" : "off";
}
