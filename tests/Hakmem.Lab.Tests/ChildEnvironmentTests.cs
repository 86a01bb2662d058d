using Hakmem.Lab.Running;

namespace Hakmem.Lab.Tests;

/// <summary>What the child process's environment holds: a shell stands in for the worker and reports a
/// variable's value as its op count.</summary>
public class ChildEnvironmentTests
{
    private static async Task<RunResult> RunShell(string script)
    {
        var runner = new ChildRunner(new WorkerCommand("/bin/sh", ["-c", script]));
        var spec = new RunSpec("random_mixed", ["10", "10", "1"], "system", HakmemOptions.Default);
        return await runner.RunAsync(spec, TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Workers_run_without_tiered_compilation_unless_the_user_set_it()
    {
        if (Environment.GetEnvironmentVariable(ChildRunner.TieredCompilationVariable) != null) return; // the user's value is passed on as is
        var r = await RunShell("echo \"HKLAB-RESULT {\\\"status\\\":\\\"ok\\\",\\\"ops\\\":1${DOTNET_TieredCompilation:-9},\\\"seconds\\\":1}\"");
        Assert.Equal(Outcome.Ok, r.Outcome);
        Assert.Equal(10, r.Ops); // "1" followed by the variable's value, "0"
    }

    [Fact]
    public async Task Workers_run_with_a_fixed_young_generation_budget()
    {
        if (Environment.GetEnvironmentVariable(ChildRunner.Gen0SizeVariable) != null) return; // the user's value is passed on as is
        var r = await RunShell("echo \"HKLAB-RESULT {\\\"status\\\":\\\"ok\\\",\\\"ops\\\":$((${DOTNET_GCgen0size:-9})),\\\"seconds\\\":1}\"");
        Assert.Equal(Outcome.Ok, r.Outcome);
        Assert.Equal(4L << 20, r.Ops); // the hex budget, read by the shell's arithmetic: 9 when the variable is missing
    }
}
