using System.CommandLine;
using System.Globalization;
using Hakmem.Lab.Backends;
using Hakmem.Lab.Output;
using Hakmem.Lab.Results;
using Hakmem.Lab.Running;
using Hakmem.Workloads;

namespace Hakmem.Lab.Cli;

/// <summary><c>hklab run</c>: one workload on one allocator configuration, N times, each run in its own
/// child process; a line per run, then a summary with the crash rate's confidence interval.</summary>
public static class RunCommand
{
    public static Command Create()
    {
        var workload = new Argument<string?>("workload")
        {
            Arity = ArgumentArity.ZeroOrOne,
            Description = $"{string.Join(", ", WorkloadSpec.Names)}, exec (or --exec), or a scenario: {Scenarios.NamesForHelp()}",
        };
        var args = new Argument<string[]>("args")
        {
            Arity = ArgumentArity.ZeroOrMore,
            Description = $"the workload's arguments, as the C benchmarks take them: {WorkloadCatalog.UsageList()}",
        };
        var allocator = new Option<string?>("--allocator", "-a") { Description = $"{string.Join(", ", BackendInfo.Names)}, or lib:PATH (a malloc library of your own); default hakmem, system for --exec" };
        var exec = new Option<string?>("--exec") { Description = "run an external benchmark program instead of a workload: 'CMD ARGS', on the allocator preloaded into it", HelpName = "command" };
        var env = new Option<string[]>("--env") { Description = "NAME=value for the run's environment (repeatable); for hakmem, HAKMEM_* names set its knobs", HelpName = "NAME=value", Arity = ArgumentArity.OneOrMore, AllowMultipleArgumentsPerToken = false };
        var opsRegex = new Option<string?>("--ops-regex") { Description = "--exec: the regular expression the program's figure is read with, per second (its group n or first group; "
            + "a group unit may hold K, M or G; default: the formats of the field's benchmarks, README's table)", HelpName = "regex" };
        var touch = MemoryOptions.TouchOption();
        var settle = MemoryOptions.SettleOption();
        var rssEvery = MemoryOptions.RssEveryOption();
        var repeat = MemoryOptions.RepeatOption();
        var pin = MemoryOptions.PinOption();
        var cwd = new Option<string?>("--cwd") { Description = "--exec: the program's working directory (default: a directory of its own for each run)", HelpName = "dir" };
        var threads = NumberOption.Int("--threads", "override the workload's thread count", 1, 1024);
        threads.Aliases.Add("-t");
        var runs = NumberOption.Int("--runs", "how many runs, each in its own process (default 1)", 1, MatrixOptions.MaxRuns);
        runs.Aliases.Add("-n");
        var timeout = NumberOption.Seconds("--timeout", "seconds before a run is killed and counted as timeout (default: larson 3x its seconds + 60, others 300)");
        var csv = new Option<string?>("--csv", "--out") { Description = "write the runs file (CSV) here, a row as each run ends; refused when the file exists, unless --force" };
        var force = new Option<bool>("--force") { Description = "with --csv: an existing file is moved aside to FILE.old-<time>, never deleted" };
        var knobs = new HakmemKnobOptions();

        var cmd = new Command("run", "Run one workload on one allocator configuration, each run isolated in a child process.\n"
            + "HAKMEM_* environment variables apply when the matching flag is not given, e.g.\n"
            + "  HAKMEM_TINY_FAST_CAP=0 hklab run larson 2 8 128 1024 1 12345 4\n"
            + "  hklab run random_mixed 25000 2048 123 --runs 20 --csv runs.csv\n"
            + "  hklab run --exec './larson_hakmem 2 8 128 1024 1 12345 4' --allocator lib:./libhakmem.so --runs 20");
        cmd.Arguments.Add(workload);
        cmd.Arguments.Add(args);
        foreach (Option o in new Option[] { allocator, exec, env, opsRegex, cwd, touch, settle, rssEvery, repeat, pin, threads, runs, timeout, csv, force }) cmd.Options.Add(o);
        knobs.AddTo(cmd);

        cmd.SetAction((r, cancel) => CommandGuard.Run("run", async () =>
        {
            var given = r.GetValue(args) ?? [];
            if (given.FirstOrDefault(a => a.StartsWith('-') && !double.TryParse(a, System.Globalization.CultureInfo.InvariantCulture, out _)) is string unknown)
                throw new ArgumentException($"unknown option '{unknown}' (hklab run --help lists the options)");
            string? command = r.GetValue(exec);
            if (command != null && (r.GetValue(workload) != null || given.Length > 0))
                throw new ArgumentException($"--exec runs a program: give either a workload or --exec, not both ('{r.GetValue(workload)} {string.Join(' ', given)}'.Trim())");
            string name = command != null ? "exec" : r.GetValue(workload) ?? throw new ArgumentException("no workload: give one (larson, random_mixed, mid_large_mt, large_mixed, a scenario) or --exec 'CMD ARGS'");
            var spec = WorkloadSpec.Parse(name, command != null ? [command] : given);
            if (r.GetValue(threads) is int t) spec = spec.WithThreads(t);
            var backend = BackendInfo.Get(r.GetValue(allocator) ?? (spec is ExecWorkload ? "system" : "hakmem"));
            if (spec is ExecWorkload) backend.Preload(); // hakmem and bump have no library to preload: refused now, not in every run
            var assignments = EnvAssignments.ParseCell(r.GetValue(env));
            // For hakmem, HAKMEM_* assignments set the same options as the knob flags (which win).
            var options = knobs.Resolve(r, HakmemOptions.FromVariables(n => assignments.GetValueOrDefault(n) ?? Environment.GetEnvironmentVariable(n)));
            // The environment's settings join the cell's env where they change it (recorded, as --env would be).
            var ambient = AmbientSettings.CaptureProcess();
            foreach (var (k, v) in AmbientSettings.For(ambient, backend, spec is ExecWorkload)) assignments.TryAdd(k, v);
            var runSpec = new RunSpec(spec.Name, spec.Arguments, backend.SpecName, options)
            {
                Env = assignments, OpsRegex = spec is ExecWorkload ? MatrixOptions.ProgramPattern(r.GetValue(opsRegex)) : null,
                Cwd = spec is ExecWorkload ? MatrixOptions.WorkingDirectory(r.GetValue(cwd)) : null,
                Touch = spec is ExecWorkload ? null : MemoryOptions.ParseTouch(r.GetValue(touch)),
                SettleMs = spec is ExecWorkload ? null : r.GetValue(settle),
                Repeat = spec is ExecWorkload ? null : r.GetValue(repeat),
                Pin = spec is ExecWorkload || !r.GetValue(pin) ? null : true,
            };
            var limit = TimeSpan.FromSeconds(r.GetValue(timeout) ?? DefaultTimeout(spec));
            if (spec is ExecWorkload program) ProgramPath.Check(program.Template);
            Preflight.Check([runSpec], WorkerSnapshot.Pinned);
            AmbientSettings.Announce(ambient);
            // The output is claimed before the first run: a bad path must not cost the measurements.
            CsvAppender<RunRecord>? file = null;
            if (r.GetValue(csv) is string path)
            {
                var (full, aside) = ExistingFile.Claim("--csv", path, r.GetValue(force));
                if (aside != null) Console.WriteLine($"{path} existed: moved aside to {aside}");
                file = CsvAppender<RunRecord>.Create(full);
            }
            var runner = new ChildRunner(WorkerSnapshot.Pinned) { RssEvery = r.GetValue(rssEvery) is int ms ? TimeSpan.FromMilliseconds(ms) : null };
            using (file) return await RunAll(runner, runSpec, spec, r.GetValue(runs) ?? 1, limit, file, cancel);
        }));
        return cmd;
    }

    public static double DefaultTimeout(WorkloadSpec spec) => spec is Larson l ? 3 * l.Seconds + 60 : 300;

    private static async Task<int> RunAll(ChildRunner runner, RunSpec runSpec, WorkloadSpec spec, int runs, TimeSpan limit, CsvAppender<RunRecord>? csv, CancellationToken cancel)
    {
        Console.WriteLine($"{spec.CommandLine} on {runSpec.Allocator} {runSpec.KnobText}".TrimEnd());
        var results = new List<RunResult>();
        string? writeFailure = null;
        string invocation = DateTimeOffset.UtcNow.ToString("yyyyMMdd'T'HHmmss", CultureInfo.InvariantCulture) + "-" + Random.Shared.Next(0x10000).ToString("x4", CultureInfo.InvariantCulture);
        int width = runs.ToString(CultureInfo.InvariantCulture).Length;
        try
        {
            for (int i = 1; i <= runs; i++)
            {
                var started = DateTimeOffset.UtcNow;
                var result = await runner.RunAsync(runSpec, limit, i, cancel);
                if (result.Outcome == Outcome.Refused) throw RunRefusedException.For($"run {i}", result.Message);
                results.Add(result);
                Console.WriteLine(RunLine(i, runs, width, result));
                if (csv != null)
                {
                    var record = RunRecords.From(runSpec, spec, result, i, $"{invocation}-{i}", started);
                    record = FailureArtifacts.Attach(record, csv, runSpec, result, WorkerSnapshot.Pinned);
                    if (record.Artifacts.Length > 0) Console.WriteLine($"{new string(' ', width * 2 + 6)}evidence: {Path.Combine(Path.GetDirectoryName(csv.Path)!, record.Artifacts)}");
                    csv.Add(record);
                }
            }
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine($"hklab run: interrupted after {results.Count} of {runs} runs");
        }
        catch (ResultWriteException e)
        {
            writeFailure = e.Message;
        }
        Console.WriteLine();
        foreach (var line in Summary(results)) Console.WriteLine(line);
        if (writeFailure != null) return CommandGuard.Fail("run", writeFailure, 1);
        if (csv != null) Console.WriteLine($"runs written to {csv.Path}");
        if (cancel.IsCancellationRequested) return 130;
        return results.All(x => x.Outcome == Outcome.Ok) ? 0 : 1;
    }

    private static string RunLine(int i, int runs, int width, RunResult r)
    {
        string head = $"run {i.ToString(CultureInfo.InvariantCulture).PadLeft(width)}/{runs}  {r.Outcome.Name(),-7}";
        if (r.Outcome is Outcome.Ok or Outcome.Leak)
        {
            string leak = r.LeakedBlocks is long lb ? $"  leaked {lb}" : "";
            string over = r.BaseRssKb is long b && r.PeakRssKb > b ? $" (+{Units.Kb(r.PeakRssKb - b)} over base)" : "";
            if (r.Report?.PeakLiveKb is long live && live > 0 && r.BaseRssKb is long b2)
                over += $" live {Units.Kb(live)} overhead {((double)Math.Max(0, r.PeakRssKb - b2) / live).ToString("0.00", CultureInfo.InvariantCulture)}";
            if (r.Report?.RetainedKb is long kept) over += $" retained {Units.Kb(kept)}"
                + (r.Report.RetainedSettledKb is long settled ? $" ({Units.Kb(settled)} settled, {Units.Kb(r.Report.RetainedReleasedKb ?? 0)} released)" : "");
            string routes = r.Routes.Length > 0 ? $"\n{new string(' ', head.Length)}  routes {r.Routes}" : "";
            string figure = r.Report?.Metric == Metrics.Seconds ? $"{"time only",14}" : $"{Units.Rate(r.OpsPerSec),8} ops/s";
            if (r.Report?.OpsUnit is { } unit && unit != ProgramFigure.PerSecond && r.Report.Metric != Metrics.Seconds) figure = $"{Units.Rate(r.OpsPerSec),8} {unit}";
            return $"{head}  {figure}  {Units.Seconds(r.Seconds),8}  rss {Units.Kb(r.PeakRssKb)}{over}{leak}{routes}";
        }
        string sig = r.Signal is int s ? $" [{Classifier.SignalName(s)}]" : "";
        return $"{head}  exit {r.ExitCode}{sig}  {r.Message}";
    }

    public static IEnumerable<string> Summary(IReadOnlyList<RunResult> results)
    {
        int n = results.Count;
        var counts = results.GroupBy(x => x.Outcome).OrderBy(g => g.Key).Select(g => $"{g.Key.Name()} {g.Count()}");
        yield return $"runs {n}: {string.Join(", ", counts)}";
        var finished = results.Where(x => x.Outcome.Finished()).ToList();
        var rates = finished.Where(x => x.Report?.Metric != Metrics.Seconds).Select(x => x.OpsPerSec).ToList();
        var seconds = finished.Select(x => x.Seconds).Where(x => x > 0).ToList();
        if (seconds.Count > 0 && rates.Count == 0)
        {
            // A program that prints no figure is judged by its time: less is better.
            string ci = Estimators.MedianInterval(seconds) is var (lo, hi) ? $", 95% CI of the median {Units.Seconds(lo)} - {Units.Seconds(hi)}" : "";
            yield return $"time median {Units.Seconds(Estimators.Median(seconds))} (min {Units.Seconds(seconds.Min())}, max {Units.Seconds(seconds.Max())}{ci}); the program printed no figure: it is judged by its time";
            yield return $"peak RSS median {Units.Kb((long)Estimators.Median(finished.Select(x => (double)x.PeakRssKb).ToList()))}";
        }
        if (rates.Count > 0)
        {
            double median = Estimators.Median(rates);
            double spread = rates.Count > 1 ? (rates.Max() - rates.Min()) / median * 100 : 0;
            var d = Summarizer.Throughput(rates);
            string ci = d?.CiLow is double lo && d.CiHigh is double hi ? $", 95% CI of the median {Units.Rate(lo)} - {Units.Rate(hi)}" : "";
            yield return $"ops/s median {Units.Rate(median)} (min {Units.Rate(rates.Min())}, max {Units.Rate(rates.Max())}, spread {spread.ToString("0.0", CultureInfo.InvariantCulture)}%{ci})";
            yield return $"peak RSS median {Units.Kb((long)Estimators.Median(results.Where(x => x.Outcome.Finished()).Select(x => (double)x.PeakRssKb).ToList()))}";
        }
        var overheads = finished.Where(x => x.Report?.PeakLiveKb is > 0 && x.BaseRssKb != null)
            .Select(x => (double)Math.Max(0, x.PeakRssKb - x.BaseRssKb!.Value) / x.Report!.PeakLiveKb!.Value).ToList();
        if (overheads.Count > 0)
            yield return $"overhead median {Estimators.Median(overheads).ToString("0.00", CultureInfo.InvariantCulture)} (peak RSS above base per peak live byte), "
                + $"peak live median {Units.Kb((long)Estimators.Median(finished.Where(x => x.Report?.PeakLiveKb != null).Select(x => (double)x.Report!.PeakLiveKb!.Value).ToList()))}";
        var retained = finished.Where(x => x.Report?.RetainedKb != null).Select(x => (double)x.Report!.RetainedKb!.Value).ToList();
        if (retained.Count > 0) yield return $"retained median {Units.Kb((long)Estimators.Median(retained))} above base once everything was freed";
        yield return Wilson.Describe(results.Count(x => x.Outcome.IsFailure()), n);
        foreach (var first in results.Where(x => x.Outcome != Outcome.Ok).GroupBy(x => x.Message).Take(5))
            yield return $"  {first.First().Outcome.Name()} x{first.Count()}: {first.Key}";
    }
}
