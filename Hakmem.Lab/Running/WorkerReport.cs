using System.Text.Json;
using System.Text.Json.Serialization;

namespace Hakmem.Lab.Running;

/// <summary>The worker's result: one JSON line on stdout after <see cref="Marker"/>. Status is the
/// worker's own view (ok, corrupt, oom, abort, crash, error); the parent turns it into an outcome.</summary>
public sealed record WorkerReport
{
    public const string Marker = "HKLAB-RESULT ";

    public required string Status { get; init; }
    public long Ops { get; init; }
    public double Seconds { get; init; }
    public double OpsPerSec { get; init; }
    public long PeakRssKb { get; init; }
    /// <summary>RSS just before the workload's first allocation: the runtime's own floor.</summary>
    public long? BaseRssKb { get; init; }
    public long? LeakedBlocks { get; init; }
    public long? LeakedBytes { get; init; }
    public long? CorruptOp { get; init; }
    public string? Message { get; init; }
    public IReadOnlyList<string>? Violations { get; init; }
    public HeapStats? Stats { get; init; }
    /// <summary>hakmem: the options the heap ran with, whatever set them; the lab refuses a run whose options are
    /// not the ones it asked for.</summary>
    public HakmemOptions? Options { get; init; }
    /// <summary>The workload as the worker parsed it ("larson 2 8 ..."): the lab refuses a run of another one.</summary>
    public string? Ran { get; init; }
    /// <summary>ops_per_sec, or seconds for a program that printed no figure (null: ops_per_sec).</summary>
    public string? Metric { get; init; }
    /// <summary>The figure's unit ("per second", "per CPU second", ...) and the text it was read from (exec).</summary>
    public string? OpsUnit { get; init; }
    public string? OpsSource { get; init; }
    /// <summary>A classic workload: its C original's own figure, in words.</summary>
    public string? Original { get; init; }
    /// <summary>exec: what was preloaded into the program (LD_PRELOAD).</summary>
    public string? Preload { get; init; }
    /// <summary>exec: the program's CPU times and page faults, as GNU time reports them.</summary>
    public double? UserSeconds { get; init; }
    public double? SysSeconds { get; init; }
    public long? MinorFaults { get; init; }
    public long? MajorFaults { get; init; }
    /// <summary>--repeat: every repetition's throughput, in the order they ran.</summary>
    public IReadOnlyList<double>? Repetitions { get; init; }
    /// <summary>--pin: the CPUs the worker ran on ("0-1"), or why it was not pinned.</summary>
    public string? Pinned { get; init; }
    /// <summary>The peak RSS was reset after the warm-up (clear_refs): peak and base are of the measured run alone.</summary>
    public bool? PeakReset { get; init; }
    /// <summary>The worker's young-generation budget (DOTNET_GCgen0size) in KiB; null when the runtime sized it.</summary>
    public long? Gen0BudgetKb { get; init; }
    /// <summary>The peak of the bytes the workload had asked for and not yet freed, in KiB (exact, or sampled
    /// for threads that free each other's blocks).</summary>
    public long? PeakLiveKb { get; init; }
    public bool? PeakLiveExact { get; init; }
    /// <summary>RSS above the base once the workload freed everything, without LazyFree pages: at once, after
    /// the settle wait, and after the allocator's release call.</summary>
    public long? RetainedKb { get; init; }
    public long? RetainedSettledKb { get; init; }
    public long? RetainedReleasedKb { get; init; }
    /// <summary>exec: how the program ended (the worker itself exits 0 after reporting it).</summary>
    public int? ProgramExitCode { get; init; }
    public int? ProgramSignal { get; init; }

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>How a worker reads its run spec: strictly, so that a member it does not know (a spec written for
    /// a newer build) is refused instead of dropped while the cell key says it ran.</summary>
    public static readonly JsonSerializerOptions StrictJson = new(Json) { UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow };

    public string ToLine() => Marker + JsonSerializer.Serialize(this, Json);

    /// <summary>The last result line in a worker's stdout, or null.</summary>
    public static WorkerReport? Find(string stdout)
    {
        foreach (var line in stdout.Split('\n').Reverse())
        {
            if (!line.StartsWith(Marker, StringComparison.Ordinal)) continue;
            try
            {
                return JsonSerializer.Deserialize<WorkerReport>(line[Marker.Length..], Json);
            }
            catch (JsonException)
            {
                return null;
            }
        }
        return null;
    }
}
