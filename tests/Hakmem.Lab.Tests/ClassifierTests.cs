using Hakmem.Lab.Running;

namespace Hakmem.Lab.Tests;

public class ClassifierTests
{
    private static Outcome Of(int exit, string stderr, WorkerReport? report = null, bool timedOut = false) =>
        Classifier.Classify(exit, timedOut, report, stderr, 10).Outcome;

    [Fact]
    public void An_access_violation_reported_as_SIGABRT_is_a_crash_not_an_abort()
    {
        Assert.Equal(Outcome.Crash, Of(134, "Fatal error.\nSystem.AccessViolationException: Attempted to read or write protected memory.\n   at X.Y()"));
    }

    [Fact]
    public void An_unhandled_heap_corruption_exception_is_an_abort()
    {
        Assert.Equal(Outcome.Abort, Of(134, "Unhandled exception. Hakmem.HeapCorruptionException: hakmem: double free (pointer 0x10)\n   at Z()"));
    }

    [Fact]
    public void A_plain_signal_is_a_crash_with_the_signal()
    {
        var v = Classifier.Classify(139, false, null, "", 10);
        Assert.Equal(Outcome.Crash, v.Outcome);
        Assert.Equal(11, v.Signal);
        Assert.Contains("SIGSEGV", v.Message);
    }

    [Fact]
    public void A_report_decides_when_there_is_one()
    {
        Assert.Equal(Outcome.Ok, Of(0, "", new WorkerReport { Status = "ok", LeakedBlocks = 0 }));
        Assert.Equal(Outcome.Leak, Of(0, "", new WorkerReport { Status = "ok", LeakedBlocks = 3 }));
        Assert.Equal(Outcome.Corrupt, Of(0, "", new WorkerReport { Status = "corrupt" }));
        Assert.Equal(Outcome.Oom, Of(0, "", new WorkerReport { Status = "oom" }));
        Assert.Equal(Outcome.Error, Of(2, "", new WorkerReport { Status = "error" }));
    }

    [Fact]
    public void Timeout_wins_over_everything()
    {
        Assert.Equal(Outcome.Timeout, Of(137, "", null, timedOut: true));
    }

    [Fact]
    public void A_nonzero_exit_without_a_result_or_signal_is_an_error()
    {
        Assert.Equal(Outcome.Error, Of(1, "something went wrong"));
    }

    [Fact]
    public void The_first_meaningful_stderr_line_skips_blank_lines_and_stack_frames()
    {
        Assert.Equal("System.InvalidOperationException: boom",
            Classifier.FirstMeaningfulLine("\n\n   at A.B()\nSystem.InvalidOperationException: boom\n   at C.D()"));
    }
}
