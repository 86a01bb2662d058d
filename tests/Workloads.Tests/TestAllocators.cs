using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Hakmem.Workloads;

namespace Hakmem.Workloads.Tests;

/// <summary>A checking allocator over NativeMemory: records every live block with the thread that
/// allocated it and the size asked, refuses frees of blocks it did not hand out or that name another size,
/// and counts frees by another thread.</summary>
public sealed unsafe class Ledger
{
    public readonly ConcurrentDictionary<nint, (int Owner, nuint Size)> Live = new();
    public long Allocs, Frees, Reallocs, CrossThreadFrees, Attaches, Detaches;
    /// <summary>The bytes asked for and not yet freed, and their peak, counted under a lock: the reference the
    /// lab's own count (LiveBytes) is held to.</summary>
    public long LiveBytes, PeakLiveBytes;

    public void Moved(long bytes)
    {
        lock (Errors)
        {
            LiveBytes += bytes;
            PeakLiveBytes = Math.Max(PeakLiveBytes, LiveBytes);
        }
    }
    public readonly ConcurrentQueue<string> Errors = new();
}

public readonly unsafe struct CheckingAllocator(Ledger ledger) : IAllocator<CheckingAllocator>
{
    public Ledger Ledger => ledger;
    public CheckingAllocator AttachThread()
    {
        Interlocked.Increment(ref ledger.Attaches);
        return this;
    }

    public void DetachThread() => Interlocked.Increment(ref ledger.Detaches);

    public void* Alloc(nuint size)
    {
        void* p = NativeMemory.Alloc(Math.Max(size, 1));
        ledger.Live[(nint)p] = (Environment.CurrentManagedThreadId, size);
        ledger.Moved((long)size);
        Interlocked.Increment(ref ledger.Allocs);
        return p;
    }

    public void Free(void* p, nuint size)
    {
        if (!ledger.Live.TryRemove((nint)p, out var block)) ledger.Errors.Enqueue($"free of 0x{(nint)p:x}, not live");
        else
        {
            if (block.Size != size) ledger.Errors.Enqueue($"free of 0x{(nint)p:x} as {size} bytes, asked as {block.Size}");
            ledger.Moved(-(long)block.Size);
            if (block.Owner != Environment.CurrentManagedThreadId) Interlocked.Increment(ref ledger.CrossThreadFrees);
        }
        Interlocked.Increment(ref ledger.Frees);
        NativeMemory.Free(p);
    }

    /// <summary>A realloc of null counts as an allocation (its block is freed later), one of a live block
    /// as neither: the block moves.</summary>
    public void* Realloc(void* p, nuint oldSize, nuint size)
    {
        if (p == null) Interlocked.Increment(ref ledger.Allocs);
        else if (!ledger.Live.TryRemove((nint)p, out var block)) ledger.Errors.Enqueue($"realloc of 0x{(nint)p:x}, not live");
        else if (block.Size != oldSize) ledger.Errors.Enqueue($"realloc of 0x{(nint)p:x} as {oldSize} bytes, asked as {block.Size}");
        else ledger.Moved(-(long)block.Size);
        void* q = NativeMemory.Realloc(p, Math.Max(size, 1));
        ledger.Moved((long)size);
        ledger.Live[(nint)q] = (Environment.CurrentManagedThreadId, size);
        Interlocked.Increment(ref ledger.Reallocs);
        return q;
    }
}

/// <summary>Worker threads take their time to detach, as a real thread cache flush does (the calling
/// thread does not): a workload that did not join its workers would return while some still detach.</summary>
public readonly unsafe struct SlowDetachAllocator(CheckingAllocator inner, int callerThread) : IAllocator<SlowDetachAllocator>
{
    public SlowDetachAllocator AttachThread() => new(inner.AttachThread(), callerThread);
    public void DetachThread()
    {
        if (Environment.CurrentManagedThreadId != callerThread) Thread.Sleep(100);
        inner.DetachThread();
    }
    public void* Alloc(nuint size) => inner.Alloc(size);
    public void Free(void* p, nuint size) => inner.Free(p, size);
    public void* Realloc(void* p, nuint oldSize, nuint size) => inner.Realloc(p, oldSize, size);
}

/// <summary>Hands out the previous block again every <c>every</c> allocations (when it is big enough for
/// the request, so the workload's tags stay inside memory this allocator owns): two live blocks overlap.
/// counter: [0] allocations, [1] previous block, [2] its size.</summary>
public readonly unsafe struct OverlappingAllocator(CheckingAllocator inner, long[] counter, int every) : IAllocator<OverlappingAllocator>
{
    public OverlappingAllocator AttachThread() => new(inner.AttachThread(), counter, every);
    public void DetachThread() => inner.DetachThread();

    public void* Alloc(nuint size)
    {
        void* p = inner.Alloc(size);
        long n = Interlocked.Increment(ref counter[0]);
        lock (counter)
        {
            if (n % every == 0 && counter[1] != 0 && (nuint)counter[2] >= size) return (void*)counter[1];
            counter[1] = (long)p;
            counter[2] = (long)size;
        }
        return p;
    }

    public void Free(void* p, nuint size) { }
    public void* Realloc(void* p, nuint oldSize, nuint size) => inner.Realloc(p, oldSize, size);
}

/// <summary>Returns null after <c>limit</c> allocations.</summary>
public readonly unsafe struct LimitedAllocator(CheckingAllocator inner, long[] count, long limit) : IAllocator<LimitedAllocator>
{
    public LimitedAllocator AttachThread() => new(inner.AttachThread(), count, limit);
    public void DetachThread() => inner.DetachThread();
    public void* Alloc(nuint size) => Interlocked.Increment(ref count[0]) > limit ? null : inner.Alloc(size);
    public void Free(void* p, nuint size) => inner.Free(p, size);
    public void* Realloc(void* p, nuint oldSize, nuint size) => Interlocked.Increment(ref count[0]) > limit ? null : inner.Realloc(p, oldSize, size);
}

/// <summary>Throws from Free after a while, as an allocator check would.</summary>
public readonly unsafe struct ThrowingAllocator(CheckingAllocator inner, long[] count) : IAllocator<ThrowingAllocator>
{
    public ThrowingAllocator AttachThread() => new(inner.AttachThread(), count);
    public void DetachThread() => inner.DetachThread();
    public void* Alloc(nuint size) => inner.Alloc(size);
    public void Free(void* p, nuint size)
    {
        if (Interlocked.Increment(ref count[0]) == 500) throw new InvalidOperationException("allocator check failed (test)");
        inner.Free(p, size);
    }

    public void* Realloc(void* p, nuint oldSize, nuint size) => inner.Realloc(p, oldSize, size);
}

/// <summary>What <see cref="TwiceHandingAllocator"/> remembers: the last block it allocated, and the one it
/// handed out twice.</summary>
public sealed class TwiceHanded(long after)
{
    public readonly long After = after;
    public long Allocations;
    public nint Last, Duplicate;
    public nuint LastSize, DuplicateSize;
    public bool LastLive;
    public int DuplicateFrees;
}

/// <summary>Hands one live block out a second time: the first allocation after <c>After</c> that finds the
/// block allocated just before it still live and big enough gets that block too. The first of its two frees
/// writes over its first 16 bytes, as a real allocator's free list does, and keeps it; the second frees it.
/// A workload that reads a block before it frees it sees the other holder's free there.</summary>
public readonly unsafe struct TwiceHandingAllocator(CheckingAllocator inner, TwiceHanded state) : IAllocator<TwiceHandingAllocator>
{
    public TwiceHandingAllocator AttachThread() => new(inner.AttachThread(), state);
    public void DetachThread() => inner.DetachThread();

    public void* Alloc(nuint size)
    {
        lock (state)
        {
            if (++state.Allocations > state.After && state.Duplicate == 0 && state.LastLive && state.LastSize >= size)
            {
                state.Duplicate = state.Last;
                state.DuplicateSize = state.LastSize;
                return (void*)state.Duplicate;
            }
        }
        void* p = inner.Alloc(size);
        lock (state)
        {
            state.Last = (nint)p;
            state.LastSize = size;
            state.LastLive = true;
        }
        return p;
    }

    public void Free(void* p, nuint size)
    {
        lock (state)
        {
            if ((nint)p == state.Last) state.LastLive = false;
            if ((nint)p == state.Duplicate && ++state.DuplicateFrees == 1)
            {
                for (nuint i = 0; i < Math.Min(state.DuplicateSize, 16); i++) ((byte*)p)[i] = (byte)(i % 2 == 0 ? 0xA5 : 0x5A);
                return;
            }
            if ((nint)p == state.Duplicate) size = state.DuplicateSize; // the block as the ledger knows it
        }
        inner.Free(p, size);
    }

    public void* Realloc(void* p, nuint oldSize, nuint size)
    {
        lock (state)
        {
            if ((nint)p == state.Last) state.LastLive = false;
        }
        return inner.Realloc(p, oldSize, size);
    }
}

/// <summary>What <see cref="SlowAttachAllocator"/> saw: for each slow attach, the allocations made (by any
/// thread) before it began and when it ended.</summary>
public sealed class SlowAttaches(Ledger ledger, TimeSpan delay)
{
    public readonly Ledger Ledger = ledger;
    public readonly TimeSpan Delay = delay;
    public int Attaches;
    public readonly ConcurrentQueue<(long Before, long After)> Slow = new();
}

/// <summary>Every second thread to attach takes its time (a thread cache set up slowly, or a thread the OS runs
/// late): a workload whose threads do not wait for each other runs ahead meanwhile.</summary>
public readonly unsafe struct SlowAttachAllocator(CheckingAllocator inner, SlowAttaches state) : IAllocator<SlowAttachAllocator>
{
    public SlowAttachAllocator AttachThread()
    {
        var attached = new SlowAttachAllocator(inner.AttachThread(), state);
        if (Interlocked.Increment(ref state.Attaches) % 2 == 0)
        {
            long before = Interlocked.Read(ref state.Ledger.Allocs);
            Thread.Sleep(state.Delay);
            state.Slow.Enqueue((before, Interlocked.Read(ref state.Ledger.Allocs)));
        }
        return attached;
    }

    public void DetachThread() => inner.DetachThread();
    public void* Alloc(nuint size) => inner.Alloc(size);
    public void Free(void* p, nuint size) => inner.Free(p, size);
    public void* Realloc(void* p, nuint oldSize, nuint size) => inner.Realloc(p, oldSize, size);
}
