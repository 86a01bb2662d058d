using System.Diagnostics;
using Hakmem.Lab.Running;

namespace Hakmem.Lab.Tests;

/// <summary>Starts the built hklab (next to the test assembly) as a real process.</summary>
public static class Hklab
{
    public static WorkerCommand Command { get; } = WorkerCommand.ForAssembly(typeof(Worker).Assembly.Location);

    public sealed record Output(int ExitCode, string Stdout, string Stderr);

    public static Output Run(IReadOnlyDictionary<string, string>? env, params string[] args) =>
        Start(Command.FileName, Command.PrefixArguments.Concat(args), env);

    public static Output Run(params string[] args) => Run(null, args);

    /// <summary>Any program, with no HAKMEM_* variable inherited from the test's environment; killed after
    /// five minutes.</summary>
    public static Output Start(string file, IEnumerable<string> args, IReadOnlyDictionary<string, string>? env = null)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var name in HakmemOptions.Variables.Select(v => v.Name)) psi.Environment.Remove(name);
        if (env != null)
            foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(5))) p.Kill(true);
        p.WaitForExit();
        return new Output(p.ExitCode, stdout.Result, stderr.Result);
    }
}
