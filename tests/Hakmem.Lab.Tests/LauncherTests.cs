using Hakmem.Lab.Output;
using Hakmem.Lab.Running;

namespace Hakmem.Lab.Tests;

/// <summary>The ./hklab launcher and the build snapshots: it builds only when a build input changed since the
/// last build, finds a cache when HOME is missing or read-only, and no snapshot a running hklab holds is ever
/// pruned.</summary>
public class LauncherTests
{
    private static string Repo => Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", ".."));

    /// <summary>A tree with the launcher, sources, and a "build" whose hklab prints "ran"; a dotnet on PATH that
    /// records each build and touches hklab.built as the real build does (without rewriting hklab.dll, as an
    /// incremental build that changed only Hakmem.Core does not).</summary>
    private static (string Root, string Log, Dictionary<string, string> Env) FakeTree()
    {
        string root = Hklab.TempDir("launcher-tree");
        File.Copy(Path.Combine(Repo, "hklab"), Path.Combine(root, "hklab"));
        foreach (string d in new[] { "Hakmem.Core", "workloads", "Hakmem.Lab" })
        {
            Directory.CreateDirectory(Path.Combine(root, d));
            File.WriteAllText(Path.Combine(root, d, "Code.cs"), "// source");
        }
        string bin = Path.Combine(root, "Hakmem.Lab", "bin", "Release", "net10.0");
        Directory.CreateDirectory(bin);
        foreach (string f in new[] { "hklab.dll", "Hakmem.Core.dll", "Hakmem.Workloads.dll" }) File.WriteAllText(Path.Combine(bin, f), f);
        File.WriteAllText(Path.Combine(bin, "hklab"), "#!/bin/sh\necho ran\n");
        string log = Path.Combine(root, "builds.log"), tools = Path.Combine(root, "tools");
        Directory.CreateDirectory(tools);
        File.WriteAllText(Path.Combine(tools, "dotnet"), $"#!/bin/sh\necho build >> {log}\ntouch {bin}/hklab.built\n");
        Assert.Equal(0, Hklab.Start("chmod", ["+x", Path.Combine(root, "hklab"), Path.Combine(bin, "hklab"), Path.Combine(tools, "dotnet")]).ExitCode);
        Thread.Sleep(20);
        File.WriteAllText(Path.Combine(bin, "hklab.built"), "");
        var env = new Dictionary<string, string> { ["PATH"] = $"{tools}:{Environment.GetEnvironmentVariable("PATH")}", ["XDG_CACHE_HOME"] = Path.Combine(root, "cache") };
        return (root, log, env);
    }

    private static int Builds(string log) => File.Exists(log) ? File.ReadAllLines(log).Length : 0;

    [Fact]
    public void The_launcher_builds_once_after_a_source_changed_and_then_not_again()
    {
        var (root, log, env) = FakeTree();
        try
        {
            string launcher = Path.Combine(root, "hklab");
            var first = Hklab.Start(launcher, ["x"], env);
            Assert.True(first.ExitCode == 0 && first.Stdout.Trim() == "ran", first.Stdout + first.Stderr);
            Assert.Equal(0, Builds(log));

            File.SetLastWriteTimeUtc(Path.Combine(root, "Hakmem.Core", "Code.cs"), DateTime.UtcNow.AddSeconds(5)); // a Core file changed
            Assert.Equal("ran", Hklab.Start(launcher, ["x"], env).Stdout.Trim());
            Assert.Equal(1, Builds(log));
            File.SetLastWriteTimeUtc(Path.Combine(root, "Hakmem.Lab", "bin", "Release", "net10.0", "hklab.built"), DateTime.UtcNow.AddSeconds(10));
            Hklab.Start(launcher, ["x"], env);
            Hklab.Start(launcher, ["x"], env);
            Assert.Equal(1, Builds(log)); // hklab.dll is as old as ever: the build's time is hklab.built's
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData("/proc")]
    public void Without_a_writable_home_the_snapshots_go_to_the_temporary_directory(string? home)
    {
        var (root, log, env) = FakeTree();
        try
        {
            env.Remove("XDG_CACHE_HOME");
            env["TMPDIR"] = Path.Combine(root, "tmp");
            var args = new List<string> { "-u", "XDG_CACHE_HOME" };
            if (home == null) args.AddRange(["-u", "HOME"]);
            else env["HOME"] = home;
            var o = Hklab.Start("env", [.. args, Path.Combine(root, "hklab"), "x"], env);
            Assert.True(o.ExitCode == 0, o.Stdout + o.Stderr);
            Assert.Equal("ran", o.Stdout.Trim());
            string cache = Assert.Single(Directory.GetDirectories(Path.Combine(root, "tmp"), "hklab-cache-*"));
            Assert.Single(Directory.GetDirectories(Path.Combine(cache, "builds")));
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    [Fact]
    public void A_snapshot_a_running_hklab_holds_is_never_pruned_however_old()
    {
        string root = Hklab.TempDir("prune");
        try
        {
            string held = Path.Combine(root, "held"), idle = Path.Combine(root, "idle");
            Directory.CreateDirectory(held);
            Directory.CreateDirectory(idle);
            using var running = FileLock.TryShared(Path.Combine(held, WorkerSnapshot.InUseFile))!;
            foreach (string d in new[] { held, idle }) Directory.SetLastWriteTimeUtc(d, DateTime.UtcNow.AddDays(-30));
            WorkerSnapshot.Prune(root);
            Assert.True(Directory.Exists(held), "a snapshot in use was pruned");
            Assert.False(Directory.Exists(idle));

            // The launcher prunes by the same lock when it makes a snapshot.
            var (tree, _, env) = FakeTree();
            try
            {
                string builds = Path.Combine(env["XDG_CACHE_HOME"], "hklab", "builds");
                Directory.CreateDirectory(builds);
                string oldHeld = Path.Combine(builds, "oldheld"), oldIdle = Path.Combine(builds, "oldidle");
                Directory.CreateDirectory(oldHeld);
                Directory.CreateDirectory(oldIdle);
                using var other = FileLock.TryShared(Path.Combine(oldHeld, WorkerSnapshot.InUseFile))!;
                foreach (string d in new[] { oldHeld, oldIdle }) Directory.SetLastWriteTimeUtc(d, DateTime.UtcNow.AddDays(-30));
                Assert.Equal("ran", Hklab.Start(Path.Combine(tree, "hklab"), ["x"], env).Stdout.Trim());
                Assert.True(Directory.Exists(oldHeld), "the launcher pruned a snapshot in use");
                Assert.False(Directory.Exists(oldIdle));
            }
            finally
            {
                Directory.Delete(tree, true);
            }
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }
}
