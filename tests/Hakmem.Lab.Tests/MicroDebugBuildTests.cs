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

    [Fact]
    public void A_debug_build_refuses_to_run_the_micro_benchmarks()
    {
        string root = RepositoryRoot();
        string output = Path.Combine(Path.GetTempPath(), $"hklab-debug-{Guid.NewGuid():N}");
        try
        {
            var build = Hklab.Start("dotnet", ["build", Path.Combine(root, "Hakmem.Lab", "Hakmem.Lab.csproj"), "-c", "Debug", "-o", output, "-nologo", "-v", "q"]);
            Assert.True(build.ExitCode == 0, build.Stdout + build.Stderr);
            var micro = Hklab.Start(Path.Combine(output, "hklab"), ["micro", "--allocators", "hakmem", "--job", "dry", "--out", Path.Combine(output, "micro")]);
            Assert.Equal(2, micro.ExitCode);
            Assert.Contains("this is a Debug build", micro.Stderr);
            Assert.False(Directory.Exists(Path.Combine(output, "micro")), "nothing is measured or written");
        }
        finally
        {
            if (Directory.Exists(output)) Directory.Delete(output, recursive: true);
        }
    }
}
