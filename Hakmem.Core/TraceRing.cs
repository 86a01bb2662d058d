using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Hakmem;

/// <summary>What a trace event records.</summary>
internal enum TraceKind : byte { Alloc, Free, Refill, Drain, Spill, Adopt }

/// <summary>One event of a trace ring: when (Stopwatch ticks), which thread, what, the block or span, its
/// class and route, and a count (blocks refilled, drained, spilled). 32 bytes.</summary>
[StructLayout(LayoutKind.Sequential, Size = 32)]
internal struct TraceEvent
{
    public long Time;
    public ulong Pointer;
    public uint Count;
    public int Thread;
    public short Class;
    public TraceKind Kind;
    public Route Route;
}

/// <summary>The last events of one thread cache (HAKMEM_TINY_TRACE_RING): a header and a power-of-two
/// array written round and round. Lives in the rings' mapping, never the GC heap.</summary>
[StructLayout(LayoutKind.Sequential, Size = 16)]
internal struct TraceRingHeader
{
    public long Next;
    public int Thread;
    public int Mask;
}

/// <summary>The trace rings of the process: one mapping holding a file header and ring after ring, handed
/// to thread caches as they are made (a pooled cache keeps its ring). With HAKMEM_TINY_TRACE_RING_FILE the
/// mapping is a shared mapping of that file, so the rings can be read after the process died, however
/// it died; <see cref="Decode"/> turns the file into text. Ring 0 is shared by events without a thread
/// cache (large blocks, frees from threads that have none).</summary>
internal static unsafe class TraceRings
{
    private const ulong Magic = 0x31454341_52544B48; // "HKTRACE1"
    private const int HeaderBytes = 64;
    private const long MaxBytes = 64L << 20;

    [StructLayout(LayoutKind.Sequential)]
    private struct FileHeader
    {
        public ulong Magic;
        public int RingSize;
        public int MaxRings;
        public int UsedRings;
        public int Pad;
        public long TicksPerSecond;
    }

    private static readonly byte* s_base = Map();

    private static long RingBytes(int size) => sizeof(TraceRingHeader) + (long)size * sizeof(TraceEvent);

    private static byte* Map()
    {
        if (!Trace.Ring) return null;
        int size = Trace.RingSize;
        int rings = (int)Math.Clamp((MaxBytes - HeaderBytes) / RingBytes(size), 16, 4096);
        long bytes = HeaderBytes + rings * RingBytes(size);
        byte* p = Trace.RingFile is string file ? Os.MapFile(file, bytes) : (byte*)Os.Map((nuint)bytes);
        if (p == null) return null; // no memory for the rings: the run goes on without them
        var h = (FileHeader*)p;
        h->RingSize = size;
        h->MaxRings = rings;
        h->TicksPerSecond = Stopwatch.Frequency;
        h->UsedRings = 1; // ring 0: events without a thread cache
        Ring(p, 0)->Mask = size - 1;
        h->Magic = Magic;
        return p;
    }

    private static TraceRingHeader* Ring(byte* b, int i) => (TraceRingHeader*)(b + HeaderBytes + i * RingBytes(((FileHeader*)b)->RingSize));

    /// <summary>A ring for a new thread cache; null when there is no room left (its events go unrecorded).</summary>
    public static TraceRingHeader* Acquire(int thread)
    {
        if (s_base == null) return null;
        var h = (FileHeader*)s_base;
        int i = Interlocked.Increment(ref h->UsedRings) - 1;
        if (i >= h->MaxRings) return null;
        var r = Ring(s_base, i);
        r->Mask = h->RingSize - 1;
        r->Thread = thread;
        return r;
    }

    public static TraceRingHeader* Shared => s_base == null ? null : Ring(s_base, 0);

    public static void Record(TraceRingHeader* ring, bool shared, TraceKind kind, Route route, int cls, void* p, long count, int thread)
    {
        if (ring == null) return;
        long i = shared ? Interlocked.Increment(ref ring->Next) - 1 : ring->Next++;
        var e = (TraceEvent*)((byte*)ring + sizeof(TraceRingHeader)) + (i & ring->Mask);
        e->Time = Stopwatch.GetTimestamp();
        e->Pointer = (ulong)p;
        e->Count = (uint)Math.Min(count, uint.MaxValue);
        e->Thread = thread;
        e->Class = (short)cls;
        e->Kind = kind;
        e->Route = route;
    }

    /// <summary>The rings of a file written by a process with HAKMEM_TINY_TRACE_RING_FILE, as text: the last
    /// <paramref name="last"/> events of all threads merged in time order, oldest first, the newest last.</summary>
    public static string Decode(ReadOnlySpan<byte> file, int last)
    {
        if (file.Length < HeaderBytes) return "no trace ring (the file is empty)";
        var h = MemoryMarshal.Read<FileHeader>(file);
        if (h.Magic != Magic) return "no trace ring (not a trace ring file)";
        int used = Math.Min(h.UsedRings, h.MaxRings);
        long ringBytes = RingBytes(h.RingSize);
        var events = new List<TraceEvent>();
        for (int i = 0; i < used; i++)
        {
            long at = HeaderBytes + i * ringBytes;
            if (at + ringBytes > file.Length) break;
            var r = MemoryMarshal.Read<TraceRingHeader>(file[(int)at..]);
            long n = Math.Min(r.Next, h.RingSize);
            for (long k = r.Next - n; k < r.Next; k++)
                events.Add(MemoryMarshal.Read<TraceEvent>(file[(int)(at + sizeof(TraceRingHeader) + (k & (h.RingSize - 1)) * sizeof(TraceEvent))..]));
        }
        events.Sort((a, b) => a.Time.CompareTo(b.Time));
        var shown = events.Skip(Math.Max(0, events.Count - last)).ToList();
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"hakmem trace ring: the last {shown.Count} of {events.Count} events kept ({h.RingSize} per thread, {used - 1} thread caches), oldest first; times before the last event");
        long end = shown.Count > 0 ? shown[^1].Time : 0;
        foreach (var e in shown)
        {
            double us = (end - e.Time) * 1e6 / h.TicksPerSecond;
            string what = e.Kind switch
            {
                TraceKind.Alloc or TraceKind.Free => RouteName(e.Route),
                TraceKind.Refill => $"refill {(e.Route == Route.RefillBatch ? "batch" : "single")} x{e.Count}",
                TraceKind.Drain => $"drain x{e.Count}",
                TraceKind.Spill => $"spill x{e.Count}",
                _ => "adopt",
            };
            string cls = e.Class >= 0 && e.Class < SizeClasses.Count ? $"class {e.Class} ({SizeClasses.BlockSize(e.Class)} B)" : "large";
            string obj = e.Kind is TraceKind.Alloc or TraceKind.Free ? "block" : "span";
            string ago = us == 0 ? "0.000" : (-us).ToString("0.000", CultureInfo.InvariantCulture);
            text.AppendLine(CultureInfo.InvariantCulture, $"  {ago,12} us  thread {e.Thread,-5} {what,-22} {cls,-20} {obj} 0x{e.Pointer:x}");
        }
        return text.ToString();
    }

    private static string RouteName(Route r) => r switch
    {
        Route.FreeFast => "free fast", Route.FreeSll => "free sll", Route.FreeList => "free list", Route.FreeSpan => "free span",
        Route.FreeRemote => "free remote", Route.FreeLarge => "free large", Route.AllocFast => "alloc fast", Route.AllocSll => "alloc sll",
        Route.AllocList => "alloc list", Route.AllocSpan => "alloc span (refill)", Route.AllocLarge => "alloc large", _ => r.ToString(),
    };
}
