using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Hakmem.Lab.Results;

/// <summary>What a result set says about itself (meta.json next to runs.csv): where and when it was
/// measured, with which command, and which part of which matrix it holds.</summary>
public sealed record ResultMeta
{
    public string CommandLine { get; init; } = "";
    public string GitCommit { get; init; } = Provenance.GitCommit;
    public string Build { get; init; } = Provenance.Build;
    public string Host { get; init; } = Provenance.Host;
    public string Cpu { get; init; } = CpuModel();
    public int Cores { get; init; } = Environment.ProcessorCount;
    public string Dotnet { get; init; } = RuntimeInformation.FrameworkDescription;
    public string Os { get; init; } = RuntimeInformation.OSDescription;
    public DateTimeOffset Started { get; init; } = DateTimeOffset.UtcNow;
    public DateTimeOffset? Finished { get; init; }
    /// <summary>Identifies the expanded matrix (cells and runs), so merge can refuse shards of different matrices.</summary>
    public string MatrixId { get; init; } = "";
    public int Cells { get; init; }
    public int PlannedRuns { get; init; }
    /// <summary>Runs the set holds; below PlannedRuns (of its shards) when the set is partial.</summary>
    public int? DoneRuns { get; init; }
    /// <summary>Not every planned run is here: an interrupted matrix, or shards merged with some missing.</summary>
    public bool Partial { get; init; }
    /// <summary>hklab ab: each side as "A: main (3f2c1d0a9b8e)", the seed that drew the pairs' orders, and
    /// the threshold of the verdicts; empty for a matrix.</summary>
    public IReadOnlyList<string> Sides { get; init; } = [];
    /// <summary>Each lib:PATH allocator as "lib:libx.so = /full/path/libx.so" (the runs name it by its file name).</summary>
    public IReadOnlyList<string> Libraries { get; init; } = [];
    public int? Seed { get; init; }
    public double? Threshold { get; init; }
    /// <summary>hklab ab: the memory verdict's threshold as given ("10%", or "off").</summary>
    public string MemoryThreshold { get; init; } = "10%";
    /// <summary>hklab ab --max-runs: pairs were added while cells were undecided, up to this many a cell (and
    /// --max-time); the verdicts are the sequential rule's.</summary>
    public int? MaxRuns { get; init; }
    public string? MaxTime { get; init; }
    /// <summary>For a partial set: what is missing, in words.</summary>
    public string Gaps { get; init; } = "";
    /// <summary>"2/4" for a shard, empty for a whole matrix; merged sets list their shards.</summary>
    public IReadOnlyList<string> Shards { get; init; } = [];
    /// <summary>The settings the lab's environment brought (<see cref="Running.AmbientSettings"/>), "NAME=v;...":
    /// a resume under other settings is refused.</summary>
    public string Settings { get; init; } = "";
    /// <summary>--timeout in seconds, null for the per-workload default: a resume with another is refused.</summary>
    public double? Timeout { get; init; }
    /// <summary>The set was resumed with another build, other settings or another timeout (--allow-mixed).</summary>
    public bool Mixed { get; init; }

    // The machine as it measured (HostFacts); empty in sets from before they were recorded.
    public string Kernel { get; init; } = "";
    public string CpuGovernor { get; init; } = "";
    public string TransparentHugePages { get; init; } = "";
    public string CgroupCpu { get; init; } = "";
    public string CgroupMemory { get; init; } = "";
    public string Glibc { get; init; } = "";
    /// <summary>Every native allocator's file (the installed ones and lib:PATH): path, size, SHA-256, package.</summary>
    public IReadOnlyList<LibraryFact> NativeLibraries { get; init; } = [];

    /// <summary>This meta with the facts of this machine and of the allocators' files, as a set is started.</summary>
    public ResultMeta OnThisHost(IEnumerable<string> allocators) => this with
    {
        Kernel = HostFacts.Kernel, CpuGovernor = HostFacts.Governor, TransparentHugePages = HostFacts.TransparentHugePages,
        CgroupCpu = HostFacts.CgroupCpu, CgroupMemory = HostFacts.CgroupMemory, Glibc = HostFacts.Glibc,
        NativeLibraries = HostFacts.Libraries(allocators),
    };

    /// <summary>What differs between where two sets were measured, in words (empty when nothing known differs).</summary>
    public static IReadOnlyList<string> Differences(ResultMeta before, ResultMeta after)
    {
        var lines = new List<string>();
        if (before.Host != after.Host || before.Cpu != after.Cpu)
            lines.Add($"different hosts: {before.Host} ({before.Cpu}, {before.Cores} cores) and {after.Host} ({after.Cpu}, {after.Cores} cores)");
        foreach (var (name, get) in new (string, Func<ResultMeta, string>)[] { ("kernel", m => m.Kernel), ("glibc", m => m.Glibc), ("transparent huge pages", m => m.TransparentHugePages),
            ("CPU governor", m => m.CpuGovernor), ("cgroup CPU limit", m => m.CgroupCpu), (".NET", m => m.Dotnet) })
            if (get(before).Length > 0 && get(after).Length > 0 && get(before) != get(after)) lines.Add($"{name} {get(before)} and {get(after)}");
        foreach (var b in before.NativeLibraries)
            if (after.NativeLibraries.FirstOrDefault(a => a.Allocator == b.Allocator) is { } a && a.Sha256 != b.Sha256)
                lines.Add($"{b.Allocator} is another file: {b.Path} sha256 {b.Sha256[..12]}{(b.Package.Length > 0 ? $" ({b.Package})" : "")} and {a.Path} sha256 {a.Sha256[..12]}{(a.Package.Length > 0 ? $" ({a.Package})" : "")}");
        return lines;
    }

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping, // "2.0.9+ds-2", not "2.0.9\u002Bds-2"
    };

    /// <summary>Written whole (a temporary file renamed over the old one).</summary>
    public void Write(string dir) => Output.AtomicFile.Write(Path.Combine(dir, RunsCsv.MetaFile), JsonSerializer.Serialize(this, Json) + "\n");

    /// <summary>The meta.json of a result directory, or null when there is none. A malformed one is an
    /// <see cref="ArgumentException"/> naming the file and where it breaks.</summary>
    public static ResultMeta? Read(string dir)
    {
        string f = Path.Combine(dir, RunsCsv.MetaFile);
        if (!File.Exists(f)) return null;
        try
        {
            return JsonSerializer.Deserialize<ResultMeta>(File.ReadAllText(f), Json) ?? throw new JsonException("it holds null");
        }
        catch (JsonException e)
        {
            string where = e.LineNumber is long line ? $" at line {line + 1}" : "";
            throw new ArgumentException($"{f} is not a valid meta.json{where}: {e.Message.Split(". Path:")[0].TrimEnd('.')}");
        }
    }

    /// <summary>Like <see cref="Read"/>, null for a malformed file too (for messages about a directory).</summary>
    public static ResultMeta? TryRead(string dir)
    {
        try
        {
            return Read(dir);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    private static string CpuModel()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line?[(line.IndexOf(':') + 1)..].Trim() ?? RuntimeInformation.ProcessArchitecture.ToString();
        }
        catch (IOException)
        {
            return RuntimeInformation.ProcessArchitecture.ToString();
        }
    }
}
