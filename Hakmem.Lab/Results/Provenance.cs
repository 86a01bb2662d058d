using System.Diagnostics;

namespace Hakmem.Lab.Results;

/// <summary>Where a result set comes from: commit, host. Read once per invocation.</summary>
public static class Provenance
{
    public static string Host { get; } = Environment.MachineName;

    public static string GitCommit { get; } = ReadGitCommit();

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
