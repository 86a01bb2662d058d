using Hakmem.Lab.Matrix;

namespace Hakmem.Lab.Ab;

/// <summary>One pair of an interleaved run: a cell, its run number, and which side runs first.</summary>
public sealed record PlannedPair(int Index, Cell Cell, int Run, bool AFirst)
{
    public string Order => AFirst ? "AB" : "BA";
}

/// <summary>The pairs of <c>hklab ab</c>: round-robin over the cells as a matrix plans its runs (run 1 of
/// every cell, then run 2, ...), the two runs of a pair back to back, and the order of each pair drawn
/// from a generator seeded by <c>--seed</c>: a drift of the machine over the whole run hits both sides
/// of every pair alike, and a drift within a pair favours each side as often as the other.</summary>
public static class AbPlan
{
    public static IReadOnlyList<PlannedPair> Pairs(IReadOnlyList<Cell> cells, int runs, int seed)
    {
        var random = new Random(seed);
        var pairs = new List<PlannedPair>(cells.Count * runs);
        for (int r = 1; r <= runs; r++)
            foreach (var c in cells) pairs.Add(new PlannedPair(pairs.Count, c, r, random.Next(2) == 0));
        return pairs;
    }

    /// <summary>One more round of a sequential ab: one pair, run number <paramref name="run"/>, for each cell still
    /// open, in plan order, each pair's order drawn from <paramref name="random"/> (seeded from the recorded seed).</summary>
    public static IReadOnlyList<PlannedPair> Round(IReadOnlyList<Cell> open, int run, int firstIndex, Random random) =>
        open.Select((c, i) => new PlannedPair(firstIndex + i, c, run, random.Next(2) == 0)).ToList();
}
