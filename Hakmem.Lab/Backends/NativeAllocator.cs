using System.Runtime.InteropServices;
using Hakmem.Workloads;

namespace Hakmem.Lab.Backends;

/// <summary>A C allocator called through unmanaged function pointers with SuppressGCTransition: the
/// cheapest honest call from C#. Threads need no attach: the library keeps its own thread state.</summary>
public readonly unsafe struct NativeAllocator : IAllocator<NativeAllocator>
{
    private readonly delegate* unmanaged[Cdecl, SuppressGCTransition]<nuint, void*> _malloc;
    private readonly delegate* unmanaged[Cdecl, SuppressGCTransition]<void*, void> _free;

    private NativeAllocator(nint malloc, nint free)
    {
        _malloc = (delegate* unmanaged[Cdecl, SuppressGCTransition]<nuint, void*>)malloc;
        _free = (delegate* unmanaged[Cdecl, SuppressGCTransition]<void*, void>)free;
    }

    public NativeAllocator AttachThread() => this;
    public void DetachThread() { }
    public void* Alloc(nuint size) => _malloc(size);
    public void Free(void* p) => _free(p);

    /// <summary>Loads the library of <paramref name="backend"/> (never a substitute): throws
    /// <see cref="BackendUnavailableException"/> naming the Debian package when it is missing.</summary>
    public static NativeAllocator Load(BackendInfo backend)
    {
        if (!NativeLibrary.TryLoad(backend.Library!, out nint lib))
            throw new BackendUnavailableException(backend);
        if (!NativeLibrary.TryGetExport(lib, backend.MallocSymbol!, out nint malloc) || !NativeLibrary.TryGetExport(lib, backend.FreeSymbol!, out nint free))
            throw new BackendUnavailableException(backend, $"{backend.Library} lacks {backend.MallocSymbol}/{backend.FreeSymbol}");
        return new NativeAllocator(malloc, free);
    }
}
