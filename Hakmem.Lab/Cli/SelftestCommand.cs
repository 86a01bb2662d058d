using System.CommandLine;
using Hakmem.Lab.Running;

namespace Hakmem.Lab.Cli;

/// <summary><c>hklab selftest</c>: proves on this machine that every outcome is classified correctly,
/// by running workers that crash, abort, hang, leak and corrupt on purpose.</summary>
public static class SelftestCommand
{
    public static Command Create()
    {
        var cmd = new Command("selftest", "Start workers that fail on purpose (SIGSEGV, abort, hang, leak, corruption, OOM) and check each is classified correctly.");
        cmd.SetAction(async (_, cancel) =>
        {
            var runner = new ChildRunner(WorkerCommand.ForThisProcess());
            int wrong = 0;
            foreach (var (mode, expected, what) in SelfTest.Modes)
            {
                var r = await Check(runner, mode, cancel);
                bool good = r.Outcome == expected;
                if (!good) wrong++;
                Console.WriteLine($"{(good ? "pass" : "FAIL"),-4}  {mode,-22} expected {expected.Name(),-7} got {r.Outcome.Name(),-7}  {what}");
                if (!good) Console.WriteLine($"      exit {r.ExitCode}, signal {r.Signal?.ToString() ?? "-"}: {r.Message}");
            }
            Console.WriteLine(wrong == 0 ? $"selftest: all {SelfTest.Modes.Count} outcomes classified correctly" : $"selftest: {wrong} of {SelfTest.Modes.Count} misclassified");
            return wrong == 0 ? 0 : 1;
        });
        return cmd;
    }

    public static Task<RunResult> Check(ChildRunner runner, string mode, CancellationToken cancel = default) =>
        runner.RunAsync(new RunSpec("selftest", [], "hakmem", HakmemOptions.Default, SelfTest: mode),
            TimeSpan.FromSeconds(mode == "hang" ? 3 : 120), cancel);
}
