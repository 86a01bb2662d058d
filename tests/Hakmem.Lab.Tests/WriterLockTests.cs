using Hakmem.Lab.Output;
using Hakmem.Lab.Results;

namespace Hakmem.Lab.Tests;

/// <summary>One writer per result directory: the lock is an flock held for the writer's whole life, so a
/// contender caught inside acquisition (driven there by the lock's pause seam) is still kept out, and two
/// matrices started together into one directory always end with one set and one refusal.</summary>
public class WriterLockTests
{
    private static string[] OneRunMatrix(string dir) =>
        ["matrix", "--quick", "--workloads", "random_mixed", "--allocators", "hakmem", "--fast-cap", "64", "--tls-list", "off", "--p0", "on", "--runs", "1", "--out", dir];

    private static void WaitFor(string file)
    {
        var until = DateTime.UtcNow.AddSeconds(60);
        while (!File.Exists(file))
        {
            if (DateTime.UtcNow > until) throw new TimeoutException($"waited 60 s for {file}");
            Thread.Sleep(10);
        }
    }

    private static Dictionary<string, string> Pause(string stage, string file)
    {
        File.WriteAllText(file, "");
        return new() { [FileLock.PauseVariable] = $"{stage}:{file}" };
    }

    [Fact]
    public void A_holder_that_has_not_yet_written_its_name_keeps_a_second_writer_out()
    {
        string root = Hklab.TempDir("lock-held");
        try
        {
            string dir = Path.Combine(root, "set"), gate = Path.Combine(root, "gate");
            using var first = Hklab.Spawn(Hklab.Command.FileName, Hklab.Command.PrefixArguments.Concat(OneRunMatrix(dir)), Pause("locked", gate));
            WaitFor(gate + ".reached");
            Assert.Equal("", FileLock.ReadHolder(Path.Combine(dir, ResultDirectory.LockFile))); // locked, nothing written in it yet

            var second = Hklab.Run(OneRunMatrix(dir));
            Assert.Equal(2, second.ExitCode);
            Assert.Contains("is being written by another hklab", second.Stderr);

            File.Delete(gate);
            Assert.True(first.Process.WaitForExit(120_000));
            Assert.True(first.Process.ExitCode == 0, first.Output);
            Assert.Single(RunsCsv.Read(Path.Combine(dir, RunsCsv.RunsFile)));
            Assert.False(File.Exists(Path.Combine(dir, ResultDirectory.LockFile)));
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    [Fact]
    public void A_contender_that_opened_the_lock_file_before_its_holder_removed_it_does_not_get_in_beside_the_next_holder()
    {
        string root = Hklab.TempDir("lock-replaced");
        try
        {
            string dir = Path.Combine(root, "set");
            Assert.Equal(0, Hklab.Run(OneRunMatrix(dir)).ExitCode);
            string gateA = Path.Combine(root, "gate-a"), gateB = Path.Combine(root, "gate-b");
            // A opens the lock file and stops before flock; another report takes the lock, finishes and removes the
            // file; B creates the next lock file and holds it. A's file is no longer the lock: A must not get in.
            using var a = Hklab.Spawn(Hklab.Command.FileName, Hklab.Command.PrefixArguments.Concat(["report", dir]), Pause("opened", gateA));
            WaitFor(gateA + ".reached");
            var between = Hklab.Run("report", dir);
            Assert.True(between.ExitCode == 0, between.Stdout + between.Stderr);
            Assert.False(File.Exists(Path.Combine(dir, ResultDirectory.LockFile)));
            using var b = Hklab.Spawn(Hklab.Command.FileName, Hklab.Command.PrefixArguments.Concat(["report", dir]), Pause("locked", gateB));
            WaitFor(gateB + ".reached");

            File.Delete(gateA);
            Assert.True(a.Process.WaitForExit(120_000));
            Assert.Equal(2, a.Process.ExitCode);
            Assert.Contains("is being written by another hklab", a.Output);

            File.Delete(gateB);
            Assert.True(b.Process.WaitForExit(120_000));
            Assert.True(b.Process.ExitCode == 0, b.Output);
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    [Fact]
    public void Two_matrices_started_together_into_one_directory_end_with_one_set_and_one_refusal_every_time()
    {
        string root = Hklab.TempDir("lock-race");
        try
        {
            for (int round = 0; round < 20; round++)
            {
                string dir = Path.Combine(root, $"set{round}");
                using var x = Hklab.Spawn(OneRunMatrix(dir));
                using var y = Hklab.Spawn(OneRunMatrix(dir));
                Assert.True(x.Process.WaitForExit(120_000) && y.Process.WaitForExit(120_000));
                var codes = new[] { x.Process.ExitCode, y.Process.ExitCode }.Order().ToArray();
                Assert.True(codes.SequenceEqual([0, 2]), $"round {round}: exit codes {codes[0]} and {codes[1]}\n{x.Output}\n{y.Output}");
                var loser = x.Process.ExitCode == 2 ? x : y;
                Assert.Matches("is being written by another hklab|already holds a result set", loser.Output);
                var runs = RunsCsv.Read(Path.Combine(dir, RunsCsv.RunsFile));
                Assert.Single(runs);
                Assert.Equal("ok", runs[0].Outcome);
            }
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }
}
