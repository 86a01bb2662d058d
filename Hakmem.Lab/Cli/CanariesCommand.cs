using System.CommandLine;
using System.Globalization;
using Hakmem.Lab.Canaries;
using Hakmem.Lab.Output;
using Hakmem.Lab.Results;
using Hakmem.Lab.Running;

namespace Hakmem.Lab.Cli;

/// <summary><c>hklab canaries</c>: runs every seed-bug canary in its target cell, and the same cell clean,
/// and shows the lab detects each bug. Exit 1 when a canary is detected in fewer than 90% of its runs or
/// a clean cell has a run that is not ok.</summary>
public static class CanariesCommand
{
    public const double RequiredDetection = 0.9;
    /// <summary>The fewest runs in which one missed detection still leaves 90%: below it the rule means "every run".</summary>
    public const int MinRunsForRule = 10;

    public static Command Create()
    {
        var runs = NumberOption.Int("--runs", "runs per canary and per clean cell (default 20)", 1, MatrixOptions.MaxRuns);
        runs.Aliases.Add("-n");
        var only = new Option<string?>("--only") { Description = "run only these canaries (comma-separated names)" };
        var csv = new Option<string?>("--csv") { Description = "the runs file of every run (canary and clean), a row as each run ends, failures' evidence beside it "
            + "(default results/canaries-<time>/runs.csv); refused when the file exists, unless --force" };
        var force = new Option<bool>("--force") { Description = "with --csv: an existing file is moved aside to FILE.old-<time>, never deleted" };
        var cmd = new Command("canaries", "Re-create each bug of the seeds (HAKMEM_INJECT) in the cell where it hurt, next to the same cell\n"
            + "without it, and report how often the lab detects it. " + string.Join("; ", Canary.All.Select(c => $"{c.Name}: {c.Recreates}")) + ".");
        cmd.Options.Add(runs);
        cmd.Options.Add(only);
        cmd.Options.Add(csv);
        cmd.Options.Add(force);
        cmd.SetAction((r, cancel) => CommandGuard.Run("canaries", async () =>
        {
            int n = r.GetValue(runs) ?? 20;
            IReadOnlyList<Canary> selected = Canary.All;
            if (ListOption.Items("--only", r.GetValue(only), "registry-miss,unowned-drain") is { } wanted)
            {
                var unknown = wanted.Where(w => Canary.All.All(c => c.Name != w)).ToList();
                if (unknown.Count > 0)
                    throw new ArgumentException($"unknown canary '{unknown[0]}': expected {string.Join(", ", Canary.All.Select(c => c.Name))}");
                selected = Canary.All.Where(c => wanted.Contains(c.Name)).ToList();
            }
            string path = r.GetValue(csv) ?? Path.Combine("results", $"canaries-{DateTime.UtcNow:yyyyMMdd-HHmmss}", RunsCsv.RunsFile);
            var (full, aside) = ExistingFile.Claim("--csv", path, r.GetValue(force));
            if (aside != null) Console.WriteLine($"{path} existed: moved aside to {aside}");
            using var records = CsvAppender<RunRecord>.Create(full);
            string resultDir = Path.GetDirectoryName(full)!;
            void Record(RunSpec spec, Hakmem.Workloads.WorkloadSpec workload, RunResult result, int run, string id)
            {
                var record = RunRecords.From(spec, workload, result, run, id, DateTimeOffset.UtcNow);
                records.Add(FailureArtifacts.Attach(record, records, spec, result, WorkerSnapshot.Pinned));
            }
            var runner = new ChildRunner(WorkerSnapshot.Pinned);
            var lines = new List<string> { "| canary | seed | cell | detected | outcomes with the canary | clean cell | expected |", "|---|---|---|---:|---|---|---|" };
            bool pass = true;
            foreach (var canary in selected)
            {
                var workload = canary.Target.Parse();
                var timeout = TimeSpan.FromSeconds(RunCommand.DefaultTimeout(workload));
                var bad = new List<RunResult>();
                var clean = new List<RunResult>();
                for (int i = 1; i <= n && !cancel.IsCancellationRequested; i++)
                {
                    RunResult withBug, without;
                    try
                    {
                        withBug = await runner.RunAsync(canary.Injected, timeout, cancel);
                        without = await runner.RunAsync(canary.Target, timeout, cancel);
                        foreach (var refused in new[] { withBug, without }.Where(x => x.Outcome == Outcome.Refused))
                            throw RunRefusedException.For($"canary {canary.Name} run {i}", refused.Message);
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }
                    bad.Add(withBug);
                    clean.Add(without);
                    Record(canary.Injected, workload, withBug, i, $"canary-{canary.Name}-{i}");
                    Record(canary.Target, workload, without, i, $"clean-{canary.Name}-{i}");
                    if (!Console.IsOutputRedirected) Console.Write($"\r{canary.Name}: run {i}/{n}   ");
                }
                if (!Console.IsOutputRedirected) Console.Write("\r" + new string(' ', 60) + "\r");
                int detected = bad.Count(x => canary.Detects(x.Outcome));
                int other = bad.Count(x => x.Outcome != Outcome.Ok && !canary.Detects(x.Outcome));
                int cleanOk = clean.Count(x => x.Outcome == Outcome.Ok);
                bool ok = detected >= RequiredDetection * bad.Count && cleanOk == clean.Count && bad.Count == n;
                pass &= ok;
                lines.Add($"| {canary.Name} | {canary.Seed} | {workload.CommandLine} {canary.Target.KnobText} | {detected}/{bad.Count} {(ok ? "" : "**FAIL**")} | "
                    + $"{Outcomes(bad)}{(other > 0 ? $" ({other} other: not this bug's outcome)" : "")} | {cleanOk}/{clean.Count} ok{(cleanOk < clean.Count ? $" ({Outcomes(clean)})" : "")} | {canary.Expected} |");
                var first = bad.FirstOrDefault(x => canary.Detects(x.Outcome));
                if (first != null) Console.Error.WriteLine($"{canary.Name}: first detection: {first.Outcome.Name()}: {first.Message}");
                var firstOther = bad.FirstOrDefault(x => x.Outcome != Outcome.Ok && !canary.Detects(x.Outcome));
                if (firstOther != null) Console.Error.WriteLine($"{canary.Name}: other failure (not counted as detected): {firstOther.Outcome.Name()}: {firstOther.Message}");
            }
            foreach (var line in lines) Console.WriteLine(line);
            Console.WriteLine($"runs written to {records.Path}; the evidence of each failed run is in {Path.Combine(resultDir, FailureArtifacts.Folder)}");
            Console.WriteLine(pass ? $"canaries: every canary detected in at least {RequiredDetection * 100:0}% of its {n} runs, every clean cell ok"
                : "canaries: FAILED (a canary went undetected too often, or a clean cell did not stay ok)");
            if (n < MinRunsForRule)
                Console.WriteLine($"canaries: --runs {n} is too few to show the {RequiredDetection * 100:0}% rule: that takes at least {MinRunsForRule} runs "
                    + $"(below that, one missed detection is more than {(1 - RequiredDetection) * 100:0}%); the verdict above is of these {n} runs only");
            return cancel.IsCancellationRequested ? 130 : pass ? 0 : 1;
        }));
        return cmd;
    }

    private static string Outcomes(IEnumerable<RunResult> results) =>
        string.Join(", ", results.GroupBy(x => x.Outcome).OrderByDescending(g => g.Count()).Select(g => $"{g.Key.Name()} {g.Count().ToString(CultureInfo.InvariantCulture)}"));
}
