using Hakmem.Lab.Running;

namespace Hakmem.Lab.Bisect;

/// <summary>What a bisection knows of one commit: its build (or why it is a skip), every run it made, and by
/// throughput its comparison against GOOD.</summary>
public sealed class Probe(Commit commit)
{
    public Commit Commit { get; } = commit;
    public CommitBuild? Build { get; set; }
    /// <summary>Why the commit cannot be tested (it does not build, its build cannot run the cell, or by
    /// throughput its comparison stayed undecided); null while it can.</summary>
    public string? Skip { get; set; }
    /// <summary>Every finished run of the commit (refusals are not runs), in order.</summary>
    public List<RunResult> Runs { get; } = [];
    /// <summary>The index the commit's next run gets (HKLAB_RUN_INDEX): 1, 2, ... per commit.</summary>
    public int NextIndex { get; set; } = 1;
    /// <summary>By throughput: the commit against GOOD, paired.</summary>
    public PairComparison? VsGood { get; set; }

    public bool Touched => Build != null || Skip != null;

    /// <summary>Runs that failed in one of <paramref name="kinds"/>.</summary>
    public int Failures(IReadOnlySet<Outcome> kinds) => Runs.Count(r => kinds.Contains(r.Outcome));
}

/// <summary>One paired comparison, B against A (the probed commit against GOOD, or first bad against last good):
/// the verdict of the sequential rule at <see cref="Alpha"/>, the ratio B/A (Hodges-Lehmann) with its 90%
/// Wilcoxon interval, and the per-pair log ratios it came from.</summary>
public sealed record PairComparison(string Verdict, int Pairs, double? Ratio, double? Low, double? High, double Alpha, IReadOnlyList<double> LogRatios)
{
    public bool Decided => Verdict != Compare.Verdicts.Unknown;

    /// <summary>What decided: the sequential sign-test rule (looking after every pair), or the one look of a fixed
    /// size at --max-pairs (Wilcoxon's signed ranks); each at half the verdict's error rate.</summary>
    public string Rule { get; init; } = "sequential rule";

    /// <summary>"ratio 0.912 (0.897-0.925 at 90%), slower, 14 pairs".</summary>
    public string Describe() =>
        (Ratio is double r ? FormattableString.Invariant($"ratio {r:0.000} ({Low:0.000}-{High:0.000} at 90%)") : "ratio unknown")
        + $", {Verdict}{(Decided && Rule != "sequential rule" ? $" by the {Rule}" : "")}, {Pairs} pairs";
}
