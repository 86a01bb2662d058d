using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Hakmem.Workloads;

namespace Hakmem.Workloads.Tests;

/// <summary>A checking allocator over NativeMemory: records every live block with the thread that
/// allocated it, refuses frees of blocks it did not hand out, and counts frees by another thread.</summary>
public sealed unsafe class Ledger
{
    public readonly ConcurrentDictionary<nint, int> Live = new();
    public long Allocs, Frees, Reallocs, CrossThreadFrees, Attaches, Detaches;
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
        ledger.Live[(nint)p] = Environment.CurrentManagedThreadId;
        Interlocked.Increment(ref ledger.Allocs);
        return p;
    }

    public void Free(void* p)
    {
        if (!ledger.Live.TryRemove((nint)p, out int owner)) ledger.Errors.Enqueue($"free of 0x{(nint)p:x}, not live");
        else if (owner != Environment.CurrentManagedThreadId) Interlocked.Increment(ref ledger.CrossThreadFrees);
        Interlocked.Increment(ref ledger.Frees);
        NativeMemory.Free(p);
    }

    /// <summary>A realloc of null counts as an allocation (its block is freed later), one of a live block
    /// as neither: the block moves.</summary>
    public void* Realloc(void* p, nuint size)
    {
        if (p == null) Interlocked.Increment(ref ledger.Allocs);
        else if (!ledger.Live.TryRemove((nint)p, out _)) ledger.Errors.Enqueue($"realloc of 0x{(nint)p:x}, not live");
        void* q = NativeMemory.Realloc(p, Math.Max(size, 1));
        ledger.Live[(nint)q] = Environment.CurrentManagedThreadId;
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
    public void Free(void* p) => inner.Free(p);
    public void* Realloc(void* p, nuint size) => inner.Realloc(p, size);
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

    public void Free(void* p) { }
    public void* Realloc(void* p, nuint size) => inner.Realloc(p, size);
}

/// <summary>Returns null after <c>limit</c> allocations.</summary>
public readonly unsafe struct LimitedAllocator(CheckingAllocator inner, long[] count, long limit) : IAllocator<LimitedAllocator>
{
    public LimitedAllocator AttachThread() => new(inner.AttachThread(), count, limit);
    public void DetachThread() => inner.DetachThread();
    public void* Alloc(nuint size) => Interlocked.Increment(ref count[0]) > limit ? null : inner.Alloc(size);
    public void Free(void* p) => inner.Free(p);
    public void* Realloc(void* p, nuint size) => Interlocked.Increment(ref count[0]) > limit ? null : inner.Realloc(p, size);
}

/// <summary>Throws from Free after a while, as an allocator check would.</summary>
public readonly unsafe struct ThrowingAllocator(CheckingAllocator inner, long[] count) : IAllocator<ThrowingAllocator>
{
    public ThrowingAllocator AttachThread() => new(inner.AttachThread(), count);
    public void DetachThread() => inner.DetachThread();
    public void* Alloc(nuint size) => inner.Alloc(size);
    public void Free(void* p)
    {
        if (Interlocked.Increment(ref count[0]) == 500) throw new InvalidOperationException("allocator check failed (test)");
        inner.Free(p);
    }

    public void* Realloc(void* p, nuint size) => inner.Realloc(p, size);
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

    public void Free(void* p)
    {
        lock (state)
        {
            if ((nint)p == state.Last) state.LastLive = false;
            if ((nint)p == state.Duplicate && ++state.DuplicateFrees == 1)
            {
                for (nuint i = 0; i < Math.Min(state.DuplicateSize, 16); i++) ((byte*)p)[i] = (byte)(i % 2 == 0 ? 0xA5 : 0x5A);
                return;
            }
        }
        inner.Free(p);
    }

    public void* Realloc(void* p, nuint size)
    {
        lock (state)
        {
            if ((nint)p == state.Last) state.LastLive = false;
        }
        return inner.Realloc(p, size);
    }
}
