using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Hakmem.Workloads;

/// <summary>The bytes a workload has asked for and not yet freed (requested sizes, not what the allocator
/// rounds them to). Each attached thread counts in a slot of its own (its own cache lines: no shared counter,
/// no atomic operation on the measured path); a slot goes back to a pool when its thread detaches and keeps its
/// count, because the blocks that thread allocated may be freed later by another (whose count goes below zero).
/// The sum of the slots is the live bytes. With one thread attached at a time the peak is exact (the slot's own
/// high-water mark). With more, a sampler thread reads the sum every <see cref="SampleInterval"/>: the sampled
/// peak is below the true one by at most what the threads allocate, net, in one interval, and above it by at most
/// what they free while one sum is read (the slots are read one after another, not at one instant).</summary>
public sealed unsafe class LiveBytes : IDisposable
{
    public static readonly TimeSpan SampleInterval = TimeSpan.FromMilliseconds(1);
    private const int Stride = 16; // longs per slot: 128 bytes, two cache lines, so no two slots share one
    private const int MaxSlots = 4096;

    // The root (the unattached wrapper's slot), then the threads' slots; calloc'd, so that only the pages of
    // slots in use become resident (a measured run's RSS should not hold the lab's bookkeeping).
    private readonly void* _block;
    private readonly long* _root, _slots;
    private readonly GCHandle _self;
    private readonly Stack<int> _free = new();
    private int _used, _attached, _maxAttached;
    private long _sampledPeak;
    private Thread? _sampler;
    private volatile bool _stopped;

    public LiveBytes()
    {
        _block = NativeMemory.AllocZeroed((nuint)((MaxSlots + 2) * Stride * sizeof(long)));
        _root = (long*)(((nint)_block + 127) & ~(nint)127);
        _slots = _root + Stride;
        _self = GCHandle.Alloc(this);
        Root[2] = GCHandle.ToIntPtr(_self);
    }

    internal long* Root => _root;

    /// <summary>The count a slot (the root or a thread's) belongs to.</summary>
    internal static LiveBytes Of(long* slot) => (LiveBytes)GCHandle.FromIntPtr((nint)slot[2]).Target!;

    /// <summary>Whether the peak is exact: never more than one thread attached at once.</summary>
    public bool Exact => Volatile.Read(ref _maxAttached) <= 1;

    /// <summary>The peak of the live bytes: exact (<see cref="Exact"/>) or sampled.</summary>
    public long Peak
    {
        get
        {
            if (Exact)
            {
                long peak = 0;
                for (int s = 0; s < _used; s++) peak = Math.Max(peak, _slots[s * Stride + 1]);
                return peak;
            }
            return Math.Max(Volatile.Read(ref _sampledPeak), Sum());
        }
    }

    /// <summary>The live bytes now (the sum of the slots).</summary>
    public long Sum()
    {
        long sum = 0;
        int used = Volatile.Read(ref _used);
        for (int s = 0; s < used; s++) sum += Volatile.Read(ref _slots[s * Stride]);
        return sum;
    }

    /// <summary>A slot for the calling thread: [0] its live bytes, [1] their high-water mark.</summary>
    internal long* Attach()
    {
        lock (_free)
        {
            int slot = _free.Count > 0 ? _free.Pop() : _used < MaxSlots ? _used++ : throw new InvalidOperationException($"more than {MaxSlots} threads attached at once");
            _attached++;
            if (_attached > _maxAttached) _maxAttached = _attached;
            if (_attached == 2 && _sampler == null)
            {
                // Until now one thread at a time counted: the slots' own high-water marks are the peak so far.
                for (int s = 0; s < _used; s++) _sampledPeak = Math.Max(_sampledPeak, _slots[s * Stride + 1]);
                _sampler = new Thread(Sample, maxStackSize: 64 * 1024) { IsBackground = true, Name = "live-bytes sampler" };
                _sampler.Start();
            }
            long* at = _slots + slot * Stride;
            at[2] = Root[2];
            return at;
        }
    }

    internal void Detach(long* slot)
    {
        lock (_free)
        {
            _attached--;
            _free.Push((int)((slot - _slots) / Stride));
        }
    }

    private void Sample()
    {
        while (!_stopped)
        {
            long sum = Sum();
            if (sum > _sampledPeak) Volatile.Write(ref _sampledPeak, sum);
            Thread.Sleep(SampleInterval);
        }
    }

    public void Dispose()
    {
        _stopped = true;
        _sampler?.Join();
        _self.Free();
        NativeMemory.Free(_block);
    }
}

/// <summary>How the workloads touch the blocks they get: their own pattern (a tag in the first and last words,
/// a fill), or every page of every block written once before they use it (--touch all, for memory studies:
/// RSS per requested byte then counts every page asked for).</summary>
public enum TouchMode
{
    Own,
    All,
}

/// <summary>The touch mode as a type, so that the JIT compiles the choice away in each wrapper.</summary>
public interface ITouch
{
    static abstract bool All { get; }
}

public readonly struct TouchOwn : ITouch
{
    public static bool All => false;
}

public readonly struct TouchAll : ITouch
{
    public static bool All => true;
}

/// <summary>An allocator that counts the workload's live bytes (<see cref="LiveBytes"/>) around another, and with
/// <see cref="TouchAll"/> writes every page of each new block once. A struct generic over the allocator it wraps
/// and the touch mode, so the JIT compiles it into each workload per backend: the allocator and a pointer to the
/// thread's counter are all it holds (it stays in registers), and the count is an add, a compare and two stores
/// per call.</summary>
public unsafe struct LiveCounting<TAlloc, TTouch> : IAllocator<LiveCounting<TAlloc, TTouch>>
    where TAlloc : struct, IAllocator<TAlloc>
    where TTouch : struct, ITouch
{
    private const int PageSize = 4096;
    private TAlloc _inner; // not readonly: an allocator may be a mutable struct (bump's chunk), changed by its calls
    private readonly long* _slot; // [0] live bytes, [1] their peak, [2] the LiveBytes (GCHandle) that owns it

    private LiveCounting(TAlloc inner, long* slot)
    {
        _inner = inner;
        _slot = slot;
    }

    /// <summary>The unattached wrapper a workload is given: its <see cref="AttachThread"/> takes a counter of <paramref name="live"/>.</summary>
    public LiveCounting(TAlloc inner, LiveBytes live) : this(inner, live.Root) { }

    public LiveCounting<TAlloc, TTouch> AttachThread() => new(_inner.AttachThread(), LiveBytes.Of(_slot).Attach());

    public void DetachThread()
    {
        _inner.DetachThread();
        LiveBytes.Of(_slot).Detach(_slot);
    }

    public void* Alloc(nuint size)
    {
        void* p = _inner.Alloc(size);
        if (p == null) return null;
        Added(size);
        if (TTouch.All) Touch((byte*)p, 0, size);
        return p;
    }

    public void Free(void* p, nuint size)
    {
        _slot[0] -= (long)size;
        _inner.Free(p, size);
    }

    public void* Realloc(void* p, nuint oldSize, nuint size)
    {
        void* q = _inner.Realloc(p, oldSize, size);
        if (q == null) return null;
        if (p != null) _slot[0] -= (long)oldSize;
        Added(size);
        if (TTouch.All && size > oldSize) Touch((byte*)q, p == null ? 0 : oldSize, size);
        return q;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Added(nuint size)
    {
        long now = _slot[0] + (long)size;
        _slot[0] = now;
        if (now > _slot[1]) _slot[1] = now;
    }

    /// <summary>One byte written in each page of [from, to) of the block (its first byte, then each page start).</summary>
    private static void Touch(byte* p, nuint from, nuint to)
    {
        if (from >= to) return;
        p[from] = 0;
        for (nuint at = ((nuint)(p + from) | (PageSize - 1)) + 1 - (nuint)p; at < to; at += PageSize) p[at] = 0;
    }
}
