namespace Hakmem.Lab.Running;

/// <summary>How one run ended. Only <see cref="Ok"/> is a clean run.</summary>
public enum Outcome
{
    /// <summary>Finished, every block freed, no corruption.</summary>
    Ok,
    /// <summary>Finished, but the allocator's audit still counts live blocks.</summary>
    Leak,
    /// <summary>A block's tag was overwritten while live (overlap), or the audit found a broken invariant.</summary>
    Corrupt,
    /// <summary>An allocator check failed: HeapCorruptionException, guard failure, fail-fast.</summary>
    Abort,
    /// <summary>Killed by a signal or an access violation.</summary>
    Crash,
    /// <summary>The allocator returned null, or the runtime ran out of memory.</summary>
    Oom,
    /// <summary>Did not finish within the timeout; killed.</summary>
    Timeout,
    /// <summary>Could not run: a program that exited non-zero, a worker protocol broken.</summary>
    Error,
    /// <summary>The run cannot be what was asked (an unknown workload or option, a library that does not load,
    /// options other than those asked): a configuration error, never a stability failure. A command stops at
    /// the first one (exit 2) and never writes it as a run.</summary>
    Refused,
}

public static class OutcomeNames
{
    public static string Name(this Outcome o) => o.ToString().ToLowerInvariant();

    public static Outcome Parse(string s) =>
        Enum.TryParse<Outcome>(s, ignoreCase: true, out var o) ? o : throw new FormatException($"unknown outcome '{s}'");

    /// <summary>Every outcome but ok and leak is a failed run (the failure rate's numerator, and what
    /// compare gates on): a run that crashed, aborted, corrupted, hung, ran out of memory or could not
    /// run measured nothing. A leak finished and is counted on its own.</summary>
    public static bool IsFailure(this Outcome o) => o is not (Outcome.Ok or Outcome.Leak or Outcome.Refused);

    /// <summary>The run finished and its throughput is a sample.</summary>
    public static bool Finished(this Outcome o) => o is Outcome.Ok or Outcome.Leak;
}

/// <summary>A run the worker refused (<see cref="Outcome.Refused"/>): the command stops there, exit 2, and the
/// refused run is not written as a run (a --resume runs it once the configuration is right).</summary>
public sealed class RunRefusedException(string message) : ArgumentException(message)
{
    public static RunRefusedException For(string cell, string message) =>
        new($"a configuration error, not a stability failure: {cell}: {message}");
}
