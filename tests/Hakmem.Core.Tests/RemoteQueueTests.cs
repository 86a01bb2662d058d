using System.Runtime.InteropServices;
using Hakmem;

namespace Hakmem.Tests;

/// <summary>The remote queue counts its blocks in its head word, so the owner takes blocks and count at
/// once; a refill then takes a drained span's whole free list into the chain without walking it.</summary>
public unsafe class RemoteQueueTests
{
    [Fact]
    public void The_head_counts_the_pushed_blocks_and_the_first_push_is_the_one_into_an_empty_queue()
    {
        const int N = 300;
        byte* blocks = (byte*)NativeMemory.AlignedAlloc(N * 16, 16);
        try
        {
            void* head = null;
            var firsts = new List<int>();
            for (int i = 0; i < N; i++)
                if (RemoteQueue.IsEmpty(RemoteQueue.Push(&head, blocks + i * 16))) firsts.Add(i);
            Assert.Equal([0], firsts);
            Assert.True(RemoteQueue.Peek(&head, out uint counted) == blocks + (N - 1) * 16);
            Assert.Equal((uint)N, counted);

            void* taken = RemoteQueue.TakeAll(&head, out uint count);

            Assert.Equal((uint)N, count);
            Assert.True(head == null);
            int walked = 0;
            for (void* p = taken; p != null; p = *(void**)p, walked++)
                Assert.True(p == blocks + (N - 1 - walked) * 16, $"node {walked} out of order"); // last pushed first
            Assert.Equal(N, walked);
            Assert.True(RemoteQueue.IsEmpty(RemoteQueue.Push(&head, blocks)), "a push after the take finds the queue empty again");
            RemoteQueue.Peek(&head, out counted);
            Assert.Equal(1u, counted);
        }
        finally
        {
            NativeMemory.AlignedFree(blocks);
        }
    }

    [Fact]
    public void A_used_up_span_is_listed_once_by_the_free_that_brings_its_last_block_back()
    {
        const int Capacity = 3;
        byte* blocks = (byte*)NativeMemory.AlignedAlloc(Capacity * 16, 16);
        try
        {
            void* head = null;
            RemoteQueue.WantWhenEmptied(&head);
            var listedAt = new List<int>();
            for (int i = 0; i < Capacity; i++)
            {
                ulong before = RemoteQueue.Push(&head, blocks + i * 16);
                Assert.Equal((uint)i, RemoteQueue.Count(before));
                if ((before & RemoteQueue.WantEmptied) != 0 && RemoteQueue.Count(before) + 1 == Capacity && RemoteQueue.TryList(&head)) listedAt.Add(i);
            }
            Assert.Equal([Capacity - 1], listedAt);
            Assert.False(RemoteQueue.TryList(&head), "listed already");
            RemoteQueue.WantWhenEmptied(&head); // refused: blocks wait, and the span is listed
            Assert.Equal(RemoteQueue.Listed, (ulong)(nint)head & (RemoteQueue.Listed | RemoteQueue.WantEmptied)); // the request became the listing

            void* taken = RemoteQueue.TakeAll(&head, out uint count);

            Assert.True(taken == blocks + (Capacity - 1) * 16);
            Assert.Equal((uint)Capacity, count);
            Assert.Equal(RemoteQueue.Listed, (ulong)(nint)head); // the take keeps the span listed, and no block
            RemoteQueue.WantWhenEmptied(&head);
            Assert.Equal(RemoteQueue.Listed, (ulong)(nint)head); // no request while it is listed: it would be listed twice
            RemoteQueue.Unlist(&head);
            Assert.True(head == null);
            RemoteQueue.WantWhenEmptied(&head);
            Assert.Equal(RemoteQueue.WantEmptied, (ulong)(nint)head);
            Assert.True(RemoteQueue.TakeAll(&head, out count) == null);
            Assert.True(head == null, "a take clears the request: the owner is looking at the span");
        }
        finally
        {
            NativeMemory.AlignedFree(blocks);
        }
    }

    [Fact]
    public void Pushers_racing_on_one_queue_leave_every_block_on_it_once_and_counted()
    {
        // Four threads push 4000 blocks each while the consumer takes the queue now and then: whatever the
        // interleaving, every block is taken exactly once and each take's count is the length of what it took.
        const int Threads = 4, PerThread = 4000, Total = Threads * PerThread;
        byte* blocks = (byte*)NativeMemory.AlignedAlloc(Total * 16, 16);
        void* head = null;
        void** h = &head;
        var seen = new HashSet<nint>();
        try
        {
            var pushers = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
            {
                for (int i = 0; i < PerThread; i++) RemoteQueue.Push(h, blocks + (t * PerThread + i) * 16);
            })).ToList();
            pushers.ForEach(t => t.Start());
            void TakeOnce()
            {
                void* taken = RemoteQueue.TakeAll(h, out uint count);
                uint walked = 0;
                for (void* p = taken; p != null; p = *(void**)p, walked++) Assert.True(seen.Add((nint)p), "a block taken twice");
                Assert.Equal(count, walked);
            }
            while (pushers.Any(t => t.IsAlive)) TakeOnce();
            TakeOnce();
            Assert.Equal(Total, seen.Count);
        }
        finally
        {
            NativeMemory.AlignedFree(blocks);
        }
    }

    [Fact]
    public void A_span_drained_of_a_thousand_remote_frees_refills_the_chain_in_one_take()
    {
        // TLS SLL only (its cap for 64-byte blocks is 2048) and P0: the drained span's whole free list fits the chain.
        using var heap = new HakmemHeap(new HakmemOptions { FastCap = 0, TlsSll = true, TlsList = false, P0BatchRefill = true });
        var owner = heap.ForThisThread();
        const int PerSpan = 65536 / 64;
        var blocks = new nint[PerSpan];
        for (int i = 0; i < PerSpan; i++) blocks[i] = (nint)owner.Alloc(64);
        var freed = blocks.Take(1000).ToHashSet();
        RemoteFrees.OnAnotherThread(heap, freed);
        long refills = heap.Stats().Refills;

        var again = Enumerable.Range(0, 1000).Select(_ => (nint)owner.Alloc(64)).ToList();

        Assert.Equal(freed, again.ToHashSet());
        var stats = heap.Stats();
        Assert.Equal(1000, stats.DrainedBlocks);
        Assert.Equal(refills + 1, stats.Refills); // a batch refill would take 64 at a time: 16 refills
        foreach (nint p in blocks) owner.Free((void*)p);
        owner.Release();
        Assert.True(heap.Audit().IsClean);
    }
}
