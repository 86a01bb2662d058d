using System.Text.RegularExpressions;
using Hakmem.Lab.Backends;
using Hakmem.Workloads;

namespace Hakmem.Lab.Running;

/// <summary>What is checked before the first run, so that a configuration that cannot work is refused (exit 2)
/// instead of measured under a wrong name: every lib:PATH library loads and defines malloc, free and realloc
/// itself (probed in a worker process: the lab never loads a C allocator); programs can be measured (GNU
/// time is there); and once per program and allocator, the program's malloc, free and realloc really bind to
/// that allocator (a short start under ld.so's LD_DEBUG=bindings, stopped as soon as the program's main is
/// reached): a static binary, or a program with a malloc of its own, is refused naming why.</summary>
public static partial class Preflight
{
    /// <summary>The worker mode that probes a library: <c>hklab __probe-library lib:PATH</c>.</summary>
    public const string ProbeCommand = "__probe-library";

    private static readonly string[] AllocationSymbols = ["malloc", "free", "realloc", "calloc"];

    /// <summary>Checks the cells' libraries and programs; ArgumentException says what cannot work.</summary>
    public static void Check(IEnumerable<RunSpec> specs, WorkerCommand worker)
    {
        var cells = specs.Where(s => s.SelfTest == null).ToList();
        foreach (string library in cells.Select(s => s.Allocator).Where(a => a.StartsWith(BackendInfo.LibraryPrefix, StringComparison.Ordinal)).Distinct())
            ProbeLibrary(library, worker);
        var programs = cells.Select(s => (Spec: s, Workload: s.Parse())).Where(x => x.Workload is ExecWorkload).ToList();
        if (programs.Count == 0) return;
        if (!ProgramRunner.HasGnuTime())
            throw new ArgumentException($"--exec measures a program with GNU time ({ProgramRunner.GnuTime}: its own peak RSS, CPU times and page faults), "
                + "which is not installed: apt-get install time");
        foreach (var group in programs.GroupBy(x => (Program: x.Workload.Arguments[0], x.Spec.Allocator)))
        {
            var (spec, workload) = group.First();
            Bindings(workload.Arguments, spec.Backend, spec.Env);
        }
    }

    /// <summary>Loads the library in a worker (<see cref="Worker.ProbeLibrary"/>); its refusal becomes this one.</summary>
    private static void ProbeLibrary(string allocator, WorkerCommand worker)
    {
        var (code, text) = Ab.Git.Exec(worker.FileName, Path.GetTempPath(), [.. worker.PrefixArguments, ProbeCommand, allocator]);
        if (code != 0) throw new ArgumentException(text.Trim().Length > 0 ? text.Trim().Split('\n')[0] : $"allocator '{allocator}' cannot be loaded (exit {code})");
    }

    /// <summary>Starts the program with the allocator preloaded and every binding resolved at once (LD_BIND_NOW),
    /// under LD_DEBUG=bindings,files, and stops it once it transferred control to its main; then reads which
    /// object each allocation symbol bound to.</summary>
    private static void Bindings(IReadOnlyList<string> command, BackendInfo backend, IReadOnlyDictionary<string, string> cellEnv)
    {
        string? preload = backend.Preload();
        string expected = preload ?? backend.LibraryPath() ?? "libc.so.6";
        string dir = Directory.CreateTempSubdirectory("hklab-bindings-").FullName;
        try
        {
            string prefix = Path.Combine(dir, "ld");
            var env = new Dictionary<string, string?>();
            foreach (var (k, v) in cellEnv) env[k] = v;
            env[AmbientSettings.Preload] = preload;
            env["LD_BIND_NOW"] = "1";
            env["LD_DEBUG"] = "bindings,files";
            env["LD_DEBUG_OUTPUT"] = prefix;
            string cwd = Directory.CreateDirectory(Path.Combine(dir, "cwd")).FullName;
            bool Started() => Directory.GetFiles(dir, "ld.*").Any(f => File.ReadAllText(f).Contains("transferring control", StringComparison.Ordinal));
            var end = ProgramRunner.Run(ProgramPath.Resolve(command), env, TimeSpan.FromSeconds(20), Path.Combine(dir), cwd, measure: false, stopWhen: Started);
            string shown = $"--exec '{ExecWorkload.Format(command)}' on {backend.Name}";
            if (preload != null && end.Stderr.Contains(ProgramWorker.PreloadIgnored, StringComparison.Ordinal))
                throw new ArgumentException($"{shown}: ld.so did not preload {preload}: {Classifier.FirstMeaningfulLine(end.Stderr)}");
            var logs = Directory.GetFiles(dir, "ld.*").Select(File.ReadAllText).ToList();
            if (logs.Count == 0)
                throw new ArgumentException($"{shown}: '{command[0]}' is a static binary (no dynamic loader ran it): no allocator can be preloaded into it");
            var bindings = logs.SelectMany(l => BindingLine().Matches(l)).Where(m => AllocationSymbols.Contains(m.Groups["sym"].Value)).ToList();
            var elsewhere = bindings.FirstOrDefault(m => !SameFile(m.Groups["to"].Value, expected));
            if (elsewhere != null)
                throw new ArgumentException($"{shown}: {elsewhere.Groups["from"].Value} binds {elsewhere.Groups["sym"].Value} to {elsewhere.Groups["to"].Value}, "
                    + $"not to {expected}: the program (or a library of it) has an allocator of its own");
            if (!bindings.Any(m => m.Groups["sym"].Value == "malloc"))
                throw new ArgumentException($"{shown}: nothing in '{command[0]}' binds malloc through the dynamic loader: it has a malloc of its own "
                    + "(or is linked statically against one), so a preloaded allocator would not be measured");
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    /// <summary>Two paths of one file (/lib and /usr/lib are one directory on merged systems; "libc.so.6" as
    /// a name matches any path of it).</summary>
    private static bool SameFile(string a, string b)
    {
        if (!Path.IsPathRooted(b)) return Path.GetFileName(a) == b;
        string Real(string p) => File.Exists(p) ? new FileInfo(p).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? Path.GetFullPath(p) : p;
        return Real(a) == Real(b) || (File.Exists(a) && File.Exists(b) && new FileInfo(Real(a)).Length == new FileInfo(Real(b)).Length
            && Path.GetFileName(Real(a)) == Path.GetFileName(Real(b)));
    }

    [GeneratedRegex(@"binding file (?<from>\S+) \[\d+\] to (?<to>\S+) \[\d+\]: normal symbol `(?<sym>[^']+)'")]
    private static partial Regex BindingLine();
}
