using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace Hakmem.Workloads;

/// <summary>A named command line from the seeds, e.g. <c>larson-4t-high</c> = <c>larson 10 8 128 1024 1 12345 4</c>.</summary>
public sealed record Scenario(string Name, string Workload, IReadOnlyList<string> Arguments, string About);

/// <summary>The presets, read from <c>scenarios.json</c> (embedded), so adding one is a data change; and
/// your own, from the file <c>HKLAB_SCENARIOS</c> names (the same form; a workload of kind <c>exec</c>
/// runs a program: <c>{ "name": "my-larson", "workload": "exec", "arguments": "./larson_hakmem 2 8 128
/// 1024 1 12345 {threads}", "about": "..." }</c>).</summary>
public static class Scenarios
{
    public const string FileVariable = "HKLAB_SCENARIOS";

    private sealed record Entry(string Name, string Workload, string Arguments, string About);

    private static readonly Lazy<IReadOnlyList<Scenario>> s_all = new(Load);

    /// <summary>Every scenario; a bad HKLAB_SCENARIOS file is a <see cref="WorkloadArgumentException"/> naming it.</summary>
    public static IReadOnlyList<Scenario> All => s_all.Value;

    /// <summary>The scenario names for a help text: those that load (a bad file is reported when used).</summary>
    public static string NamesForHelp()
    {
        try
        {
            return string.Join(", ", All.Select(s => s.Name));
        }
        catch (WorkloadArgumentException)
        {
            return "(see scenarios.json)";
        }
    }

    private static IReadOnlyList<Scenario> Load()
    {
        using var stream = typeof(Scenarios).Assembly.GetManifestResourceStream("scenarios.json")
            ?? throw new InvalidOperationException("scenarios.json is not embedded in Hakmem.Workloads");
        var entries = Read(stream, "scenarios.json").ToList();
        if (Environment.GetEnvironmentVariable(FileVariable) is { Length: > 0 } path)
        {
            try
            {
                using var file = File.OpenRead(path);
                entries.AddRange(Read(file, path));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new WorkloadArgumentException($"{FileVariable}={path} cannot be read: {e.Message}");
            }
        }
        return entries.Select(e => new Scenario(e.Name, e.Workload,
            e.Workload == "exec" ? [e.Arguments] : e.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries), e.About)).ToArray();
    }

    private static Entry[] Read(Stream stream, string source)
    {
        try
        {
            return JsonSerializer.Deserialize<Entry[]>(stream, new JsonSerializerOptions { PropertyNameCaseInsensitive = true })
                ?? throw new JsonException("it holds null");
        }
        catch (JsonException e)
        {
            throw new WorkloadArgumentException($"{source} is not a valid scenarios file: {e.Message.Split(". Path:")[0]}");
        }
    }

    public static bool TryGet(string name, [NotNullWhen(true)] out Scenario? scenario)
    {
        scenario = All.FirstOrDefault(s => s.Name == name);
        return scenario != null;
    }
}
