namespace Hakmem.Workloads.Tests;

/// <summary>The classic workloads (mimalloc-bench's set) on checking allocators: each runs to its end and
/// frees all it allocated; each reports a block handed out twice as corruption wherever it reads the block;
/// each ends cleanly when the allocator runs out or throws.</summary>
public class ClassicWorkloadTests
{
    public static TheoryData<string> Commands => new()
    {
        "xmalloc_test 2 0.2 64",
        "xmalloc_test 1 0.2 -1",
        "cache_scratch 2 50 8 1000 2",
        "cache_thrash 2 50 1 1000 2",
        "mstress 2 5 3",
        "rptest 2 0 1 2 30 200 50 8 2000",
        "rptest 1 1 0 0 20 100 50 64",
        "glibc_simple 8 3200",
        "glibc_thread 2 0.2",
        "glibc_thread 1 0.1",
        "alloc_test 2 50000",
        "malloc_large 25",
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
        Assert.NotNull(r.Original);
        switch (spec)
        {
            case XmallocTest:
                Assert.Equal(ledger.Frees, ledger.CrossThreadFrees); // one thread allocates, another frees
                Assert.Equal("free/sec", r.Original!.Name);
                break;
            case CacheScratch c:
                Assert.Equal(c.ThreadCount, ledger.CrossThreadFrees); // each thread frees the object main handed it
                Assert.Equal((long)c.ThreadCount * c.Iterations * (c.Repetitions / c.ThreadCount) * c.ObjectSize, r.Ops);
                break;
            case CacheThrash c:
                Assert.Equal(0, ledger.CrossThreadFrees);
                Assert.Equal((long)c.ThreadCount * c.Iterations * (c.Repetitions / c.ThreadCount) * c.ObjectSize, r.Ops);
                break;
            case MStress m:
                Assert.True(ledger.CrossThreadFrees > 0, "the shared buffer moves blocks between threads");
                Assert.True(ledger.Reallocs >= m.ThreadCount, "each thread's array comes from realloc");
                break;
            case RpTest { ThreadCount: > 1 }:
                Assert.True(ledger.CrossThreadFrees > 0, "batches are handed to other threads");
                Assert.Equal("memory ops/CPU second", r.Original!.Name);
                break;
            case GlibcSimple g:
                long perPass = new[] { 25, 100, 400, 1600 }.Sum(n => (long)(g.Iterations / n) * n);
                Assert.Equal(3 * 4 * perPass, r.Ops); // three sizes, four passes
                Assert.Equal(r.Ops + 1, ledger.Allocs); // and the array of the batch
                Assert.Equal(1 + 3, ledger.Attaches); // the calling thread, and one new thread per block size
                break;
            case GlibcThread:
                Assert.Equal(r.Ops, ledger.Allocs);
                Assert.Equal(r.Ops, (long)r.Original!.Value);
                break;
            case AllocTest a:
                Assert.Equal(a.ThreadCount * (a.Iterations / 32 * 32), r.Ops);
                break;
            case MallocLarge m:
                Assert.Equal(m.Iterations, r.Ops);
                Assert.Equal(m.Iterations, ledger.Allocs);
                break;
        }
    }

    [Fact]
    public void Rptest_threads_start_together_however_late_one_of_them_is()
    {
        // The second thread of each round takes 300 ms to attach; the first, alone, would make its 200 loops of
        // 30-99 allocations meanwhile, handing half of them as batches to a thread not yet there. Waiting at the
        // start, it allocates at most its own array of slots.
        var ledger = new Ledger();
        var state = new SlowAttaches(ledger, TimeSpan.FromMilliseconds(300));
        var r = Spec("rptest 2 0 1 2 200 100 100 8 2000").Run(new SlowAttachAllocator(new CheckingAllocator(ledger), state));
        Assert.Null(r.Failure);
        Assert.Equal(0, r.Corruptions);
        Assert.Empty(ledger.Live);
        Assert.Equal(2, state.Slow.Count); // one late thread in each round
        foreach (var (before, after) in state.Slow)
            Assert.True(after - before <= 1, $"{after - before} allocations while a thread of the round was still attaching");
        Assert.True(ledger.Allocs > 4 * 200 * 30, $"the threads ran their loops afterwards: {ledger.Allocs} allocations");
    }

    [Fact]
    public void Mstress_grows_its_array_by_reallocation_and_keeps_the_blocks_in_it()
    {
        // Thread 1 makes 100 x 600 x 2 = 120000 allocations: its array grows past 100000 entries once.
        var ledger = new Ledger();
        var r = Spec("mstress 2 600 1").Run(new CheckingAllocator(ledger));
        Assert.Null(r.Failure);
        Assert.Equal(0, r.Corruptions);
        Assert.Equal(3, ledger.Reallocs); // two arrays from nothing, one grown
        Assert.Empty(ledger.Live);
    }

    /// <summary>Each workload with the number of allocations after which the block allocated just before is
    /// handed out again; cache_thrash has no case: its threads hold one block at a time, so a block two
    /// threads hold shows only when one's write lands between the other's write and read of a byte.</summary>
    public static TheoryData<string, long> TwiceHanded => new()
    {
        { "xmalloc_test 1 5 64", 10 }, // one producer: the 10th and 11th allocations are objects 8 and 9
        { "cache_scratch 2 10 8 100 2", 1 }, // the two objects main hands out
        { "mstress 1 5 1", 10 },
        { "rptest 1 0 1 0 10 100 20 8 1000", 10 },
        { "glibc_simple 16 1600", 10 },
        { "glibc_thread 1 0.3", 10 },
        { "alloc_test 1 100000", 10 },
        { "malloc_large 30", 3 },
    };

    [Theory]
    [MemberData(nameof(TwiceHanded))]
    public void A_block_handed_out_twice_is_reported_as_corruption(string command, long after)
    {
        var state = new TwiceHanded(after);
        var r = Spec(command).Run(new TwiceHandingAllocator(new CheckingAllocator(new Ledger()), state));
        Assert.NotEqual(0, state.Duplicate);
        Assert.Null(r.Failure);
        Assert.True(r.Corruptions > 0, $"{command}: no corruption reported");
        Assert.True(r.FirstCorruptOp >= 0);
        Assert.Contains("overwritten", r.CorruptDetail);
    }

    public static TheoryData<string, long> Limited => new()
    {
        { "xmalloc_test 2 5 64", 300 },
        { "cache_scratch 2 50 8 1000 2", 20 },
        { "cache_thrash 2 50 1 1000 2", 20 },
        { "mstress 2 5 3", 300 },
        { "rptest 2 0 1 2 30 200 50 8 2000", 300 },
        { "glibc_simple 8 3200", 300 },
        { "glibc_thread 2 5", 300 },
        { "alloc_test 2 50000", 300 },
        { "malloc_large 25", 10 },
    };

    [Theory]
    [MemberData(nameof(Limited))]
    public void An_allocator_returning_null_ends_the_run_as_out_of_memory(string command, long limit)
    {
        var r = Spec(command).Run(new LimitedAllocator(new CheckingAllocator(new Ledger()), new long[1], limit));
        Assert.True(r.OutOfMemory);
        Assert.Null(r.Failure);
    }

    [Theory]
    [MemberData(nameof(Limited))]
    public void An_allocator_exception_is_captured_not_lost(string command, long _)
    {
        // The allocator throws at the 500th free: ten frees into the run.
        var r = Spec(command).Run(new ThrowingAllocator(new CheckingAllocator(new Ledger()), [490]));
        var e = Assert.IsType<InvalidOperationException>(r.Failure);
        Assert.Contains("allocator check failed", e.Message);
    }
}
