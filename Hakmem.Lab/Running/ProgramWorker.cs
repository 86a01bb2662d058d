using Hakmem.Lab.Backends;
using Hakmem.Workloads;

namespace Hakmem.Lab.Running;

/// <summary>The worker's exec mode: the program of an <see cref="ExecWorkload"/> on the run's allocator
/// (preloaded: nothing for glibc, the library file for the others), with the cell's environment, in a
/// working directory of its own (or --cwd), classified by how it ended; the report carries the program's
/// exit status, wall time, its own peak RSS, CPU times and page faults (GNU time), and the figure it printed
/// (<see cref="ProgramFigure"/>) with its unit and source, or the seconds when it printed none. Leak counts
/// stay unknown. ld.so refusing the preload, or output with several figures and no headline, is a refusal.</summary>
public static class ProgramWorker
{
    /// <summary>The variables the lab sets for its worker alone (listed in this one), kept from the program.</summary>
    public const string LabVariablesVariable = "HKLAB_LAB_VARIABLES";

    /// <summary>What ld.so prints when it cannot preload a library (and then runs the program without it).</summary>
    public const string PreloadIgnored = "cannot be preloaded";

    public static WorkerReport Run(RunSpec spec, ExecWorkload exec, BackendInfo backend)
    {
        string? preload = backend.Preload();
        var env = new Dictionary<string, string?>();
        foreach (string name in (Environment.GetEnvironmentVariable(LabVariablesVariable) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries)) env[name] = null;
        env[LabVariablesVariable] = null;
        env[Evidence.ScratchVariable] = null;
        foreach (var (k, v) in spec.Env) env[k] = v;
        // The run's allocator alone is preloaded (the lab never passes its own LD_PRELOAD on).
        env[AmbientSettings.Preload] = preload;
        double timeout = spec.ProgramTimeout ?? 300;
        string? scratch = Environment.GetEnvironmentVariable(Evidence.ScratchVariable);
        string? cwd = spec.Cwd ?? (scratch != null ? Directory.CreateDirectory(Path.Combine(scratch, Evidence.ProgramCwdFolder)).FullName : null);
        ProgramEnd end;
        try
        {
            end = ProgramRunner.Run(ProgramPath.Resolve(exec.Arguments), env, TimeSpan.FromSeconds(timeout), scratch, cwd);
        }
        catch (ProgramStartException e)
        {
            return Worker.Refused(e.Message);
        }
        if (preload != null && end.Stderr.Contains(PreloadIgnored, StringComparison.Ordinal))
            return Worker.Refused($"ld.so did not preload {preload}: {Classifier.FirstMeaningfulLine(end.Stderr)}");
        var verdict = Classifier.ClassifyProgram(end, timeout);
        Figure? figure;
        try
        {
            figure = verdict.Outcome == Outcome.Ok ? ProgramFigure.Read(end.Stdout, spec.OpsRegex) : null;
        }
        catch (AmbiguousFigureException e)
        {
            return Worker.Refused(e.Message);
        }
        string message = verdict.Message.Length > 0 ? verdict.Message : figure == null ? "no figure in the output: judged by its time" : "";
        return new WorkerReport
        {
            Status = verdict.Outcome.Name(), Message = message.Length > 0 ? message : null, Seconds = Math.Round(end.Seconds, 6),
            OpsPerSec = figure?.Value ?? 0, Metric = figure != null ? Results.Metrics.OpsPerSec : Results.Metrics.Seconds,
            OpsUnit = figure?.Unit, OpsSource = figure?.Source, Preload = preload ?? "",
            PeakRssKb = end.PeakRssKb, UserSeconds = end.UserSeconds, SysSeconds = end.SysSeconds, MinorFaults = end.MinorFaults, MajorFaults = end.MajorFaults,
            ProgramExitCode = end.ExitCode, ProgramSignal = end.Signal,
        };
    }
}
