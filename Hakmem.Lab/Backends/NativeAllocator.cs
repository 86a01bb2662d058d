using System.Runtime.InteropServices;
using Hakmem.Workloads;

namespace Hakmem.Lab.Backends;

/// <summary>A C allocator called through unmanaged function pointers with SuppressGCTransition: the
/// cheapest honest call from C#. Threads need no attach: the library keeps its own thread state.</summary>
public readonly unsafe struct NativeAllocator : IAllocator<NativeAllocator>
{
    private readonly delegate* unmanaged[Cdecl, SuppressGCTransition]<nuint, void*> _malloc;
    private readonly delegate* unmanaged[Cdecl, SuppressGCTransition]<void*, void> _free;
    private readonly delegate* unmanaged[Cdecl, SuppressGCTransition]<void*, nuint, void*> _realloc;

    private NativeAllocator(nint malloc, nint free, nint realloc)
    {
        _malloc = (delegate* unmanaged[Cdecl, SuppressGCTransition]<nuint, void*>)malloc;
        _free = (delegate* unmanaged[Cdecl, SuppressGCTransition]<void*, void>)free;
        _realloc = (delegate* unmanaged[Cdecl, SuppressGCTransition]<void*, nuint, void*>)realloc;
    }

    public NativeAllocator AttachThread() => this;
    public void DetachThread() { }
    public void* Alloc(nuint size) => _malloc(size);
    public void Free(void* p, nuint size) => _free(p);
    public void* Realloc(void* p, nuint oldSize, nuint size) => _realloc(p, size);

    /// <summary>Loads the library of <paramref name="backend"/> (never a substitute): throws
    /// <see cref="BackendUnavailableException"/> naming the Debian package when it is missing, the loader's
    /// reason when the file does not load, and the symbol (malloc, free or realloc) when the library does not
    /// define it itself (a library without its own would otherwise hand out glibc's, found through its
    /// dependencies: a realloc of glibc's on the library's blocks corrupts both heaps).</summary>
    public static NativeAllocator Load(BackendInfo backend)
    {
        string file = backend.LibraryPath() ?? throw new BackendUnavailableException(backend);
        nint lib;
        try
        {
            lib = NativeLibrary.Load(file);
        }
        catch (DllNotFoundException e)
        {
            throw new BackendUnavailableException(backend, $"allocator '{backend.Name}': {file} does not load: {e.Message.Split('\n')[0]}");
        }
        string reallocSymbol = backend.ReallocSymbol
            ?? throw new BackendUnavailableException(backend, $"allocator '{backend.Name}': the backend table names no realloc symbol for {file}");
        nint malloc = Export(backend, lib, file, backend.MallocSymbol!), free = Export(backend, lib, file, backend.FreeSymbol!);
        return new NativeAllocator(malloc, free, Export(backend, lib, file, reallocSymbol));
    }

    private static nint Export(BackendInfo backend, nint lib, string file, string symbol)
    {
        if (!NativeLibrary.TryGetExport(lib, symbol, out nint address))
            throw new BackendUnavailableException(backend, $"allocator '{backend.Name}': {file} has no symbol '{symbol}'");
        if (DefinedIn(address) is string where && RealPath(where) != RealPath(file))
            throw new BackendUnavailableException(backend, $"allocator '{backend.Name}': {file} does not define '{symbol}' itself (it comes from {where})");
        return address;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct DlInfo
    {
        public nint FileName, Base, SymbolName, SymbolAddress;
    }

    [DllImport("libc", EntryPoint = "dladdr")]
    private static extern int dladdr(nint address, out DlInfo info);

    /// <summary>The file of the loaded object that holds <paramref name="address"/>.</summary>
    private static string? DefinedIn(nint address) =>
        dladdr(address, out var info) != 0 && info.FileName != 0 ? Marshal.PtrToStringUTF8(info.FileName) : null;

    [DllImport("libc", EntryPoint = "realpath")]
    private static extern nint realpath(string path, nint resolved);

    [DllImport("libc", EntryPoint = "free")]
    private static extern void LibcFree(nint p);

    /// <summary>The path with every symbolic link resolved (/lib is /usr/lib on merged systems).</summary>
    private static string RealPath(string path)
    {
        nint p = realpath(path, 0);
        if (p == 0) return Path.GetFullPath(path);
        string s = Marshal.PtrToStringUTF8(p)!;
        LibcFree(p);
        return s;
    }
}
