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
            case "error":
                Assert.Contains("notinstalled", r.Message);
                break;
        }
    }
}
