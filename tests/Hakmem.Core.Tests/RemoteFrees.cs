using Hakmem;

namespace Hakmem.Tests;

/// <summary>Blocks freed by a thread that does not own their spans: each goes onto its span's remote queue.</summary>
internal static unsafe class RemoteFrees
{
    public static void OnAnotherThread(HakmemHeap heap, IEnumerable<nint> blocks)
    {
        var consumer = new Thread(() =>
        {
            var t = heap.ForThisThread();
            foreach (nint p in blocks) t.Free((void*)p);
            t.Release();
        });
        consumer.Start();
        consumer.Join();
    }
}
