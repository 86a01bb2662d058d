namespace Hakmem.Lab.Tests;

/// <summary>run-matrix.ps1 under PowerShell 7 (the repository's local dotnet tool; .ci/run restores it): it
/// passes hklab's exit codes through (0 every run ok, 1 some failed, 2 bad input) and answers bad input
/// with one line, as hklab does.</summary>
public class RunMatrixScriptTests
{
    private static readonly string Repo = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", ".."));

    private static Hklab.Output Script(IReadOnlyDictionary<string, string>? env, params string[] args)
    {
        var vars = new Dictionary<string, string>(env ?? new Dictionary<string, string>()) { ["HKLAB"] = Hklab.Command.FileName };
        var o = Hklab.Start("dotnet", ["tool", "run", "pwsh", "--", "-NoProfile", "-File", Path.Combine(Repo, "run-matrix.ps1"), .. args], vars, Repo);
        Assert.DoesNotContain("Cannot find a tool", o.Stderr + o.Stdout); // dotnet tool restore has not run
        return o;
    }

    private static string[] Small(string dir) =>
        ["-Quick", "-Out", dir, "--workloads", "random_mixed", "--allocators", "hakmem", "--fast-cap", "64", "--tls-list", "off", "--p0", "on", "--runs", "1"];

    [Fact]
    public void A_clean_matrix_exits_0_with_its_report()
    {
        string dir = Path.Combine(Hklab.TempDir("ps1"), "set");
        try
        {
            var o = Script(null, Small(dir));
            Assert.True(o.ExitCode == 0, o.Stdout + o.Stderr);
            Assert.True(File.Exists(Path.Combine(dir, "peak-rss.png")), "the report ran");
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(dir)!, true);
        }
    }

    [Fact]
    public void A_matrix_with_failed_runs_exits_1_and_is_still_reported()
    {
        string dir = Path.Combine(Hklab.TempDir("ps1"), "set");
        try
        {
            var o = Script(new Dictionary<string, string> { ["HAKMEM_INJECT"] = "registry-miss" }, Small(dir));
            Assert.True(o.ExitCode == 1, o.Stdout + o.Stderr);
            Assert.True(File.Exists(Path.Combine(dir, "peak-rss.png")), "the report ran");
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(dir)!, true);
        }
    }

    [Theory]
    [InlineData("-Runs", "-Runs needs a value")]
    [InlineData("-Bogus", "unknown option '-Bogus'")]
    [InlineData("--runs abc", "--runs 'abc' is not valid")]
    [InlineData("--max-mb 1", "'--max-mb'")]
    public void Bad_input_is_one_line_and_exit_2(string args, string expected)
    {
        string dir = Path.Combine(Hklab.TempDir("ps1"), "set");
        try
        {
            var o = Script(null, ["-Out", dir, .. args.Split(' ')]);
            Assert.Equal(2, o.ExitCode);
            Assert.Contains(expected, Assert.Single(o.Stderr.TrimEnd('\n').Split('\n')));
            Assert.False(Directory.Exists(dir));
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(dir)!, true);
        }
    }
}
