using Hakmem;

namespace Hakmem.Tests;

/// <summary>Two heaps used by two threads at once: errors about the other heap's pointers never take
/// both heaps' locks in opposite orders.</summary>
public unsafe class CrossHeapTests
{
    [Fact]
    public void Two_threads_freeing_each_others_heaps_large_blocks_do_not_deadlock()
    {
        // Not disposed on failure: Dispose would wait for the lock a deadlocked thread holds.
        var a = new HakmemHeap();
        var b = new HakmemHeap();
        nint pa = (nint)a.Alloc(256 * 1024), pb = (nint)b.Alloc(256 * 1024);
        const int rounds = 20000;
        using var start = new Barrier(2);
        var messages = new string?[2];
        void Loop(int me, HakmemHeap heap, nint foreign)
        {
            start.SignalAndWait();
            for (int i = 0; i < rounds; i++)
            {
                try
                {
                    heap.Free((void*)foreign);
                }
                catch (HeapCorruptionException e)
                {
                    messages[me] = e.Message;
                }
            }
        }
        var t1 = new Thread(() => Loop(0, a, pb)) { IsBackground = true };
        var t2 = new Thread(() => Loop(1, b, pa)) { IsBackground = true };
        t1.Start();
        t2.Start();
        Assert.True(t1.Join(TimeSpan.FromSeconds(60)) && t2.Join(TimeSpan.FromSeconds(60)), "the two frees deadlocked");
        Assert.Contains($"pointer of another heap (heap {b.Id})", messages[0]);
        Assert.Contains($"pointer of another heap (heap {a.Id})", messages[1]);
        a.Free((void*)pa);
        b.Free((void*)pb);
        Assert.True(a.Audit().IsClean && b.Audit().IsClean);
        a.Dispose();
        b.Dispose();
    }
}
