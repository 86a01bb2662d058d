using System.Diagnostics;

namespace Hakmem.Lab.Tests;

/// <summary>hklab micro in a Debug build: BenchmarkDotNet would run nothing and exit 0; hklab refuses,
/// saying why. Builds hklab in Debug into a temporary directory (about half a minute).</summary>
public class MicroDebugBuildTests
{
    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "lab.sln"))) return dir.FullName;
        throw new InvalidOperationException($"lab.sln not found above {AppContext.BaseDirectory}");
    }

    private static (int ExitCode, string Output) Start(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(5))) p.Kill(true);
        p.WaitForExit();
        return (p.ExitCode, stdout.Result + stderr.Result);
    }

    [Fact]
    public void A_debug_build_refuses_to_run_the_micro_benchmarks()
    {
        string root = RepositoryRoot();
        string output = Path.Combine(Path.GetTempPath(), $"hklab-debug-{Guid.NewGuid():N}");
        try
        {
            var build = Start("dotnet", "build", Path.Combine(root, "Hakmem.Lab", "Hakmem.Lab.csproj"), "-c", "Debug", "-o", output, "-nologo", "-v", "q");
            Assert.True(build.ExitCode == 0, build.Output);
            var micro = Start(Path.Combine(output, "hklab"), "micro", "--allocators", "hakmem", "--job", "dry", "--out", Path.Combine(output, "micro"));
            Assert.Equal(2, micro.ExitCode);
            Assert.Contains("this is a Debug build", micro.Output);
            Assert.False(Directory.Exists(Path.Combine(output, "micro")), "nothing is measured or written");
        }
        finally
        {
            if (Directory.Exists(output)) Directory.Delete(output, recursive: true);
        }
    }
}
