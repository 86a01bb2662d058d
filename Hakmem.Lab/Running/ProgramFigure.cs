using System.Globalization;
using System.Text.RegularExpressions;

namespace Hakmem.Lab.Running;

/// <summary>A program's own figure, read from what it printed: the value (operations per unit), its unit,
/// and the text it was read from.</summary>
public sealed record Figure(double Value, string Unit, string Source);

/// <summary>The figure a benchmark program prints, read by one table of rules (each a format the field's
/// programs print; README lists them). A number may carry K, M or G; a number after "+-", "+/-" or "±" is a
/// spread, never the figure. When the output holds several different figures and no rule says which is the
/// headline (a line that says "total"), it is not guessed: <see cref="Read"/> says so, and the run is
/// refused with --ops-regex as the way out.</summary>
public static partial class ProgramFigure
{
    public const string PerSecond = "per second", PerCpuSecond = "per CPU second", PerRun = "per run (in the program's own fixed time)";

    private const string Num = @"[0-9][0-9,]*(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?";

    /// <summary>A format: its name (for README), the pattern, its unit, and how the match gives the value.</summary>
    public sealed record Rule(string Name, string Example, Regex Pattern, string Unit, Func<Match, double?> Value);

    private static double? Scaled(Match m) => Number(m.Groups["n"].Value) is double v ? v * Scale(m.Groups["unit"].Value) : null;

    private static Regex R(string pattern) => new(pattern, RegexOptions.IgnoreCase | RegexOptions.Multiline | RegexOptions.CultureInvariant);

    public static readonly IReadOnlyList<Rule> Rules =
    [
        new("larson", "Throughput =  1234567 operations per second, relative time: 2.012s.",
            R($@"Throughput[ \t]*=[ \t]*(?<n>{Num})[ \t]*operations per second"), PerSecond, Scaled),
        new("operations per second", "2500000 operations per second, 2.5 M operations per second",
            R($@"(?<![=\w.])(?<n>{Num})[ \t]*(?<unit>[KMG])?[ \t]*operations per second"), PerSecond, Scaled),
        new("N ops/s", "1234567 ops/s, 12.5 Mops/s, 3.1 M ops/sec",
            R($@"(?<n>{Num})[ \t]*(?<unit>[KMG])?[ \t]*ops?[ \t]*/[ \t]*s(?:ec(?:ond)?)?\b"), PerSecond, Scaled),
        new("ops/s: N", "ops/s: 1234567, ops/sec = 3.1 M",
            R($@"\bops?[ \t]*/[ \t]*s(?:ec(?:ond)?)?[ \t]*[:=][ \t]*(?<n>{Num})(?:[ \t]*(?<unit>[KMG])\b)?"), PerSecond, Scaled),
        new("xmalloc-test", "rtime: 6.883, free/sec: 14.529 M",
            R($@"free/sec(?:ond)?[ \t]*:[ \t]*(?<n>{Num})(?:[ \t]*(?<unit>[KMG])\b)?"), PerSecond, Scaled),
        new("xmalloc-test -v", "Total 145290000 freed in 10.00 seconds. 14.53M free/second",
            R($@"(?<n>{Num})[ \t]*(?<unit>[KMG])?[ \t]*free/second"), PerSecond, Scaled),
        new("rptest", "1262633 memory ops/CPU second (14MiB peak, ...)",
            R($@"(?<n>{Num})[ \t]*(?<unit>[KMG])?[ \t]*(?:memory )?ops/CPU second"), PerCpuSecond, Scaled),
        new("alloc-test", "2 threads made 20000000 alloc/dealloc operations in 660 ms",
            R($@"made[ \t]+(?<count>{Num})[ \t]+alloc/dealloc operations in[ \t]+(?<t>{Num})[ \t]*(?<tu>ms|us|s)\b"), PerSecond, PerTime),
        new("N operations in T", "5000000 ops in 1.25 s, 800000 operations in 400 ms",
            R($@"(?<count>{Num})[ \t]+(?:ops|operations)[ \t]+in[ \t]+(?<t>{Num})[ \t]*(?<tu>ms|us|s|seconds?)\b"), PerSecond, PerTime),
        new("glibc bench-malloc-thread", "108295605 iterations (a line of its own: a count in the program's fixed time)",
            R($@"^[ \t]*(?<n>[0-9]+)[ \t]+iterations[ \t]*$"), PerRun, Scaled),
    ];

    private static double? PerTime(Match m)
    {
        if (Number(m.Groups["count"].Value) is not double count || Number(m.Groups["t"].Value) is not double t || t <= 0) return null;
        double seconds = m.Groups["tu"].Value.ToLowerInvariant() switch { "ms" => t / 1e3, "us" => t / 1e6, _ => t };
        return count / seconds;
    }

    /// <summary>The figure of <paramref name="stdout"/> by <paramref name="pattern"/> (--ops-regex: its group n,
    /// else its first group; a group unit may say K, M or G) or by the rules; null when nothing matches.
    /// <see cref="AmbiguousFigureException"/> when several different figures are found and none is the headline.</summary>
    public static Figure? Read(string stdout, string? pattern)
    {
        if (pattern != null)
        {
            var own = new Regex(pattern, RegexOptions.Multiline | RegexOptions.CultureInvariant);
            var last = own.Matches(stdout).Where(m => !IsSpread(stdout, m.Index)).LastOrDefault();
            if (last == null) return null;
            var number = last.Groups["n"].Success ? last.Groups["n"] : last.Groups.Count > 1 ? last.Groups[1] : last.Groups[0];
            return Number(number.Value) is double v ? new Figure(v * Scale(last.Groups["unit"].Value), PerSecond, last.Value.Trim()) : null;
        }
        var found = new List<(Figure Figure, int Line, bool Total)>();
        foreach (var rule in Rules)
            foreach (Match m in rule.Pattern.Matches(stdout))
            {
                var n = m.Groups["n"].Success ? m.Groups["n"] : m.Groups["count"];
                if (IsSpread(stdout, n.Index) || rule.Value(m) is not double value) continue;
                int line = stdout.AsSpan(0, m.Index).Count('\n');
                string text = LineAt(stdout, m.Index);
                found.Add((new Figure(value, rule.Unit, m.Value.Trim()), line, text.Contains("total", StringComparison.OrdinalIgnoreCase)));
            }
        // One figure found by two rules (larson's line is also "N operations per second"), or printed twice
        // to different precision (14.53M and 14.529 M), is one figure.
        var distinct = new List<(Figure Figure, int Line, bool Total)>();
        foreach (var f in found.OrderBy(f => f.Line))
            if (!distinct.Any(d => d.Figure.Unit == f.Figure.Unit && Near(d.Figure.Value, f.Figure.Value))) distinct.Add(f);
        if (distinct.Count == 0) return null;
        if (distinct.Count == 1) return distinct[0].Figure;
        var totals = distinct.Where(d => d.Total).ToList();
        if (totals.Count == 1) return totals[0].Figure;
        throw new AmbiguousFigureException($"several figures in the program's output ({string.Join("; ", distinct.Take(4).Select(d => $"'{d.Figure.Source}' on line {d.Line + 1}"))}"
            + $"{(distinct.Count > 4 ? "; ..." : "")}) and none is the headline: give --ops-regex with the one to read");
    }

    private static bool Near(double a, double b) => Math.Abs(a - b) <= 0.001 * Math.Max(Math.Abs(a), Math.Abs(b));

    /// <summary>A number right after "+-", "+/-" or "±" (a spread, not an estimate).</summary>
    private static bool IsSpread(string text, int index)
    {
        int i = index - 1;
        while (i >= 0 && text[i] is ' ' or '\t' or '(') i--;
        if (i >= 0 && text[i] == '±') return true;
        return i >= 1 && text[i - 1] == '+' && text[i] is '-' || i >= 2 && text[i - 2] == '+' && text[i - 1] == '/' && text[i] == '-';
    }

    private static string LineAt(string text, int index)
    {
        int start = text.LastIndexOf('\n', Math.Max(0, index - 1)) + 1, end = text.IndexOf('\n', index);
        return text[start..(end < 0 ? text.Length : end)];
    }

    private static double? Number(string s) =>
        double.TryParse(s.Replace(",", "", StringComparison.Ordinal), NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v) ? v : null;

    private static double Scale(string unit) => unit.ToUpperInvariant() switch { "K" => 1e3, "M" => 1e6, "G" => 1e9, _ => 1 };
}

/// <summary>A program printed several figures and none of the rules says which is its headline.</summary>
public sealed class AmbiguousFigureException(string message) : Exception(message);
