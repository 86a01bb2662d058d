namespace Hakmem.Lab.Running;

/// <summary>Turns how a worker process ended into an <see cref="Outcome"/> and the one line that says why.
/// The rules, in order:
/// <list type="number">
/// <item>Killed at the timeout: <c>timeout</c>.</item>
/// <item>A report, and the exit status it implies (0; 2 for an <c>error</c> report): the report decides.</item>
/// <item>Otherwise the process died, before or after reporting; the death decides
/// (<see cref="Death"/>). After a report of <c>ok</c> or <c>leak</c> the outcome is the death's and the
/// message says both ("reported ok, then killed by SIGSEGV at exit"); after a report that already is a
/// failure, that failure stays and the death is added to its message. The report's figures are kept.</item>
/// </list>
/// A death is read from the signal first, then from stderr: SIGSEGV, SIGBUS, SIGILL and SIGFPE are
/// <c>crash</c> whatever stderr says. Otherwise (SIGABRT, another signal, a non-zero exit) the first of
/// these stderr signatures that is present decides, in this order: AccessViolationException
/// (.NET reports a managed access violation as SIGABRT) <c>crash</c>; HeapCorruptionException
/// <c>abort</c>; a fail-fast (Environment.FailFast, "Process terminated.") <c>abort</c>; a glibc heap
/// message (<see cref="GlibcHeapMessages"/>) <c>abort</c>; OutOfMemoryException <c>oom</c>. With none of
/// them: SIGABRT <c>abort</c>, another signal <c>crash</c>, a non-zero exit <c>error</c>.</summary>
public static partial class Classifier
{
    public sealed record Verdict(Outcome Outcome, int? Signal, string Message);

    /// <summary>What glibc prints before it aborts on a broken heap.</summary>
    public static readonly IReadOnlyList<string> GlibcHeapMessages =
        ["free(): ", "malloc(): ", "realloc(): ", "double free or corruption", "corrupted size vs", "corrupted double-linked list", "munmap_chunk(): ", "malloc_consolidate(): "];

    /// <summary>What an allocator's own crash handler prints before it re-raises the signal (mimalloc-style
    /// "fatal ... SIGSEGV", abseil and glog's "*** SIGSEGV received ..."). In the .NET worker a raised (not
    /// faulted) SIGSEGV reaches the runtime's handler, which returns, and the run goes on as if nothing
    /// happened; such a message on stderr of a run that then reports ok is a crash all the same.</summary>
    [System.Text.RegularExpressions.GeneratedRegex(@"\b(fatal|caught|received|got|unhandled)\b[^\n]{0,60}\b(SIGSEGV|SIGBUS|SIGILL|SIGFPE)\b|\b(SIGSEGV|SIGBUS|SIGILL|SIGFPE)\b[^\n]{0,30}\b(received|caught)\b",
        System.Text.RegularExpressions.RegexOptions.IgnoreCase)]
    private static partial System.Text.RegularExpressions.Regex CrashHandlerMessage();

    /// <summary>The first line of <paramref name="stderr"/> that a crash handler prints, or null.</summary>
    public static string? CrashHandlerLine(string stderr) =>
        stderr.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => CrashHandlerMessage().IsMatch(l)) is { } line ? Clip(line) : null;

    public static Verdict Classify(int exitCode, bool timedOut, WorkerReport? report, string stderr, double timeoutSeconds)
    {
        var verdict = ClassifyDeath(exitCode, timedOut, report, stderr, timeoutSeconds);
        if (verdict.Outcome is Outcome.Ok or Outcome.Leak && CrashHandlerLine(stderr) is { } line)
            return new(Outcome.Crash, verdict.Signal, $"reported {report?.Status ?? "nothing"}, but an allocator's crash handler said: {line} (a signal it raised itself, which the .NET runtime let pass; run such a library with --exec)");
        return verdict;
    }

    private static Verdict ClassifyDeath(int exitCode, bool timedOut, WorkerReport? report, string stderr, double timeoutSeconds)
    {
        int? signal = SignalOf(exitCode);
        if (timedOut)
        {
            string killed = $"killed by SIGKILL after {timeoutSeconds:0.#} s";
            return new(Outcome.Timeout, 9, report == null ? $"no result within the timeout: {killed}" : $"reported {report.Status}, then did not exit: {killed}");
        }
        if (report != null && exitCode == ExpectedExitCode(report)) return FromReport(report, signal);
        var (death, text) = Death(exitCode, signal, stderr);
        if (death == null)
            return new(Outcome.Error, null, report == null ? "exit code 0 without a result line" : $"reported {report.Status}, then exited with code 0");
        if (report == null) return new(death.Value, signal, text);
        var reported = FromReport(report, signal);
        if (reported.Outcome is Outcome.Ok or Outcome.Leak)
            return new(death.Value, signal, $"reported {report.Status}, then {text} at exit");
        return reported with { Message = $"{reported.Message}; then {text}" };
    }

    /// <summary>Whether a run that reached its time limit really was killed by it: the limit passed, the process
    /// had not exited on its own before the kill, and what ended it was the kill's SIGKILL. A program that
    /// exits as its timeout fires ended by itself and is classified by how it ended.</summary>
    public static bool KilledAtTimeout(bool limitReached, bool exitedFirst, int? signal) => limitReached && !exitedFirst && signal == 9;

    /// <summary>The exit status a worker ends with after this report.</summary>
    public static int ExpectedExitCode(WorkerReport report) => report.Status is "error" or "refused" ? 2 : 0;

    private static Verdict FromReport(WorkerReport report, int? signal)
    {
        Outcome o = report.Status switch
        {
            "ok" => report.LeakedBlocks > 0 ? Outcome.Leak : Outcome.Ok,
            "corrupt" => Outcome.Corrupt,
            "abort" => Outcome.Abort,
            "crash" => Outcome.Crash,
            "oom" => Outcome.Oom,
            "timeout" => Outcome.Timeout,
            "refused" => Outcome.Refused,
            _ => Outcome.Error,
        };
        string msg = report.Message ?? (o == Outcome.Leak ? $"{report.LeakedBlocks} blocks ({report.LeakedBytes} bytes) still live after the workload freed everything" : "");
        return new(o, signal, msg);
    }

    /// <summary>How an external program ended (exec): exit 0 is ok, a timeout a timeout, anything else its
    /// death by the same rules as a worker's, the message taken from the end of its stderr (where
    /// programs print their last words) unless a signature says more.</summary>
    public static Verdict ClassifyProgram(ProgramEnd end, double timeoutSeconds)
    {
        if (end.TimedOut) return new(Outcome.Timeout, 9, $"no end within {timeoutSeconds:0.#} s: its process group was killed by SIGKILL");
        if (end.ExitCode == 0 && CrashHandlerLine(end.Stderr) is { } handler)
            return new(Outcome.Crash, null, $"exited with code 0, but a crash handler said: {handler}");
        if (end.ExitCode == 0) return new(Outcome.Ok, null, "");
        var (outcome, text) = Death(end.ExitCode, end.Signal, end.Stderr, lastLine: true);
        return new(outcome ?? Outcome.Error, end.Signal, text);
    }

    /// <summary>How a process that did not end cleanly died, and the words for it; (null, "") for exit 0.</summary>
    public static (Outcome? Outcome, string Text) Death(int exitCode, int? signal, string stderr, bool lastLine = false)
    {
        if (exitCode == 0) return (null, "");
        string how = signal is int s ? $"killed by {SignalName(s)}" : $"exited with code {exitCode}";
        string first = lastLine ? LastLine(stderr) : FirstMeaningfulLine(stderr);
        string Say(string line) => line.Length > 0 ? $"{how}: {line}" : how;
        if (signal is 11 or 7 or 4 or 8) return (Outcome.Crash, Say(first));
        if (Has(stderr, "AccessViolationException")) return (Outcome.Crash, Say(Line(stderr, "AccessViolationException")));
        if (Has(stderr, "HeapCorruptionException")) return (Outcome.Abort, Say(Line(stderr, "HeapCorruptionException")));
        if (Has(stderr, "Environment.FailFast") || Has(stderr, "Process terminated.")) return (Outcome.Abort, Say(FailFastLine(stderr)));
        if (GlibcHeapMessages.FirstOrDefault(m => Has(stderr, m)) is string glibc) return (Outcome.Abort, Say(Line(stderr, glibc)));
        if (Has(stderr, "OutOfMemoryException")) return (Outcome.Oom, Say(Line(stderr, "OutOfMemoryException")));
        if (signal == 6) return (Outcome.Abort, Say(first));
        if (signal != null) return (Outcome.Crash, Say(first));
        return (Outcome.Error, Say(first));
    }

    /// <summary>A process killed by signal N exits with status 128 + N.</summary>
    public static int? SignalOf(int exitCode) => exitCode > 128 && exitCode < 128 + 65 ? exitCode - 128 : null;

    private static bool Has(string stderr, string what) => stderr.Contains(what, StringComparison.Ordinal);

    private static string Line(string stderr, string what) =>
        Clip(stderr.Split('\n').Select(l => l.Trim()).First(l => l.Contains(what, StringComparison.Ordinal)));

    /// <summary>.NET prints "Process terminated." and then the fail-fast message on the next line.</summary>
    private static string FailFastLine(string stderr)
    {
        var lines = stderr.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
        int i = lines.FindIndex(l => l.StartsWith("Process terminated.", StringComparison.Ordinal));
        if (i >= 0 && i + 1 < lines.Count && !lines[i + 1].StartsWith("at ", StringComparison.Ordinal)) return Clip(lines[i + 1]);
        return FirstMeaningfulLine(stderr);
    }

    /// <summary>The stderr line that says most: the first naming an exception or a hakmem message,
    /// else the first mentioning an error, else the first that is not blank or a stack frame.</summary>
    public static string FirstMeaningfulLine(string stderr)
    {
        var lines = stderr.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith("at ", StringComparison.Ordinal)).ToList();
        string? best = lines.FirstOrDefault(l => l.Contains("Exception", StringComparison.Ordinal) || l.Contains("hakmem", StringComparison.Ordinal))
            ?? lines.FirstOrDefault(l => l.Contains("error", StringComparison.OrdinalIgnoreCase))
            ?? lines.FirstOrDefault();
        return Clip(best ?? "");
    }

    private static string LastLine(string stderr) =>
        Clip(stderr.Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.Length > 0) ?? "");

    private static string Clip(string s) => s.Length <= 300 ? s : s[..300] + "...";

    public static string SignalName(int? signal) => signal switch
    {
        4 => "SIGILL", 6 => "SIGABRT", 7 => "SIGBUS", 8 => "SIGFPE", 9 => "SIGKILL", 11 => "SIGSEGV", 15 => "SIGTERM",
        null => "", _ => $"signal {signal}",
    };
}
