using System.Text.RegularExpressions;

namespace Hakmem.Lab.Running;

/// <summary>Environment assignments of a cell (--env NAME=v): how they are written (sorted, "A=1;B=2") and
/// read back, and what names are valid.</summary>
public static partial class EnvAssignments
{
    public static string Format(IReadOnlyDictionary<string, string> env) =>
        string.Join(';', env.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}"));

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex NamePattern();

    /// <summary>"NAME=v1,v2" (an axis) or "NAME=v" (one value): the name and its values; ArgumentException names a bad one.</summary>
    public static (string Name, IReadOnlyList<string> Values) Parse(string text, bool axis)
    {
        int eq = text.IndexOf('=');
        string name = eq < 0 ? text : text[..eq];
        string example = axis ? "NAME=v1,v2 (such as HAKMEM_TINY_FAST_CAP=0,64)" : "NAME=value (such as HAKMEM_TINY_FAST_CAP=0)";
        if (eq < 0 || !NamePattern().IsMatch(name)) throw new ArgumentException($"--env '{text}' is not valid: expected {example}");
        string rest = text[(eq + 1)..];
        IReadOnlyList<string> values = axis ? rest.Split(',') : [rest];
        if (axis && values.Any(v => v.Length == 0)) throw new ArgumentException($"--env '{text}' has an empty value: expected {example}");
        return (name, values.Distinct().ToList());
    }

    /// <summary>The cartesian product of the axes: every combination of one value per name.</summary>
    /// <summary>One cell's --env NAME=VALUE options (run, bisect): one value each, a name given twice refused.</summary>
    public static SortedDictionary<string, string> ParseCell(IEnumerable<string>? texts)
    {
        var assignments = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var e in texts ?? [])
        {
            var (n, values) = Parse(e, axis: false);
            if (!assignments.TryAdd(n, values[0])) throw new ArgumentException($"--env {n} is given twice");
        }
        return assignments;
    }

    public static IReadOnlyList<IReadOnlyDictionary<string, string>> Product(IReadOnlyList<(string Name, IReadOnlyList<string> Values)> axes)
    {
        var dup = axes.GroupBy(a => a.Name).FirstOrDefault(g => g.Count() > 1);
        if (dup != null) throw new ArgumentException($"--env {dup.Key} is given twice: give its values in one --env {dup.Key}=v1,v2");
        IReadOnlyList<IReadOnlyDictionary<string, string>> result = [new SortedDictionary<string, string>(StringComparer.Ordinal)];
        foreach (var (name, values) in axes)
            result = result.SelectMany(env => values.Select(v =>
                (IReadOnlyDictionary<string, string>)new SortedDictionary<string, string>(env.ToDictionary(), StringComparer.Ordinal) { [name] = v })).ToList();
        return result;
    }
}
