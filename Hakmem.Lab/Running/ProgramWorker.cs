using Hakmem.Lab.Backends;
using Hakmem.Workloads;

namespace Hakmem.Lab.Running;

/// <summary>The worker's exec mode: the program of an <see cref="ExecWorkload"/> on the run's allocator
/// (preloaded: nothing for glibc, the library file for the others), with the cell's environment,
/// classified by how it ended; the report carries the program's exit status, wall time, peak RSS and the
/// throughput it printed. Leak counts stay unknown.</summary>
public static class ProgramWorker
{
    /// <summary>The variables the lab sets for its worker alone (listed in this one), kept from the program.</summary>
    public const string LabVariablesVariable = "HKLAB_LAB_VARIABLES";

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
        ProgramEnd end;
        try
        {
            end = ProgramRunner.Run(exec.Arguments, env, TimeSpan.FromSeconds(timeout), Environment.GetEnvironmentVariable(Evidence.ScratchVariable));
        }
        catch (ProgramStartException e)
        {
            return Worker.Refused(e.Message);
        }
        var verdict = Classifier.ClassifyProgram(end, timeout);
        double? ops = ProgramRunner.Throughput(end.Stdout, spec.OpsRegex);
        string message = verdict.Message.Length > 0 ? verdict.Message : ops == null ? "no throughput in the output: time only" : "";
        return new WorkerReport
        {
            Status = verdict.Outcome.Name(), Message = message.Length > 0 ? message : null, Seconds = Math.Round(end.Seconds, 6), OpsPerSec = ops ?? 0,
            PeakRssKb = end.PeakRssKb, ProgramExitCode = end.ExitCode, ProgramSignal = end.Signal,
        };
    }
}
