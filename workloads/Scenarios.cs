using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace Hakmem.Workloads;

/// <summary>A named command line from the seeds, e.g. <c>larson-4t-high</c> = <c>larson 10 8 128 1024 1 12345 4</c>.</summary>
public sealed record Scenario(string Name, string Workload, IReadOnlyList<string> Arguments, string About);

/// <summary>The presets, read from <c>scenarios.json</c> (embedded), so adding one is a data change.</summary>
public static class Scenarios
{
    private sealed record Entry(string Name, string Workload, string Arguments, string About);

    public static IReadOnlyList<Scenario> All { get; } = Load();

    private static IReadOnlyList<Scenario> Load()
    {
        using var stream = typeof(Scenarios).Assembly.GetManifestResourceStream("scenarios.json")
            ?? throw new InvalidOperationException("scenarios.json is not embedded in Hakmem.Workloads");
        var entries = JsonSerializer.Deserialize<Entry[]>(stream, new JsonSerializerOptions { PropertyNameCaseInsensitive = true })
            ?? throw new InvalidOperationException("scenarios.json is empty");
        return entries.Select(e => new Scenario(e.Name, e.Workload, e.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries), e.About)).ToArray();
    }

    public static bool TryGet(string name, [NotNullWhen(true)] out Scenario? scenario)
    {
        scenario = All.FirstOrDefault(s => s.Name == name);
        return scenario != null;
    }
}
