using System.Globalization;
using System.Text;
using Hakmem.Lab.Running;

namespace Hakmem.Lab.Results;

/// <summary>The evidence of a failed run, kept beside its runs file: <c>failures/RUN_ID/</c> with the
/// worker's whole stderr and stdout, an external program's own, the trace ring's last events when it was
/// on, and <c>repro.sh</c>, which runs that one run again.</summary>
public static class FailureArtifacts
{
    public const string Folder = "failures";

    /// <summary>The record with its evidence written beside the runs file <paramref name="csv"/> is appending to
    /// (and its RSS over time in rss/RUN_ID.csv, when it was sampled).</summary>
    public static RunRecord Attach(RunRecord record, CsvAppender<RunRecord> csv, RunSpec spec, RunResult result, WorkerCommand worker)
    {
        string dir = Path.GetDirectoryName(Path.GetFullPath(csv.Path))!;
        RssSeries.Write(dir, record.RunId, result.RssSamples);
        return record with { Artifacts = Write(dir, record, spec, result, worker) };
    }

    /// <summary>Writes the run's evidence under <paramref name="resultDir"/>; returns the folder relative to it
    /// (the runs file's <c>artifacts</c> column), or "" for a run without evidence.</summary>
    public static string Write(string resultDir, RunRecord record, RunSpec spec, RunResult result, WorkerCommand worker)
    {
        if (result.Evidence is not { } e) return "";
        string relative = Path.Combine(Folder, Safe(record.RunId));
        string dir = Path.Combine(resultDir, relative);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "worker.stderr"), e.WorkerStderr);
        File.WriteAllText(Path.Combine(dir, "worker.stdout"), e.WorkerStdout);
        if (e.ProgramStdout != null) File.WriteAllText(Path.Combine(dir, "program.stdout"), e.ProgramStdout);
        if (e.ProgramStderr != null) File.WriteAllText(Path.Combine(dir, "program.stderr"), e.ProgramStderr);
        if (e.TraceRing != null) File.WriteAllText(Path.Combine(dir, "trace-ring.txt"), e.TraceRing);
        foreach (var (file, content) in e.ProgramFiles)
        {
            string target = Path.Combine(dir, Evidence.ProgramCwdFolder, file);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.WriteAllBytes(target, content);
        }
        string script = Path.Combine(dir, "repro.sh");
        File.WriteAllText(script, Repro.Script(record, spec, worker));
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        return relative;
    }

    private static string Safe(string id) =>
        new string(id.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_').ToArray()) is { Length: > 0 } s ? s : "run";
}

/// <summary>The shell script that runs one recorded run again: where it ran, the environment that decides
/// what it does (HAKMEM_*, DOTNET_*, LD_PRELOAD and the cell's --env), the build that ran it, and the
/// command: <c>hklab run</c> with every knob of the cell (its seed is in the workload's arguments), or for
/// a program the program itself with its allocator preloaded, so the failure can be chased without the lab.</summary>
public static class Repro
{
    public static string Script(RunRecord record, RunSpec spec, WorkerCommand worker)
    {
        var sb = new StringBuilder();
        sb.AppendLine("#!/bin/sh");
        sb.AppendLine(CultureInfo.InvariantCulture, $"# {record.RunId}: {record.Outcome}{(record.Message.Length > 0 ? " - " + OneLine(record.Message) : "")}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"# measured by the hklab build {record.Build} (commit {record.GitCommit}) on {record.Host} at {record.Time:yyyy-MM-ddTHH:mm:ssZ}");
        sb.AppendLine("# Runs this one run again; an argument gives the number of runs (hklab runs each in its own process).");
        sb.AppendLine("set -e");
        sb.AppendLine($"cd {Quote(Environment.CurrentDirectory)}");
        var env = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry kv in Environment.GetEnvironmentVariables())
        {
            string name = (string)kv.Key;
            if (name.StartsWith("HAKMEM_", StringComparison.Ordinal) || name.StartsWith("DOTNET_", StringComparison.Ordinal) || name == "LD_PRELOAD")
                env[name] = (string)kv.Value!;
        }
        foreach (var (k, v) in spec.Env) env[k] = v;
        foreach (var (k, v) in env) sb.AppendLine($"export {k}={Quote(v)}");
        string hklab = string.Join(' ', new[] { worker.FileName }.Concat(worker.PrefixArguments).Select(Quote));
        var workload = spec.Parse();
        if (workload is Hakmem.Workloads.ExecWorkload exec)
        {
            string? preload = spec.Backend.Preload();
            sb.AppendLine("# The program on its own, on the allocator of the run:");
            sb.AppendLine("n=${1:-1}; i=0");
            sb.AppendLine($"while [ $i -lt $n ]; do i=$((i + 1)); {(preload != null ? $"LD_PRELOAD={Quote(preload)}${{LD_PRELOAD:+:$LD_PRELOAD}} " : "")}{string.Join(' ', exec.Arguments.Select(Quote))} || echo \"run $i: exit $?\"; done");
            sb.AppendLine("# The same through the lab (classified, with its failure rate):");
            sb.AppendLine($"# {hklab} run --exec {Quote(string.Join(' ', exec.Arguments.Select(Quote)))} --allocator {Quote(spec.Allocator)} --runs \"${{1:-1}}\"");
            return sb.ToString();
        }
        var o = spec.Hakmem;
        var args = new List<string> { "run", workload.Name };
        args.AddRange(workload.Arguments);
        args.AddRange(["--allocator", spec.Allocator]);
        if (spec.Backend.IsHakmem)
        {
            args.AddRange(["--fast-cap", o.FastCap.ToString(CultureInfo.InvariantCulture), "--tls-sll", RunSpec.OnOff(o.TlsSll), "--tls-list", RunSpec.OnOff(o.TlsList), "--p0", RunSpec.OnOff(o.P0BatchRefill)]);
            if (o.Guards) args.Add("--guards");
            if (o.MaxMemoryBytes > 0) args.AddRange(["--max-mb", (o.MaxMemoryBytes >> 20).ToString(CultureInfo.InvariantCulture)]);
            if (o.Inject != SeedBug.None) args.AddRange(["--inject", SeedBugs.Format(o.Inject)]);
        }
        sb.AppendLine($"exec {hklab} {string.Join(' ', args.Select(Quote))} --runs \"${{1:-1}}\"");
        return sb.ToString();
    }

    private static string OneLine(string s) => s.ReplaceLineEndings(" ");

    /// <summary>Single-quoted for sh unless it is plain.</summary>
    public static string Quote(string s) =>
        s.Length > 0 && s.All(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' or '/' or ':' or '=' or ',' or '+' or '@') ? s : "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
