using System.Globalization;
using Hakmem.Lab.Micro;

namespace Hakmem.Lab.Tests;

/// <summary>hklab micro --job paired: ratios paired by round, against inputs whose answer is known.</summary>
public class PairedMicroTests
{
    [Fact]
    public void A_backend_20_percent_slower_is_found_so_through_a_drift_that_moves_every_round_by_half()
    {
        // The machine's speed moves by up to 50% from one round to the next; within a round the other
        // backend takes 1.2 times hakmem's time (and a little noise). Unpaired, the drift hides the 20%.
        var random = new Random(7);
        var turns = new List<PairedMicro.Turn>();
        for (int round = 0; round < 21; round++)
        {
            double machine = 1 + random.NextDouble() * 0.5;
            turns.Add(new PairedMicro.Turn(round, 0, "Batch", 16, "hakmem", 4.0 * machine));
            turns.Add(new PairedMicro.Turn(round, 1, "Batch", 16, "other", 4.0 * 1.2 * machine * (1 + (random.NextDouble() - 0.5) * 0.02)));
        }
        var r = Assert.Single(PairedMicro.Ratios(turns));
        Assert.Equal("other", r.Allocator);
        Assert.InRange(r.Estimate, 1.19, 1.21);
        Assert.True(r.Low > 1.15 && r.High < 1.25, $"interval {r.Low}-{r.High}");
    }

    [Fact]
    public void Paired_micro_finds_a_malloc_that_spins_slower_than_hakmem_at_every_size_and_writes_every_turn()
    {
        string slow = NativeFixture.Library("slowmalloc");
        string dir = Path.Combine(Hklab.TempDir("paired-micro"), "out");
        var o = Hklab.Run("micro", "--job", "paired", "--rounds", "5", "--allocators", $"hakmem,lib:{slow}", "--out", dir);
        Assert.True(o.ExitCode == 0, o.Stderr + o.Stdout);
        var rows = File.ReadAllLines(Path.Combine(dir, PairedMicro.TurnsFile));
        Assert.Equal("round,order,benchmark,size,allocator,ns_per_op", rows[0]);
        Assert.Equal(2 * 6 * 5 * 2, rows.Length - 1); // benchmarks x sizes x rounds x backends
        string name = "lib:libslowmalloc.so";
        var table = File.ReadAllLines(Path.Combine(dir, PairedMicro.TableFile)).Where(l => l.StartsWith("| Batch") || l.StartsWith("| Pair")).ToList();
        Assert.Equal(12, table.Count);
        foreach (string line in table)
        {
            // | Batch | 16 | 5.32 | 180.10 (170.00-190.00) |
            string cell = line.Split('|', StringSplitOptions.TrimEntries)[4];
            double low = double.Parse(cell[(cell.IndexOf('(') + 1)..cell.IndexOf('-', cell.IndexOf('('))], CultureInfo.InvariantCulture);
            Assert.True(low > 1.5, $"{name} is a microsecond slower per call, yet: {line}");
        }
        Assert.Contains("paired by round", o.Stdout);
        var again = Hklab.Run("micro", "--job", "paired", "--rounds", "5", "--allocators", $"hakmem,lib:{slow}", "--out", dir);
        Assert.Equal(2, again.ExitCode);
        Assert.Contains("already holds a paired run", again.Stderr);
    }
}
