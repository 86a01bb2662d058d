using System.CommandLine;
using System.Diagnostics;
using System.Reflection;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Hakmem.Lab.Backends;
using Hakmem.Lab.Micro;
using Hakmem.Lab.Output;

namespace Hakmem.Lab.Cli;

/// <summary><c>hklab micro</c>: BenchmarkDotNet micro-benchmarks of alloc/free per size and backend, with
/// hakmem's ratio to every other backend in the same run.</summary>
public static class MicroCommand
{
    // jemalloc needs static TLS reserved at process start: micro re-runs itself once with it set.
    private const string TunablesVariable = "GLIBC_TUNABLES";

    public static Command Create()
    {
        var allocators = ListOption.Create("--allocators", "backends to measure", "hakmem and every installed C allocator");
        var jobName = new Option<string>("--job")
        {
            Description = "BenchmarkDotNet job: short (default: 3 warm-ups, 5 iterations of 100 ms; about 1.5 minutes for 5 backends), "
                + "dry (each benchmark once: a smoke test), medium, long, or default (BenchmarkDotNet's own: minutes per benchmark); "
                + $"or {PairedJob}: no BenchmarkDotNet, the backends take turns round by round (about 20 ms each, in a random order per round) "
                + "and each ratio is paired by round, with its 90% interval (about 15 s for 3 backends at 21 rounds)",
            DefaultValueFactory = _ => "short",
        };
        jobName.Validators.Add(result =>
        {
            foreach (var token in result.Tokens)
                if (!Jobs.ContainsKey(token.Value) && token.Value != PairedJob)
                    result.AddError($"--job '{token.Value}' is not valid: expected {string.Join(", ", Jobs.Keys)}, {PairedJob}");
        });
        var rounds = NumberOption.Int("--rounds", $"rounds of --job {PairedJob}, each backend once per round (default {PairedMicro.DefaultRounds})", 5, 10_000);
        var output = new Option<string?>("--out", "-o") { Description = "artifacts directory (default results/micro-<time>)" };
        var cmd = new Command("micro", "BenchmarkDotNet micro-benchmarks: alloc+free pairs, and batches of 1000 allocations then 1000 frees,\n"
            + "for 16 B, 64 B, 256 B, 1 KiB, 16 KiB and 256 KiB on each backend; in process, Release build only.\n"
            + "Writes BenchmarkDotNet's CSV and markdown reports under the artifacts directory; the summary shows each backend's time over hakmem's.");
        cmd.Options.Add(allocators);
        cmd.Options.Add(jobName);
        cmd.Options.Add(rounds);
        cmd.Options.Add(output);
        cmd.SetAction(r =>
        {
            if (typeof(MicroCommand).Assembly.GetCustomAttribute<DebuggableAttribute>()?.IsJITOptimizerDisabled == true)
            {
                Console.Error.WriteLine("hklab micro: this is a Debug build, which measures nothing meaningful (BenchmarkDotNet would silently run nothing); build with -c Release or use ./hklab");
                return 2;
            }
            IReadOnlyList<string> selected;
            try
            {
                selected = MatrixOptions.ResolveAllocators(r.GetValue(allocators)).Where(a => a != "bump").ToList();
            }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine($"hklab micro: {e.Message}");
                return 2;
            }
            var env = BackendInfo.Get("jemalloc").Environment!;
            if (selected.Contains("jemalloc") && Environment.GetEnvironmentVariable(TunablesVariable) == null)
                return RerunWith(env);

            string dir = Path.GetFullPath(r.GetValue(output) ?? Path.Combine("results", $"micro-{DateTime.UtcNow:yyyyMMdd-HHmmss}"));
            string name = r.GetValue(jobName)!;
            if (r.GetValue(rounds) != null && name != PairedJob)
            {
                Console.Error.WriteLine($"hklab micro: --rounds applies to --job {PairedJob} only (BenchmarkDotNet's jobs set their own iterations)");
                return 2;
            }
            if (name == PairedJob) return RunPaired(selected, r.GetValue(rounds) ?? PairedMicro.DefaultRounds, r.GetValue(output), dir);

            AllocFreeBenchmarks.Selected = selected;
            var job = Jobs[name].WithToolchain(InProcessEmitToolchain.Instance).WithId(name);
            var config = ManualConfig.Create(DefaultConfig.Instance)
                .AddJob(job)
                .WithArtifactsPath(dir)
                .WithOptions(ConfigOptions.DisableOptimizationsValidator | ConfigOptions.JoinSummary);
            var summary = BenchmarkRunner.Run<AllocFreeBenchmarks>(config);
            if (summary.Reports.Length == 0 || summary.HasCriticalValidationErrors || summary.Reports.Any(x => !x.Success))
            {
                Console.Error.WriteLine("hklab micro: some benchmarks did not run; see the log above");
                return 1;
            }
            foreach (var line in Ratios(summary)) Console.WriteLine(line);
            Console.WriteLine($"artifacts in {dir}");
            return 0;
        });
        return cmd;
    }

    private const string PairedJob = "paired";

    private static int RunPaired(IReadOnlyList<string> selected, int rounds, string? outOption, string dir)
    {
        if (!selected.Contains("hakmem"))
        {
            Console.Error.WriteLine($"hklab micro: --job {PairedJob} needs hakmem among --allocators: every ratio is a backend's time over hakmem's");
            return 2;
        }
        if (selected.Count < 2)
        {
            Console.Error.WriteLine($"hklab micro: --job {PairedJob} needs a second backend to pair hakmem with (--allocators hakmem,mimalloc)");
            return 2;
        }
        try
        {
            if (File.Exists(Path.Combine(dir, PairedMicro.TurnsFile)))
                throw new OutputPathException($"--out '{outOption ?? dir}' already holds a paired run ({PairedMicro.TurnsFile}): choose another directory");
            foreach (string name in selected.Where(a => a != "hakmem")) NativeAllocator.Load(BackendInfo.Get(name)); // a library that does not load is refused before anything is written
            dir = OutputPaths.ForDirectory("--out", outOption ?? dir);
            // Ctrl-C ends the process (exit 130); the files are written whole at the end, so none is half-written.
            Console.CancelKeyPress += (_, _) => Console.Error.WriteLine($"hklab micro: interrupted: nothing written (the paired results are written when every round is done)");
            PairedMicro.Run(selected, rounds, dir, Console.Out, Console.Error);
        }
        catch (Exception e) when (e is BackendUnavailableException or OutputPathException)
        {
            Console.Error.WriteLine($"hklab micro: {e.Message}");
            return 2;
        }
        Console.WriteLine($"results in {dir}");
        return 0;
    }

    /// <summary>The jobs --job names. short: BenchmarkDotNet's ShortRun with 100 ms iterations, so the whole
    /// default set (2 benchmarks x 6 sizes x 5 backends) stays within a few minutes.</summary>
    private static readonly IReadOnlyDictionary<string, Job> Jobs = new Dictionary<string, Job>
    {
        ["short"] = Job.ShortRun.WithWarmupCount(3).WithIterationCount(5).WithIterationTime(Perfolizer.Horology.TimeInterval.FromMilliseconds(100)),
        ["dry"] = Job.Dry,
        ["medium"] = Job.MediumRun,
        ["long"] = Job.LongRun,
        ["default"] = Job.Default,
    };

    /// <summary>hakmem's time divided into every other backend's, per benchmark and size (above 1: hakmem faster).</summary>
    private static IEnumerable<string> Ratios(BenchmarkDotNet.Reports.Summary summary)
    {
        var rows = summary.Reports.Select(x => (
            Method: x.BenchmarkCase.Descriptor.WorkloadMethod.Name,
            Allocator: (string)x.BenchmarkCase.Parameters["Allocator"],
            Size: (int)x.BenchmarkCase.Parameters["Size"],
            Ns: x.ResultStatistics?.Median ?? double.NaN)).ToList();
        yield return "";
        yield return "| benchmark | size | hakmem ns/op | " + string.Join(" | ", rows.Select(x => x.Allocator).Where(a => a != "hakmem").Distinct().Select(a => $"{a} / hakmem")) + " |";
        foreach (var g in rows.GroupBy(x => (x.Method, x.Size)).OrderBy(g => g.Key.Method).ThenBy(g => g.Key.Size))
        {
            double hk = g.FirstOrDefault(x => x.Allocator == "hakmem").Ns;
            var others = g.Where(x => x.Allocator != "hakmem").Select(x => (x.Ns / hk).ToString("0.00", System.Globalization.CultureInfo.InvariantCulture));
            yield return $"| {g.Key.Method} | {g.Key.Size} | {hk:0.00} | {string.Join(" | ", others)} |";
        }
    }

    private static int RerunWith(IReadOnlyDictionary<string, string> env)
    {
        var psi = new ProcessStartInfo(Environment.ProcessPath!) { UseShellExecute = false };
        foreach (var a in Environment.GetCommandLineArgs().Skip(1)) psi.ArgumentList.Add(a);
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) != "hklab") psi.ArgumentList.Insert(0, typeof(MicroCommand).Assembly.Location);
        foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        p.WaitForExit();
        return p.ExitCode;
    }
}
