using System.Diagnostics;
using System.Reflection;

namespace Hakmem.Lab.Results;

/// <summary>Where a result set comes from: the build that measured it, the commit, the host. Read once
/// per invocation.</summary>
public static class Provenance
{
    public static string Host { get; } = Environment.MachineName;

    /// <summary>The commit this hklab was built from, stamped into the assembly at build time (so it is known
    /// wherever hklab runs); for a tree with changes, "COMMIT-dirty-HASH", HASH the build's own assemblies
    /// (<see cref="Running.WorkerSnapshot.Key"/>), so that two different edits of one commit are two builds.</summary>
    public static string Build { get; } = WithContent(typeof(Provenance).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .FirstOrDefault(a => a.Key == "HklabBuild")?.Value ?? "unknown", Path.GetDirectoryName(typeof(Provenance).Assembly.Location)!);

    /// <summary>The build in <paramref name="dir"/> by its stamp file (hklab.build), null when it has none.</summary>
    public static string? BuildOf(string dir)
    {
        string stamp = Path.Combine(dir, "hklab.build");
        return File.Exists(stamp) ? WithContent(File.ReadAllText(stamp).Trim(), dir) : null;
    }

    private static string WithContent(string stamp, string dir)
    {
        if (!stamp.EndsWith("-dirty", StringComparison.Ordinal)) return stamp;
        try
        {
            return $"{stamp}-{Running.WorkerSnapshot.Key(dir)}";
        }
        catch (IOException)
        {
            return stamp;
        }
    }

    /// <summary>The commit of a build name ("3f2c1d0a9b8e", "3f2c1d0a9b8e-dirty-..."), or null when it names none.</summary>
    public static string? CommitOf(string build)
    {
        string head = build.Split('-')[0];
        return head.Length >= 7 && head.All(Uri.IsHexDigit) ? head : null;
    }

    /// <summary>The repository's HEAD where hklab runs; the build's commit outside a repository.</summary>
    public static string GitCommit { get; } = ReadGitCommit() is { Length: > 0 } head ? head : CommitOf(Build) ?? "";

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
