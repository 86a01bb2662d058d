using System.Diagnostics;
using System.Globalization;
using Hakmem.Lab.Matrix;
using Hakmem.Lab.Results;
using Hakmem.Lab.Running;

namespace Hakmem.Lab.Ab;

/// <summary>Runs the pairs of an interleaved comparison, each run in its own child process of its side's
/// build, both sides started the same way (one <see cref="ChildRunner"/> configuration), every run
/// appended to runs.csv as it ends with its side, its side's build and its pair's order.</summary>
public sealed class AbRunner(IReadOnlyDictionary<string, RunExecutor> sides, IReadOnlyDictionary<string, string> builds, TextWriter progressOut, bool interactive)
{
    /// <summary>When the sides are two libraries: the allocator column both sides' runs share (their
    /// library is in the build column), so that a cell is the same cell on both sides.</summary>
    public string? SharedAllocator { get; init; }

    /// <summary>Each side's worker: a failed run's evidence goes to failures/RUN_ID/ with a repro.sh using it.</summary>
    public IReadOnlyDictionary<string, WorkerCommand>? Workers { get; init; }

    public async Task<int> RunAsync(IReadOnlyList<PlannedPair> pairs, CsvAppender<RunRecord> csv, Func<Cell, TimeSpan> timeoutOf, string id, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        int done = 0, failures = 0, pairsDone = 0;
        var lastPlain = TimeSpan.Zero;
        foreach (var pair in pairs)
        {
            foreach (string side in pair.AFirst ? new[] { "A", "B" } : ["B", "A"])
            {
                if (cancel.IsCancellationRequested) return done;
                var started = DateTimeOffset.UtcNow;
                RunResult result;
                try
                {
                    result = await sides[side](pair.Cell.Spec, timeoutOf(pair.Cell), cancel);
                }
                catch (OperationCanceledException)
                {
                    return done;
                }
                if (result.Outcome == Outcome.Refused) throw RunRefusedException.For($"side {side}, {pair.Cell.Key} run {pair.Run}", result.Message);
                var record = RunRecords.From(pair.Cell.Spec, pair.Cell.Workload, result, pair.Run, RunId(id, pair, side), started)
                    with { Side = side, Order = pair.Order, Build = builds[side] };
                if (Workers != null)
                    record = FailureArtifacts.Attach(record, csv, pair.Cell.Spec, result, Workers[side]);
                if (SharedAllocator != null) record = record with { Allocator = SharedAllocator };
                csv.Add(record);
                done++;
                if (result.Outcome != Outcome.Ok)
                {
                    if (result.Outcome.IsFailure()) failures++;
                    Clear();
                    progressOut.WriteLine($"  {result.Outcome.Name(),-7} {side} {pair.Cell.Key} run {pair.Run}: {result.Message}");
                }
            }
            // Counted in this call's list: a later round's pairs carry indexes that go on from the earlier rounds'.
            pairsDone++;
            string status = MatrixRunner.Status(done, pairs.Count * 2, pairsDone, pairs.Count, failures, clock.Elapsed).Replace("cells done", "pairs done", StringComparison.Ordinal);
            if (interactive) progressOut.Write("\r" + status + "  ");
            else if (clock.Elapsed - lastPlain >= TimeSpan.FromSeconds(10) || pairsDone == pairs.Count)
            {
                progressOut.WriteLine(status);
                lastPlain = clock.Elapsed;
            }
        }
        Clear();
        return done;
    }

    private void Clear()
    {
        if (interactive) progressOut.Write("\r" + new string(' ', 100) + "\r");
    }

    /// <summary>"ab1a2b3c4-c0012-r03-A".</summary>
    public static string RunId(string id, PlannedPair p, string side) =>
        string.Create(CultureInfo.InvariantCulture, $"{MatrixRunner.RunId(id, p.Cell.Index, p.Run)}-{side}");
}
