using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Hakmem.Lab.Backends;

namespace Hakmem.Lab.Results;

/// <summary>A native allocator's file as a result set measured it: which file, which bytes, from which package.
/// Two sets whose libraries differ compared different allocators under one name.</summary>
public sealed record LibraryFact(string Allocator, string Path, long Bytes, string Sha256, string Package);

/// <summary>The facts of the machine that move a benchmark's numbers, read from /proc and /sys (each "unknown"
/// where this system does not say): the kernel, the CPU frequency governor, transparent huge pages, the
/// cgroup's CPU and memory limits, glibc; and the native allocators' files with their hashes.</summary>
public static partial class HostFacts
{
    public static string Kernel => Read("/proc/sys/kernel/osrelease") ?? "unknown";

    /// <summary>The scaling governor of cpu0 ("performance", "powersave", ...); a VM often has none.</summary>
    public static string Governor => Read("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor") ?? "none (no cpufreq)";

    /// <summary>Transparent huge pages: the mode in brackets of "always [madvise] never", and defrag's.</summary>
    public static string TransparentHugePages
    {
        get
        {
            string? Mode(string file) => Read(file) is { } s && s.IndexOf('[') is int a and >= 0 && s.IndexOf(']', a) is int b and > 0 ? s[(a + 1)..b] : null;
            string? enabled = Mode("/sys/kernel/mm/transparent_hugepage/enabled"), defrag = Mode("/sys/kernel/mm/transparent_hugepage/defrag");
            return enabled == null ? "unknown" : $"{enabled} (defrag {defrag ?? "unknown"})";
        }
    }

    /// <summary>The cgroup's CPU limit: "unlimited", or the CPUs its quota allows ("1.5 CPUs"), v2 or v1.</summary>
    public static string CgroupCpu
    {
        get
        {
            if (Read("/sys/fs/cgroup/cpu.max") is { } max)
            {
                var parts = max.Split(' ');
                return parts[0] == "max" ? "unlimited" : Cpus(parts[0], parts.ElementAtOrDefault(1) ?? "100000");
            }
            if (Read("/sys/fs/cgroup/cpu/cpu.cfs_quota_us") is { } quota)
                return quota.StartsWith('-') ? "unlimited" : Cpus(quota, Read("/sys/fs/cgroup/cpu/cpu.cfs_period_us") ?? "100000");
            return "unknown";
        }
    }

    private static string Cpus(string quota, string period) =>
        double.TryParse(quota, System.Globalization.CultureInfo.InvariantCulture, out double q) && double.TryParse(period, System.Globalization.CultureInfo.InvariantCulture, out double p) && p > 0
            ? $"{(q / p).ToString("0.##", System.Globalization.CultureInfo.InvariantCulture)} CPUs" : "unknown";

    /// <summary>The cgroup's memory limit: "unlimited" or "N MiB".</summary>
    public static string CgroupMemory
    {
        get
        {
            string? max = Read("/sys/fs/cgroup/memory.max") ?? Read("/sys/fs/cgroup/memory/memory.limit_in_bytes");
            if (max == null) return "unknown";
            return max == "max" || (long.TryParse(max, out long bytes) && bytes >= long.MaxValue / 2) ? "unlimited"
                : long.TryParse(max, out long b) ? $"{b >> 20} MiB" : max;
        }
    }

    /// <summary>glibc's version, from glibc itself (the system allocator is glibc's malloc).</summary>
    public static string Glibc
    {
        get
        {
            try
            {
                return Marshal.PtrToStringUTF8(gnu_get_libc_version()) ?? "unknown";
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
            {
                return "not glibc";
            }
        }
    }

    [LibraryImport("libc")]
    private static partial nint gnu_get_libc_version();

    /// <summary>Every installed named native allocator and every lib:PATH among <paramref name="allocators"/>:
    /// its file, size, SHA-256 and Debian package with version.</summary>
    public static IReadOnlyList<LibraryFact> Libraries(IEnumerable<string> allocators)
    {
        var backends = BackendInfo.All.Where(b => b.IsNative && b.IsAvailable()).ToList();
        foreach (var a in allocators.Select(BackendInfo.Get).Where(b => b.IsPath))
            if (backends.All(b => b.Name != a.Name)) backends.Add(a);
        return backends.Select(Library).OfType<LibraryFact>().ToList();
    }

    private static LibraryFact? Library(BackendInfo backend)
    {
        string? path = backend.LibraryPath();
        if (path == null) return null;
        try
        {
            string real = new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? System.IO.Path.GetFullPath(path);
            using var stream = File.OpenRead(real);
            string sha = Convert.ToHexString(SHA256.HashData(stream)).ToLowerInvariant();
            return new LibraryFact(backend.Name, real, new FileInfo(real).Length, sha, Package(backend.DebianPackage, real));
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>"libmimalloc2.0 2.0.9+ds-3" from dpkg, or "" for a file no package owns (or no dpkg).</summary>
    private static string Package(string? known, string file)
    {
        string? name = known;
        if (name == null)
        {
            var (code, owner) = Dpkg("-S", file);
            if (code != 0) return "";
            name = owner.Split(':')[0].Trim();
        }
        var (ok, version) = Dpkg("-W", "-f=${Version}", name);
        return ok == 0 && version.Trim().Length > 0 ? $"{name} {version.Trim()}" : "";
    }

    private static (int Code, string Text) Dpkg(params string[] args)
    {
        try
        {
            var psi = new ProcessStartInfo("dpkg-query") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in args) psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            p.StandardError.ReadToEndAsync();
            string text = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return (p.ExitCode, text);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return (127, "");
        }
    }

    private static string? Read(string file)
    {
        try
        {
            return File.Exists(file) ? File.ReadAllText(file).Trim() : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
