using System.Runtime.InteropServices;
using Hakmem;

namespace Hakmem.Tests;

/// <summary>The trace ring file's decoding, on a file built by hand (the rings themselves switch on per
/// process, from the environment; the lab's tests run them in workers).</summary>
public unsafe class TraceRingTests
{
    [Fact]
    public void A_ring_file_decodes_to_the_last_events_of_all_threads_in_time_order()
    {
        const int size = 4, header = 64;
        int ring = sizeof(TraceRingHeader) + size * sizeof(TraceEvent);
        var file = new byte[header + 3 * ring];
        fixed (byte* f = file)
        {
            *(ulong*)f = 0x31454341_52544B48;
            ((int*)f)[2] = size;
            ((int*)f)[3] = 16;
            ((int*)f)[4] = 3;
            ((long*)f)[3] = 1_000_000; // ticks per second: 1 us a tick
            Ring(f, 1, 7, (10, TraceKind.Alloc, Route.AllocFast, 3, 0x1000), (30, TraceKind.Free, Route.FreeRemote, 3, 0x2000));
            // Six events in a ring of four: the first two were overwritten.
            Ring(f, 2, 8, (1, TraceKind.Alloc, Route.AllocSll, 1, 0x10), (2, TraceKind.Alloc, Route.AllocSll, 1, 0x20), (20, TraceKind.Drain, default, 2, 0x3000),
                (25, TraceKind.Spill, default, 2, 0x4000), (40, TraceKind.Free, Route.FreeFast, 1, 0x5000), (50, TraceKind.Refill, Route.RefillBatch, 1, 0x6000));
        }
        string text = TraceRings.Decode(file, last: 5);
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).ToList();
        Assert.Contains("the last 5 of 6 events kept", text);
        Assert.Equal(5, lines.Count);
        Assert.Contains("drain", lines[0]);
        Assert.Contains("spill", lines[1]);
        Assert.Contains("thread 7     free remote", lines[2]);
        Assert.Contains("-20.000 us", lines[2]);
        Assert.Contains("thread 8     free fast", lines[3]);
        Assert.Contains("refill batch", lines[4]);
        Assert.Contains(" 0.000 us", lines[4]);
        Assert.DoesNotContain("0x10\n", text);

        static void Ring(byte* f, int i, int thread, params (long Time, TraceKind Kind, Route Route, int Class, ulong P)[] events)
        {
            {
                int ring = sizeof(TraceRingHeader) + size * sizeof(TraceEvent);
                var h = (TraceRingHeader*)(f + header + i * ring);
                h->Thread = thread;
                h->Mask = size - 1;
                h->Next = events.Length;
                var e = (TraceEvent*)((byte*)h + sizeof(TraceRingHeader));
                for (int k = 0; k < events.Length; k++)
                    e[k & (size - 1)] = new TraceEvent { Time = events[k].Time, Kind = events[k].Kind, Route = events[k].Route, Class = (short)events[k].Class, Pointer = events[k].P, Thread = thread };
            }
        }
    }

    [Theory]
    [InlineData(null, 0)]
    [InlineData("0", 0)]
    [InlineData("1", 256)]
    [InlineData("100", 128)]
    [InlineData("4096", 4096)]
    public void HAKMEM_TINY_TRACE_RING_gives_the_ring_size(string? value, int size)
    {
        Assert.Equal(size, HakmemTrace.RingSize(value));
    }

    [Fact]
    public void A_bad_ring_size_is_refused_naming_it()
    {
        var e = Assert.Throws<ArgumentException>(() => HakmemTrace.RingSize("lots"));
        Assert.Contains("HAKMEM_TINY_TRACE_RING='lots'", e.Message);
    }
}
