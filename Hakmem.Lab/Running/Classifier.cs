namespace Hakmem.Lab.Running;

/// <summary>Turns how a worker process ended into an <see cref="Outcome"/> and the one line that says
/// why. The worker's own report wins when there is one; otherwise the exit status and stderr decide:
/// .NET turns some access violations into SIGABRT with "AccessViolationException" on stderr, and an
/// unhandled HeapCorruptionException also ends in SIGABRT, so the signal alone is not enough.</summary>
public static class Classifier
{
    public sealed record Verdict(Outcome Outcome, int? Signal, string Message);

    public static Verdict Classify(int exitCode, bool timedOut, WorkerReport? report, string stderr, double timeoutSeconds)
    {
        int? signal = exitCode > 128 && exitCode < 128 + 65 ? exitCode - 128 : null;
        string first = FirstMeaningfulLine(stderr);
        if (timedOut) return new(Outcome.Timeout, null, $"no result after {timeoutSeconds:0.#} s: killed");
        if (report != null)
        {
            Outcome o = report.Status switch
            {
                "ok" => report.LeakedBlocks > 0 ? Outcome.Leak : Outcome.Ok,
                "corrupt" => Outcome.Corrupt,
                "abort" => Outcome.Abort,
                "crash" => Outcome.Crash,
                "oom" => Outcome.Oom,
                _ => Outcome.Error,
            };
            string msg = report.Message ?? (o == Outcome.Leak ? $"{report.LeakedBlocks} blocks ({report.LeakedBytes} bytes) still live after the workload freed everything" : "");
            return new(o, signal, msg);
        }
        if (stderr.Contains("HeapCorruptionException", StringComparison.Ordinal)
            || stderr.Contains("Environment.FailFast", StringComparison.Ordinal)
            || stderr.Contains("Process terminated.", StringComparison.Ordinal) && !stderr.Contains("AccessViolation", StringComparison.Ordinal))
            return new(Outcome.Abort, signal, first);
        if (stderr.Contains("OutOfMemoryException", StringComparison.Ordinal))
            return new(Outcome.Oom, signal, first);
        if (signal != null || stderr.Contains("AccessViolationException", StringComparison.Ordinal))
            return new(Outcome.Crash, signal, first.Length > 0 ? first : $"killed by signal {signal} ({SignalName(signal)})");
        return new(Outcome.Error, null, first.Length > 0 ? first : $"exit code {exitCode} without a result line");
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

    private static string Clip(string s) => s.Length <= 300 ? s : s[..300] + "...";

    public static string SignalName(int? signal) => signal switch
    {
        4 => "SIGILL", 6 => "SIGABRT", 7 => "SIGBUS", 8 => "SIGFPE", 9 => "SIGKILL", 11 => "SIGSEGV", 15 => "SIGTERM",
        null => "", _ => $"signal {signal}",
    };
}
