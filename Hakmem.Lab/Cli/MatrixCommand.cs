using System.CommandLine;
using Hakmem.Lab.Backends;
using Hakmem.Lab.Matrix;
using Hakmem.Lab.Results;
using Hakmem.Lab.Running;
using Hakmem.Workloads;

namespace Hakmem.Lab.Cli;

/// <summary><c>hklab matrix</c>: the cartesian product of workloads, allocators and hakmem knobs, each
/// run isolated as <c>hklab run</c> isolates it, written as a self-describing result directory.</summary>
public static class MatrixCommand
{
    public static Command Create()
    {
        var workloads = ListOption.Create("--workloads", "workloads (larson, random_mixed, mid_large_mt) or scenario names", string.Join(",", MatrixDefinition.DefaultWorkloads));
        var allocators = ListOption.Create("--allocators", $"allocators among {string.Join(", ", BackendInfo.Names)}", "hakmem and every installed C allocator");
        var fastCap = ListOption.Create("--fast-cap", "hakmem FAST_CAP values", "0,64");
        var tlsList = ListOption.Create("--tls-list", "hakmem TLS_LIST values", "off,on");
        var p0 = ListOption.Create("--p0", "hakmem P0 batch refill values", "off,on");
        var threads = ListOption.Create("--threads", "thread counts for larson and mid_large_mt", "1,2,4,8");
        var runs = new Option<int?>("--runs") { Description = $"runs per cell (default {MatrixDefinition.DefaultRuns}; {MatrixDefinition.QuickRuns} with --quick)" };
        var timeout = new Option<double?>("--timeout") { Description = "seconds before a run is killed (default: larson 3x its seconds + 60, others 300)" };
        var quick = new Option<bool>("--quick") { Description = "smoke preset: short workloads and 2 runs per cell (the whole default matrix in about 2 minutes on 2 cores)" };
        var shard = new Option<string?>("--shard") { Description = "run only shard K of N of the runs (K/N), for a CI job matrix or a Slurm array; join with hklab merge" };
        var output = new Option<string?>("--out", "-o") { Description = "result directory (default results/matrix-<time>)" };

        var cmd = new Command("matrix", "Run the matrix of workloads x allocators x hakmem knobs x threads, every run in its own child process.\n"
            + "Writes DIR/runs.csv (one row per run), DIR/summary.csv (one row per cell), DIR/summary.md and DIR/meta.json.\n"
            + "Knobs that do not apply collapse: only hakmem has FAST_CAP/TLS_LIST/P0, random_mixed has one thread,\n"
            + "a scenario keeps its own command line.");
        foreach (Option o in new Option[] { workloads, allocators, fastCap, tlsList, p0, threads, runs, timeout, quick, shard, output }) cmd.Options.Add(o);

        cmd.SetAction(async (r, cancel) =>
        {
            MatrixDefinition def;
            Shard part;
            try
            {
                bool isQuick = r.GetValue(quick);
                var ws = r.GetValue(workloads) is { } wtext ? ListOption.Items(wtext) : MatrixDefinition.DefaultWorkloads;
                foreach (var w in ws) MatrixDefinition.BaseWorkload(w, isQuick); // unknown names fail here, before anything runs
                var allocs = ResolveAllocators(r.GetValue(allocators));
                int n = r.GetValue(runs) ?? (isQuick ? MatrixDefinition.QuickRuns : MatrixDefinition.DefaultRuns);
                if (n < 1) throw new ArgumentException($"--runs {n} is not valid: expected at least 1");
                def = new MatrixDefinition(ws, allocs,
                    ListOption.Ints("--fast-cap", r.GetValue(fastCap), [0, 64], 0, HakmemOptions.MaxFastCap),
                    ListOption.OnOffs("--tls-list", r.GetValue(tlsList), [false, true]),
                    ListOption.OnOffs("--p0", r.GetValue(p0), [false, true]),
                    ListOption.Ints("--threads", r.GetValue(threads), MatrixDefinition.DefaultThreads, 1, 1024),
                    n, isQuick, HakmemOptions.FromEnvironment());
                part = r.GetValue(shard) is { } s ? Shard.Parse(s) : Shard.Whole;
                if (r.GetValue(timeout) is <= 0) throw new ArgumentException($"--timeout {r.GetValue(timeout)} is not valid: expected a positive number of seconds");
            }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine($"hklab matrix: {e.Message}");
                return 2;
            }

            var cells = def.Expand();
            var plan = MatrixDefinition.Plan(cells, def.Runs);
            var mine = part.Select(plan);
            string id = MatrixDefinition.Id(cells, def.Runs);
            string dir = r.GetValue(output) ?? Path.Combine("results", $"matrix-{DateTime.UtcNow:yyyyMMdd-HHmmss}");
            var meta = new ResultMeta
            {
                CommandLine = "hklab " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1)),
                MatrixId = id, Cells = cells.Count, PlannedRuns = plan.Count,
                Shards = part.IsWhole ? [] : [part.ToString()],
            };
            Console.WriteLine($"matrix {id}: {cells.Count} cells x {def.Runs} runs = {plan.Count} runs"
                + (part.IsWhole ? "" : $"; shard {part} runs {mine.Count} of them") + $" -> {dir}");
            var runner = new ChildRunner(WorkerCommand.ForThisProcess());
            var matrix = new MatrixRunner(runner.RunAsync, Console.Out, !Console.IsOutputRedirected);
            double? fixedTimeout = r.GetValue(timeout);
            var records = await matrix.RunAsync(mine, dir, meta,
                c => TimeSpan.FromSeconds(fixedTimeout ?? RunCommand.DefaultTimeout(c.Workload)), id, cancel);
            bool interrupted = records.Count < mine.Count;
            var summaries = ResultSet.WriteSummaries(dir, records, meta with
            {
                Finished = DateTimeOffset.UtcNow, DoneRuns = records.Count, Partial = interrupted,
                Gaps = interrupted ? $"interrupted after {records.Count} of {mine.Count} runs" : "",
            });
            int failed = summaries.Sum(s => s.Failures), errors = summaries.Sum(s => s.Error), leaks = summaries.Sum(s => s.Leak);
            Console.WriteLine($"{records.Count} runs in {summaries.Count} cells: {failed} failed ({errors} of them errors), {leaks} leaked. "
                + $"See {Path.Combine(dir, RunsCsv.SummaryMarkdown)}");
            if (cancel.IsCancellationRequested || interrupted)
            {
                Console.Error.WriteLine($"hklab matrix: interrupted after {records.Count} of {mine.Count} runs; the runs so far are in {dir}");
                return 130;
            }
            return failed + leaks == 0 ? 0 : 1;
        });
        return cmd;
    }

    /// <summary>Explicit allocators must exist (a missing C allocator is an error naming its package);
    /// the default is hakmem plus every C allocator installed here.</summary>
    public static IReadOnlyList<string> ResolveAllocators(string? text)
    {
        if (text == null)
        {
            var installed = BackendInfo.All.Where(b => b.IsHakmem || (b.IsNative && b.IsAvailable())).Select(b => b.Name).ToList();
            var missing = BackendInfo.All.Where(b => b.IsNative && !b.IsAvailable()).ToList();
            if (missing.Count > 0)
                Console.Error.WriteLine($"hklab matrix: not installed, left out: {string.Join(", ", missing.Select(m => $"{m.Name} (apt-get install {m.DebianPackage})"))}");
            return installed;
        }
        var names = ListOption.Items(text);
        foreach (var name in names)
        {
            var b = BackendInfo.Get(name);
            if (!b.IsAvailable()) throw new ArgumentException($"allocator '{name}' is not installed: apt-get install {b.DebianPackage}");
        }
        return names.Distinct().ToList();
    }
}
