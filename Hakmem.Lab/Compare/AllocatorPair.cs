using Hakmem.Lab.Results;

namespace Hakmem.Lab.Compare;

/// <summary><c>compare --allocators X,Y</c>: allocator X's cells of the before set against allocator Y's cells of the
/// after set (one matrix may be both), matched by everything but the allocator and its knobs: workload, arguments,
/// threads, environment, touch, repeat, pin. The verdicts then say how Y stands against X on the same workloads, by
/// the same tests as a before/after comparison. Each of Y's cells (one per knob setting) is judged against X's cell;
/// both are labelled "X->Y" with Y's knobs.</summary>
public static class AllocatorPair
{
    /// <summary>The two sides, relabelled so that the cells to judge share a key.</summary>
    public static (List<RunRecord> Before, List<RunRecord> After) Relabel(IReadOnlyList<RunRecord> before, IReadOnlyList<RunRecord> after, string x, string y)
    {
        var xs = before.Where(r => r.Allocator == x).ToList();
        var ys = after.Where(r => r.Allocator == y).ToList();
        if (xs.Count == 0) throw new ArgumentException($"--allocators {x},{y}: the before set has no runs of {x} (it has {Names(before)})");
        if (ys.Count == 0) throw new ArgumentException($"--allocators {x},{y}: the after set has no runs of {y} (it has {Names(after)})");
        // X's cells by what is left of their key without the allocator: one each, or the pair is ambiguous.
        var xCells = new Dictionary<CellKey, List<RunRecord>>();
        foreach (var cell in xs.GroupBy(CellKey.Of))
        {
            var rest = cell.Key.Settings;
            if (xCells.TryGetValue(rest, out var other))
                throw new ArgumentException($"--allocators {x},{y}: {x} has more than one cell of {cell.Key.Workload} {cell.Key.Args} ({Knobs(CellKey.Of(other[0]))}; {Knobs(cell.Key)}): "
                    + $"a pair needs one cell of {x} per workload (the other side may have several)");
            xCells[rest] = cell.ToList();
        }
        string label = $"{x}->{y}";
        var b = new List<RunRecord>();
        var a = new List<RunRecord>();
        var matched = new HashSet<CellKey>();
        foreach (var cell in ys.GroupBy(CellKey.Of))
        {
            var rest = cell.Key.Settings;
            var labelled = cell.Key with { Allocator = label };
            a.AddRange(cell.Select(r => r with { Allocator = label }));
            if (!xCells.TryGetValue(rest, out var xr)) continue;
            matched.Add(rest);
            b.AddRange(xr.Select(labelled.Onto)); // X's runs under Y's knobs: the two cells share a key
        }
        if (matched.Count == 0)
            throw new ArgumentException($"--allocators {x},{y}: no cell of {y} in the after set has a cell of {x} in the before set with the same workload, "
                + $"arguments, threads and settings ({x}: {Cells(xs)}; {y}: {Cells(ys)})");
        // X's cells that Y lacks stay, under the pair's label: they show as missing, as any cell in one set only.
        foreach (var (rest, runs) in xCells)
            if (!matched.Contains(rest)) b.AddRange(runs.Select(r => r with { Allocator = label }));
        return (b, a);
    }

    private static string Knobs(CellKey k) => k.Knobs.Length > 0 ? k.Knobs : "no knobs";

    /// <summary>A side's cells, named without the allocator, for an error: the first three and how many more.</summary>
    private static string Cells(List<RunRecord> runs)
    {
        var names = runs.Select(r => $"'{r.Workload} {r.Args}{(r.Env.Length > 0 ? $" env {r.Env}" : "")}'").Distinct().ToList();
        return string.Join(", ", names.Take(3)) + (names.Count > 3 ? $" and {names.Count - 3} more" : "");
    }

    private static string Names(IReadOnlyList<RunRecord> runs)
    {
        var names = runs.Select(r => r.Allocator).Distinct().Order(StringComparer.Ordinal).ToList();
        return names.Count > 0 ? string.Join(", ", names) : "no runs";
    }

    /// <summary>Reads "X,Y": two allocator names.</summary>
    public static (string Before, string After) Parse(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length != 2 || parts.Any(p => p.Length == 0))
            throw new ArgumentException($"--allocators '{text}' is not valid: expected two allocators, the before set's and the after set's (e.g. mimalloc,hakmem)");
        return (parts[0], parts[1]);
    }
}
