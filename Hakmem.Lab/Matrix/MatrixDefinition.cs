using System.Security.Cryptography;
using System.Text;
using Hakmem.Lab.Backends;
using Hakmem.Lab.Results;
using Hakmem.Lab.Running;
using Hakmem.Workloads;

namespace Hakmem.Lab.Matrix;

/// <summary>One cell of a matrix: what runs, and its key in the result files.</summary>
public sealed record Cell(int Index, RunSpec Spec, WorkloadSpec Workload)
{
    public CellKey Key { get; } = CellKey.For(Spec, Workload);
}

/// <summary>One planned run: the cell and the run's number within it (1-based). Index is the run's place
/// in the whole matrix's plan, the same in every shard.</summary>
public sealed record PlannedRun(int Index, Cell Cell, int Run);

/// <summary>The dimensions of a matrix and their cartesian product. Knobs that do not apply collapse
/// instead of multiplying runs: only hakmem has FAST_CAP, TLS_LIST and P0; a workload without a thread
/// count (random_mixed, large_mixed, glibc_simple, malloc_large) runs once; a scenario keeps its own
/// command line.</summary>
public sealed record MatrixDefinition(
    IReadOnlyList<string> Workloads,
    IReadOnlyList<string> Allocators,
    IReadOnlyList<int> FastCaps,
    IReadOnlyList<bool> TlsLists,
    IReadOnlyList<bool> P0s,
    IReadOnlyList<int> Threads,
    int Runs,
    bool Quick,
    HakmemOptions BaseOptions)
{
    /// <summary>The environment axes (--env), as their product: one assignment per cell and allocator.</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, string>> Envs { get; init; } = [new SortedDictionary<string, string>(StringComparer.Ordinal)];

    /// <summary>exec: the pattern throughput is read with (--ops-regex).</summary>
    public string? OpsRegex { get; init; }

    /// <summary>exec: the programs' working directory (--cwd); null: a directory of its own for each run.</summary>
    public string? Cwd { get; init; }

    /// <summary>In-process workloads: --touch all (null: each workload's own pattern) and --settle's wait.</summary>
    public string? Touch { get; init; }
    public int? SettleMs { get; init; }
    /// <summary>In-process workloads: --repeat and --pin.</summary>
    public int? Repeat { get; init; }
    public bool? Pin { get; init; }

    /// <summary>The settings of the lab's environment (<see cref="AmbientSettings"/>): each joins the env of the
    /// cells it changes, under the axes' own values.</summary>
    public IReadOnlyDictionary<string, string> Ambient { get; init; } = new SortedDictionary<string, string>(StringComparer.Ordinal);

    /// <summary>A workload entry that is a program: "exec:CMD ARGS".</summary>
    public const string ExecPrefix = "exec:";

    public static readonly IReadOnlyList<string> DefaultWorkloads = ["larson", "random_mixed", "mid_large_mt", "large_mixed"];
    public static readonly IReadOnlyList<int> DefaultThreads = [1, 2, 4, 8];
    public const int DefaultRuns = 20, QuickRuns = 2;

    /// <summary>Default command lines of the workloads at thread count T: the real one, and a short one for --quick.</summary>
    public static WorkloadSpec BaseWorkload(string name, bool quick) => name switch
    {
        "larson" => WorkloadSpec.Parse("larson", quick ? ["0.1", "8", "128", "1024", "100", "12345", "1"] : ["2", "8", "128", "1024", "100", "12345", "1"]),
        "random_mixed" => WorkloadSpec.Parse("random_mixed", quick ? ["100000", "2048", "123"] : ["2000000", "2048", "123"]),
        "mid_large_mt" => WorkloadSpec.Parse("mid_large_mt", quick ? ["1", "10000", "256", "42"] : ["1", "200000", "256", "42"]),
        "large_mixed" => WorkloadSpec.Parse("large_mixed", quick ? ["50000", "64", "7"] : ["2000000", "64", "7"]),
        // The classic workloads: mimalloc-bench's command lines scaled to 1-3 s here (their scenarios), at one thread.
        "xmalloc_test" => WorkloadSpec.Parse("xmalloc_test", quick ? ["1", "0.1", "64"] : ["1", "2", "64"]),
        "cache_scratch" => WorkloadSpec.Parse("cache_scratch", quick ? ["1", "100", "1", "20000", "1"] : ["1", "1000", "1", "2000000", "2"]),
        "cache_thrash" => WorkloadSpec.Parse("cache_thrash", quick ? ["1", "100", "1", "20000", "1"] : ["1", "1000", "1", "2000000", "2"]),
        "mstress" => WorkloadSpec.Parse("mstress", quick ? ["1", "10", "2"] : ["1", "50", "250"]),
        "rptest" => WorkloadSpec.Parse("rptest", quick ? ["1", "0", "1", "2", "20", "1000", "100", "8", "16000"] : ["1", "0", "1", "2", "2500", "1000", "100", "8", "16000"]),
        "glibc_simple" => WorkloadSpec.Parse("glibc_simple", quick ? ["16", "20000"] : ["16", "2000000"]),
        "glibc_thread" => WorkloadSpec.Parse("glibc_thread", quick ? ["1", "0.1"] : ["1", "2"]),
        "alloc_test" => WorkloadSpec.Parse("alloc_test", quick ? ["1", "200000"] : ["1", "15000000"]),
        "malloc_large" => WorkloadSpec.Parse("malloc_large", quick ? ["20"] : ["80"]),
        _ when name.StartsWith(ExecPrefix, StringComparison.Ordinal) => ExecWorkload.Parse([name[ExecPrefix.Length..]]),
        _ => WorkloadSpec.Parse(name, []), // a scenario: its own command line
    };

    /// <summary>Whether a workload entry runs once per value of the threads axis: the threaded workloads by
    /// name, and a program whose command has {threads}; a scenario keeps its own command line.</summary>
    public static bool TakesThreads(string entry, WorkloadSpec baseSpec) =>
        baseSpec is ExecWorkload exec ? exec.HasThreads : WorkloadSpec.Names.Contains(entry) && baseSpec.ThreadArgument != null;

    public IReadOnlyList<Cell> Expand()
    {
        var cells = new List<Cell>();
        foreach (string w in Workloads)
        {
            var baseSpec = BaseWorkload(w, Quick);
            bool exec = baseSpec is ExecWorkload;
            bool threaded = TakesThreads(w, baseSpec);
            var specs = threaded ? Threads.Select(t => baseSpec.WithThreads(t)).ToList() : [baseSpec];
            // A program runs on a native allocator preloaded into it: hakmem and bump have none.
            var allocators = exec ? Allocators.Where(a => BackendInfo.Get(a).IsNative).ToList() : Allocators;
            if (allocators.Count == 0)
                throw new ArgumentException($"exec '{string.Join(' ', ((ExecWorkload)baseSpec).Template)}' has no allocator to run on: hakmem and bump have no native library "
                    + "to preload into a program; give --allocators system,mimalloc,jemalloc,tcmalloc or lib:PATH");
            foreach (string a in allocators)
            {
                var backend = BackendInfo.Get(a);
                foreach (var axes in Envs)
                {
                    var env = WithAmbient(axes, AmbientSettings.For(Ambient, backend, exec));
                    // For hakmem, HAKMEM_* assignments set the same options as the knob flags.
                    var configs = backend.IsHakmem
                        ? (from f in FastCaps from l in TlsLists from p in P0s
                           select HakmemOptions.FromVariables(n => env.GetValueOrDefault(n), BaseOptions with { FastCap = f, TlsList = l, P0BatchRefill = p })).Distinct().ToList()
                        : [HakmemOptions.Default];
                    foreach (var spec in specs)
                        foreach (var o in configs)
                            cells.Add(new Cell(cells.Count, new RunSpec(spec.Name, spec.Arguments, backend.SpecName, o) { Env = env, OpsRegex = exec ? OpsRegex : null, Cwd = exec ? Cwd : null, Touch = exec ? null : Touch, SettleMs = exec ? null : SettleMs, Repeat = exec ? null : Repeat, Pin = exec ? null : Pin }, spec));
                }
            }
        }
        var clash = cells.GroupBy(c => c.Key).FirstOrDefault(g => g.Select(c => c.Spec.Allocator).Distinct().Count() > 1);
        if (clash != null)
            throw new ArgumentException($"two allocators share the name {clash.Key.Allocator} ({string.Join(", ", clash.Select(c => c.Spec.Allocator).Distinct())}): give the libraries different file names");
        return cells;
    }

    private static IReadOnlyDictionary<string, string> WithAmbient(IReadOnlyDictionary<string, string> axes, IReadOnlyDictionary<string, string> ambient)
    {
        if (ambient.Count == 0) return axes;
        var env = new SortedDictionary<string, string>(ambient.ToDictionary(), StringComparer.Ordinal);
        foreach (var (k, v) in axes) env[k] = v;
        return env;
    }

    /// <summary>All runs, round-robin over cells (run 1 of every cell, then run 2, ...), so that a drift of
    /// the machine over time spreads over all cells instead of biasing the last ones.</summary>
    public static IReadOnlyList<PlannedRun> Plan(IReadOnlyList<Cell> cells, int runs)
    {
        var plan = new List<PlannedRun>(cells.Count * runs);
        for (int r = 1; r <= runs; r++)
            foreach (var c in cells) plan.Add(new PlannedRun(plan.Count, c, r));
        return plan;
    }

    /// <summary>The matrix by its cells alone: the number of runs is not part of it, so a resume may add runs to
    /// every cell.</summary>
    public static string Id(IReadOnlyList<Cell> cells)
    {
        var text = new StringBuilder();
        foreach (var c in cells) text.Append(c.Key).Append('\n');
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..16].ToLowerInvariant();
    }
}
