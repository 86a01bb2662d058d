using Hakmem.Lab.Canaries;
using Hakmem.Lab.Running;

namespace Hakmem.Lab.Tests;

/// <summary>Each canary, run as hklab canaries runs it (a child process in its target cell, shortened),
/// is classified as the bug class its seed produced; the same cell without it is ok.</summary>
public class CanaryProcessTests
{
    private static RunSpec Shortened(RunSpec spec) =>
        spec.Workload == "larson" ? spec with { Arguments = ["0.5", .. spec.Arguments.Skip(1)] } : spec;

    private static Task<RunResult> Run(RunSpec spec) => new ChildRunner(Hklab.Command).RunAsync(spec, TimeSpan.FromSeconds(120));

    [Theory]
    [InlineData("registry-miss", Outcome.Leak)]
    [InlineData("p0-double-count", Outcome.Corrupt)]
    [InlineData("tls-list-disconnect", Outcome.Leak)]
    [InlineData("libc-fallback", Outcome.Abort)]
    public async Task A_deterministic_canary_gives_its_outcome_and_the_clean_cell_is_ok(string name, Outcome expected)
    {
        var canary = Canary.All.Single(c => c.Name == name);
        var bad = await Run(Shortened(canary.Injected));
        Assert.True(bad.Outcome == expected, $"{name}: expected {expected.Name()}, got {bad.Outcome.Name()}: {bad.Message}");
        Assert.True(canary.Detects(bad.Outcome));
        var clean = await Run(Shortened(canary.Target));
        Assert.True(clean.Outcome == Outcome.Ok, $"{name} clean cell: {clean.Outcome.Name()}: {clean.Message}");
    }

    [Fact]
    public async Task The_unowned_drain_race_is_detected_in_at_least_one_of_five_runs()
    {
        var canary = Canary.All.Single(c => c.Bug == SeedBug.UnownedDrain);
        var outcomes = new List<Outcome>();
        for (int i = 0; i < 5 && !outcomes.Any(canary.Detects); i++) outcomes.Add((await Run(Shortened(canary.Injected))).Outcome);
        Assert.Contains(outcomes, canary.Detects);
    }

    [Theory]
    [InlineData("registry-miss", Outcome.Timeout)]
    [InlineData("registry-miss", Outcome.Crash)]
    [InlineData("p0-double-count", Outcome.Leak)]
    [InlineData("libc-fallback", Outcome.Oom)]
    [InlineData("tls-list-disconnect", Outcome.Error)]
    public void A_failure_that_is_not_the_bugs_own_is_not_a_detection(string name, Outcome outcome)
    {
        Assert.False(Canary.All.Single(c => c.Name == name).Detects(outcome));
    }

    [Fact]
    public async Task The_tls_list_disconnect_canary_loses_blocks_through_the_TLS_List()
    {
        // One thread: no remote frees, so no drain; the blocks can only be lost where the TLS List spills.
        var canary = Canary.All.Single(c => c.Bug == SeedBug.TlsListDisconnect);
        var traced = new ChildRunner(Hklab.Command, new Dictionary<string, string> { ["HAKMEM_FREE_ROUTE_TRACE"] = "1" });
        var r = await traced.RunAsync(canary.Injected with { Workload = "random_mixed", Arguments = ["200000", "4096", "7"] }, TimeSpan.FromSeconds(120));
        Assert.Equal(Outcome.Leak, r.Outcome);
        Assert.True(r.Report!.Stats!.Spills > 0);
        var routes = r.Report.Stats.Routes!;
        Assert.Equal(0, routes.FreeSll);
        Assert.True(routes.FreeList > 0, r.Routes);
        var viaSll = await Run(canary.Injected with { Workload = "random_mixed", Arguments = ["200000", "4096", "7"], Hakmem = canary.Injected.Hakmem with { TlsList = false } });
        Assert.Equal(Outcome.Ok, viaSll.Outcome);
    }

    [Fact]
    public void Canaries_say_when_their_runs_are_too_few_to_show_the_90_percent_rule()
    {
        var o = Hklab.Run("canaries", "--only", "registry-miss", "--runs", "1", "--csv", Path.Combine(Hklab.TempDir("canaries-few"), "runs.csv"));
        Assert.True(o.ExitCode == 0, o.Stdout + o.Stderr);
        Assert.Contains("--runs 1 is too few to show the 90% rule: that takes at least 10 runs", o.Stdout);
    }

    [Fact]
    public void Canaries_command_refuses_an_unknown_name()
    {
        var o = Hklab.Run("canaries", "--only", "nosuch");
        Assert.Equal(2, o.ExitCode);
        Assert.Contains("unknown canary 'nosuch'", o.Stderr);
    }
}
