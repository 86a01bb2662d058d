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
    /// <summary>For a partial set: what is missing, in words.</summary>
    public string Gaps { get; init; } = "";
    /// <summary>"2/4" for a shard, empty for a whole matrix; merged sets list their shards.</summary>
    public IReadOnlyList<string> Shards { get; init; } = [];

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public void Write(string dir) => File.WriteAllText(Path.Combine(dir, RunsCsv.MetaFile), JsonSerializer.Serialize(this, Json) + "\n");

    public static ResultMeta? Read(string dir)
    {
        string f = Path.Combine(dir, RunsCsv.MetaFile);
        return File.Exists(f) ? JsonSerializer.Deserialize<ResultMeta>(File.ReadAllText(f), Json) : null;
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
