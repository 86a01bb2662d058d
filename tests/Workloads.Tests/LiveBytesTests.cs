using System.Runtime.InteropServices;

namespace Hakmem.Workloads.Tests;

/// <summary>The live-byte count every in-process run records: held to a ledger that counts the same bytes
/// under a lock. Exact where one thread is attached at a time, never above the truth by more than a sum's read
/// where several are;
/// back to zero when the workload has freed everything; --touch all writes every page of a block.</summary>
public class LiveBytesTests
{
    public static TheoryData<string> Commands
    {
        get
        {
            var all = new TheoryData<string>();
            foreach (var c in WorkloadTests.Commands) all.Add(c);
            foreach (var c in ClassicWorkloadTests.Commands) all.Add(c);
            return all;
        }
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public void The_count_matches_the_ledger_exactly_for_one_thread_and_never_exceeds_it_for_several(string command)
    {
        var parts = command.Split(' ');
        var spec = WorkloadSpec.Parse(parts[0], parts[1..]);
        var ledger = new Ledger();
        using var live = new LiveBytes();
        var r = spec.Run(new LiveCounting<CheckingAllocator, TouchOwn>(new CheckingAllocator(ledger), live));
        Assert.Null(r.Failure);
        Assert.Empty(ledger.Errors); // every free named the size its block was asked for
        Assert.Equal(0, live.Sum());
        Assert.True(live.Peak > 0);
        if (live.Exact) Assert.Equal(ledger.PeakLiveBytes, live.Peak);
        // Sampled: a sum read while other threads free may count a freed block beside a new one, never more
        // than a few blocks' worth.
        else Assert.True(live.Peak <= ledger.PeakLiveBytes + 256 * 1024, $"sampled {live.Peak} above the true peak {ledger.PeakLiveBytes}");
        if (spec.Threads == 1 && spec is RandomMixed or LargeMixed) Assert.True(live.Exact, "one thread is exact");
    }

    [Fact]
    public void One_slot_of_one_MiB_holds_exactly_one_MiB_at_its_peak()
    {
        using var live = new LiveBytes();
        var r = WorkloadSpec.Parse("large_mixed", ["2000", "1", "7", "1048576", "1048576"])
            .Run(new LiveCounting<CheckingAllocator, TouchOwn>(new CheckingAllocator(new Ledger()), live));
        Assert.Null(r.Failure);
        Assert.True(live.Exact);
        Assert.Equal(1L << 20, live.Peak);
    }

    [Fact]
    public void Threads_that_free_each_others_blocks_sum_to_the_bytes_held()
    {
        // larson with one size: once the blocks are in place every replacement frees 64 bytes and asks for 64,
        // so the live bytes stay within one block per thread of 2 x 512 x 64 (the peak itself).
        using var live = new LiveBytes();
        var ledger = new Ledger();
        var r = WorkloadSpec.Parse("larson", ["0.2", "64", "64", "512", "1", "3", "2"])
            .Run(new LiveCounting<CheckingAllocator, TouchOwn>(new CheckingAllocator(ledger), live));
        Assert.Null(r.Failure);
        Assert.False(live.Exact);
        Assert.True(ledger.CrossThreadFrees > 0);
        Assert.Equal(2 * 512 * 64, ledger.PeakLiveBytes);
        Assert.InRange(live.Peak, 2 * 512 * 64 - 2 * 64, 2 * 512 * 64);
    }

    [Fact]
    public unsafe void Touch_all_writes_every_page_of_a_new_block_and_own_writes_none()
    {
        using var live = new LiveBytes();
        Check(new LiveCounting<FillingAllocator, TouchAll>(default, live), live, 0);
        Check(new LiveCounting<FillingAllocator, TouchOwn>(default, live), live, 0xFF);
        Assert.Equal(0, live.Sum());
    }

    private static unsafe void Check<TAlloc>(TAlloc allocator, LiveBytes live, byte expected) where TAlloc : struct, IAllocator<TAlloc>
    {
        var a = allocator.AttachThread();
        nuint size = 5 * 4096 + 100;
        byte* p = (byte*)a.Alloc(size);
        Assert.Equal(expected, p[0]);
        for (nuint at = ((nuint)p | 4095) + 1 - (nuint)p; at < size; at += 4096) Assert.Equal(expected, p[at]);
        Assert.Equal((long)size, live.Sum());
        a.Free(p, size);
        a.DetachThread();
    }

    /// <summary>Blocks filled with 0xFF, so that a write by the wrapper shows.</summary>
    private readonly unsafe struct FillingAllocator : IAllocator<FillingAllocator>
    {
        public FillingAllocator AttachThread() => this;
        public void DetachThread() { }
        public void* Alloc(nuint size)
        {
            void* p = NativeMemory.Alloc(size);
            NativeMemory.Fill(p, size, 0xFF);
            return p;
        }
        public void Free(void* p, nuint size) => NativeMemory.Free(p);
    }
}
