using BenchmarkDotNet.Attributes;
using Hakmem.Lab.Backends;
using Hakmem.Workloads;

namespace Hakmem.Lab.Micro;

/// <summary>Alloc/free per size and backend, through the same struct allocators the workloads use (so
/// each backend's loop is compiled for it). Pair: allocate and free at once, the best case of every
/// thread cache. Batch: allocate 1000, then free them in allocation order, so the caches overflow
/// into the allocator's slower tiers and come back. Times are per allocation (with its free).</summary>
public unsafe class AllocFreeBenchmarks
{
    public const int Operations = 1000;

    /// <summary>Which backends run: hakmem and the installed C allocators (set by hklab micro).</summary>
    public static IReadOnlyList<string> Selected { get; set; } = ["hakmem", "system"];

    public static IEnumerable<string> Backends() => Selected;

    [ParamsSource(nameof(Backends))]
    public string Allocator { get; set; } = "hakmem";

    [Params(16, 64, 256, 1024, 16384, 262144)]
    public int Size { get; set; }

    private HakmemHeap? _heap;
    private HakmemAllocator _hakmem;
    private NativeAllocator _native;
    private readonly nint[] _batch = new nint[Operations];

    [GlobalSetup]
    public void Setup()
    {
        var backend = BackendInfo.Get(Allocator);
        if (backend.IsHakmem)
        {
            _heap = new HakmemHeap();
            _hakmem = new HakmemAllocator(_heap).AttachThread();
        }
        else _native = NativeAllocator.Load(backend);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        if (_heap == null) return;
        _hakmem.DetachThread();
        _heap.Dispose();
    }

    [Benchmark(OperationsPerInvoke = Operations)]
    public void Pair()
    {
        if (_heap != null) Pairs(ref _hakmem, (nuint)Size);
        else Pairs(ref _native, (nuint)Size);
    }

    [Benchmark(OperationsPerInvoke = Operations)]
    public void Batch()
    {
        if (_heap != null) Batches(ref _hakmem, (nuint)Size, _batch);
        else Batches(ref _native, (nuint)Size, _batch);
    }

    internal static void Pairs<TAlloc>(ref TAlloc allocator, nuint size) where TAlloc : struct, IAllocator<TAlloc>
    {
        TAlloc a = allocator;
        for (int i = 0; i < Operations; i++)
        {
            byte* p = (byte*)a.Alloc(size);
            *p = 1;
            a.Free(p, size);
        }
        allocator = a;
    }

    internal static void Batches<TAlloc>(ref TAlloc allocator, nuint size, nint[] batch) where TAlloc : struct, IAllocator<TAlloc>
    {
        TAlloc a = allocator;
        fixed (nint* b = batch)
        {
            for (int i = 0; i < Operations; i++)
            {
                byte* p = (byte*)a.Alloc(size);
                *p = 1;
                b[i] = (nint)p;
            }
            for (int i = 0; i < Operations; i++) a.Free((void*)b[i], size);
        }
        allocator = a;
    }
}
