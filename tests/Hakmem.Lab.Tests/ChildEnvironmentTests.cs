using Hakmem.Lab.Running;

namespace Hakmem.Lab.Tests;

/// <summary>What the child process's environment holds: a shell stands in for the worker and reports a
/// variable's value as its op count.</summary>
public class ChildEnvironmentTests
{
    private static async Task<RunResult> RunShell(string script, IReadOnlyDictionary<string, string>? cellEnv = null)
    {
        var runner = new ChildRunner(new WorkerCommand("/bin/sh", ["-c", script]));
        var spec = new RunSpec("random_mixed", ["10", "10", "1"], "system", HakmemOptions.Default);
        if (cellEnv != null) spec = spec with { Env = cellEnv };
        return await runner.RunAsync(spec, TimeSpan.FromSeconds(30));
    }

    private const string ReportGen0Size = "echo \"HKLAB-RESULT {\\\"status\\\":\\\"ok\\\",\\\"ops\\\":$((${DOTNET_GCgen0size:-9})),\\\"seconds\\\":1}\"";

    [Fact]
    public async Task Workers_run_without_tiered_compilation_unless_the_user_set_it()
    {
        var r = await RunShell("echo \"HKLAB-RESULT {\\\"status\\\":\\\"ok\\\",\\\"ops\\\":1${DOTNET_TieredCompilation:-9},\\\"seconds\\\":1}\"");
        Assert.Equal(Outcome.Ok, r.Outcome);
        Assert.Equal(10, r.Ops); // "1" followed by the variable's value, "0"
    }

    [Fact]
    public async Task Workers_run_with_a_small_young_generation_budget()
    {
        var r = await RunShell(ReportGen0Size);
        Assert.Equal(Outcome.Ok, r.Outcome);
        Assert.Equal(4L << 20, r.Ops); // the hex budget, read by the shell's arithmetic: 9 when the variable is missing
    }

    [Fact]
    public async Task A_young_generation_budget_the_cell_sets_wins()
    {
        var r = await RunShell(ReportGen0Size, new SortedDictionary<string, string>(StringComparer.Ordinal) { [ChildRunner.Gen0SizeVariable] = "0x800000" });
        Assert.Equal(Outcome.Ok, r.Outcome);
        Assert.Equal(8L << 20, r.Ops);
    }
}
