using System.Diagnostics;
using System.Globalization;
using Hakmem.Lab.Backends;
using Hakmem.Lab.Compare;
using Hakmem.Lab.Output;
using Hakmem.Lab.Results;
using Hakmem.Workloads;

namespace Hakmem.Lab.Micro;

/// <summary><c>hklab micro --job paired</c>: the loops of <see cref="AllocFreeBenchmarks"/>, with the backends
/// taking turns. Each round runs every backend once (about 20 ms each, in an order drawn per round), so a
/// drift of the machine, which moves a BenchmarkDotNet run of one backend against the next by tens of
/// percent here, hits every backend of a round alike. Each ratio (a backend's time over hakmem's) is the
/// Hodges-Lehmann estimate of the per-round ratios with its Wilcoxon signed-rank 90% interval, as
/// <c>hklab ab</c> reports its pairs.</summary>
public static class PairedMicro
{
    public const int DefaultRounds = 21;
    public const string TurnsFile = "paired.csv", TableFile = "paired.md";
    private static readonly TimeSpan TurnTime = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan Warmup = TimeSpan.FromMilliseconds(400);
    private static readonly int[] Sizes = [16, 64, 256, 1024, 16384, 262144];
    private static readonly string[] Benchmarks = ["Batch", "Pair"];

    /// <summary>One turn: a backend's time per allocation (with its free) in one round.</summary>
    public sealed record Turn(int Round, int Order, string Benchmark, int Size, string Allocator, double NsPerOp);

    /// <summary>A backend's time over hakmem's in one benchmark and size.</summary>
    public sealed record Ratio(string Benchmark, int Size, string Allocator, double HakmemNs, double Estimate, double Low, double High);

    /// <summary>Measures every benchmark, size and backend (hakmem first in <paramref name="allocators"/>
    /// or not: ratios are always to hakmem), writes DIR/paired.csv (every turn) and DIR/paired.md (the
    /// ratios), and prints the ratios with progress on <paramref name="progress"/>.</summary>
    public static IReadOnlyList<Ratio> Run(IReadOnlyList<string> allocators, int rounds, string dir, TextWriter output, TextWriter progress)
    {
        using var backends = new BackendSet(allocators);
        var random = new Random(20261202);
        var turns = new List<Turn>();
        foreach (var b in backends.All) b.Measure("Batch", 64, Warmup); // past the JIT's tiers before anything counts
        foreach (string bench in Benchmarks)
            foreach (int size in Sizes)
            {
                progress.WriteLine($"micro paired: {bench} {size} B, {rounds} rounds of {allocators.Count} backends");
                var reps = backends.All.ToDictionary(b => b.Name, b => b.Calibrate(bench, size));
                for (int round = 0; round < rounds; round++)
                {
                    var order = backends.All.OrderBy(_ => random.Next()).ToList();
                    for (int i = 0; i < order.Count; i++)
                        turns.Add(new Turn(round, i, bench, size, order[i].Name, order[i].NsPerOp(bench, size, reps[order[i].Name])));
                }
            }
        var ratios = Ratios(turns);
        AtomicFile.Write(Path.Combine(dir, TurnsFile), w =>
        {
            w.WriteLine("round,order,benchmark,size,allocator,ns_per_op");
            foreach (var t in turns)
                w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{t.Round},{t.Order},{t.Benchmark},{t.Size},{t.Allocator},{t.NsPerOp:0.####}"));
        });
        var table = Table(ratios, rounds);
        AtomicFile.Write(Path.Combine(dir, TableFile), string.Join("\n", table) + "\n");
        foreach (var line in table) output.WriteLine(line);
        return ratios;
    }

    /// <summary>Per benchmark, size and backend other than hakmem: the per-round ratios' estimate and interval.</summary>
    public static IReadOnlyList<Ratio> Ratios(IReadOnlyList<Turn> turns)
    {
        var ratios = new List<Ratio>();
        foreach (var g in turns.GroupBy(t => (t.Benchmark, t.Size)))
        {
            var hakmem = g.Where(t => t.Allocator == "hakmem").OrderBy(t => t.Round).ToList();
            if (hakmem.Count == 0) continue;
            foreach (var other in g.Where(t => t.Allocator != "hakmem").GroupBy(t => t.Allocator))
            {
                var byRound = other.ToDictionary(t => t.Round, t => t.NsPerOp);
                var pairs = hakmem.Where(h => byRound.ContainsKey(h.Round)).ToList();
                var e = SignedRankTest.Estimate(pairs.Select(h => h.NsPerOp).ToList(), pairs.Select(h => byRound[h.Round]).ToList(), 0.05, 0.05);
                double hk = Estimators.Median(hakmem.Select(t => t.NsPerOp).ToList());
                ratios.Add(new Ratio(g.Key.Benchmark, g.Key.Size, other.Key, hk, e.Ratio, e.Low, e.High));
            }
        }
        return ratios;
    }

    private static IReadOnlyList<string> Table(IReadOnlyList<Ratio> ratios, int rounds)
    {
        var others = ratios.Select(r => r.Allocator).Distinct().ToList();
        var lines = new List<string>
        {
            $"Each backend's time over hakmem's (above 1: hakmem is faster), paired by round: the Hodges-Lehmann estimate of {rounds} per-round ratios and its Wilcoxon 90% interval.",
            "",
            "| benchmark | size | hakmem ns/op | " + string.Join(" | ", others.Select(a => $"{a} / hakmem")) + " |",
            "|---|---:|---:|" + string.Concat(others.Select(_ => "---|")),
        };
        foreach (var g in ratios.GroupBy(r => (r.Benchmark, r.Size)))
        {
            var cells = others.Select(a => g.FirstOrDefault(r => r.Allocator == a) is { } r
                ? string.Create(CultureInfo.InvariantCulture, $"{r.Estimate:0.00} ({r.Low:0.00}-{r.High:0.00})") : "");
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"| {g.Key.Benchmark} | {g.Key.Size} | {g.First().HakmemNs:0.00} | {string.Join(" | ", cells)} |"));
        }
        return lines;
    }

    /// <summary>One backend ready to measure: its allocator attached to this thread, its loops compiled for it.</summary>
    private abstract class Backend(string name) : IDisposable
    {
        public string Name { get; } = name;

        /// <summary>Time per allocation of <paramref name="reps"/> invocations of the benchmark (1000 operations each).</summary>
        public abstract double NsPerOp(string benchmark, int size, int reps);

        /// <summary>Invocations that fill one turn, from a first turn of about that length.</summary>
        public int Calibrate(string benchmark, int size)
        {
            int reps = 1;
            double ns = NsPerOp(benchmark, size, reps);
            for (int i = 0; i < 2; i++)
            {
                reps = Math.Max(1, (int)(TurnTime.TotalNanoseconds / (ns * AllocFreeBenchmarks.Operations)));
                ns = NsPerOp(benchmark, size, reps);
            }
            return reps;
        }

        public void Measure(string benchmark, int size, TimeSpan time)
        {
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < time) NsPerOp(benchmark, size, 10);
        }

        public virtual void Dispose() { }
    }

    private sealed class Backend<TAlloc>(string name, TAlloc allocator, Action? dispose) : Backend(name) where TAlloc : struct, IAllocator<TAlloc>
    {
        private TAlloc _allocator = allocator;
        private readonly nint[] _batch = new nint[AllocFreeBenchmarks.Operations];

        public override double NsPerOp(string benchmark, int size, int reps)
        {
            bool pair = benchmark == "Pair";
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < reps; i++)
            {
                if (pair) AllocFreeBenchmarks.Pairs(ref _allocator, (nuint)size);
                else AllocFreeBenchmarks.Batches(ref _allocator, (nuint)size, _batch);
            }
            return Stopwatch.GetElapsedTime(start).TotalNanoseconds / ((double)reps * AllocFreeBenchmarks.Operations);
        }

        public override void Dispose() => dispose?.Invoke();
    }

    private sealed class BackendSet : IDisposable
    {
        public List<Backend> All { get; } = [];

        public BackendSet(IReadOnlyList<string> names)
        {
            foreach (string name in names)
            {
                var info = BackendInfo.Get(name);
                if (info.IsHakmem)
                {
                    var heap = new HakmemHeap();
                    var attached = new HakmemAllocator(heap).AttachThread();
                    All.Add(new Backend<HakmemAllocator>(name, attached, () =>
                    {
                        attached.DetachThread();
                        heap.Dispose();
                    }));
                }
                else All.Add(new Backend<NativeAllocator>(name, NativeAllocator.Load(info), null));
            }
        }

        public void Dispose()
        {
            foreach (var b in All) b.Dispose();
        }
    }
}
