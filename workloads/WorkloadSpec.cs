using System.Globalization;

namespace Hakmem.Workloads;

/// <summary>A bad workload argument: names the workload, the argument, the value and what is allowed.</summary>
public sealed class WorkloadArgumentException(string message) : ArgumentException(message);

/// <summary>A parsed workload command line. <see cref="Run{TAlloc}"/> runs it on one allocator,
/// generic over the allocator struct so that it is compiled per backend.</summary>
public abstract record WorkloadSpec
{
    public abstract string Name { get; }
    /// <summary>The positional arguments, as the C benchmarks take them.</summary>
    public abstract IReadOnlyList<string> Arguments { get; }
    public abstract string Usage { get; }
    public abstract int Threads { get; }
    /// <summary>The threads that run at once, busy (xmalloc_test's workers each have a releaser beside them):
    /// how many CPUs --pin gives the workload.</summary>
    public virtual int RunningThreads => Threads;
    /// <summary>Which of <see cref="Arguments"/> is the thread count (the matrix's threads axis replaces it,
    /// a chart puts the counts side by side), or null when the workload takes none.</summary>
    public virtual int? ThreadArgument => null;
    public abstract WorkloadSpec WithThreads(int threads);
    /// <summary>A short version of the same workload, run first in the same process to warm up the JIT
    /// and the allocator; its throughput is discarded.</summary>
    public abstract WorkloadSpec Warmup();
    public abstract WorkloadResult Run<TAlloc>(TAlloc allocator) where TAlloc : struct, IAllocator<TAlloc>;

    public string CommandLine => $"{Name} {string.Join(' ', Arguments)}";

    /// <summary>The in-process workloads (exec, an external program, is not one of them).</summary>
    public static readonly IReadOnlyList<string> Names = WorkloadCatalog.All.Select(k => k.Name).ToArray();

    /// <summary>A workload by name, or a scenario preset by name (its arguments come from the preset;
    /// giving arguments to a preset is an error).</summary>
    public static WorkloadSpec Parse(string name, IReadOnlyList<string> args)
    {
        if (Scenarios.TryGet(name, out var scenario))
        {
            if (args.Count > 0)
                throw new WorkloadArgumentException($"scenario '{name}' is '{scenario.Workload} {string.Join(' ', scenario.Arguments)}' and takes no arguments (got '{string.Join(' ', args)}'); run '{scenario.Workload}' to give your own.");
            return Parse(scenario.Workload, scenario.Arguments);
        }
        if (name == "exec") return ExecWorkload.Parse(args);
        return WorkloadCatalog.Find(name)?.Parse(args) ?? throw new WorkloadArgumentException(
            $"unknown workload or scenario '{name}': expected one of {string.Join(", ", Names)} or a scenario ({string.Join(", ", Scenarios.All.Select(s => s.Name))})");
    }

    /// <summary>Reads positional arguments by name, with ranges, for error messages that say which.</summary>
    protected sealed class ArgReader(string workload, string usage, IReadOnlyList<string> args, int required)
    {
        private int _next;

        public IReadOnlyList<string> Args { get; } = CheckCount(workload, usage, args, required);

        private static IReadOnlyList<string> CheckCount(string workload, string usage, IReadOnlyList<string> args, int required)
        {
            if (args.Count < required)
                throw new WorkloadArgumentException($"{workload}: expected {required} arguments ({usage}), got {args.Count}");
            return args;
        }

        public bool HasMore => _next < args.Count;

        public long Long(string name, long min, long max)
        {
            string v = args[_next++];
            if (!long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out long n) || n < min || n > max)
                throw new WorkloadArgumentException($"{workload}: {name} = '{v}' is not valid: expected an integer from {min} to {max}");
            return n;
        }

        public double Double(string name, double min, double max)
        {
            string v = args[_next++];
            if (!double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) || !(d >= min && d <= max))
                throw new WorkloadArgumentException($"{workload}: {name} = '{v}' is not valid: expected a number from {min} to {max}");
            return d;
        }

        public void End(int max)
        {
            if (args.Count > max)
                throw new WorkloadArgumentException($"{workload}: too many arguments ({args.Count}); usage: {usage}");
        }

        public WorkloadArgumentException Error(string message) => new($"{workload}: {message}");
    }

    protected static string Format(double d) => d.ToString(CultureInfo.InvariantCulture);
}
