using Hakmem.Lab.Backends;

namespace Hakmem.Lab.Running;

/// <summary>The settings in the lab's own environment that change what a run measures: an allocator's own
/// variables, glibc's malloc tunables, the .NET runtime's knobs, hakmem's switches. None reaches a run
/// unrecorded: the lab takes each into the env of the cells it can change (so it is written in the env
/// column and keys the cell, exactly as --env would), says so once, and clears every other one from the
/// runs' environment. LD_PRELOAD is never passed on: a preloaded library is given as lib:PATH.</summary>
public static class AmbientSettings
{
    public const string Preload = "LD_PRELOAD";

    private enum Reach
    {
        /// <summary>Not a setting of a run (PATH, HOME, the SDK's own variables, ...).</summary>
        None,
        /// <summary>glibc's malloc: in every process, the .NET worker's runtime included.</summary>
        Everywhere,
        /// <summary>The .NET runtime: the worker of an in-process workload.</summary>
        Runtime,
        Hakmem,
        Mimalloc,
        Jemalloc,
        Tcmalloc,
    }

    /// <summary>Variables of the SDK and host, not of a running program: kept, never recorded.</summary>
    private static readonly string[] DotnetTooling =
    [
        "DOTNET_ROOT", "DOTNET_CLI_", "DOTNET_HOST_", "DOTNET_NOLOGO", "DOTNET_SKIP_FIRST_TIME_EXPERIENCE", "DOTNET_GENERATE_ASPNET_CERTIFICATE",
        "DOTNET_ADD_GLOBAL_TOOLS_TO_PATH", "DOTNET_MULTILEVEL_LOOKUP", "DOTNET_BUNDLE_EXTRACT_BASE_DIR", "DOTNET_INSTALL", "DOTNET_TOOLS",
        "DOTNET_WATCH", "DOTNET_NUGET", "DOTNET_SDK", "DOTNET_MSBUILD", "DOTNET_RUNNING_IN_CONTAINER", "DOTNET_ENVIRONMENT", "DOTNET_USE_POLLING_FILE_WATCHER",
        "DOTNET_DbgEnableMiniDump",
    ];

    private static Reach ReachOf(string name)
    {
        if (name.StartsWith("HAKMEM_", StringComparison.Ordinal)) return Reach.Hakmem;
        if (name.StartsWith("MIMALLOC_", StringComparison.Ordinal)) return Reach.Mimalloc;
        if (name is "MALLOC_CONF" or "JE_MALLOC_CONF" or "_RJEM_MALLOC_CONF") return Reach.Jemalloc;
        if (name.StartsWith("TCMALLOC_", StringComparison.Ordinal)) return Reach.Tcmalloc;
        // glibc: GLIBC_TUNABLES, MALLOC_ARENA_MAX / _TEST, and the MALLOC_*_ names (MALLOC_CHECK_, MALLOC_TOP_PAD_, ...).
        if (name is "GLIBC_TUNABLES" or "MALLOC_ARENA_MAX" or "MALLOC_ARENA_TEST" || (name.StartsWith("MALLOC_", StringComparison.Ordinal) && name.EndsWith('_')))
            return Reach.Everywhere;
        if ((name.StartsWith("DOTNET_", StringComparison.Ordinal) && !DotnetTooling.Any(t => name.StartsWith(t, StringComparison.Ordinal)))
            || name.StartsWith("COMPlus_", StringComparison.Ordinal))
            return Reach.Runtime;
        return Reach.None;
    }

    /// <summary>A variable that changes runs: cleared from a run's environment unless its cell records it.</summary>
    public static bool IsSetting(string name) => ReachOf(name) != Reach.None;

    /// <summary>The settings among <paramref name="environment"/> (the lab's own, at start).</summary>
    public static IReadOnlyDictionary<string, string> Capture(IEnumerable<KeyValuePair<string, string>> environment) =>
        new SortedDictionary<string, string>(environment.Where(kv => IsSetting(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value), StringComparer.Ordinal);

    public static IReadOnlyDictionary<string, string> CaptureProcess()
    {
        var all = new List<KeyValuePair<string, string>>();
        foreach (System.Collections.DictionaryEntry e in Environment.GetEnvironmentVariables()) all.Add(new((string)e.Key, (string?)e.Value ?? ""));
        return Capture(all);
    }

    /// <summary>The settings that change a cell of <paramref name="backend"/> (a program when
    /// <paramref name="program"/>): recorded in its env. hakmem's own options are not among them: they are the
    /// cell's option columns.</summary>
    public static IReadOnlyDictionary<string, string> For(IReadOnlyDictionary<string, string> ambient, BackendInfo backend, bool program)
    {
        var env = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in ambient)
        {
            bool applies = ReachOf(name) switch
            {
                Reach.Everywhere => true,
                // A program or a library of your own may hold any allocator; the .NET runtime is only in the worker.
                Reach.Runtime => !program,
                Reach.Hakmem => program || backend.IsPath || (backend.IsHakmem && !HakmemOptions.Variables.Any(v => v.Name == name)),
                Reach.Mimalloc => program || backend.IsPath || backend.Name == "mimalloc",
                Reach.Jemalloc => program || backend.IsPath || backend.Name == "jemalloc",
                Reach.Tcmalloc => program || backend.IsPath || backend.Name == "tcmalloc",
                _ => false,
            };
            if (applies) env[name] = value;
        }
        return env;
    }

    /// <summary>The one message that says what the environment brings, or null when it brings nothing.</summary>
    public static string? Describe(IReadOnlyDictionary<string, string> ambient, string? preload)
    {
        var parts = new List<string>();
        if (ambient.Count > 0)
            parts.Add($"from the environment: {EnvAssignments.Format(ambient)} (recorded in the cells they change: hakmem's options in its option "
                + "columns, the others in the env column)");
        if (!string.IsNullOrEmpty(preload))
            parts.Add($"{Preload}={preload} from the environment is not passed to runs (give a malloc library as --allocator lib:PATH)");
        return parts.Count == 0 ? null : "hklab: " + string.Join("; ", parts);
    }

    /// <summary>Says once, on stderr, what the environment brings.</summary>
    public static void Announce(IReadOnlyDictionary<string, string> ambient)
    {
        if (Describe(ambient, Environment.GetEnvironmentVariable(Preload)) is { } line) Console.Error.WriteLine(line);
    }
}
