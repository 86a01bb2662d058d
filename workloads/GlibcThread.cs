using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Hakmem.Workloads;

/// <summary>glibc_thread <c>[threads [seconds]]</c> (defaults 1 and 2; mimalloc-bench: <c>glibc-thread P</c>):
/// glibc's bench-malloc-thread as mimalloc-bench modified it. Each thread keeps 1024 slots and, until the
/// time is up, frees the block of a slot and allocates a new one there, writing every byte (byte i holds
/// i); slots and sizes (4 bytes to 32 KiB, inverse-square: mostly small) come from two fixed tables that
/// every thread walks the same way. One thread runs on the calling thread (glibc's main arena), more run
/// on threads of their own. Throughput = iterations per second; the original prints the iteration count
/// (given as its figure).
///
/// Changed from the original: before a block is freed its first 4 bytes (every block has at least 4) are
/// read and must still be 0, 1, 2, 3: a block handed out twice is corruption once its other holder freed
/// it. No block tag: every byte is the original's. The run frees what it holds at the end (the original
/// exits with it). The tables come from our generator (the original's from rand()), with its lengths and
/// distributions; the duration, fixed at 2 s in the original, is an argument.</summary>
public sealed record GlibcThread(int ThreadCount, double Seconds) : WorkloadSpec
{
    public const string UsageText = "[threads [seconds]]";
    private const int WorkingSet = 1024, SizeCount = 8000, OffsetCount = WorkingSet * 4;
    private const double MinSize = 4, MaxSize = 32768;

    public override string Name => "glibc_thread";
    public override string Usage => UsageText;
    public override int Threads => ThreadCount;
    public override int? ThreadArgument => 0;
    public override IReadOnlyList<string> Arguments => [ThreadCount.ToString(), Format(Seconds)];
    public override WorkloadSpec WithThreads(int threads) => this with { ThreadCount = threads };
    public override WorkloadSpec Warmup() => this with { Seconds = Math.Min(0.2, Seconds / 10) };

    public static GlibcThread Parse(IReadOnlyList<string> args)
    {
        var r = new ArgReader("glibc_thread", UsageText, args, 0);
        r.End(2);
        int threads = r.HasMore ? (int)r.Long("threads", 1, 1024) : 1;
        double seconds = r.HasMore ? r.Double("seconds", 0.001, 86_400) : 2;
        return new GlibcThread(threads, seconds);
    }

    /// <summary>The sizes: inverse-square between 4 and 32768 bytes (the inverse of a uniform draw between
    /// 1/32768 and 1/4), as the original's get_block_size.</summary>
    public static uint[] SizeTable()
    {
        var rng = new FastRandom(88);
        var sizes = GC.AllocateArray<uint>(SizeCount, pinned: true);
        for (int i = 0; i < SizeCount; i++)
        {
            double r = rng.Next() / (double)uint.MaxValue;
            sizes[i] = (uint)Math.Clamp(1 / ((1 / MaxSize - 1 / MinSize) * r + 1 / MinSize), MinSize, MaxSize);
        }
        return sizes;
    }

    private static ushort[] OffsetTable()
    {
        var rng = new FastRandom(89);
        var offsets = GC.AllocateArray<ushort>(OffsetCount, pinned: true);
        for (int i = 0; i < OffsetCount; i++) offsets[i] = (ushort)FastRandom.Below(rng.Next(), WorkingSet);
        return offsets;
    }

    public override WorkloadResult Run<TAlloc>(TAlloc allocator)
    {
        var monitor = new WorkloadMonitor();
        uint[] sizes = SizeTable();
        ushort[] offsets = OffsetTable();
        var iterations = new long[ThreadCount];
        WorkerBody<TAlloc> body = (ref TAlloc a, int t) => iterations[t] = Loop(ref a, sizes, offsets, monitor);
        var clock = Stopwatch.StartNew();
        using (new Timer(_ => monitor.Stop(), null, TimeSpan.FromSeconds(Seconds), Timeout.InfiniteTimeSpan))
        {
            if (ThreadCount == 1) WorkerThreads.RunAttached(allocator, 0, monitor, body);
            else WorkerThreads.Run(allocator, ThreadCount, monitor, body);
        }
        double seconds = clock.Elapsed.TotalSeconds;
        long total = iterations.Sum();
        return monitor.Result(total, seconds) with { Original = new OriginalFigure("iterations", total, "") };
    }

    /// <summary>One thread's loop until the time is up; then frees its slots. Returns its iterations.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe long Loop<TAlloc>(ref TAlloc allocator, uint[] sizeTable, ushort[] offsetTable, WorkloadMonitor monitor)
        where TAlloc : struct, IAllocator<TAlloc>
    {
        TAlloc a = allocator;
        var slotArray = GC.AllocateArray<nint>(WorkingSet, pinned: true);
        var sizeArray = GC.AllocateArray<uint>(WorkingSet, pinned: true); // each slot's block size, for the sized free
        long iterations = 0;
        int sizeState = 0, offsetState = 0;
        bool intact = true;
        fixed (nint* slots = slotArray)
        fixed (uint* slotSizes = sizeArray)
        fixed (uint* sizes = sizeTable)
        fixed (ushort* offsets = offsetTable)
        {
            // At least one iteration: a thread the scheduler started after the time was up still counts one.
            do
            {
                if (++offsetState == OffsetCount) offsetState = 0;
                if (++sizeState == SizeCount) sizeState = 0;
                int at = offsets[offsetState];
                nint* slot = slots + at;
                uint size = sizes[sizeState];
                byte* old = (byte*)*slot;
                if (old != null)
                {
                    if (!CountingBytes.HeadIntact(old, 4))
                    {
                        monitor.OverwrittenFill(iterations, old, 4, "its first 4 bytes are no longer 0, 1, 2, 3");
                        intact = false;
                        break;
                    }
                    a.Free(old, slotSizes[at]);
                }
                byte* p = (byte*)a.Alloc(size);
                *slot = (nint)p;
                slotSizes[at] = size;
                if (p == null)
                {
                    monitor.OutOfMemory();
                    break;
                }
                CountingBytes.Fill(p, size);
                iterations++;
            } while (!monitor.StopRequested);
            if (intact && !monitor.Corrupted)
            {
                for (int i = 0; i < WorkingSet; i++)
                {
                    byte* p = (byte*)slots[i];
                    if (p == null) continue;
                    if (!CountingBytes.HeadIntact(p, 4))
                    {
                        monitor.OverwrittenFill(iterations, p, 4, "its first 4 bytes are no longer 0, 1, 2, 3");
                        break;
                    }
                    a.Free(p, slotSizes[i]);
                }
            }
        }
        allocator = a;
        return iterations;
    }
}
