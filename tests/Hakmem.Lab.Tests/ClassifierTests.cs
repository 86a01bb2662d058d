using Hakmem.Lab.Running;

namespace Hakmem.Lab.Tests;

/// <summary>The classifier's rules on every combination of report, exit status and stderr signature.</summary>
public class ClassifierTests
{
    private static Classifier.Verdict Of(int exit, string stderr, WorkerReport? report = null, bool timedOut = false) =>
        Classifier.Classify(exit, timedOut, report, stderr, 10);

    private static WorkerReport Reported(string status, long leaked = 0) => new() { Status = status, LeakedBlocks = leaked, Message = status == "ok" ? null : $"{status} seen" };

    private const string AccessViolation = "Fatal error.\nSystem.AccessViolationException: Attempted to read or write protected memory.\n   at X.Y()";
    private const string HeapCorruption = "Unhandled exception. Hakmem.HeapCorruptionException: hakmem: double free (pointer 0x10)\n   at Z()";
    private const string FailFast = "Process terminated.\nhakmem guard: invariant violated\n   at System.Environment.FailFast(System.String)";
    private const string GlibcFree = "free(): invalid pointer";
    private const string OutOfMemory = "Unhandled exception. System.OutOfMemoryException: Insufficient memory.";

    [Theory]
    // A plain signal: the signal decides.
    [InlineData(139, "", "crash", "killed by SIGSEGV")]
    [InlineData(135, "", "crash", "killed by SIGBUS")]
    [InlineData(132, "", "crash", "killed by SIGILL")]
    [InlineData(136, "", "crash", "killed by SIGFPE")]
    [InlineData(134, "", "abort", "killed by SIGABRT")]
    [InlineData(137, "", "crash", "killed by SIGKILL")]
    // SIGABRT: stderr decides.
    [InlineData(134, AccessViolation, "crash", "AccessViolationException")]
    [InlineData(134, HeapCorruption, "abort", "double free")]
    [InlineData(134, FailFast, "abort", "hakmem guard: invariant violated")]
    [InlineData(134, GlibcFree, "abort", "free(): invalid pointer")]
    [InlineData(134, OutOfMemory, "oom", "OutOfMemoryException")]
    // A non-zero exit without a signal: stderr, else error.
    [InlineData(1, "something went wrong", "error", "exited with code 1: something went wrong")]
    [InlineData(1, HeapCorruption, "abort", "double free")]
    // SIGSEGV is a crash whatever stderr says.
    [InlineData(139, HeapCorruption, "crash", "killed by SIGSEGV")]
    [InlineData(139, GlibcFree, "crash", "killed by SIGSEGV")]
    public void Without_a_report_the_death_decides(int exit, string stderr, string expected, string message)
    {
        var v = Of(exit, stderr);
        Assert.Equal(expected, v.Outcome.Name());
        Assert.Contains(message, v.Message);
    }

    [Theory]
    // Several signatures: the documented order decides (access violation, heap corruption, fail-fast, glibc, OOM).
    [InlineData(AccessViolation + "\n" + HeapCorruption, "crash")]
    [InlineData(HeapCorruption + "\n" + AccessViolation, "crash")]
    [InlineData(OutOfMemory + "\n" + HeapCorruption, "abort")]
    [InlineData(FailFast + "\n" + OutOfMemory, "abort")]
    [InlineData(OutOfMemory + "\n" + GlibcFree, "abort")]
    public void When_stderr_holds_several_signatures_the_order_decides(string stderr, string expected)
    {
        Assert.Equal(expected, Of(134, stderr).Outcome.Name());
    }

    [Theory]
    [InlineData("ok", 0, 139, "", "crash", "reported ok, then killed by SIGSEGV at exit")]
    [InlineData("ok", 0, 134, GlibcFree, "abort", "reported ok, then killed by SIGABRT: free(): invalid pointer at exit")]
    [InlineData("ok", 0, 134, FailFast, "abort", "reported ok, then killed by SIGABRT: hakmem guard: invariant violated at exit")]
    [InlineData("ok", 0, 3, "", "error", "reported ok, then exited with code 3 at exit")]
    [InlineData("ok", 5, 139, "", "crash", "reported ok, then killed by SIGSEGV at exit")]
    [InlineData("corrupt", 0, 139, "", "corrupt", "corrupt seen; then killed by SIGSEGV")]
    [InlineData("oom", 0, 134, OutOfMemory, "oom", "oom seen; then killed by SIGABRT: Unhandled exception. System.OutOfMemoryException: Insufficient memory.")]
    [InlineData("error", 0, 139, "", "error", "error seen; then killed by SIGSEGV")]
    [InlineData("error", 0, 0, "", "error", "reported error, then exited with code 0")]
    public void A_report_followed_by_a_death_is_not_the_report_alone(string status, long leaked, int exit, string stderr, string expected, string message)
    {
        var v = Of(exit, stderr, Reported(status, leaked));
        Assert.Equal(expected, v.Outcome.Name());
        Assert.Equal(message, v.Message);
    }

    [Fact]
    public void A_report_with_the_exit_status_it_implies_decides()
    {
        Assert.Equal(Outcome.Ok, Of(0, "", Reported("ok")).Outcome);
        Assert.Equal(Outcome.Leak, Of(0, "", Reported("ok", leaked: 3)).Outcome);
        Assert.Equal(Outcome.Corrupt, Of(0, "", Reported("corrupt")).Outcome);
        Assert.Equal(Outcome.Abort, Of(0, "", Reported("abort")).Outcome);
        Assert.Equal(Outcome.Oom, Of(0, "", Reported("oom")).Outcome);
        Assert.Equal(Outcome.Error, Of(2, "", Reported("error")).Outcome);
    }

    [Theory]
    [InlineData(true, false, 9, true)]    // the limit passed and the kill ended it
    [InlineData(true, true, null, false)] // it had exited by itself when the limit passed
    [InlineData(true, false, null, false)] // the kill went out, but the program had already ended with its own status
    [InlineData(true, false, 11, false)]  // it crashed on its own just as the limit passed
    [InlineData(false, false, 9, false)]  // killed by someone else before its limit: not a timeout
    public void Only_a_run_the_timeouts_kill_ended_is_a_timeout(bool limitReached, bool exitedFirst, int? signal, bool timeout)
    {
        Assert.Equal(timeout, Classifier.KilledAtTimeout(limitReached, exitedFirst, signal));
    }

    [Fact]
    public void Timeout_wins_and_says_the_signal_used()
    {
        var v = Of(137, "", null, timedOut: true);
        Assert.Equal(Outcome.Timeout, v.Outcome);
        Assert.Equal(9, v.Signal);
        Assert.Contains("SIGKILL", v.Message);
        var hungAtExit = Of(137, "", Reported("ok"), timedOut: true);
        Assert.Equal(Outcome.Timeout, hungAtExit.Outcome);
        Assert.StartsWith("reported ok, then did not exit", hungAtExit.Message);
    }

    [Fact]
    public void Exit_zero_without_a_report_is_an_error()
    {
        Assert.Equal(Outcome.Error, Of(0, "").Outcome);
    }

    [Fact]
    public void The_first_meaningful_stderr_line_skips_blank_lines_and_stack_frames()
    {
        Assert.Equal("System.InvalidOperationException: boom",
            Classifier.FirstMeaningfulLine("\n\n   at A.B()\nSystem.InvalidOperationException: boom\n   at C.D()"));
    }
}
