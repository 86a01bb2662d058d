using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Hakmem.Lab.Ab;
using Hakmem.Lab.Compare;
using Hakmem.Lab.Matrix;
using Hakmem.Lab.Output;
using Hakmem.Lab.Results;
using Hakmem.Lab.Running;

namespace Hakmem.Lab.Cli;

/// <summary><c>hklab ab A B</c>: before and after in one interleaved run. Each side is built once, the same
/// cells run for both in pairs whose order is drawn at random, and the verdicts come from the paired
/// differences, so a machine that drifts by more than the change measures the change, not the drift.</summary>
public static class AbCommand
{
    public const int DefaultRuns = 10;

    public static Command Create()
    {
        var a = new Argument<string>("A") { Description = "before: a git ref of this repository (built once per commit), '.' (the working tree), a checkout, a build directory, or lib:PATH (a malloc library; then B is one too)" };
        var b = new Argument<string>("B") { Description = "after: the same forms as A" };
        var dims = new MatrixOptions($"pairs per cell (default {DefaultRuns}; {MatrixDefinition.QuickRuns} with --quick)");
        var threshold = new Option<string>("--threshold") { Description = "smallest relative throughput change that counts (e.g. 5%)", DefaultValueFactory = _ => "5%" };
        var memoryThreshold = MemoryOptions.MemoryThresholdOption();
        var maxRuns = NumberOption.Int("--max-runs", "after --runs pairs, go on adding pairs, a round at a time, to the cells still undecided (speed, or memory) "
            + "until each is decided or has this many pairs; the verdicts are then the sequential rule's, valid however often it looks", 2, MatrixOptions.MaxRuns);
        var maxTime = new Option<string?>("--max-time") { Description = "with --max-runs: stop adding rounds after this long (90s, 30m, 2h)", HelpName = "duration" };
        var requireDecided = new Option<bool>("--require-decided") { Description = "exit 1 when a cell is still undecided at the end (for CI)" };
        var seed = NumberOption.Int("--seed", "seed of the pairs' orders (default: drawn, and recorded in meta.json)", 0, int.MaxValue);
        var output = new Option<string?>("--out", "-o") { Description = "result directory (default results/ab-<time>); refused when it holds a result set, unless --force" };
        var force = new Option<bool>("--force") { Description = "--out holds a result set: move it aside to DIR.old-<time> (never deleted) and start over" };
        var cmd = new Command("ab", "Run two builds of hklab against each other in one interleaved run: the cells of a matrix, each run in\n"
            + "pairs (A B or B A, drawn at random per pair), and verdicts on the paired differences (Wilcoxon signed-rank,\n"
            + "ratio B/A with its 90% interval, the rules of hklab compare). Writes DIR/runs.csv (with the side of each run),\n"
            + "DIR/summary.csv and .md (per side), DIR/compare.csv and DIR/meta.json. Exit code 1 when a cell is slower or\n"
            + "less stable, 0 otherwise, 2 on bad input. Example: hklab ab main . --workloads larson --threads 2 --runs 20");
        cmd.Arguments.Add(a);
        cmd.Arguments.Add(b);
        dims.AddTo(cmd);
        foreach (Option o in new Option[] { threshold, memoryThreshold, maxRuns, maxTime, requireDecided, seed, output, force }) cmd.Options.Add(o);

        cmd.SetAction((r, cancel) => CommandGuard.Run("ab", async () =>
        {
            var clock = Stopwatch.StartNew();
            double t = CompareCommand.ParseThreshold(r.GetValue(threshold)!);
            string memoryText = r.GetValue(memoryThreshold)!;
            double? memoryBand = MemoryOptions.ParseMemoryThreshold(memoryText); // refused now, not after the runs
            int? max = r.GetValue(maxRuns);
            TimeSpan? timeBudget = r.GetValue(maxTime) is string mt ? Durations.Parse("--max-time", mt) : null;
            if (timeBudget != null && max == null) throw new ArgumentException("--max-time applies with --max-runs: give the most pairs a cell may take");
            var sourceA = AbSide.Locate("A", r.GetValue(a)!);
            var sourceB = AbSide.Locate("B", r.GetValue(b)!);
            bool libraries = sourceA.Library != null;
            if (libraries != (sourceB.Library != null))
                throw new ArgumentException("A and B must be of one kind: two builds of hklab (refs, checkouts, build directories), or two malloc libraries (lib:PATH)");
            if (libraries && r.GetValue(dims.Allocators) != null)
                throw new ArgumentException("with lib: sides the sides are the allocators: --allocators does not apply");
            var def = dims.Definition(r, DefaultRuns);
            // Two libraries: every cell runs on A's library or on B's, on this build's worker.
            if (libraries) def = def with { Allocators = [sourceA.Library!.SpecName] };
            var cells = MatrixOptions.Cells(def, perRun: 2);
            if (max is int m && m < def.Runs) throw new ArgumentException($"--max-runs {m} is below --runs {def.Runs}: the most pairs a cell may take cannot be fewer than it starts with");
            // Libraries and programs checked on what each side runs: two libraries are each checked.
            var sideLibraries = libraries ? new[] { sourceA.Library!.SpecName, sourceB.Library!.SpecName } : [];
            Preflight.Check(libraries ? cells.SelectMany(c => sideLibraries.Select(l => c.Spec with { Allocator = l })) : cells.Select(c => c.Spec), WorkerSnapshot.Pinned);
            AmbientSettings.Announce(def.Ambient);
            int orderSeed = r.GetValue(seed) ?? Random.Shared.Next();
            string commandLine = "hklab " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1));
            using var dir = ResultDirectory.Open("--out", r.GetValue(output) ?? Path.Combine("results", $"ab-{DateTime.UtcNow:yyyyMMdd-HHmmss}"),
                r.GetValue(force) ? ExistingSet.Force : ExistingSet.Refuse, commandLine, resumable: false);
            if (dir.MovedAside != null) Console.WriteLine($"the result set in {dir.Path} was moved aside to {dir.MovedAside}");

            AbSide sideA, sideB;
            try
            {
                sideA = AbSide.Prepare(sourceA, Console.Out);
                sideB = AbSide.Prepare(sourceB, Console.Out);
                // Both sides must be able to run every cell as its key says, or the comparison judges a missing feature.
                var used = Capabilities.UsedBy(cells.Select(c => c.Spec));
                string? repo = Git.TopLevel(Environment.CurrentDirectory);
                foreach (var side in new[] { sideA, sideB })
                    if (side.Lacks(used, repo) is { Count: > 0 } lacks)
                        throw new ArgumentException($"side {side.Label} ({side.Spec}, build {side.Build}) cannot run these cells: "
                            + string.Join("; ", lacks.Select(l => $"{l.Feature.What} [{l.Feature.Name}]: {l.Why}")));
            }
            catch
            {
                dir.RemoveIfUnused(); // a side that does not build, or cannot run the cells, leaves no empty result directory behind
                throw;
            }
            var pairs = AbPlan.Pairs(cells, def.Runs, orderSeed);
            string id = "ab" + MatrixDefinition.Id(cells)[..14];
            var meta = new ResultMeta
            {
                CommandLine = commandLine, MatrixId = id, Cells = cells.Count, PlannedRuns = pairs.Count * 2,
                Sides = [$"A: {sideA.Spec} ({sideA.Build})", $"B: {sideB.Spec} ({sideB.Build})"], Seed = orderSeed, Threshold = t, MemoryThreshold = memoryText,
                Libraries = MatrixOptions.Libraries(def), Settings = EnvAssignments.Format(def.Ambient), Timeout = r.GetValue(dims.Timeout),
                MaxRuns = max, MaxTime = r.GetValue(maxTime),
            }.OnThisHost(libraries ? [sourceA.Library!.SpecName, sourceB.Library!.SpecName] : def.Allocators);
            meta.Write(dir.Path);
            Console.WriteLine(sideA.Describe());
            Console.WriteLine(sideB.Describe());
            Console.WriteLine($"ab {id}: {cells.Count} cells x {def.Runs} pairs = {pairs.Count * 2} runs, orders drawn with seed {orderSeed} -> {dir.Path}");

            string runsFile = Path.Combine(dir.Path, RunsCsv.RunsFile);
            var runners = new Dictionary<string, RunExecutor> { ["A"] = Executor(sideA, dims.Runner(r, sideA.Worker)), ["B"] = Executor(sideB, dims.Runner(r, sideB.Worker)) };
            var builds = new Dictionary<string, string> { ["A"] = sideA.Build, ["B"] = sideB.Build };
            string? writeFailure = null, refusal = null;
            var runsClock = Stopwatch.StartNew();
            int planned = pairs.Count;
            using (var csv = CsvAppender<RunRecord>.Create(runsFile))
            {
                try
                {
                    var ab = new AbRunner(runners, builds, Console.Out, !Console.IsOutputRedirected) { SharedAllocator = libraries ? "lib" : null, Workers = new Dictionary<string, WorkerCommand> { ["A"] = sideA.Worker, ["B"] = sideB.Worker } };
                    await ab.RunAsync(pairs, csv, c => dims.TimeoutOf(r, c), id, cancel);
                    // Sequential: a round of one more pair for every cell still undecided, until none is, or the budget ends.
                    var random = new Random(orderSeed ^ 0x5EED);
                    for (int run = def.Runs + 1; max is int most && run <= most && !cancel.IsCancellationRequested; run++)
                    {
                        if (timeBudget is { } budget && runsClock.Elapsed >= budget)
                        {
                            Console.WriteLine($"ab: --max-time {r.GetValue(maxTime)} spent after {run - 1} rounds");
                            break;
                        }
                        var open = Undecided(RunsCsv.Read(runsFile), cells, meta);
                        if (open.Count == 0) break;
                        Console.WriteLine($"ab: round {run}: {open.Count} of {cells.Count} cells undecided: "
                            + string.Join("; ", open.Take(4).Select(o => $"{o.Cell.Key} {o.Row.Ratio?.ToString("0.000", CultureInfo.InvariantCulture) ?? "-"} "
                                + $"({o.Row.RatioLow?.ToString("0.000", CultureInfo.InvariantCulture) ?? "-"}-{o.Row.RatioHigh?.ToString("0.000", CultureInfo.InvariantCulture) ?? "-"})"))
                            + (open.Count > 4 ? "; ..." : ""));
                        var round = AbPlan.Round(open.Select(o => o.Cell).ToList(), run, planned, random);
                        planned += round.Count;
                        await ab.RunAsync(round, csv, c => dims.TimeoutOf(r, c), id, cancel);
                    }
                }
                catch (ResultWriteException e)
                {
                    writeFailure = e.Message;
                }
                catch (RunRefusedException e)
                {
                    refusal = e.Message;
                }
            }
            var runsTime = runsClock.Elapsed;
            var records = RunsCsv.Read(runsFile);
            bool interrupted = records.Count < planned * 2;
            var finalMeta = meta with
            {
                Finished = DateTimeOffset.UtcNow, DoneRuns = records.Count, Partial = interrupted,
                PlannedRuns = planned * 2, Gaps = interrupted ? $"interrupted after {records.Count} of {planned * 2} runs" : "",
            };
            ResultSet.WriteSummaries(dir.Path, records, finalMeta);
            if (writeFailure != null) return CommandGuard.Fail("ab", writeFailure, 1);
            if (refusal != null) return CommandGuard.Fail("ab", $"{refusal}; the runs before it are in {dir.Path}", 2);
            var rows = ResultSet.Paired(records, finalMeta) ?? [];
            Console.WriteLine(Comparer.Markdown(rows, t, "A", "B"));
            Console.WriteLine(Comparer.Summary(rows, "A", "B"));
            var beyond = clock.Elapsed - runsTime;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"ab: {records.Count} runs took {runsTime.TotalSeconds:0.0} s; builds, snapshots and bookkeeping {beyond.TotalSeconds:0.0} s "
                + $"(A {(sideA.Cached ? "cached" : $"ready in {sideA.BuildTime.TotalSeconds:0.0} s")}, B {(sideB.Cached ? "cached" : $"ready in {sideB.BuildTime.TotalSeconds:0.0} s")}); see {Path.Combine(dir.Path, RunsCsv.SummaryMarkdown)}"));
            if (cancel.IsCancellationRequested || interrupted)
            {
                Console.Error.WriteLine($"hklab ab: interrupted after {records.Count} of {planned * 2} runs; the runs so far are in {dir.Path}");
                return 130;
            }
            var bad = rows.Where(x => x.IsRegression()).ToList();
            if (bad.Count > 0) Console.Error.WriteLine($"hklab ab: {bad.Count} cells of B are slower, less stable or bigger than A");
            var undecided = rows.Where(x => x.Verdict == Verdicts.Unknown || x.Memory == MemoryVerdict.Unknown).ToList();
            if (r.GetValue(requireDecided) && undecided.Count > 0)
                Console.Error.WriteLine($"hklab ab: {undecided.Count} cells still undecided (--require-decided): {string.Join("; ", undecided.Take(3).Select(x => x.Cell))}");
            return bad.Count > 0 || (r.GetValue(requireDecided) && undecided.Count > 0) ? 1 : 0;
        }));
        return cmd;
    }

    /// <summary>The cells a sequential ab still has to decide, with their comparison so far (speed, or memory).</summary>
    private static List<(Cell Cell, CellComparison Row)> Undecided(IReadOnlyList<RunRecord> runs, IReadOnlyList<Cell> cells, ResultMeta meta)
    {
        var rows = (ResultSet.Paired(runs, meta) ?? []).ToDictionary(x => x.Cell);
        var open = new List<(Cell, CellComparison)>();
        foreach (var cell in cells)
        {
            string key = (runs.FirstOrDefault(x => CellKey.Of(x) with { Allocator = cell.Key.Allocator } == cell.Key) is { } shared ? CellKey.Of(shared) : cell.Key).ToString();
            if (!rows.TryGetValue(key, out var row)) open.Add((cell, new CellComparison { Cell = key, Verdict = Verdicts.Unknown }));
            else if (row.Verdict == Verdicts.Unknown || row.Memory == MemoryVerdict.Unknown) open.Add((cell, row));
        }
        return open;
    }

    /// <summary>A side's runs: its build's worker, and for a library side its library as the allocator.</summary>
    private static RunExecutor Executor(AbSide side, ChildRunner runner)
    {
        return side.Allocator is string allocator
            ? (spec, timeout, cancel) => runner.RunAsync(spec with { Allocator = allocator }, timeout, cancel)
            : runner.RunAsync;
    }
}
