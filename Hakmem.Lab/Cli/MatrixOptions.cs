using System.CommandLine;
using Hakmem.Lab.Backends;
using Hakmem.Lab.Matrix;
using Hakmem.Lab.Running;
using Hakmem.Workloads;

namespace Hakmem.Lab.Cli;

/// <summary>The dimensions of a matrix as options, shared by <c>hklab matrix</c> and <c>hklab ab</c>, and
/// their reading into a <see cref="MatrixDefinition"/> with every value checked.</summary>
public sealed class MatrixOptions
{
    /// <summary>More runs than this is a typing mistake, not a plan (a million larson runs is a month).</summary>
    public const int MaxPlannedRuns = 1_000_000;
    public const int MaxRuns = 100_000;

    public Option<string?> Workloads { get; } = ListOption.Create("--workloads",
        $"workloads (larson, random_mixed, mid_large_mt, large_mixed; {WorkloadCatalog.ClassicPreset}: {string.Join(", ", WorkloadCatalog.ClassicNames)}) or scenario names",
        string.Join(",", MatrixDefinition.DefaultWorkloads));
    public Option<string?> Allocators { get; } = ListOption.Create("--allocators", $"allocators among {string.Join(", ", BackendInfo.Names)}", "hakmem and every installed C allocator");
    public Option<string?> FastCap { get; } = ListOption.Create("--fast-cap", "hakmem FAST_CAP values", "0,64");
    public Option<string?> TlsList { get; } = ListOption.Create("--tls-list", "hakmem TLS_LIST values", "off,on");
    public Option<string?> P0 { get; } = ListOption.Create("--p0", "hakmem P0 batch refill values", "off,on");
    public Option<string?> Threads { get; } = ListOption.Create("--threads", "thread counts for larson and mid_large_mt", "1,2,4,8");
    public Option<int?> Runs { get; }
    public Option<double?> Timeout { get; } = NumberOption.Seconds("--timeout", "seconds before a run is killed (default: larson 3x its seconds + 60, others 300)");
    public Option<bool> Quick { get; } = new("--quick") { Description = "smoke preset: short workloads and 2 runs per cell (the whole default matrix in about 2 minutes on 2 cores)" };
    public Option<string[]> Exec { get; } = new("--exec")
    {
        Description = "an external benchmark program as a workload, 'CMD ARGS' ({threads} takes the threads axis); repeatable. "
            + "It runs on each native allocator, preloaded (system: nothing)",
        HelpName = "command",
        Arity = ArgumentArity.OneOrMore,
        AllowMultipleArgumentsPerToken = false,
    };
    public Option<string[]> Env { get; } = new("--env")
    {
        Description = "an environment axis NAME=v1,v2 for every workload and allocator (repeatable); for hakmem, HAKMEM_* names set its knobs",
        HelpName = "NAME=values",
        Arity = ArgumentArity.OneOrMore,
        AllowMultipleArgumentsPerToken = false,
    };
    public Option<string?> OpsRegex { get; } = new("--ops-regex")
    {
        Description = "exec: the regular expression the program's figure is read with, per second: its group named n (or its first group) "
            + "is the number, a group named unit may hold K, M or G (default: the formats of the field's benchmarks, README's table)",
        HelpName = "regex",
    };
    public Option<string?> Touch { get; } = MemoryOptions.TouchOption();
    public Option<int?> Settle { get; } = MemoryOptions.SettleOption();
    public Option<int?> RssEvery { get; } = MemoryOptions.RssEveryOption();
    public Option<int?> Repeat { get; } = MemoryOptions.RepeatOption();
    public Option<bool> Pin { get; } = MemoryOptions.PinOption();
    public Option<string?> Cwd { get; } = new("--cwd")
    {
        Description = "exec: the programs' working directory (default: a directory of its own for each run, kept with a failed run's evidence)",
        HelpName = "dir",
    };

    public MatrixOptions(string runsDescription) => Runs = NumberOption.Int("--runs", runsDescription, 1, MaxRuns);

    public void AddTo(Command command)
    {
        foreach (Option o in new Option[] { Workloads, Allocators, FastCap, TlsList, P0, Threads, Runs, Timeout, Quick, Exec, Env, OpsRegex, Cwd, Touch, Settle, RssEvery, Repeat, Pin }) command.Options.Add(o);
    }

    /// <summary>The definition the options give; ArgumentException names a bad value.</summary>
    public MatrixDefinition Definition(ParseResult r, int defaultRuns)
    {
        bool quick = r.GetValue(Quick);
        var execs = (r.GetValue(Exec) ?? []).Select(e => MatrixDefinition.ExecPrefix + e).ToList();
        // Programs given and no workloads named: the programs alone.
        var ws = (ListOption.Items("--workloads", r.GetValue(Workloads), "larson,random_mixed") ?? (execs.Count > 0 ? [] : MatrixDefinition.DefaultWorkloads))
            .SelectMany(ExpandPreset).Distinct().Concat(execs).ToList();
        var bases = ws.Select(w => (Entry: w, Spec: MatrixDefinition.BaseWorkload(w, quick))).ToList(); // unknown names fail here, before anything runs
        var regex = ProgramPattern(r.GetValue(OpsRegex));
        var envs = EnvAssignments.Product((r.GetValue(Env) ?? []).Select(e => EnvAssignments.Parse(e, axis: true)).ToList());
        bool programsOnly = ws.All(w => w.StartsWith(MatrixDefinition.ExecPrefix, StringComparison.Ordinal));
        var def = new MatrixDefinition(ws, ResolveAllocators(r.GetValue(Allocators), nativeOnly: programsOnly),
            ListOption.Ints("--fast-cap", r.GetValue(FastCap), [0, 64], 0, HakmemOptions.MaxFastCap),
            ListOption.OnOffs("--tls-list", r.GetValue(TlsList), [false, true]),
            ListOption.OnOffs("--p0", r.GetValue(P0), [false, true]),
            ListOption.Ints("--threads", r.GetValue(Threads), MatrixDefinition.DefaultThreads, 1, 1024),
            r.GetValue(Runs) ?? (quick ? MatrixDefinition.QuickRuns : defaultRuns), quick, HakmemOptions.FromEnvironment())
        {
            Envs = envs, OpsRegex = regex, Ambient = AmbientSettings.CaptureProcess(), Cwd = WorkingDirectory(r.GetValue(Cwd)),
            Touch = MemoryOptions.ParseTouch(r.GetValue(Touch)), SettleMs = r.GetValue(Settle), Repeat = r.GetValue(Repeat), Pin = r.GetValue(Pin) ? true : null,
        };
        ThreadsAxis(r.GetValue(Threads), bases);
        return def;
    }

    /// <summary>A --threads given on purpose must reach a workload: refused when none takes a thread count,
    /// said once for those that do not (they run once, with their own command line).</summary>
    private static void ThreadsAxis(string? given, IReadOnlyList<(string Entry, WorkloadSpec Spec)> workloads)
    {
        if (given == null) return;
        var deaf = workloads.Where(w => !MatrixDefinition.TakesThreads(w.Entry, w.Spec)).Select(w => Describe(w.Entry, w.Spec)).ToList();
        if (deaf.Count == 0) return;
        if (deaf.Count == workloads.Count)
            throw new ArgumentException($"--threads '{given}' reaches none of the workloads: {string.Join("; ", deaf)}");
        // Single-threaded workloads are known to be; a program or a scenario that ignores the axis is said.
        var surprising = workloads.Where(w => !MatrixDefinition.TakesThreads(w.Entry, w.Spec) && (w.Spec is ExecWorkload || !WorkloadSpec.Names.Contains(w.Entry)))
            .Select(w => Describe(w.Entry, w.Spec)).ToList();
        if (surprising.Count > 0)
            Console.Error.WriteLine($"hklab: --threads '{given}' does not apply to {string.Join("; ", surprising)}: each runs once per other axis");
    }

    private static string Describe(string entry, WorkloadSpec spec) => spec switch
    {
        ExecWorkload exec => $"exec '{string.Join(' ', exec.Template)}' (no {ExecWorkload.Placeholder} in its command)",
        _ when !WorkloadSpec.Names.Contains(entry) => $"the scenario {entry} (it keeps its own command line)",
        _ => $"{entry} (single-threaded)",
    };

    /// <summary>A --workloads item: <c>classic</c> stands for every classic workload (mimalloc-bench's set).</summary>
    private static IEnumerable<string> ExpandPreset(string workload) =>
        workload == WorkloadCatalog.ClassicPreset ? WorkloadCatalog.ClassicNames : [workload];

    /// <summary>The cells, refused when the plan is past <see cref="MaxPlannedRuns"/> (times <paramref name="perRun"/>
    /// processes a run: 2 for ab).</summary>
    public static IReadOnlyList<Cell> Cells(MatrixDefinition def, int perRun = 1)
    {
        var cells = def.Expand();
        foreach (var exec in cells.Select(c => c.Workload).OfType<ExecWorkload>().DistinctBy(e => e.Template[0])) ProgramPath.Check(exec.Template);
        long planned = (long)cells.Count * def.Runs * perRun;
        if (planned > MaxPlannedRuns)
            throw new ArgumentException($"the plan has {planned} runs ({cells.Count} cells x {def.Runs} runs{(perRun > 1 ? $" x {perRun} sides" : "")}), more than {MaxPlannedRuns}: fewer --runs, narrower dimensions{(perRun == 1 ? ", or --shard" : "")}");
        return cells;
    }

    /// <summary>The runner of the cells, sampling each run's RSS when --rss-every asks.</summary>
    public ChildRunner Runner(ParseResult r, WorkerCommand worker) =>
        new(worker) { RssEvery = r.GetValue(RssEvery) is int ms ? TimeSpan.FromMilliseconds(ms) : null };

    public TimeSpan TimeoutOf(ParseResult r, Cell c) => TimeSpan.FromSeconds(r.GetValue(Timeout) ?? RunCommand.DefaultTimeout(c.Workload));

    /// <summary>Explicit allocators must exist (a missing C allocator is an error naming its package);
    /// the default is hakmem plus every C allocator installed here.</summary>
    public static IReadOnlyList<string> ResolveAllocators(string? text, bool nativeOnly = false)
    {
        var names = ListOption.Items("--allocators", text, "hakmem,mimalloc");
        if (names == null)
        {
            var installed = BackendInfo.All.Where(b => (b.IsHakmem && !nativeOnly) || (b.IsNative && b.IsAvailable())).Select(b => b.Name).ToList();
            var missing = BackendInfo.All.Where(b => b.IsNative && !b.IsAvailable()).ToList();
            if (missing.Count > 0)
                Console.Error.WriteLine($"hklab: not installed, left out: {string.Join(", ", missing.Select(m => $"{m.Name} (apt-get install {m.DebianPackage})"))}");
            return installed;
        }
        var resolved = new List<string>();
        foreach (var name in names)
        {
            var b = BackendInfo.Get(name);
            if (!b.IsAvailable()) throw new ArgumentException($"allocator '{name}' is not installed: apt-get install {b.DebianPackage}");
            if (nativeOnly && !b.IsNative)
                throw new ArgumentException($"allocator '{name}' has no native library to preload into a program: --exec runs with system, mimalloc, jemalloc, tcmalloc or lib:PATH");
            resolved.Add(b.SpecName);
        }
        return resolved.Distinct().ToList();
    }

    /// <summary>The lib:PATH allocators of a definition, for meta.json: "lib:libx.so = /full/path".</summary>
    public static IReadOnlyList<string> Libraries(MatrixDefinition def) =>
        def.Allocators.Select(BackendInfo.Get).Where(b => b.IsPath).Select(b => $"{b.Name} = {b.Library}").ToList();

    /// <summary>--cwd, checked: an existing directory, made absolute.</summary>
    public static string? WorkingDirectory(string? dir)
    {
        if (dir == null) return null;
        if (!Directory.Exists(dir)) throw new ArgumentException($"--cwd '{dir}' is not a directory: expected an existing directory for the programs to run in");
        return Path.GetFullPath(dir);
    }

    /// <summary>The --ops-regex, checked: a regular expression with a group to read the number from.</summary>
    public static string? ProgramPattern(string? pattern)
    {
        if (pattern == null) return null;
        try
        {
            var regex = new System.Text.RegularExpressions.Regex(pattern);
            if (regex.GetGroupNumbers().Length < 2) throw new ArgumentException($"--ops-regex '{pattern}' has no group: put the number in (...), e.g. '([0-9.]+) ops/s'");
            return pattern;
        }
        catch (System.Text.RegularExpressions.RegexParseException e)
        {
            throw new ArgumentException($"--ops-regex '{pattern}' is not a regular expression: {e.Message}");
        }
    }
}
