using Hakmem.Lab.Results;
using Hakmem.Lab.Running;

namespace Hakmem.Lab.Tests;

/// <summary>Every failed run leaves what it takes to understand and reproduce it: its evidence folder, the
/// trace ring's last events (even after a native crash), a repro.sh, and hklab repro.</summary>
public class ForensicsTests
{
    private static readonly Dictionary<string, string> Ring = new() { ["HAKMEM_TINY_TRACE_RING"] = "64" };

    [Fact]
    public void A_failed_run_of_a_matrix_leaves_its_evidence_and_a_repro_script_that_fails_again()
    {
        string root = Hklab.TempDir("evidence");
        try
        {
            string dir = Path.Combine(root, "set");
            var env = new Dictionary<string, string>(Ring) { ["HAKMEM_INJECT"] = "p0-double-count" };
            var o = Hklab.Run(env, "matrix", "--workloads", "random-mixed-p0", "--allocators", "hakmem,system", "--fast-cap", "64", "--tls-list", "off", "--p0", "on",
                "--runs", "2", "--out", dir);
            Assert.Equal(1, o.ExitCode);
            var runs = RunsCsv.Read(Path.Combine(dir, RunsCsv.RunsFile));
            var failed = runs.Where(r => r.Outcome == "corrupt").ToList();
            Assert.Equal(2, failed.Count);
            Assert.All(runs.Where(r => r.Outcome == "ok"), r => Assert.Equal("", r.Artifacts));
            foreach (var r in failed)
            {
                Assert.Equal($"failures/{r.RunId}", r.Artifacts);
                string evidence = Path.Combine(dir, r.Artifacts);
                Assert.True(File.Exists(Path.Combine(evidence, "worker.stderr")));
                Assert.Contains("HKLAB-RESULT", File.ReadAllText(Path.Combine(evidence, "worker.stdout")));
                string ring = File.ReadAllText(Path.Combine(evidence, "trace-ring.txt"));
                Assert.StartsWith("hakmem trace ring: the last 64 of", ring);
                Assert.Equal(64, ring.Split('\n').Count(l => l.Contains(" us  thread ")));
                Assert.Contains(" block 0x", ring);
            }
            string summary = File.ReadAllText(Path.Combine(dir, RunsCsv.SummaryMarkdown));
            Assert.Contains($"([evidence](failures/{failed[0].RunId}/))", summary);

            // repro.sh runs that one run again (the same cell, knobs and canary): it fails the same way.
            var again = Hklab.Start("sh", [Path.Combine(dir, failed[0].Artifacts, "repro.sh"), "2"]);
            Assert.Equal(1, again.ExitCode);
            Assert.Contains("2/2 runs failed", again.Stdout);
            Assert.Contains("corrupt", again.Stdout);
            Assert.Contains("--inject p0-double-count", File.ReadAllText(Path.Combine(dir, failed[0].Artifacts, "repro.sh")));
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    [Fact]
    public async Task The_trace_ring_survives_a_native_crash_of_the_worker()
    {
        var r = await new ChildRunner(Hklab.Command, Ring).RunAsync(new RunSpec("selftest", [], "hakmem", HakmemOptions.Default, SelfTest: "crash-in-heap-work"), TimeSpan.FromSeconds(60));
        Assert.Equal(Outcome.Crash, r.Outcome);
        Assert.Equal(11, r.Signal);
        string ring = r.Evidence!.TraceRing!;
        Assert.Equal(64, ring.Split('\n').Count(l => l.Contains(" us  thread ")));
        Assert.Contains("free fast", ring);
        Assert.Contains("alloc fast", ring);
    }

    [Fact]
    public async Task Without_the_switch_there_is_no_ring_and_an_ok_run_keeps_no_evidence()
    {
        var runner = new ChildRunner(Hklab.Command);
        var crash = await runner.RunAsync(new RunSpec("selftest", [], "hakmem", HakmemOptions.Default, SelfTest: "crash-in-heap-work"), TimeSpan.FromSeconds(60));
        Assert.Null(crash.Evidence!.TraceRing);
        var ok = await new ChildRunner(Hklab.Command, Ring).RunAsync(new RunSpec("random_mixed", ["10000", "64", "1"], "hakmem", HakmemOptions.Default), TimeSpan.FromSeconds(60));
        Assert.Equal(Outcome.Ok, ok.Outcome);
        Assert.Null(ok.Evidence);
    }

    [Fact]
    public void A_failed_program_keeps_its_own_output_and_a_script_that_runs_it_without_the_lab()
    {
        string root = Hklab.TempDir("exec-evidence");
        try
        {
            string csv = Path.Combine(root, "runs.csv"), bench = NativeFixture.Program("bench_fixture");
            var o = Hklab.Run("run", "--exec", $"{bench} 2 10000 exit3", "--csv", csv);
            Assert.Equal(1, o.ExitCode);
            var run = Assert.Single(RunsCsv.Read(csv));
            string evidence = Path.Combine(root, run.Artifacts);
            Assert.Contains("error: the arena is exhausted", File.ReadAllText(Path.Combine(evidence, "program.stderr")));
            string script = File.ReadAllText(Path.Combine(evidence, "repro.sh"));
            Assert.Contains($"{bench} 2 10000 exit3", script);
            var again = Hklab.Start("sh", [Path.Combine(evidence, "repro.sh")]);
            Assert.Contains("run 1: exit 3", again.Stdout);
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    [Fact]
    public void Repro_repeats_a_recorded_run_and_exits_1_when_it_fails()
    {
        string root = Hklab.TempDir("repro");
        try
        {
            string csv = Path.Combine(root, "runs.csv");
            Assert.Equal(1, Hklab.Run("run", "random-mixed-25k", "--inject", "registry-miss", "--csv", csv).ExitCode);
            string id = Assert.Single(RunsCsv.Read(csv)).RunId;
            var again = Hklab.Run("repro", csv, id, "--runs", "2");
            Assert.Equal(1, again.ExitCode);
            Assert.Equal(2, again.Stdout.Split('\n').Count(l => l.Contains("  leak ")));

            string clean = Path.Combine(root, "clean.csv");
            Assert.Equal(0, Hklab.Run("run", "random_mixed", "20000", "256", "5", "--fast-cap", "0", "--csv", clean).ExitCode);
            var ok = Hklab.Run("repro", clean, RunsCsv.Read(clean)[0].RunId[..10]);
            Assert.Equal(0, ok.ExitCode);
            Assert.Contains("run 1/1  ok", ok.Stdout);

            var missing = Hklab.Run("repro", csv, "nosuchrun");
            Assert.Equal(2, missing.ExitCode);
            Assert.Contains("no run 'nosuchrun'", missing.Stderr);
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    [Fact]
    public void Repro_of_a_program_runs_the_very_command_recorded_quotes_and_all()
    {
        string root = Hklab.TempDir("repro-exec");
        try
        {
            string csv = Path.Combine(root, "runs.csv");
            // The program prints its words one per line, the last one last, and fails: its last stderr line is the message.
            string command = "sh -c 'for w in \"$@\"; do echo \"[$w]\" >&2; done; exit 3' x 'a  b' \"it's\"";
            var first = Hklab.Run("run", "--exec", command, "--csv", csv);
            Assert.Equal(1, first.ExitCode);
            var record = Assert.Single(RunsCsv.Read(csv));
            Assert.Contains("exited with code 3: [it's]", record.Message);
            var again = Hklab.Run("repro", csv, record.RunId);
            Assert.Equal(1, again.ExitCode);
            Assert.Contains("exited with code 3: [it's]", again.Stdout);
            var spec = Cli.ReproCommand.SpecOf(record, null);
            Assert.Equal(["sh", "-c", "for w in \"$@\"; do echo \"[$w]\" >&2; done; exit 3", "x", "a  b", "it's"], spec.Parse().Arguments);
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    [Fact]
    public void Repro_refuses_a_run_recorded_with_columns_this_build_does_not_know()
    {
        string root = Hklab.TempDir("repro-newer");
        try
        {
            string csv = Path.Combine(root, "runs.csv");
            RunsCsv.Write(csv, [new RunRecord { RunId = "m-c0000-r001", Workload = "random_mixed", Args = "1000 64 1", Allocator = "hakmem", Threads = 1, Run = 1, Outcome = "ok", Build = "fedcba987654" }]);
            var lines = File.ReadAllLines(csv);
            File.WriteAllLines(csv, [lines[0] + ",a_future_column", lines[1] + ",500"]); // a column of a newer build
            var o = Hklab.Run("repro", csv, "m-c0000-r001");
            Assert.Equal(2, o.ExitCode);
            Assert.Contains("was written by another build of hklab (this run: fedcba987654) with columns this build", o.Stderr);
            Assert.Contains("a_future_column", o.Stderr);
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    [Fact]
    public void Repro_rebuilds_the_spec_of_a_run_from_its_columns()
    {
        var record = new RunRecord
        {
            Workload = "larson", Args = "1 8 128 1024 1 12345 4", Allocator = "hakmem", FastCap = 0, TlsSll = "on", TlsList = "on", P0 = "off",
            Guards = "on", MaxMb = 16, Inject = "unowned-drain", Env = "A=1;HAKMEM_X=y",
        };
        var spec = Cli.ReproCommand.SpecOf(record, null);
        Assert.Equal(["1", "8", "128", "1024", "1", "12345", "4"], spec.Arguments);
        Assert.Equal(new HakmemOptions { FastCap = 0, TlsSll = true, TlsList = true, P0BatchRefill = false, Guards = true, MaxMemoryBytes = 16L << 20, Inject = SeedBug.UnownedDrain }, spec.Hakmem);
        Assert.Equal("A=1;HAKMEM_X=y", spec.EnvText);
        var lib = Cli.ReproCommand.SpecOf(new RunRecord { Workload = "exec", Args = "./b 2", Allocator = "lib:libx.so" }, new ResultMeta { Libraries = ["lib:libx.so = /opt/libx.so"] });
        Assert.Equal("lib:/opt/libx.so", lib.Allocator);
        Assert.Equal(["./b 2"], lib.Arguments);
    }

    [Fact]
    public void Canaries_keep_the_evidence_of_their_failed_runs()
    {
        string root = Hklab.TempDir("canary-evidence");
        try
        {
            string csv = Path.Combine(root, "runs.csv");
            var o = Hklab.Run("canaries", "--only", "p0-double-count", "--runs", "1", "--csv", csv);
            Assert.Equal(0, o.ExitCode);
            var runs = RunsCsv.Read(csv);
            var canary = Assert.Single(runs, r => r.RunId.StartsWith("canary-"));
            Assert.Equal("failures/canary-p0-double-count-1", canary.Artifacts);
            Assert.True(File.Exists(Path.Combine(root, canary.Artifacts, "repro.sh")));
            Assert.Equal("", Assert.Single(runs, r => r.RunId.StartsWith("clean-")).Artifacts);
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }
}
