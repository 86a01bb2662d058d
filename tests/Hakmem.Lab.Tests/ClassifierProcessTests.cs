using Hakmem.Lab.Running;

namespace Hakmem.Lab.Tests;

/// <summary>The classifier on real child processes: workers that segfault, abort, hang, leak, corrupt
/// and run out of memory on purpose (the same ones <c>hklab selftest</c> runs).</summary>
public class ClassifierProcessTests
{
    public static TheoryData<string, string> Modes
    {
        get
        {
            var d = new TheoryData<string, string>();
            foreach (var (mode, expected, _) in SelfTest.Modes) d.Add(mode, expected.Name());
            return d;
        }
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task Each_failure_mode_is_classified_as_its_outcome(string mode, string expected)
    {
        var r = await Cli.SelftestCommand.Check(new ChildRunner(Hklab.Command), mode);
        Assert.True(expected == r.Outcome.Name(), $"{mode}: expected {expected}, got {r.Outcome.Name()} (exit {r.ExitCode}, signal {r.Signal}): {r.Message}");
        switch (mode)
        {
            case "crash":
                Assert.Equal(11, r.Signal);
                break;
            case "crash-at-exit":
                Assert.Equal(11, r.Signal);
                Assert.StartsWith("reported ok, then killed by SIGSEGV at exit", r.Message);
                Assert.True(r.Ops > 0, "the report's figures are kept");
                break;
            case "abort-at-exit":
                Assert.StartsWith("reported ok, then killed by SIGABRT", r.Message);
                break;
            case "exit-code-after-report":
                Assert.Equal("reported ok, then exited with code 3 at exit", r.Message);
                break;
            case "crash-av":
                Assert.Contains("AccessViolationException", r.Message);
                break;
            case "abort" or "abort-unhandled":
                Assert.Contains("double free", r.Message);
                break;
            case "corrupt":
                Assert.Contains("overwritten", r.Message);
                break;
            case "leak":
                Assert.Equal(10, r.LeakedBlocks);
                break;
            case "refused":
                Assert.Contains("notinstalled", r.Message);
                break;
        }
    }

    [Theory]
    [InlineData("segv", Outcome.Crash, "reported ok, then killed by SIGSEGV at exit")]
    [InlineData("bad-free", Outcome.Abort, "reported ok, then killed by SIGABRT: free(): invalid pointer at exit")]
    public async Task A_native_library_failing_at_exit_after_the_report_is_not_ok(string mode, Outcome expected, string message)
    {
        // The library's destructor runs while the worker exits, after it has printed its report.
        var env = new Dictionary<string, string> { ["LD_PRELOAD"] = NativeFixture.Library("exit_fault"), ["FIXTURE_AT_EXIT"] = mode };
        var spec = new RunSpec("random_mixed", ["20000", "256", "1"], "hakmem", HakmemOptions.Default);
        var r = await new ChildRunner(Hklab.Command, env).RunAsync(spec, TimeSpan.FromSeconds(120));
        Assert.True(r.Outcome == expected, $"expected {expected.Name()}, got {r.Outcome.Name()} (exit {r.ExitCode}): {r.Message}");
        Assert.Equal(message, r.Message);
        Assert.True(r.OpsPerSec > 0 && r.Ops > 0, "the report's figures are kept");
        var clean = await new ChildRunner(Hklab.Command, new Dictionary<string, string> { ["LD_PRELOAD"] = NativeFixture.Library("exit_fault") }).RunAsync(spec, TimeSpan.FromSeconds(120));
        Assert.Equal(Outcome.Ok, clean.Outcome);
    }
}
