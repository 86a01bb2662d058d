using Hakmem.Lab.Output;
using Hakmem.Lab.Results;
using Xunit.Abstractions;

namespace Hakmem.Lab.Tests;

/// <summary>A result set is never lost, mixed or half-written: one owner per directory, resume and force,
/// whole rows on a full disk, workers pinned to the build the lab started with, workers that die with
/// the lab, timeouts that record what happened.</summary>
public class ResultSafetyTests(ITestOutputHelper output)
{
    /// <summary>Two cells, quick random_mixed runs (about a quarter of a second each).</summary>
    private static string[] SmallMatrix(string dir, int runs, params string[] more) =>
        ["matrix", "--quick", "--workloads", "random_mixed", "--allocators", "hakmem,system", "--fast-cap", "64", "--tls-list", "off", "--p0", "on",
         "--runs", runs.ToString(), "--out", dir, .. more];

    /// <summary>Whole rows in the set's runs file so far (none while it is being created).</summary>
    private static int RowsIn(string dir)
    {
        try
        {
            return File.Exists(Path.Combine(dir, RunsCsv.RunsFile)) ? RunsCsv.Read(Path.Combine(dir, RunsCsv.RunsFile)).Count : 0;
        }
        catch (CsvInputException)
        {
            return 0;
        }
    }

    private static void WaitFor(Func<bool> condition, string what, int seconds = 60)
    {
        var until = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            if (DateTime.UtcNow > until) throw new TimeoutException($"waited {seconds} s for {what}");
            Thread.Sleep(20);
        }
    }

    [Fact]
    public void An_existing_result_set_is_refused_then_resumed_or_moved_aside_never_overwritten()
    {
        string root = Hklab.TempDir("owner");
        try
        {
            string dir = Path.Combine(root, "set");
            Assert.Equal(0, Hklab.Run(SmallMatrix(dir, 2)).ExitCode);
            string runs = File.ReadAllText(Path.Combine(dir, RunsCsv.RunsFile));

            var again = Hklab.Run(SmallMatrix(dir, 2));
            Assert.Equal(2, again.ExitCode);
            Assert.Contains("already holds a result set", again.Stderr);
            Assert.Equal(runs, File.ReadAllText(Path.Combine(dir, RunsCsv.RunsFile)));

            var other = Hklab.Run(SmallMatrix(dir, 2, "--resume").Select(a => a == "random_mixed" ? "larson" : a).ToArray());
            Assert.Equal(2, other.ExitCode);
            Assert.Contains("resume it with the options it was started with", other.Stderr);

            var forced = Hklab.Run(SmallMatrix(dir, 3, "--force"));
            Assert.Equal(0, forced.ExitCode);
            string aside = Assert.Single(Directory.GetDirectories(root, "set.old-*"));
            Assert.Equal(runs, File.ReadAllText(Path.Combine(aside, RunsCsv.RunsFile)));
            Assert.Equal(6, RowsIn(dir));
            Assert.False(File.Exists(Path.Combine(dir, ResultDirectory.LockFile)));
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    [Fact]
    public void A_resume_adds_runs_to_every_cell_but_never_mixes_builds_settings_or_timeouts_unless_allowed()
    {
        string root = Hklab.TempDir("resume-rules");
        try
        {
            string dir = Path.Combine(root, "set");
            Assert.Equal(0, Hklab.Run(SmallMatrix(dir, 2)).ExitCode);
            // More runs: the same matrix, one more run in each cell; the set is whole, not partial.
            var more = Hklab.Run(SmallMatrix(dir, 3, "--resume"));
            Assert.True(more.ExitCode == 0, more.Stdout + more.Stderr);
            Assert.Equal(6, RowsIn(dir));
            Assert.False(ResultMeta.Read(dir)!.Partial);

            var settings = Hklab.Run(new Dictionary<string, string> { ["HAKMEM_LARGE_CACHE_MB"] = "0" }, SmallMatrix(dir, 4, "--resume"));
            Assert.Equal(2, settings.ExitCode);
            Assert.Contains("the environment's settings none, and now they are HAKMEM_LARGE_CACHE_MB=0", settings.Stderr);
            var timeout = Hklab.Run(SmallMatrix(dir, 4, "--resume", "--timeout", "100"));
            Assert.Equal(2, timeout.ExitCode);
            Assert.Contains("--timeout the default, and now it is 100 s", timeout.Stderr);

            // Another build: the set's meta names one; --allow-mixed resumes it and marks it mixed.
            var meta = ResultMeta.Read(dir)!;
            (meta with { Build = "0123456789ab" }).Write(dir);
            var build = Hklab.Run(SmallMatrix(dir, 4, "--resume"));
            Assert.Equal(2, build.ExitCode);
            Assert.Contains("the build 0123456789ab, and this hklab is", build.Stderr);
            Assert.Equal(6, RowsIn(dir));
            var mixed = Hklab.Run(SmallMatrix(dir, 4, "--resume", "--allow-mixed"));
            Assert.True(mixed.ExitCode == 0, mixed.Stdout + mixed.Stderr);
            Assert.Equal(8, RowsIn(dir));
            Assert.True(ResultMeta.Read(dir)!.Mixed);
            Assert.Contains("**mixed**", File.ReadAllText(Path.Combine(dir, RunsCsv.SummaryMarkdown)));
            var compare = Hklab.Run("compare", dir, dir, "--out", Path.Combine(root, "c.csv"));
            Assert.Equal(2, compare.ExitCode);
            Assert.Contains("is mixed", compare.Stderr);
            Assert.Equal(0, Hklab.Run("compare", dir, dir, "--allow-mixed", "--out", Path.Combine(root, "c.csv")).ExitCode);
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    [Fact]
    public void A_dirty_build_is_named_by_its_assemblies_so_two_edits_of_one_commit_are_two_builds()
    {
        string root = Hklab.TempDir("dirty-build");
        try
        {
            string bin = Path.GetDirectoryName(typeof(Running.Worker).Assembly.Location)!;
            string one = Path.Combine(root, "one"), two = Path.Combine(root, "two"), clean = Path.Combine(root, "clean");
            foreach (string d in new[] { one, two, clean })
            {
                Directory.CreateDirectory(d);
                foreach (string f in new[] { "hklab.dll", "Hakmem.Core.dll", "Hakmem.Workloads.dll" }) File.Copy(Path.Combine(bin, f), Path.Combine(d, f));
                File.WriteAllText(Path.Combine(d, "hklab.build"), d == clean ? "0123456789ab\n" : "0123456789ab-dirty\n");
            }
            File.AppendAllText(Path.Combine(two, "Hakmem.Core.dll"), "an edit");
            string a = Provenance.BuildOf(one)!, b = Provenance.BuildOf(two)!;
            Assert.StartsWith("0123456789ab-dirty-", a);
            Assert.Equal($"0123456789ab-dirty-{Running.WorkerSnapshot.Key(one)}", a);
            Assert.NotEqual(a, b);
            Assert.Equal("0123456789ab", Provenance.BuildOf(clean));
            Assert.Equal("0123456789ab", Provenance.CommitOf(a));
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    [Fact]
    public void An_interrupted_matrix_is_partial_and_resume_runs_only_what_is_missing()
    {
        string root = Hklab.TempDir("resume");
        try
        {
            string dir = Path.Combine(root, "set");
            // --settle makes each run last at least 0.6 s, so that the signal lands mid-matrix however late a
            // loaded machine lets this test see the first row.
            using (var lab = Hklab.SpawnInterruptible(SmallMatrix(dir, 8, "--settle", "600")))
            {
                WaitFor(() => RowsIn(dir) >= 1, "the first run");
                Hklab.Signal(lab.Id, "INT");
                Assert.True(lab.Process.WaitForExit(60_000));
                Assert.Equal(130, lab.Process.ExitCode);
            }
            var meta = ResultMeta.Read(dir)!;
            int done = RowsIn(dir);
            Assert.True(meta.Partial);
            Assert.Equal(16, meta.PlannedRuns);
            Assert.Equal(done, meta.DoneRuns);
            Assert.True(done < 16);
            Assert.Contains("**partial**", File.ReadAllText(Path.Combine(dir, RunsCsv.SummaryMarkdown)));
            var kept = RunsCsv.Read(Path.Combine(dir, RunsCsv.RunsFile));

            var resumed = Hklab.Run(SmallMatrix(dir, 8, "--settle", "600", "--resume"));
            Assert.True(resumed.ExitCode == 0, resumed.Stdout + resumed.Stderr);
            Assert.Contains($"{done} of 16 runs done, {16 - done} to run", resumed.Stdout);
            var all = RunsCsv.Read(Path.Combine(dir, RunsCsv.RunsFile));
            Assert.Equal(16, all.Count);
            Assert.Equal(kept, all.Take(done));
            Assert.False(ResultMeta.Read(dir)!.Partial);
            Assert.Equal(2, Csv.Read<SummaryRecord>(Path.Combine(dir, RunsCsv.SummaryFile)).Count);
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    [Fact]
    public void A_matrix_killed_mid_row_resumes_from_its_last_whole_row()
    {
        string root = Hklab.TempDir("killed");
        try
        {
            string dir = Path.Combine(root, "set");
            using (var lab = Hklab.Spawn(SmallMatrix(dir, 8)))
            {
                WaitFor(() => RowsIn(dir) >= 2, "two runs");
                lab.Process.Kill();
                lab.Process.WaitForExit();
            }
            Assert.True(File.Exists(Path.Combine(dir, ResultDirectory.LockFile)), "a killed lab leaves its lock");
            File.AppendAllText(Path.Combine(dir, RunsCsv.RunsFile), "m-c0001-r003,2026-01-02T03:04:05Z,abc"); // a row cut short
            var resumed = Hklab.Run(SmallMatrix(dir, 8, "--resume"));
            Assert.True(resumed.ExitCode == 0, resumed.Stdout + resumed.Stderr);
            var all = RunsCsv.Read(Path.Combine(dir, RunsCsv.RunsFile));
            Assert.Equal(16, all.Count);
            Assert.Equal(16, all.Select(r => r.RunId).Distinct().Count());
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    [Fact]
    public void A_second_writer_is_kept_out_naming_the_first()
    {
        string root = Hklab.TempDir("writers");
        try
        {
            string dir = Path.Combine(root, "set");
            using var first = Hklab.Spawn(SmallMatrix(dir, 6));
            WaitFor(() => File.Exists(Path.Combine(dir, ResultDirectory.LockFile)), "the first matrix's lock");
            var second = Hklab.Run(SmallMatrix(dir, 6));
            Assert.Equal(2, second.ExitCode);
            Assert.Contains($"is being written by another hklab (pid {first.Id}", second.Stderr);
            Assert.True(first.Process.WaitForExit(120_000));
            Assert.Equal(0, first.Process.ExitCode);
            Assert.Equal(12, RowsIn(dir));
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    [Fact]
    public void On_a_full_disk_the_runs_file_keeps_its_whole_rows_and_the_message_says_so()
    {
        if (Environment.UserName != "root")
        {
            output.WriteLine("skipped: mounting a small tmpfs needs root");
            return;
        }
        string mount = Hklab.TempDir("full");
        var mounted = Hklab.Start("mount", ["-t", "tmpfs", "-o", "size=16k", "tmpfs", mount]);
        if (mounted.ExitCode != 0)
        {
            output.WriteLine($"skipped: cannot mount a tmpfs here: {mounted.Stderr}");
            Directory.Delete(mount);
            return;
        }
        try
        {
            string dir = Path.Combine(mount, "set");
            var o = Hklab.Run(["matrix", "--quick", "--workloads", "random_mixed", "--allocators", "system", "--runs", "60", "--out", dir]);
            Assert.Equal(1, o.ExitCode);
            Assert.DoesNotContain("   at ", o.Stdout + o.Stderr);
            string error = Assert.Single(o.Stderr.TrimEnd('\n').Split('\n'));
            Assert.Contains("No space left on device", error);
            var kept = RunsCsv.Read(Path.Combine(dir, RunsCsv.RunsFile)); // whole rows only: it parses
            Assert.InRange(kept.Count, 1, 59);
            Assert.Contains($"{kept.Count} run", error);
        }
        finally
        {
            Hklab.Start("umount", [mount]);
            Directory.Delete(mount, true);
        }
    }

    [Fact]
    public void Workers_run_the_build_the_lab_started_with_and_rows_say_which_build()
    {
        // A copy of hklab outside the repository, whose assemblies are overwritten while the matrix runs.
        string root = Hklab.TempDir("pinned");
        try
        {
            string copy = Path.Combine(root, "bin");
            Directory.CreateDirectory(copy);
            foreach (string f in Directory.GetFiles(AppContext.BaseDirectory)) File.Copy(f, Path.Combine(copy, Path.GetFileName(f)));
            foreach (string d in Directory.GetDirectories(AppContext.BaseDirectory, "*", SearchOption.AllDirectories))
                Directory.CreateDirectory(Path.Combine(copy, Path.GetRelativePath(AppContext.BaseDirectory, d)));
            foreach (string f in Directory.GetFiles(AppContext.BaseDirectory, "*", SearchOption.AllDirectories).Where(f => Path.GetDirectoryName(f) != AppContext.BaseDirectory.TrimEnd('/')))
                File.Copy(f, Path.Combine(copy, Path.GetRelativePath(AppContext.BaseDirectory, f)), true);
            string dir = Path.Combine(root, "set");
            var env = new Dictionary<string, string> { ["XDG_CACHE_HOME"] = Path.Combine(root, "cache") };
            using var lab = Hklab.Spawn(Path.Combine(copy, "hklab"), SmallMatrix(dir, 5), env, root);
            WaitFor(() => RowsIn(dir) >= 1, "the first run");
            foreach (string dll in new[] { "Hakmem.Core.dll", "Hakmem.Workloads.dll", "hklab.dll" })
            {
                // A rebuild that broke everything (as new files: the lab's own copies stay mapped).
                File.WriteAllBytes(Path.Combine(copy, dll + ".new"), new byte[4096]);
                File.Move(Path.Combine(copy, dll + ".new"), Path.Combine(copy, dll), overwrite: true);
            }
            Assert.True(lab.Process.WaitForExit(120_000));
            Assert.True(lab.Process.ExitCode == 0, lab.Output);
            var runs = RunsCsv.Read(Path.Combine(dir, RunsCsv.RunsFile));
            Assert.Equal(10, runs.Count);
            Assert.All(runs, r => Assert.Equal("ok", r.Outcome));
            string build = Assert.Single(runs.Select(r => r.Build).Distinct());
            Assert.Matches("^[0-9a-f]{12}(-dirty-[0-9a-f]{16})?$", build);
            Assert.All(runs, r => Assert.StartsWith(build[..12], r.GitCommit));
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    [Fact]
    public void A_worker_dies_within_a_second_of_its_lab()
    {
        using var lab = Hklab.Spawn("run", "larson", "60", "8", "128", "1024", "1", "12345", "2");
        int worker = 0;
        WaitFor(() => (worker = Hklab.ChildrenOf(lab.Id).FirstOrDefault()) != 0 && File.ReadAllText($"/proc/{worker}/cmdline").Contains("__worker"), "the worker");
        Thread.Sleep(300); // the worker is running its workload now
        lab.Process.Kill();
        lab.Process.WaitForExit();
        WaitFor(() => !Hklab.IsRunning(worker), "the worker to die with the lab", seconds: 1);
    }

    [Fact]
    public void A_timeout_records_its_duration_its_memory_and_the_signal_and_is_not_a_crash()
    {
        string csv = Path.Combine(Hklab.TempDir("timeout"), "runs.csv");
        try
        {
            var o = Hklab.Run("run", "larson", "60", "8", "128", "1024", "1", "12345", "2", "--timeout", "1.5", "--runs", "2", "--csv", csv);
            Assert.Equal(1, o.ExitCode);
            Assert.Contains("runs 2: timeout 2", o.Stdout);
            Assert.Contains("2/2 runs failed", o.Stdout);
            Assert.DoesNotContain("crash", o.Stdout);
            Assert.All(RunsCsv.Read(csv), r =>
            {
                Assert.Equal("timeout", r.Outcome);
                Assert.InRange(r.Seconds, 1.4, 10);
                Assert.True(r.PeakRssKb > 10_000, $"peak RSS {r.PeakRssKb} KB");
                Assert.Equal(137, r.ExitCode);
                Assert.Equal(9, r.Signal);
            });
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(csv)!, true);
        }
    }

    [Fact]
    public void The_launcher_runs_the_lab_from_a_snapshot_of_the_build()
    {
        string repo = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", ".."));
        string cache = Hklab.TempDir("launcher");
        try
        {
            var env = new Dictionary<string, string> { ["XDG_CACHE_HOME"] = cache };
            var o = Hklab.Start(Path.Combine(repo, "hklab"), ["run", "random_mixed", "20000", "256", "1"], env);
            Assert.True(o.ExitCode == 0, o.Stdout + o.Stderr);
            string snapshot = Assert.Single(Directory.GetDirectories(Path.Combine(cache, "hklab", "builds")));
            Assert.Equal(Running.WorkerSnapshot.Key(Path.Combine(repo, "Hakmem.Lab", "bin", "Release", "net10.0")), Path.GetFileName(snapshot));
            Assert.True(File.Exists(Path.Combine(snapshot, "hklab")));
        }
        finally
        {
            Directory.Delete(cache, true);
        }
    }
}
