using System.CommandLine;
using System.Globalization;
using Hakmem.Lab.Backends;
using Hakmem.Lab.Results;
using Hakmem.Lab.Running;

namespace Hakmem.Lab.Cli;

/// <summary><c>hklab repro RUNS RUN_ID</c>: one recorded run again, exactly as it was specified (workload and
/// seed, allocator, knobs, environment), N times: the first step of every crash hunt.</summary>
public static class ReproCommand
{
    public static Command Create()
    {
        var input = new Argument<string>("runs") { Description = "a runs CSV file, or a result directory" };
        var id = new Argument<string>("run_id") { Description = "the run to repeat (the run_id column; a unique prefix will do)" };
        var runs = NumberOption.Int("--runs", "how many times (default 1), each in its own process", 1, MatrixOptions.MaxRuns);
        runs.Aliases.Add("-n");
        var timeout = NumberOption.Seconds("--timeout", "seconds before a run is killed (default: as hklab run)");
        var cmd = new Command("repro", "Run one recorded run again: the same workload, arguments (seed included), allocator, knobs and\n"
            + "environment, each time in its own child process; print every outcome. Exit code 1 when any run failed,\n"
            + "0 when every run was ok, 2 on bad input.");
        cmd.Arguments.Add(input);
        cmd.Arguments.Add(id);
        cmd.Options.Add(runs);
        cmd.Options.Add(timeout);
        cmd.SetAction((r, cancel) => CommandGuard.Run("repro", async () =>
        {
            string file = RunsCsv.Resolve(r.GetValue(input)!);
            var all = RunsCsv.Read(file);
            string wanted = r.GetValue(id)!;
            var matches = all.Where(x => x.RunId == wanted).ToList();
            if (matches.Count == 0) matches = all.Where(x => x.RunId.StartsWith(wanted, StringComparison.Ordinal)).ToList();
            if (matches.Count == 0) throw new ArgumentException($"no run '{wanted}' in {file} ({all.Count} runs, e.g. {all.FirstOrDefault()?.RunId ?? "none"})");
            if (matches.Count > 1) throw new ArgumentException($"'{wanted}' is the start of {matches.Count} run ids in {file} ({string.Join(", ", matches.Take(3).Select(x => x.RunId))}, ...): give more of it");
            var record = matches[0];
            // A run recorded by a newer build may say what this build cannot do: a column it does not know.
            var unknown = Csv.Header(file).Except(RunsCsv.Columns).ToList();
            if (unknown.Count > 0)
                throw new ArgumentException($"{file} was written by another build of hklab (this run: {(record.Build.Length > 0 ? record.Build : "unknown")}) with columns this build "
                    + $"({Provenance.Build}) does not know: {string.Join(", ", unknown)}; repeat it with that build");
            var spec = SpecOf(record, ResultMeta.Read(Path.GetDirectoryName(Path.GetFullPath(file))!));
            var workload = spec.Parse();
            Console.WriteLine($"{record.RunId}: {record.Outcome}{(record.Message.Length > 0 ? $" ({record.Message})" : "")}");
            if (record.Build.Length > 0 && record.Build != Provenance.Build)
                Console.WriteLine($"note: recorded with the build {record.Build}; this is {Provenance.Build}");
            int n = r.GetValue(runs) ?? 1;
            var limit = TimeSpan.FromSeconds(r.GetValue(timeout) ?? RunCommand.DefaultTimeout(workload));
            var runner = new ChildRunner(WorkerSnapshot.Pinned);
            var results = new List<RunResult>();
            for (int i = 1; i <= n && !cancel.IsCancellationRequested; i++)
            {
                var result = await runner.RunAsync(spec, limit, cancel);
                if (result.Outcome == Outcome.Refused) throw RunRefusedException.For($"run {i}", result.Message);
                results.Add(result);
                string head = $"run {i.ToString(CultureInfo.InvariantCulture).PadLeft(n.ToString(CultureInfo.InvariantCulture).Length)}/{n}  {result.Outcome.Name(),-7}";
                Console.WriteLine(result.Outcome.Finished()
                    ? $"{head}  {Units.Rate(result.OpsPerSec)} ops/s{(result.Message.Length > 0 ? "  " + result.Message : "")}"
                    : $"{head}  exit {result.ExitCode}{(result.Signal is int s ? $" [{Classifier.SignalName(s)}]" : "")}  {result.Message}");
            }
            Console.WriteLine(Wilson.Describe(results.Count(x => x.Outcome.IsFailure()), results.Count));
            return results.All(x => x.Outcome == Outcome.Ok) ? 0 : 1;
        }));
        return cmd;
    }

    /// <summary>The run spec a recorded run was made from: its columns, and for lib:NAME the library's
    /// full path from the set's meta.json (else beside the runs file, else the name as a path).</summary>
    public static RunSpec SpecOf(RunRecord r, ResultMeta? meta)
    {
        string allocator = r.Allocator == "lib" && r.Build.StartsWith(BackendInfo.LibraryPrefix, StringComparison.Ordinal) ? r.Build : r.Allocator;
        if (allocator.StartsWith(BackendInfo.LibraryPrefix, StringComparison.Ordinal))
        {
            string? path = meta?.Libraries.Select(l => l.Split(" = ", 2)).FirstOrDefault(p => p.Length == 2 && p[0] == allocator)?[1];
            allocator = BackendInfo.LibraryPrefix + (path ?? allocator[BackendInfo.LibraryPrefix.Length..]);
        }
        var options = HakmemOptions.Default with
        {
            FastCap = r.FastCap ?? HakmemOptions.Default.FastCap,
            TlsSll = OnOff.Parse(r.TlsSll) ?? HakmemOptions.Default.TlsSll,
            TlsList = OnOff.Parse(r.TlsList) ?? HakmemOptions.Default.TlsList,
            P0BatchRefill = OnOff.Parse(r.P0) ?? HakmemOptions.Default.P0BatchRefill,
            Guards = OnOff.Parse(r.Guards) ?? false,
            MaxMemoryBytes = (r.MaxMb ?? 0) << 20,
            Inject = SeedBugs.Parse(r.Inject),
            LargeCacheBytes = r.LargeCacheMb is long cache ? cache << 20 : HakmemOptions.Default.LargeCacheBytes,
            LargeCacheDecayMs = r.LargeDecayMs ?? HakmemOptions.Default.LargeCacheDecayMs,
            MidCache = r.MidCache != "off",
        };
        var env = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in r.Env.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = pair.IndexOf('=');
            if (eq > 0) env[pair[..eq]] = pair[(eq + 1)..];
        }
        var args = r.Workload == "exec" ? [r.Args] : r.Args.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return new RunSpec(r.Workload, args, allocator, options)
        {
            Env = env, Touch = r.Touch.Length > 0 ? r.Touch : null, Repeat = r.Repeat, Pin = r.Pin == "on" ? true : null, SettleMs = r.SettleMs,
        };
    }
}
