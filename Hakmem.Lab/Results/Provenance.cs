using System.Diagnostics;
using System.Reflection;

namespace Hakmem.Lab.Results;

/// <summary>Where a result set comes from: the build that measured it, the commit, the host. Read once
/// per invocation.</summary>
public static class Provenance
{
    public static string Host { get; } = Environment.MachineName;

    /// <summary>The commit this hklab was built from, "-dirty" when the tree had changes: stamped into
    /// the assembly at build time, so it is known wherever hklab runs.</summary>
    public static string Build { get; } = typeof(Provenance).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .FirstOrDefault(a => a.Key == "HklabBuild")?.Value ?? "unknown";

    /// <summary>The repository's HEAD where hklab runs; the build's commit outside a repository.</summary>
    public static string GitCommit { get; } = ReadGitCommit() is { Length: > 0 } head ? head : Build == "unknown" ? "" : Build.Replace("-dirty", "", StringComparison.Ordinal);

    private static string ReadGitCommit()
    {
        try
        {
            var psi = new ProcessStartInfo("git", "rev-parse --short=12 HEAD") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            using var p = Process.Start(psi);
            if (p == null) return "";
            string s = p.StandardOutput.ReadToEnd().Trim();
            p.WaitForExit();
            return p.ExitCode == 0 ? s : "";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "";
        }
    }
}
