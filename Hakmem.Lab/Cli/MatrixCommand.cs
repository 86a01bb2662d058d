using System.CommandLine;
using Hakmem.Lab.Backends;
using Hakmem.Lab.Matrix;
using Hakmem.Lab.Output;
using Hakmem.Lab.Results;
using Hakmem.Lab.Running;
using Hakmem.Workloads;

namespace Hakmem.Lab.Cli;

/// <summary><c>hklab matrix</c>: the cartesian product of workloads, allocators and hakmem knobs, each
/// run isolated as <c>hklab run</c> isolates it, written as a self-describing result directory that has
/// one owner: an existing set is resumed or moved aside only when asked.</summary>
public static class MatrixCommand
{
    public static Command Create()
    {
        var dims = new MatrixOptions($"runs per cell (default {MatrixDefinition.DefaultRuns}; {MatrixDefinition.QuickRuns} with --quick)");
        var shard = new Option<string?>("--shard") { Description = "run only shard K of N of the runs (K/N), for a CI job matrix or a Slurm array; join with hklab merge" };
        var output = new Option<string?>("--out", "-o") { Description = "result directory (default results/matrix-<time>); refused when it holds a result set, unless --resume or --force" };
        var resume = new Option<bool>("--resume") { Description = "continue the interrupted matrix in --out (same options): its runs are kept, the missing ones run" };
        var force = new Option<bool>("--force") { Description = "start over in --out: the set there is moved aside to DIR.old-<time>, never deleted" };
        var allowMixed = new Option<bool>("--allow-mixed") { Description = "--resume a set made by another build, under other settings or another --timeout: "
            + "the set is marked mixed (compare then needs --allow-mixed too)" };

        var cmd = new Command("matrix", "Run the matrix of workloads x allocators x hakmem knobs x threads, every run in its own child process.\n"
            + "Writes DIR/runs.csv (one row per run, written as each run ends), DIR/summary.csv (one row per cell),\n"
            + "DIR/summary.md and DIR/meta.json. Knobs that do not apply collapse: only hakmem has FAST_CAP/TLS_LIST/P0,\n"
            + "random_mixed has one thread, a scenario keeps its own command line. Exit code 0 when every run was ok,\n"
            + "1 when a run failed or leaked (or the results could not be written), 2 on bad input, 130 when interrupted.");
        dims.AddTo(cmd);
        foreach (Option o in new Option[] { shard, output, resume, force, allowMixed }) cmd.Options.Add(o);

        cmd.SetAction((r, cancel) => CommandGuard.Run("matrix", async () =>
        {
            var def = dims.Definition(r, MatrixDefinition.DefaultRuns);
            var part = r.GetValue(shard) is { } s ? Shard.Parse(s) : Shard.Whole;
            if (r.GetValue(resume) && r.GetValue(force)) throw new ArgumentException("--resume and --force exclude each other: continue the set, or start over");
            var cells = MatrixOptions.Cells(def);
            Preflight.Check(cells.Select(c => c.Spec), WorkerSnapshot.Pinned);
            AmbientSettings.Announce(def.Ambient);

            var plan = MatrixDefinition.Plan(cells, def.Runs);
            var mine = part.Select(plan);
            string id = MatrixDefinition.Id(cells);
            var existing = r.GetValue(resume) ? ExistingSet.Resume : r.GetValue(force) ? ExistingSet.Force : ExistingSet.Refuse;
            string commandLine = "hklab " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1));
            using var dir = ResultDirectory.Open("--out", r.GetValue(output) ?? Path.Combine("results", $"matrix-{DateTime.UtcNow:yyyyMMdd-HHmmss}"), existing, commandLine);
            var meta = new ResultMeta
            {
                CommandLine = commandLine, MatrixId = id, Cells = cells.Count, PlannedRuns = plan.Count,
                Shards = part.IsWhole ? [] : [part.ToString()], Libraries = MatrixOptions.Libraries(def),
                Settings = EnvAssignments.Format(def.Ambient), Timeout = r.GetValue(dims.Timeout),
            }.OnThisHost(def.Allocators);
            string runsFile = Path.Combine(dir.Path, RunsCsv.RunsFile);
            CsvAppender<RunRecord> csv;
            var todo = mine;
            if (existing == ExistingSet.Resume && ResultDirectory.HoldsResultSet(dir.Path))
            {
                var before = ResultMeta.Read(dir.Path) ?? throw new OutputPathException($"--out '{dir.Path}' has no {RunsCsv.MetaFile}: nothing to resume");
                var differences = Differences(before, meta);
                if (differences.Count > 0 && !r.GetValue(allowMixed))
                    throw new OutputPathException($"--resume: '{dir.Path}' was measured with {string.Join("; ", differences)}: its cells would hold samples of both; "
                        + "--allow-mixed resumes it anyway and marks it mixed");
                if (before.MatrixId != id || !before.Shards.SequenceEqual(meta.Shards))
                    throw new OutputPathException($"--resume: '{dir.Path}' holds matrix {before.MatrixId}{Shards(before)}, these options make {id}{Shards(meta)}: "
                        + $"resume it with the options it was started with ({before.CommandLine})");
                csv = File.Exists(runsFile) ? CsvAppender<RunRecord>.Resume(runsFile) : CsvAppender<RunRecord>.Create(runsFile);
                var done = RunsCsv.Read(runsFile).Select(x => x.RunId).ToHashSet(StringComparer.Ordinal);
                todo = mine.Where(p => !done.Contains(MatrixRunner.RunId(id, p))).ToList();
                meta = before with { PlannedRuns = plan.Count, Mixed = before.Mixed || differences.Count > 0 };
                meta.Write(dir.Path);
                Console.WriteLine($"resuming matrix {id} in {dir.Path}: {mine.Count - todo.Count} of {mine.Count} runs done, {todo.Count} to run"
                    + (differences.Count > 0 ? $"; the set is now mixed ({string.Join("; ", differences)})" : ""));
            }
            else
            {
                if (dir.MovedAside != null) Console.WriteLine($"the result set in {dir.Path} was moved aside to {dir.MovedAside}");
                meta.Write(dir.Path);
                csv = CsvAppender<RunRecord>.Create(runsFile);
                Console.WriteLine($"matrix {id}: {cells.Count} cells x {def.Runs} runs = {plan.Count} runs"
                    + (part.IsWhole ? "" : $"; shard {part} runs {mine.Count} of them") + $" -> {dir.Path}");
            }

            var runner = dims.Runner(r, WorkerSnapshot.Pinned);
            var matrix = new MatrixRunner(runner.RunAsync, Console.Out, !Console.IsOutputRedirected) { Worker = WorkerSnapshot.Pinned };
            string? writeFailure = null, refusal = null;
            using (csv)
            {
                try
                {
                    await matrix.RunAsync(todo, csv, c => dims.TimeoutOf(r, c), id, cancel);
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
            var records = RunsCsv.Read(runsFile);
            bool interrupted = records.Count < mine.Count;
            try
            {
                var summaries = ResultSet.WriteSummaries(dir.Path, records, meta with
                {
                    Finished = DateTimeOffset.UtcNow, DoneRuns = records.Count, Partial = interrupted,
                    Gaps = interrupted ? $"interrupted after {records.Count} of {mine.Count} runs" : "",
                });
                int failed = summaries.Sum(x => x.Failures), errors = summaries.Sum(x => x.Error), leaks = summaries.Sum(x => x.Leak);
                Console.WriteLine($"{records.Count} runs in {summaries.Count} cells: {failed} failed ({errors} of them errors), {leaks} leaked. "
                    + $"See {Path.Combine(dir.Path, RunsCsv.SummaryMarkdown)}");
                if (writeFailure != null) return CommandGuard.Fail("matrix", writeFailure, 1);
                if (refusal != null) return CommandGuard.Fail("matrix", $"{refusal}; the runs before it are in {dir.Path}", 2);
                if (cancel.IsCancellationRequested || interrupted)
                {
                    Console.Error.WriteLine($"hklab matrix: interrupted after {records.Count} of {mine.Count} runs; the runs so far are in {dir.Path} (--resume continues)");
                    return 130;
                }
                return failed + leaks == 0 ? 0 : 1;
            }
            catch (IOException e)
            {
                return CommandGuard.Fail("matrix", $"{writeFailure ?? "the runs are saved"}; the summary could not be written ({OutputPaths.Reason(e)}): "
                    + $"{records.Count} runs are in {runsFile}, hklab report rebuilds it", 1);
            }
        }));
        return cmd;
    }

    /// <summary>What a resume would mix into the set's cells: another build, other settings, another timeout.</summary>
    private static List<string> Differences(ResultMeta set, ResultMeta now)
    {
        string Words(string settings) => settings.Length > 0 ? settings : "none";
        string Seconds(double? t) => t is double x ? $"{x.ToString(System.Globalization.CultureInfo.InvariantCulture)} s" : "the default";
        var differences = new List<string>();
        if (set.Build != now.Build) differences.Add($"the build {set.Build}, and this hklab is {now.Build}");
        if (set.Settings != now.Settings) differences.Add($"the environment's settings {Words(set.Settings)}, and now they are {Words(now.Settings)}");
        if (set.Timeout != now.Timeout) differences.Add($"--timeout {Seconds(set.Timeout)}, and now it is {Seconds(now.Timeout)}");
        return differences;
    }

    private static string Shards(ResultMeta m) => m.Shards.Count > 0 ? $" (shard {string.Join(",", m.Shards)})" : "";
}
