using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Hakmem.Workloads;

/// <summary>xmalloc_test <c>workers seconds object_size</c> (xmalloc-test's <c>-w -t -s</c>, in that order;
/// mimalloc-bench: <c>xmalloc-test -w P -t 5 -s 64</c>): Lever and Boreham's producer/consumer test. Each of
/// the workers pairs of threads is an allocator and a releaser: the allocator fills batches of 4096 objects
/// (object_size bytes, or for -1 or 0 sizes drawn from 8 to 2048 bytes, each size and one and a half times it
/// per power of two), sets the first 128 bytes of object i to i % 256, and queues the batch (at most 100
/// wait); a releaser takes any batch and frees its objects and the batch. Every free is of a block another
/// thread allocated: the remote-free path under a steady stream. Runs for <c>seconds</c>; throughput =
/// objects freed per second, which is the original's figure (free/sec, in millions).
///
/// Changed from the original: the releaser reads the head of each object before it frees it (the first 8
/// bytes of the fill, or all of a smaller object: the line the free itself touches) and reports corruption
/// when it is not i % 256: two objects handed out at once, or an allocator writing into a live one. No block
/// tag: past the fill, objects of more than 128 bytes are untouched, but the releaser knows neither their
/// size nor an id for them. A releaser counts the objects it freed (the original adds 4096 even when it woke
/// with nothing). The sizes come from our generator, not the original's lran2.</summary>
public sealed record XmallocTest(int Workers, double Seconds, int ObjectSize) : WorkloadSpec
{
    public const string UsageText = "workers seconds object_size";
    private const int ObjectsPerBatch = 4096, QueueLimit = 100, FillLimit = 128;
    // A batch: the link to the next one queued, then its objects.
    private const int BatchBytes = 8 + ObjectsPerBatch * 8;

    public override string Name => "xmalloc_test";
    public override string Usage => UsageText;
    public override int Threads => Workers;
    public override int RunningThreads => 2 * Workers;
    public override int? ThreadArgument => 0;
    public override IReadOnlyList<string> Arguments => [Workers.ToString(), Format(Seconds), ObjectSize.ToString()];
    public override WorkloadSpec WithThreads(int threads) => this with { Workers = threads };
    public override WorkloadSpec Warmup() => this with { Seconds = Math.Min(0.2, Seconds / 10) };

    /// <summary>The sizes of -s -1: each power of two from 8 to 2048 and one and a half times it.</summary>
    public static readonly uint[] MixedSizes = Enumerable.Range(3, 9).SelectMany(b => new[] { 1u << b, 3u << (b - 1) }).Where(s => s <= 2048).ToArray();

    public static XmallocTest Parse(IReadOnlyList<string> args)
    {
        var r = new ArgReader("xmalloc_test", UsageText, args, 3);
        r.End(3);
        return new XmallocTest((int)r.Long("workers", 1, 512), r.Double("seconds", 0.001, 86_400), (int)r.Long("object_size", -1, (long)BlockTag.MaxSize));
    }

    /// <summary>The batches waiting for a releaser: a stack under a lock, as the original's mutex and two
    /// condition variables. Done wakes everyone.</summary>
    private sealed class BatchQueue
    {
        private nint _head;
        private int _count;
        private volatile bool _done;

        public bool Done => _done;

        public unsafe void Enqueue(void* batch)
        {
            lock (this)
            {
                while (_count >= QueueLimit && !_done) Monitor.Wait(this);
                *(nint*)batch = _head; // queued even when done: the run frees what is left
                _head = (nint)batch;
                _count++;
                Monitor.PulseAll(this);
            }
        }

        public unsafe void* Dequeue()
        {
            lock (this)
            {
                while (_head == 0 && !_done) Monitor.Wait(this);
                void* b = (void*)_head;
                if (b != null)
                {
                    _head = *(nint*)b;
                    _count--;
                    Monitor.PulseAll(this);
                }
                return b;
            }
        }

        public void Finish()
        {
            lock (this)
            {
                _done = true;
                Monitor.PulseAll(this);
            }
        }

        /// <summary>After the threads ended: what nobody took.</summary>
        public unsafe void* TakeAll()
        {
            lock (this)
            {
                void* b = (void*)_head;
                _head = 0;
                _count = 0;
                return b;
            }
        }
    }

    public override unsafe WorkloadResult Run<TAlloc>(TAlloc allocator)
    {
        var monitor = new WorkloadMonitor();
        var queue = new BatchQueue();
        var freed = new long[Workers];
        var clock = Stopwatch.StartNew();
        // Thread 2i releases, 2i + 1 allocates, as the original starts them.
        var threads = WorkerThreads.Start(allocator, 2 * Workers, monitor, (ref TAlloc a, int t) =>
        {
            if (t % 2 == 0) freed[t / 2] = Release(ref a, queue, monitor);
            else Produce(ref a, t / 2, queue, monitor);
        });
        monitor.StopAfter(TimeSpan.FromSeconds(Seconds));
        queue.Finish();
        WorkerThreads.JoinAll(threads);
        double seconds = clock.Elapsed.TotalSeconds;
        long total = freed.Sum();
        WorkerThreads.RunAttached(allocator, 0, monitor, (ref TAlloc a, int _) =>
        {
            for (void* b = queue.TakeAll(); b != null && !monitor.Corrupted;)
            {
                void* next = *(void**)b;
                if (FreeBatch(ref a, b, total, monitor) < 0) break;
                b = next;
            }
        });
        var result = monitor.Result(total, seconds);
        return result with { Original = new OriginalFigure("free/sec", result.OpsPerSecond * 1e-6, "M") };
    }

    /// <summary>An allocator thread: batches until the run is done.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe void Produce<TAlloc>(ref TAlloc allocator, int worker, BatchQueue queue, WorkloadMonitor monitor) where TAlloc : struct, IAllocator<TAlloc>
    {
        TAlloc a = allocator;
        var rng = new FastRandom((ulong)worker + 1);
        uint mixed = (uint)MixedSizes.Length;
        fixed (uint* sizes = MixedSizes)
        {
            while (!queue.Done)
            {
                void** batch = (void**)a.Alloc(BatchBytes);
                if (batch == null)
                {
                    monitor.OutOfMemory();
                    break;
                }
                void** objects = batch + 1;
                int i = 0;
                for (; i < ObjectsPerBatch; i++)
                {
                    uint s = ObjectSize > 0 ? 0 : FastRandom.Below(rng.Next(), mixed);
                    nuint size = ObjectSize > 0 ? (nuint)ObjectSize : sizes[s];
                    byte* p = (byte*)a.Alloc(size);
                    if (p == null) break;
                    Unsafe.InitBlockUnaligned(p, (byte)i, (uint)Math.Min(size, FillLimit));
                    objects[i] = Tagged(p, s);
                }
                if (i < ObjectsPerBatch)
                {
                    monitor.OutOfMemory();
                    while (--i >= 0) a.Free(Untagged(objects[i]), SizeOf(objects[i]));
                    a.Free(batch, BatchBytes);
                    break;
                }
                queue.Enqueue(batch);
            }
        }
        allocator = a;
    }

    /// <summary>A releaser thread: frees batches until the run is done; returns the objects it freed.</summary>
    private unsafe long Release<TAlloc>(ref TAlloc a, BatchQueue queue, WorkloadMonitor monitor) where TAlloc : struct, IAllocator<TAlloc>
    {
        long freed = 0;
        while (!queue.Done)
        {
            void* b = queue.Dequeue();
            if (b == null) continue;
            long n = FreeBatch(ref a, b, freed, monitor);
            if (n < 0) break;
            freed += n;
        }
        return freed;
    }

    /// <summary>Checks and frees a batch's objects, then the batch: the number of objects, or -1 at the
    /// first object whose head is not its fill (left allocated, with the rest of its batch).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe long FreeBatch<TAlloc>(ref TAlloc allocator, void* batch, long op, WorkloadMonitor monitor) where TAlloc : struct, IAllocator<TAlloc>
    {
        TAlloc a = allocator;
        void** objects = (void**)batch + 1;
        // Every object is at least 8 bytes in the mixed sizes; a fixed smaller one is checked whole.
        uint head = ObjectSize > 0 ? (uint)Math.Min(ObjectSize, 8) : 8;
        long n = 0;
        for (int i = 0; i < ObjectsPerBatch; i++)
        {
            byte* p = (byte*)Untagged(objects[i]);
            if (!HeadIs(p, head, (byte)i))
            {
                monitor.OverwrittenFill(op + i, p, head, $"object {i} of its batch no longer starts with {(byte)i}");
                allocator = a;
                return -1;
            }
            a.Free(p, SizeOf(objects[i]));
            n++;
        }
        a.Free(batch, BatchBytes);
        allocator = a;
        return n;
    }

    /// <summary>A batch's object with its size's index in the mixed sizes in the pointer's top byte (user
    /// addresses stay below 2^56): the sized free needs it, and the original's batch has no room for it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void* Tagged(void* p, uint sizeIndex) => (void*)((ulong)p | ((ulong)sizeIndex << 56));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void* Untagged(void* tagged) => (void*)((ulong)tagged & 0x00FF_FFFF_FFFF_FFFFUL);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private unsafe nuint SizeOf(void* tagged) => ObjectSize > 0 ? (nuint)ObjectSize : MixedSizes[(int)((ulong)tagged >> 56)];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe bool HeadIs(byte* p, uint bytes, byte value)
    {
        if (bytes == 8) return *(ulong*)p == value * 0x0101_0101_0101_0101UL;
        for (uint k = 0; k < bytes; k++)
            if (p[k] != value) return false;
        return true;
    }
}
