using System.Globalization;

namespace Hakmem.Lab.Matrix;

/// <summary>Shard K of N: the planned runs whose index is K-1 modulo N. Deterministic, disjoint, and
/// together the whole plan; each shard gets every cell's runs spread over its whole duration.</summary>
public readonly record struct Shard(int K, int N)
{
    public static readonly Shard Whole = new(1, 1);

    public bool IsWhole => N == 1;

    public bool Owns(PlannedRun run) => run.Index % N == K - 1;

    public IReadOnlyList<PlannedRun> Select(IReadOnlyList<PlannedRun> plan) => plan.Where(Owns).ToList();

    public override string ToString() => $"{K}/{N}";

    public static Shard Parse(string text)
    {
        var parts = text.Split('/');
        if (parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int k)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int n)
            && n >= 1 && k >= 1 && k <= n)
            return new Shard(k, n);
        throw new ArgumentException($"--shard '{text}' is not valid: expected K/N with 1 <= K <= N, e.g. 2/4");
    }
}
