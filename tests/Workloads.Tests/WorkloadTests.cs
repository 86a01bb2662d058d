using Hakmem.Workloads;

namespace Hakmem.Workloads.Tests;

public class WorkloadTests
{
    public static TheoryData<string> Commands => new()
    {
        "larson 0.3 8 128 256 2 12345 3",
        "larson 0.2 1 16 64 1 7 2",
        "random_mixed 50000 512 123",
        "mid_large_mt 3 5000 64 42",
        "mid_large_mt 2 4000 32 9 100 70000",
        "large_mixed 3000 16 5",
        "large_mixed 3000 16 5 100 5000",
    };

    private static WorkloadSpec Spec(string command)
    {
        var parts = command.Split(' ');
        return WorkloadSpec.Parse(parts[0], parts[1..]);
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public void Runs_to_completion_and_frees_everything_it_allocated(string command)
    {
        var spec = Spec(command);
        var ledger = new Ledger();
        var r = spec.Run(new CheckingAllocator(ledger));
        Assert.Null(r.Failure);
        Assert.Equal(0, r.Corruptions);
        Assert.False(r.OutOfMemory);
        Assert.Empty(ledger.Errors);
        Assert.Empty(ledger.Live);
        Assert.Equal(ledger.Allocs, ledger.Frees);
        Assert.Equal(ledger.Attaches, ledger.Detaches);
        Assert.True(r.Ops > 0 && r.Seconds > 0);
        switch (spec)
        {
            case RandomMixed rm:
                Assert.Equal(rm.Cycles, r.Ops);
                break;
            case LargeMixed lm:
                Assert.Equal(lm.Cycles, r.Ops);
                break;
            case MidLargeMt m:
                Assert.Equal(m.ThreadCount * m.Cycles, r.Ops);
                Assert.True(ledger.CrossThreadFrees > 0, "a share of frees must cross threads");
                break;
            case Larson l:
                Assert.Equal(r.Ops + (long)l.ThreadCount * l.Chunks, ledger.Allocs); // prefill + one per replacement
                Assert.True(ledger.CrossThreadFrees > 0, "hand-offs must make frees cross threads");
                Assert.True(ledger.Attaches > l.ThreadCount + 1, "each hand-off starts a new thread");
                break;
        }
    }

    [Fact]
    public void Large_mixed_draws_its_sizes_log_uniformly_over_its_range()
    {
        var spec = (LargeMixed)Spec("large_mixed 10 4 1");
        Assert.Equal((64 << 10, 4 << 20), (spec.MinSize, spec.MaxSize));
        uint[] table = LargeMixed.SizeTable(spec.MinSize, spec.MaxSize);
        Assert.All(table, s => Assert.InRange(s, 64u << 10, 4u << 20));
        Assert.Equal(table.Order(), table);
        // Log-uniform: the median is the geometric mean (512 KiB), each quartile a factor 64^(1/4) apart.
        Assert.InRange(table[table.Length / 2], 500_000u, 530_000u);
        Assert.InRange(table[table.Length / 4], 180_000u, 190_000u);
        Assert.InRange(table[3 * table.Length / 4], 1_470_000u, 1_500_000u);
    }

    [Fact]
    public void Larson_stops_after_its_seconds_and_joins_every_thread_it_started()
    {
        var spec = (Larson)Spec("larson 0.3 8 64 100 1 1 2");
        var ledger = new Ledger();
        var r = spec.Run(new SlowDetachAllocator(new CheckingAllocator(ledger), Environment.CurrentManagedThreadId));
        long attaches = Interlocked.Read(ref ledger.Attaches), detaches = Interlocked.Read(ref ledger.Detaches);
        Assert.InRange(r.Seconds, 0.29, 5);
        // Run joins each hand-off chain to its end: every thread it started has finished detaching.
        Assert.True(attaches > spec.ThreadCount + 1, "hand-offs start new threads");
        Assert.Equal(attaches, detaches);
        Assert.Empty(ledger.Live);
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public void Overlapping_blocks_are_reported_as_corruption_with_the_op_count(string command)
    {
        var r = Spec(command).Run(new OverlappingAllocator(new CheckingAllocator(new Ledger()), new long[3], 97));
        Assert.True(r.Corruptions > 0);
        Assert.True(r.FirstCorruptOp >= 0);
        Assert.Contains("overwritten", r.CorruptDetail);
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public void An_allocator_returning_null_ends_the_run_as_out_of_memory(string command)
    {
        var ledger = new Ledger();
        var r = Spec(command).Run(new LimitedAllocator(new CheckingAllocator(ledger), new long[1], 300));
        Assert.True(r.OutOfMemory);
        Assert.Null(r.Failure);
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public void An_allocator_exception_is_captured_not_lost(string command)
    {
        var r = Spec(command).Run(new ThrowingAllocator(new CheckingAllocator(new Ledger()), new long[1]));
        var e = Assert.IsType<InvalidOperationException>(r.Failure);
        Assert.Contains("allocator check failed", e.Message);
    }

    [Fact]
    public void Random_mixed_is_deterministic_per_seed()
    {
        var a = new Ledger();
        var b = new Ledger();
        Spec("random_mixed 20000 256 5").Run(new CheckingAllocator(a));
        Spec("random_mixed 20000 256 5").Run(new CheckingAllocator(b));
        Assert.Equal(a.Allocs, b.Allocs);
    }
}
