using System.Diagnostics;
using System.Globalization;
using Hakmem.Lab.Results;
using Hakmem.Lab.Running;

namespace Hakmem.Lab.Matrix;

/// <summary>Executes one run in isolation (the child-process runner in the lab; a fake in tests).</summary>
public delegate Task<RunResult> RunExecutor(RunSpec spec, TimeSpan timeout, CancellationToken cancel);

/// <summary>Runs a plan (or a shard of it, or what a resumed matrix has left of it), appending each run
/// to runs.csv as soon as it ends (a whole row, <see cref="CsvAppender{T}"/>) and reporting progress.
/// An interrupted matrix keeps every run it finished; a failed write stops it with
/// <see cref="Output.ResultWriteException"/>, the file cut back to its last whole row.</summary>
public sealed class MatrixRunner(RunExecutor execute, TextWriter progressOut, bool interactive)
{
    /// <summary>The worker that runs the cells: a failed run's evidence goes to failures/RUN_ID/ beside
    /// runs.csv, with a repro.sh that uses it. Null: no evidence is kept (a fake executor in tests).</summary>
    public WorkerCommand? Worker { get; init; }

    /// <summary>A fresh result directory: meta.json, then the runs.</summary>
    public async Task<IReadOnlyList<RunRecord>> RunAsync(IReadOnlyList<PlannedRun> runs, string dir, ResultMeta meta,
        Func<Cell, TimeSpan> timeoutOf, string matrixId, CancellationToken cancel)
    {
        Directory.CreateDirectory(dir);
        meta.Write(dir);
        using var csv = CsvAppender<RunRecord>.Create(Path.Combine(dir, RunsCsv.RunsFile));
        return await RunAsync(runs, csv, timeoutOf, matrixId, cancel);
    }

    public async Task<IReadOnlyList<RunRecord>> RunAsync(IReadOnlyList<PlannedRun> runs, CsvAppender<RunRecord> csv,
        Func<Cell, TimeSpan> timeoutOf, string matrixId, CancellationToken cancel)
    {
        var records = new List<RunRecord>();
        var clock = Stopwatch.StartNew();
        int failures = 0;
        var cellsTotal = runs.Select(r => r.Cell.Index).Distinct().Count();
        var remainingPerCell = runs.GroupBy(r => r.Cell.Index).ToDictionary(g => g.Key, g => g.Count());
        int cellsDone = 0;
        var lastPlain = TimeSpan.Zero;
        foreach (var planned in runs)
        {
            if (cancel.IsCancellationRequested) break;
            var started = DateTimeOffset.UtcNow;
            RunResult result;
            try
            {
                result = await execute(planned.Cell.Spec, timeoutOf(planned.Cell), cancel);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            if (result.Outcome == Outcome.Refused) throw RunRefusedException.For($"{planned.Cell.Key} run {planned.Run}", result.Message);
            var record = RunRecords.From(planned.Cell.Spec, planned.Cell.Workload, result, planned.Run, RunId(matrixId, planned), started);
            if (Worker != null) record = FailureArtifacts.Attach(record, csv, planned.Cell.Spec, result, Worker);
            csv.Add(record);
            records.Add(record);
            if (--remainingPerCell[planned.Cell.Index] == 0) cellsDone++;
            if (result.Outcome != Outcome.Ok)
            {
                if (result.Outcome.IsFailure()) failures++;
                ClearStatus();
                progressOut.WriteLine($"  {result.Outcome.Name(),-7} {planned.Cell.Key} run {planned.Run}: {result.Message}");
            }
            string status = Status(records.Count, runs.Count, cellsDone, cellsTotal, failures, clock.Elapsed);
            if (interactive) progressOut.Write("\r" + status + "  ");
            else if (clock.Elapsed - lastPlain >= TimeSpan.FromSeconds(10) || records.Count == runs.Count)
            {
                progressOut.WriteLine(status);
                lastPlain = clock.Elapsed;
            }
        }
        ClearStatus();
        return records;
    }

    private void ClearStatus()
    {
        if (interactive) progressOut.Write("\r" + new string(' ', 100) + "\r");
    }

    /// <summary>"m1a2b3c4-c0012-r03": stable across shards, sortable into the plan's order.</summary>
    public static string RunId(string matrixId, PlannedRun r) => RunId(matrixId, r.Cell.Index, r.Run);

    public static string RunId(string matrixId, int cell, int run) =>
        string.Create(CultureInfo.InvariantCulture, $"{matrixId}-c{cell:D4}-r{run:D3}");

    public static string Status(int done, int total, int cellsDone, int cellsTotal, int failures, TimeSpan elapsed)
    {
        string eta = done == 0 ? "?" : Clock(TimeSpan.FromTicks(elapsed.Ticks / done * (total - done)));
        return $"runs {done}/{total} ({100 * done / Math.Max(total, 1)}%)  cells done {cellsDone}/{cellsTotal}  elapsed {Clock(elapsed)}  eta {eta}  failures {failures}";
    }

    private static string Clock(TimeSpan t) => t.TotalHours >= 1 ? t.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture) : t.ToString(@"m\:ss", CultureInfo.InvariantCulture);
}
