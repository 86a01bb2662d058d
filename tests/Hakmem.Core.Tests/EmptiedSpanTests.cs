using System.Collections.Concurrent;
using Hakmem;

namespace Hakmem.Tests;

/// <summary>Threads hand each other batches of one size, round after round (rptest's pattern): the spans a batch
/// used up come back whole through other threads' frees, are listed for their owner, and are taken back by their
/// class or given back to their SuperSlab. The rounds run in lockstep, so that a batch is freed before its owner
/// needs new spans again: whatever the interleaving within a round, the lists are exercised, every block is
/// accounted for at the end, and no block was written while it was live.</summary>
public unsafe class EmptiedSpanTests
{
    private const int Threads = 3, Rounds = 24, BatchBlocks = 40, OwnSlots = 64;
    // Mid-class sizes for the batches (a new class most rounds), tiny ones for each thread's own blocks, so
    // that the batches' spans hold nothing else.
    private static readonly int[] BatchSizes = [8000, 12000, 3000, 16000, 5000, 10000];

    [Theory]
    [MemberData(nameof(Knobs.AllWithGuards), MemberType = typeof(Knobs))]
    public void Batches_freed_by_another_thread_give_their_spans_back_and_every_block_is_accounted_for(int fast, bool sll, bool list, bool p0, bool guards)
    {
        using var heap = new HakmemHeap(Knobs.Options(fast, sll, list, p0, guards));
        var inboxes = Enumerable.Range(0, Threads).Select(_ => new ConcurrentQueue<nint[]>()).ToArray();
        var errors = new ConcurrentQueue<string>();
        using var barrier = new Barrier(Threads);
        var threads = Enumerable.Range(0, Threads).Select(id => new Thread(() =>
        {
            var handle = heap.ForThisThread();
            var rng = new Random(77 + id);
            var own = new nint[OwnSlots];
            try
            {
                for (int round = 0; round < Rounds; round++)
                {
                    int size = BatchSizes[(round + id) % BatchSizes.Length];
                    var batch = new nint[BatchBlocks];
                    for (int i = 0; i < BatchBlocks; i++)
                    {
                        var p = (long*)handle.Alloc((nuint)size);
                        ConcurrencyTests.Stamp(p, size);
                        batch[i] = (nint)p;
                    }
                    for (int i = 0; i < 16; i++) // the thread's own blocks, kept across rounds
                    {
                        int slot = rng.Next(OwnSlots), small = rng.Next(16, 513);
                        if (own[slot] != 0) Free(handle, own[slot], errors);
                        var p = (long*)handle.Alloc((nuint)small);
                        ConcurrencyTests.Stamp(p, small);
                        own[slot] = (nint)p;
                    }
                    inboxes[(id + 1) % Threads].Enqueue(batch);
                    barrier.SignalAndWait();
                    while (inboxes[id].TryDequeue(out var handed))
                        foreach (nint p in handed) Free(handle, p, errors);
                    barrier.SignalAndWait();
                }
                foreach (nint p in own)
                    if (p != 0) Free(handle, p, errors);
            }
            catch (Exception e)
            {
                errors.Enqueue(e.ToString());
                barrier.RemoveParticipant();
            }
            if (id != 0) handle.Release(); // thread 0 just ends: the heap reclaims its cache
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        Assert.Empty(errors);
        var audit = heap.Audit();
        Assert.Empty(audit.Violations);
        Assert.Equal(0, audit.LiveBlocks);
        var stats = heap.Stats();
        Assert.True(stats.EmptiedSpansReturned > 0, $"no emptied span went back to its SuperSlab (taken back by their class: {stats.EmptiedSpansTaken})");
    }

    private static void Free(HakmemThread handle, nint p, ConcurrentQueue<string> errors)
    {
        string? bad = ConcurrencyTests.Verify((long*)p);
        if (bad != null) errors.Enqueue(bad);
        handle.Free((void*)p);
    }
}
