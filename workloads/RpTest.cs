using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Hakmem.Workloads;

/// <summary>rptest <c>threads mode size_mode cross_rate loops allocs op_count min_size [max_size]</c>
/// (mimalloc-bench: <c>rptest P 0 1 2 500 1000 100 8 16000</c>): Mattias Jansson's rpmalloc benchmark. Each
/// thread keeps <c>allocs</c> slots and, loop after loop, frees a varying share of them (30-99% of 0.8 x
/// op_count) and refills as many (30-99% of op_count), walking the slots with prime strides; sizes come
/// from a table of 2000 (mode 0: random between min_size and max_size, evenly, or dropping off linearly or
/// exponentially by size_mode; mode 1: min_size). Every cross_rate-th loop it also allocates a batch of blocks
/// and hands it to the next thread, which frees it at its next loop (the cross-thread churn). Each block is
/// filled as the original's benchmark_malloc does (calloc, or memalign and 0xCD for two of three small
/// ones), then gets its size in its first 4 bytes and a 1 on each page and in its last byte; its size is
/// read back when it is freed. Two iterations per thread, each ending when all threads meet (draining what
/// they are handed while they wait); the whole run is done twice, with new threads. Throughput = mallocs and
/// frees per wall-second; the original's figure, memory ops per CPU second (per second of the threads'
/// timed sections), is given beside it.
///
/// Changed from the original: the size read back on a free is checked against the size the block was
/// allocated with (its index in the size table rides in the top 16 bits of the pointer the thread keeps, so
/// the check adds no memory access): a block two threads hold at once, or one the allocator wrote into, is
/// corruption. No block tag: the fill writes every byte. The threads start and meet without the original's
/// sleeps (its seconds of waiting for memory samples, the lab measures memory itself; its 10 ms polls of the
/// start flag and 1 ms polls of a meeting): a waiting thread spins, so all start an iteration together, and
/// none hands batches for long to one still asleep (which made the peak of live bytes, and of RSS, measure
/// thread start-up and sleep lengths); memalign is a plain
/// allocation (the lab's allocators align to 16 bytes, more than the 8 or 16 asked) and calloc an allocation
/// cleared. The table's random sizes and op counts come from our generator, with the original's lengths
/// and ranges. Every malloc and free is counted, the original leaves out a few of its final frees.</summary>
public sealed record RpTest(int ThreadCount, int Mode, int SizeMode, int CrossRate, int Loops, int Allocs, int OpCount, int MinSize, int MaxSize) : WorkloadSpec
{
    public const string UsageText = "threads mode size_mode cross_rate loops allocs op_count min_size [max_size]";
    private const int SizeCount = 2000, AllocOpCount = 311, FreeOpCount = 257, Rounds = 2, Iterations = 2;
    private const int MaxThreads = 1000, MaxCount = 0x00FF_FFFF;
    private const int AddressBits = 48;
    private const ulong AddressMask = (1UL << AddressBits) - 1;

    public override string Name => "rptest";
    public override string Usage => UsageText;
    public override int Threads => ThreadCount;
    public override int? ThreadArgument => 0;
    public override IReadOnlyList<string> Arguments =>
        [ThreadCount.ToString(), Mode.ToString(), SizeMode.ToString(), CrossRate.ToString(), Loops.ToString(), Allocs.ToString(), OpCount.ToString(), MinSize.ToString(), MaxSize.ToString()];
    public override WorkloadSpec WithThreads(int threads) => this with { ThreadCount = threads };
    public override WorkloadSpec Warmup() => this with { Loops = Math.Min(LoopCount, 20) };

    /// <summary>The original's defaults for 0: 800K loops, 10K slots, 1000 operations.</summary>
    public int LoopCount => Loops == 0 ? 800 * 1024 : Loops;
    public int SlotCount => Allocs == 0 ? 10 * 1024 : Allocs;
    public int OperationCount => OpCount == 0 ? 1000 : OpCount;
    /// <summary>One thread hands nothing to another.</summary>
    public int EffectiveCrossRate => ThreadCount == 1 ? 0 : CrossRate;

    public static RpTest Parse(IReadOnlyList<string> args)
    {
        var r = new ArgReader("rptest", UsageText, args, 8);
        r.End(9);
        int threads = (int)r.Long("threads", 1, MaxThreads);
        int mode = (int)r.Long("mode", 0, 1);
        int sizeMode = (int)r.Long("size_mode", 0, 2);
        int crossRate = (int)r.Long("cross_rate", 0, int.MaxValue);
        int loops = (int)r.Long("loops", 0, MaxCount);
        int allocs = (int)r.Long("allocs", 0, MaxCount);
        int ops = (int)r.Long("op_count", 0, MaxCount);
        // Every block gets its size in its first 4 bytes.
        int min = (int)r.Long("min_size", 4, (long)BlockTag.MaxSize);
        int max = r.HasMore ? (int)r.Long("max_size", 0, (long)BlockTag.MaxSize) : 0;
        if (mode == 0 && max < min) throw r.Error($"mode 0 (random sizes) needs max_size at least min_size {min}, got {max}");
        return new RpTest(threads, mode, sizeMode, crossRate, loops, allocs, ops, min, max);
    }

    /// <summary>The run's tables: sizes, operation counts per loop, and the slot strides.</summary>
    private sealed class Tables
    {
        public readonly uint[] Sizes = GC.AllocateArray<uint>(SizeCount, pinned: true);
        public readonly int[] AllocOps = new int[AllocOpCount];
        public readonly int[] FreeOps = new int[FreeOpCount];
        public int AllocScatter, FreeScatter;
    }

    private Tables MakeTables()
    {
        var t = new Tables();
        var rng = new FastRandom(0x7270_7465_7374); // the table is fixed: the same sizes on every backend
        var even = new long[SizeCount];
        long range = MaxSize - MinSize;
        for (int i = 0; i < SizeCount; i++) even[i] = MinSize + (long)Math.Round(range * (FastRandom.Below(rng.Next(), 100_000) / 100_000.0), MidpointRounding.AwayFromZero);
        double span = range == 0 ? 1 : range;
        for (int i = 0; i < SizeCount; i++)
        {
            long size = even[i];
            if (Mode == 1) size = MinSize;
            else if (SizeMode > 0)
            {
                // The original's drop-offs: weights of two neighbours applied to a third's offset.
                double w0 = 1 - (even[i] - MinSize) / span, w1 = 1 - (even[(i + 1) % SizeCount] - MinSize) / span;
                double offset = even[(i + 2) % SizeCount] - MinSize;
                size = MinSize + (long)(offset * (SizeMode == 1 ? Math.Abs(w0 + w1 - 1) : w0 * w1));
            }
            t.Sizes[i] = (uint)size;
        }
        for (int i = 0; i < AllocOpCount; i++) t.AllocOps[i] = (int)(OperationCount * ((30 + FastRandom.Below(rng.Next(), 70)) / 100.0));
        for (int i = 0; i < FreeOpCount; i++) t.FreeOps[i] = (int)(0.8 * OperationCount * ((30 + FastRandom.Below(rng.Next(), 70)) / 100.0));
        // Strides through the slots: primes from 7 that do not divide the slot count.
        var primes = Enumerable.Range(7, 1000).Where(n => Enumerable.Range(2, (int)Math.Sqrt(n) - 1).All(d => n % d != 0)).Where(p => SlotCount % p != 0).ToArray();
        t.AllocScatter = primes[0];
        t.FreeScatter = primes[1];
        return t;
    }

    /// <summary>Per thread: a stack of batches handed to it by others (heads 128 bytes apart).</summary>
    private sealed class Inboxes(int threads)
    {
        private readonly nint[] _heads = GC.AllocateArray<nint>(threads * 16, pinned: true);

        public unsafe void Push(int thread, Batch* batch)
        {
            ref nint head = ref _heads[thread * 16];
            nint old = Volatile.Read(ref head);
            while (true)
            {
                batch->Next = (Batch*)old;
                nint seen = Interlocked.CompareExchange(ref head, (nint)batch, old);
                if (seen == old) return;
                old = seen;
            }
        }

        public unsafe Batch* TakeAll(int thread) => (Batch*)Interlocked.Exchange(ref _heads[thread * 16], 0);
    }

    /// <summary>The original's thread_pointers: a batch of blocks on its way to another thread.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private unsafe struct Batch
    {
        public ulong* Pointers;
        public long Count;
        public Batch* Next;
        public long Unused; // the original's pointer to the sender's counter of bytes
    }

    /// <summary>What the threads of one round share.</summary>
    private sealed class Round(int threads, Tables tables, WorkloadMonitor monitor)
    {
        public readonly Tables Tables = tables;
        public readonly WorkloadMonitor Monitor = monitor;
        public readonly Inboxes Inboxes = new(threads);
        /// <summary>Threads arrived at each meeting: the start, the end of each iteration, the end.</summary>
        public readonly int[] Arrived = new int[Iterations + 2];
        public readonly long[] Ops = new long[threads];
        public readonly long[] Ticks = new long[threads];
    }

    public override WorkloadResult Run<TAlloc>(TAlloc allocator)
    {
        var monitor = new WorkloadMonitor();
        var tables = MakeTables();
        long ops = 0, ticks = 0;
        var clock = Stopwatch.StartNew();
        for (int round = 0; round < Rounds && !monitor.StopRequested; round++)
        {
            var shared = new Round(ThreadCount, tables, monitor);
            WorkerThreads.Run(allocator, ThreadCount, monitor, (ref TAlloc a, int t) => Worker(ref a, t, shared));
            ops += shared.Ops.Sum();
            ticks += shared.Ticks.Sum();
        }
        double seconds = clock.Elapsed.TotalSeconds;
        double cpu = (double)ticks / Stopwatch.Frequency;
        return monitor.Result(ops, seconds) with { Original = new OriginalFigure("memory ops/CPU second", cpu > 0 ? Math.Floor(ops / cpu) : 0, "") };
    }

    /// <summary>One thread of a round: its two iterations, each ended by a meeting of all threads.</summary>
    private unsafe void Worker<TAlloc>(ref TAlloc a, int index, Round round) where TAlloc : struct, IAllocator<TAlloc>
    {
        var monitor = round.Monitor;
        nuint pointersBytes = (nuint)SlotCount * sizeof(ulong);
        ulong* pointers = (ulong*)a.Alloc(pointersBytes);
        if (pointers == null)
        {
            monitor.OutOfMemory();
            return;
        }
        NativeMemory.Clear(pointers, pointersBytes);
        long ops = 0, ticks = 0;
        var cursor = new Cursor();
        // All threads start together, as the original's start flag has them: a thread that started early
        // would hand batches to one not yet running, and the live bytes would measure the thread start.
        Meet(ref a, index, 0, round, ref ops, ref ticks);
        for (int iter = 0; iter < Iterations && !monitor.StopRequested; iter++)
        {
            Iteration(ref a, index, iter, pointers, ref cursor, round, ref ops, ref ticks);
            Meet(ref a, index, iter + 1, round, ref ops, ref ticks);
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < SlotCount && !monitor.Corrupted; i++)
            {
                if (pointers[i] == 0) continue;
                if (!FreeChecked(ref a, pointers[i], round.Tables, ops, monitor)) break;
                pointers[i] = 0;
                ops++;
            }
            ticks += Stopwatch.GetTimestamp() - start;
        }
        Meet(ref a, index, Iterations + 1, round, ref ops, ref ticks);
        if (!monitor.Corrupted) a.Free(pointers, pointersBytes);
        round.Ops[index] = ops;
        round.Ticks[index] = ticks;
    }

    /// <summary>A thread's positions: where its next free and next allocation go, the next thread it hands
    /// a batch to.</summary>
    private struct Cursor
    {
        public int FreeIndex, AllocIndex, CrossIndex;
    }

    /// <summary>One iteration's loops.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe void Iteration<TAlloc>(ref TAlloc allocator, int index, int iter, ulong* pointers, ref Cursor cursor, Round round, ref long opsOut, ref long ticksOut)
        where TAlloc : struct, IAllocator<TAlloc>
    {
        TAlloc a = allocator;
        var monitor = round.Monitor;
        var tables = round.Tables;
        int slots = SlotCount, crossRate = EffectiveCrossRate, threads = ThreadCount;
        int allocScatter = tables.AllocScatter, freeScatter = tables.FreeScatter;
        int sizeIndex = (index + 1) * ((iter + 1) * 37) % SizeCount;
        int freeIdx = cursor.FreeIndex, allocIdx = cursor.AllocIndex, crossIndex = cursor.CrossIndex;
        long ops = opsOut, ticks = ticksOut;
        bool handOut = true;
        fixed (uint* sizes = tables.Sizes)
        {
            for (int loop = 0; loop < LoopCount; loop++)
            {
                if (monitor.StopRequested) break;
                Batch* foreign = round.Inboxes.TakeAll(index);
                long start = Stopwatch.GetTimestamp();
                int freeCount = tables.FreeOps[(iter + loop) % FreeOpCount], allocCount = tables.AllocOps[(iter + loop) % AllocOpCount];
                for (int op = 0; op < freeCount; op++)
                {
                    if (pointers[freeIdx] != 0)
                    {
                        if (!FreeChecked(ref a, pointers[freeIdx], tables, ops, monitor)) goto stop;
                        pointers[freeIdx] = 0;
                        ops++;
                    }
                    freeIdx = (freeIdx + freeScatter) % slots;
                }
                long freedForeign = FreeBatches(ref a, foreign, tables, ops, monitor);
                if (freedForeign < 0) goto stop;
                ops += freedForeign;
                for (int op = 0; op < allocCount; op++)
                {
                    if (pointers[allocIdx] != 0)
                    {
                        if (!FreeChecked(ref a, pointers[allocIdx], tables, ops, monitor)) goto stop;
                        ops++;
                    }
                    int s = (sizeIndex + 2) % SizeCount;
                    ulong p = AllocFilled(ref a, s, sizes[s], (sizeIndex + op) % 3 != 0);
                    if (p == 0)
                    {
                        pointers[allocIdx] = 0;
                        monitor.OutOfMemory();
                        goto stop;
                    }
                    pointers[allocIdx] = p;
                    ops++;
                    allocIdx = (allocIdx + allocScatter) % slots;
                    sizeIndex = (sizeIndex + 1) % SizeCount;
                }
                if (crossRate != 0 && loop % crossRate == 0 && handOut)
                {
                    Batch* batch = HandOut(ref a, sizeIndex, sizes, allocCount, monitor);
                    if (batch == null) goto stop;
                    ops += 2 + allocCount;
                    crossIndex = (crossIndex + 1) % threads;
                    if (threads > 1 && crossIndex == index) crossIndex = (crossIndex + 1) % threads;
                    round.Inboxes.Push(crossIndex, batch);
                }
                ticks += Stopwatch.GetTimestamp() - start;
                // Once a thread has finished this iteration, the others stop handing out: it would wait for them.
                if (Volatile.Read(ref round.Arrived[iter + 1]) > 0) handOut = false;
            }
        }
    stop:
        cursor = new Cursor { FreeIndex = freeIdx, AllocIndex = allocIdx, CrossIndex = crossIndex };
        opsOut = ops;
        ticksOut = ticks;
        allocator = a;
    }

    /// <summary>A batch of allocCount blocks of one size for another thread; null when out of memory.</summary>
    private unsafe Batch* HandOut<TAlloc>(ref TAlloc a, int sizeIndex, uint* sizes, int allocCount, WorkloadMonitor monitor) where TAlloc : struct, IAllocator<TAlloc>
    {
        var batch = (Batch*)a.Alloc((nuint)sizeof(Batch));
        ulong* pointers = batch == null ? null : (ulong*)a.Alloc((nuint)allocCount * sizeof(ulong));
        if (pointers == null)
        {
            if (batch != null) a.Free(batch, (nuint)sizeof(Batch));
            monitor.OutOfMemory();
            return null;
        }
        Unsafe.InitBlockUnaligned(batch, 0xCD, (uint)sizeof(Batch));
        Unsafe.InitBlockUnaligned(pointers, 0xCD, (uint)allocCount * sizeof(ulong));
        int s = (sizeIndex + 2) % SizeCount;
        for (int op = 0; op < allocCount; op++)
        {
            ulong p = AllocFilled(ref a, s, sizes[s], (sizeIndex + op) % 3 != 0);
            if (p == 0)
            {
                monitor.OutOfMemory();
                return null;
            }
            pointers[op] = p;
        }
        batch->Pointers = pointers;
        batch->Count = allocCount;
        return batch;
    }

    /// <summary>Frees a chain of batches handed to this thread: the operations, or -1 at a corrupt block.</summary>
    private unsafe long FreeBatches<TAlloc>(ref TAlloc a, Batch* batch, Tables tables, long op, WorkloadMonitor monitor) where TAlloc : struct, IAllocator<TAlloc>
    {
        long ops = 0;
        while (batch != null)
        {
            for (long i = 0; i < batch->Count; i++)
            {
                if (!FreeChecked(ref a, batch->Pointers[i], tables, op + ops, monitor)) return -1;
                ops++;
            }
            Batch* next = batch->Next;
            a.Free(batch->Pointers, (nuint)batch->Count * sizeof(ulong));
            a.Free(batch, (nuint)sizeof(Batch));
            ops += 2;
            batch = next;
        }
        return ops;
    }

    /// <summary>A meeting (the start, the end of an iteration): wait until every thread got here, freeing what is
    /// handed to this one meanwhile (the wait is not timed, the frees are). The wait spins and yields, never
    /// sleeps: a thread that slept a millisecond would leave the meeting that much after the others, which
    /// meanwhile hand it batches it is not there to free.</summary>
    private unsafe void Meet<TAlloc>(ref TAlloc a, int index, int phase, Round round, ref long ops, ref long ticks) where TAlloc : struct, IAllocator<TAlloc>
    {
        Interlocked.Increment(ref round.Arrived[phase]);
        var spinner = new SpinWait();
        while (true)
        {
            bool all = Volatile.Read(ref round.Arrived[phase]) >= ThreadCount || round.Monitor.StopRequested;
            Batch* foreign = round.Inboxes.TakeAll(index);
            if (foreign != null && !round.Monitor.Corrupted)
            {
                long start = Stopwatch.GetTimestamp();
                long n = FreeBatches(ref a, foreign, round.Tables, ops, round.Monitor);
                ticks += Stopwatch.GetTimestamp() - start;
                if (n < 0) return;
                ops += n;
            }
            if (all) return; // everything handed before the last arrival has been taken above
            spinner.SpinOnce(sleep1Threshold: -1);
        }
    }

    /// <summary>A block of the size at table index s, filled as the original's benchmark_malloc and loop do;
    /// the pointer with the index in its top bits, or 0 when out of memory.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private unsafe ulong AllocFilled<TAlloc>(ref TAlloc a, int s, uint tableSize, bool aligned) where TAlloc : struct, IAllocator<TAlloc>
    {
        uint size = Mode == 1 ? (uint)MinSize : tableSize;
        byte* p = (byte*)a.Alloc(size);
        if (p == null) return 0;
        if (aligned && size < 4096) Unsafe.InitBlockUnaligned(p, 0xCD, size); // memalign, then memset
        else Unsafe.InitBlockUnaligned(p, 0, size); // calloc
        *(int*)p = (int)size;
        uint pages = (size - 1) / 4096;
        for (uint page = 1; page < pages; page++) p[page * 4096] = 1;
        p[size - 1] = 1;
        if ((ulong)p >> AddressBits != 0) throw AddressTooHigh(p);
        return (ulong)p | ((ulong)s << AddressBits);
    }

    /// <summary>Reads back the size a block holds (the original's read), checks it against the size it was
    /// allocated with, and frees it; false (not freed) when they differ.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private unsafe bool FreeChecked<TAlloc>(ref TAlloc a, ulong tagged, Tables tables, long op, WorkloadMonitor monitor) where TAlloc : struct, IAllocator<TAlloc>
    {
        void* p = (void*)(tagged & AddressMask);
        int expected = Mode == 1 ? MinSize : (int)tables.Sizes[tagged >> AddressBits];
        int seen = *(int*)p;
        if (seen != expected)
        {
            monitor.OverwrittenFill(op, p, (nuint)expected, $"its first 4 bytes hold {seen}, not its size");
            return false;
        }
        a.Free(p, (nuint)expected);
        return true;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static unsafe InvalidOperationException AddressTooHigh(void* p) =>
        new($"rptest: block 0x{(nint)p:x} lies above 2^{AddressBits}: the pointer has no room for the size index it carries");
}
