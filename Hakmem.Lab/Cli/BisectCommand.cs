using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Hakmem.Lab.Backends;
using Hakmem.Lab.Bisect;
using Hakmem.Lab.Output;
using Hakmem.Lab.Results;
using Hakmem.Lab.Running;
using Hakmem.Workloads;

namespace Hakmem.Lab.Cli;

/// <summary><c>hklab bisect GOOD BAD CELL</c>: the first commit at which a cell fails more often (by crash) or
/// runs slower (by throughput), in this repository (each commit a build of hklab) or any other (each commit
/// checked out and built with --build, the cell run on this hklab with the commit's library or program).</summary>
public static class BisectCommand
{
    public const int DefaultMaxRuns = 400, DefaultCrashRuns = 10, DefaultPairs = 6, DefaultMaxPairs = 40;

    public static Command Create()
    {
        var good = new Argument<string>("GOOD") { Description = "a commit where the cell is good (fails rarely or never; or is fast)" };
        var bad = new Argument<string>("BAD") { Description = "a later commit where it is bad (fails more often; or is slower); GOOD must be its ancestor" };
        var workload = new Argument<string?>("workload")
        {
            Arity = ArgumentArity.ZeroOrOne,
            Description = $"the cell, as hklab run takes it: {string.Join(", ", WorkloadSpec.Names)}, a scenario, or --exec 'CMD'",
        };
        var args = new Argument<string[]>("args") { Arity = ArgumentArity.ZeroOrMore, Description = "the workload's arguments" };
        var allocator = new Option<string?>("--allocator", "-a") { Description = $"{string.Join(", ", BackendInfo.Names)}, or lib:PATH; with another --repo a relative "
            + "lib:PATH is the library built at each commit, in its worktree (default hakmem, system for --exec)" };
        var exec = new Option<string?>("--exec") { Description = "run a program instead of a workload: 'CMD ARGS'; with another --repo a relative program is the commit's own", HelpName = "command" };
        var env = new Option<string[]>("--env") { Description = "NAME=value for the runs' environment (repeatable)", HelpName = "NAME=value", Arity = ArgumentArity.OneOrMore, AllowMultipleArgumentsPerToken = false };
        var opsRegex = new Option<string?>("--ops-regex") { Description = "--exec: the regular expression the program's figure is read with", HelpName = "regex" };
        var cwd = new Option<string?>("--cwd") { Description = "--exec: the program's working directory (default: one of its own for each run)", HelpName = "dir" };
        var threads = NumberOption.Int("--threads", "override the workload's thread count", 1, 1024);
        threads.Aliases.Add("-t");
        var timeout = NumberOption.Seconds("--timeout", "seconds before a run is killed and counted as timeout (default: as hklab run)");
        var touch = MemoryOptions.TouchOption();
        var repeat = MemoryOptions.RepeatOption();
        var pin = MemoryOptions.PinOption();
        var knobs = new HakmemKnobOptions();

        var repo = new Option<string?>("--repo") { Description = "the repository to bisect (default: this one, each commit a build of hklab)", HelpName = "dir" };
        var build = new Option<string?>("--build") { Description = "another --repo: the command that builds a commit, run through sh in its worktree (e.g. make); a commit it fails on is skipped", HelpName = "command" };
        var buildTimeout = NumberOption.Seconds("--build-timeout", "seconds a --build may take before the commit is skipped (default 1800)");
        var by = new Option<string>("--by") { Description = "crash: the first commit that fails more often than GOOD; throughput: the first that is slower beyond --threshold", DefaultValueFactory = _ => "crash", HelpName = "crash|throughput" };
        by.AcceptOnlyFromAmong("crash", "throughput");
        var confidence = new Option<string>("--confidence") { Description = "stop when the answer holds with this probability (0.95, or 95%)", DefaultValueFactory = _ => "0.95", HelpName = "p" };
        var maxRuns = NumberOption.Int("--max-runs", $"the most runs in all, the ends included (default {DefaultMaxRuns}); spent undecided: exit 1 with the best guess", 2, MatrixOptions.MaxRuns);
        var runs = NumberOption.Int("--runs", $"crash: runs at each end before bisecting, and at least at first bad and last good (default {DefaultCrashRuns}); "
            + $"throughput: pairs a comparison takes before its first look (default {DefaultPairs})", 1, 1000);
        var threshold = new Option<string>("--threshold") { Description = "throughput: the smallest relative slowdown that counts", DefaultValueFactory = _ => "5%" };
        var maxPairs = NumberOption.Int("--max-pairs", $"throughput: the most pairs one comparison takes; a commit still undecided then is skipped (default {DefaultMaxPairs})", 2, 100000);
        var firstParent = OnOff.Option("--first-parent", "walk BAD's first parents only, as merges came in (default on)");
        var path = new Option<string[]>("--path") { Description = "only the commits that touch this path (repeatable; a git pathspec)", HelpName = "pathspec", Arity = ArgumentArity.OneOrMore, AllowMultipleArgumentsPerToken = false };
        var allowDirty = new Option<bool>("--allow-dirty") { Description = "bisect a --repo that has uncommitted changes (commits are built from their own trees, never the working tree)" };
        var seed = NumberOption.Int("--seed", "throughput: seed of the pairs' orders (default: drawn)", 0, int.MaxValue);
        var output = new Option<string?>("--out", "-o") { Description = "result directory (default results/bisect-<time>); refused when it holds a result set, unless --force" };
        var force = new Option<bool>("--force") { Description = "--out holds a result set: move it aside to DIR.old-<time> and start over" };

        var cmd = new Command("bisect", "Find the first bad commit of a cell between GOOD and BAD: by crash (a failure that comes in a share of the\n"
            + "runs: a Bayesian bisection that chooses each commit and its number of runs to learn the most per second, and\n"
            + "stops when one commit holds --confidence of the probability), or by throughput (paired runs against GOOD, as\n"
            + "hklab ab). The ends are measured first (BAD must fail more often, or be slower); the answer is compared with\n"
            + "the commit before it at the end. Writes DIR/bisect.csv, DIR/runs.csv, DIR/summary.md, DIR/result.json.\n"
            + "Exit 0 found, 1 undecided (the budget ended; result.json has the best guess), 2 bad input.\n"
            + "  hklab bisect v1.2 main larson 2 8 128 1024 1 12345 4 --runs 10\n"
            + "  hklab bisect good bad random_mixed 20000 256 1 --repo ../mymalloc --build make --allocator lib:libmymalloc.so\n"
            + "  hklab bisect good bad --exec './bench 4' --repo ../mymalloc --build make --allocator lib:libmymalloc.so --by throughput");
        cmd.Arguments.Add(good);
        cmd.Arguments.Add(bad);
        cmd.Arguments.Add(workload);
        cmd.Arguments.Add(args);
        foreach (Option o in new Option[] { allocator, exec, env, opsRegex, cwd, threads, timeout, touch, repeat, pin, repo, build, buildTimeout, by, confidence, maxRuns, runs, threshold, maxPairs,
            firstParent, path, allowDirty, seed, output, force })
            cmd.Options.Add(o);
        knobs.AddTo(cmd);

        cmd.SetAction((r, cancel) => CommandGuard.Run("bisect", async () =>
        {
            var clock = Stopwatch.StartNew();
            // The cell, as hklab run reads it.
            var given = r.GetValue(args) ?? [];
            if (given.FirstOrDefault(a => a.StartsWith('-') && !double.TryParse(a, CultureInfo.InvariantCulture, out _)) is string unknown)
                throw new ArgumentException($"unknown option '{unknown}' (hklab bisect --help lists the options)");
            string? command = r.GetValue(exec);
            if (command != null && (r.GetValue(workload) != null || given.Length > 0))
                throw new ArgumentException($"--exec runs a program: give either a workload or --exec, not both");
            string name = command != null ? "exec" : r.GetValue(workload)
                ?? throw new ArgumentException("no cell: give a workload with its arguments (larson 2 8 128 1024 1 12345 4) or --exec 'CMD ARGS' after GOOD and BAD");
            var spec = WorkloadSpec.Parse(name, command != null ? [command] : given);
            if (r.GetValue(threads) is int t) spec = spec.WithThreads(t);
            var assignments = EnvAssignments.ParseCell(r.GetValue(env));
            var options = knobs.Resolve(r, HakmemOptions.FromVariables(n => assignments.GetValueOrDefault(n) ?? Environment.GetEnvironmentVariable(n)));
            var ambient = AmbientSettings.CaptureProcess();
            string allocatorText = r.GetValue(allocator) ?? (spec is ExecWorkload ? "system" : "hakmem");
            var cell = new BisectCell(spec, allocatorText, options, assignments, ambient)
            {
                OpsRegex = spec is ExecWorkload ? MatrixOptions.ProgramPattern(r.GetValue(opsRegex)) : null,
                Cwd = spec is ExecWorkload ? MatrixOptions.WorkingDirectory(r.GetValue(cwd)) : null,
                Touch = spec is ExecWorkload ? null : MemoryOptions.ParseTouch(r.GetValue(touch)),
                Repeat = spec is ExecWorkload ? null : r.GetValue(repeat),
                Pin = spec is ExecWorkload || !r.GetValue(pin) ? null : true,
            };

            // The repository and the range.
            string? buildCommand = r.GetValue(build);
            if (buildCommand is { } bc && bc.Trim().Length == 0) throw new ArgumentException("--build '' is empty: expected the command that builds a commit, e.g. make");
            string repoDir = r.GetValue(repo) ?? Environment.CurrentDirectory;
            if (!Directory.Exists(repoDir)) throw new ArgumentException($"--repo '{repoDir}' does not exist: expected a git repository");
            string top = Ab.Git.TopLevel(repoDir) ?? throw new ArgumentException(r.GetValue(repo) != null
                ? $"--repo '{repoDir}' is not a git repository" : "there is no git repository here: run bisect in a checkout of hklab, or give --repo");
            bool thisRepo = buildCommand == null && File.Exists(Path.Combine(top, "Hakmem.Lab", "Hakmem.Lab.csproj"));
            if (r.GetValue(repo) == null && !thisRepo) throw new ArgumentException($"{top} is not a checkout of hklab: give --repo and --build to bisect another repository");
            bool walkFirstParent = OnOff.Parse(r.GetValue(firstParent)) ?? true;
            var range = CommitRange.Resolve(top, r.GetValue(good)!, r.GetValue(bad)!, walkFirstParent, r.GetValue(path) ?? [], r.GetValue(allowDirty));
            // Bind the cell where it can be bound now: a library or program of the commit exists only once it is built.
            if (thisRepo || !RelativeToCommit(cell)) cell.Bind(null);

            var mode = r.GetValue(by) == "throughput" ? BisectMode.Throughput : BisectMode.Crash;
            double p = ParseConfidence(r.GetValue(confidence)!);
            double th = CompareCommand.ParseThreshold(r.GetValue(threshold)!);
            if (mode == BisectMode.Throughput && th <= 0) throw new ArgumentException("--threshold 0 cannot be shown: expected a slowdown above 0, such as 5%");
            int start = r.GetValue(runs) ?? (mode == BisectMode.Crash ? DefaultCrashRuns : DefaultPairs);
            int most = r.GetValue(maxRuns) ?? DefaultMaxRuns;
            if (most < 2 * start)
                throw new ArgumentException($"--max-runs {most} is below the {2 * start} runs that measure the ends first (--runs {start} {(mode == BisectMode.Crash ? "runs at each end" : "pairs")}): expected at least {2 * start}");
            int pairs = r.GetValue(maxPairs) ?? DefaultMaxPairs;
            if (mode == BisectMode.Throughput && pairs < start) throw new ArgumentException($"--max-pairs {pairs} is below --runs {start}: expected at least {start}");
            var limit = TimeSpan.FromSeconds(r.GetValue(timeout) ?? RunCommand.DefaultTimeout(spec));
            var settings = new BisectSettings(mode, p, most, start, th, pairs, limit, r.GetValue(seed) ?? Random.Shared.Next());

            string commandLine = "hklab " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1).Select(Repro.Quote));
            using var dir = ResultDirectory.Open("--out", r.GetValue(output) ?? Path.Combine("results", $"bisect-{DateTime.UtcNow:yyyyMMdd-HHmmss}"),
                r.GetValue(force) ? ExistingSet.Force : ExistingSet.Refuse, commandLine, resumable: false);
            if (dir.MovedAside != null) Console.WriteLine($"the result set in {dir.Path} was moved aside to {dir.MovedAside}");
            AmbientSettings.Announce(ambient);
            Console.WriteLine($"bisect {range.Good.Short}..{range.Bad.Short} in {range.Repo}: {range.Commits.Count - 1} commits after GOOD"
                + $"{(walkFirstParent ? " (first parents)" : "")}, by {(mode == BisectMode.Crash ? "crash" : "throughput")}, {cell.Describe()}"
                + (thisRepo ? ", each commit a build of hklab" : buildCommand != null ? $", each commit built with '{buildCommand}'" : "") + $" -> {dir.Path}");
            if (thisRepo && range.Touched("workloads") is { Count: > 0 } touched)
                Console.WriteLine($"bisect: warning: the range changes the workloads themselves ({string.Join(", ", touched.Take(3))}{(touched.Count > 3 ? ", ..." : "")}): "
                    + "a workload that changed measures something else; --path limits the commits walked");

            using var builder = new CommitBuilder(range.Repo, thisRepo, buildCommand, cell, TimeSpan.FromSeconds(r.GetValue(buildTimeout) ?? 1800));
            var runner = new BisectRunner(range, builder, settings, Console.Out);
            try
            {
                runner.PrepareEnds();
            }
            catch
            {
                dir.RemoveIfUnused(); // GOOD or BAD cannot be tested: nothing is left behind
                throw;
            }
            BisectResult result;
            string runsFile = Path.Combine(dir.Path, RunsCsv.RunsFile);
            try
            {
                using var csv = CsvAppender<RunRecord>.Create(runsFile);
                result = await runner.RunAsync(csv, cancel);
            }
            catch (RunRefusedException)
            {
                // GOOD or BAD refused the cell (a configuration error, found at its first run): nothing is left behind.
                File.Delete(runsFile);
                dir.RemoveIfUnused();
                throw;
            }
            catch (OperationCanceledException)
            {
                // Interrupted: the table, the summary and result.json still say what each commit measured so far.
                var interrupted = runner.Interrupted();
                BisectOutput.Write(dir.Path, runner, interrupted, settings, cell, range, commandLine, clock.Elapsed);
                Console.WriteLine();
                Console.WriteLine($"bisect: {interrupted.Verdict}; see {Path.Combine(dir.Path, BisectOutput.SummaryFile)}");
                throw;
            }
            BisectOutput.Write(dir.Path, runner, result, settings, cell, range, commandLine, clock.Elapsed);
            Console.WriteLine();
            Console.WriteLine(result.Verdict);
            if (result.Direct.Length > 0) Console.WriteLine($"checked directly: {result.Direct}");
            foreach (var n in result.Notes) Console.WriteLine($"note: {n}");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"bisect: {result.Runs} runs, {result.CommitsBuilt} commits built, {clock.Elapsed.TotalSeconds:0.0} s; see {Path.Combine(dir.Path, BisectOutput.SummaryFile)}"));
            if (result.ExitCode == 2) Console.Error.WriteLine($"hklab bisect: {result.Verdict}");
            return result.ExitCode;
        }));
        return cmd;
    }

    /// <summary>Whether the cell names something of the commit: a relative lib: path or a relative program.</summary>
    private static bool RelativeToCommit(BisectCell cell)
    {
        if (cell.Allocator.StartsWith(BackendInfo.LibraryPrefix, StringComparison.Ordinal) && !Path.IsPathRooted(cell.Allocator[BackendInfo.LibraryPrefix.Length..])) return true;
        return cell.Workload is ExecWorkload e && !Path.IsPathRooted(e.Template[0]);
    }

    /// <summary>--confidence: a probability above 0.5 and below 1, or a percentage.</summary>
    public static double ParseConfidence(string text)
    {
        string s = text.Trim();
        bool percent = s.EndsWith('%');
        if (percent) s = s[..^1];
        if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v))
        {
            if (percent) v /= 100;
            if (v > 0.5 && v < 1) return v;
        }
        throw new ArgumentException($"--confidence '{text}' is not valid: expected a probability above 0.5 and below 1, such as 0.95 or 95%");
    }
}
