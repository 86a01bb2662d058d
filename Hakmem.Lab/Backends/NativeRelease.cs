using System.Runtime.InteropServices;

namespace Hakmem.Lab.Backends;

/// <summary>A native allocator's own call that gives its free memory back to the OS, where it has one:
/// glibc's malloc_trim(0), mimalloc's mi_collect(true), jemalloc's purge of every arena, tcmalloc's
/// ReleaseFreeMemory, and a lib:PATH library's own malloc_trim. Allocators without a background thread give
/// memory back only on such a call (or a later allocation), so a memory measurement calls it before it takes
/// its baseline, and after a workload to see what could be given back.</summary>
public static unsafe class NativeRelease
{
    /// <summary>jemalloc's MALLCTL_ARENAS_ALL: "arena.4096.purge" purges every arena.</summary>
    private const string JemallocPurgeAll = "arena.4096.purge";

    /// <summary>What the release call of <paramref name="backend"/> is, in words (null: it has none).</summary>
    public static string? Describe(BackendInfo backend) => backend.Name switch
    {
        "system" => "malloc_trim(0)",
        "mimalloc" => "mi_collect(true)",
        "jemalloc" => $"mallctl(\"{JemallocPurgeAll}\")",
        "tcmalloc" => "MallocExtension_ReleaseFreeMemory()",
        _ when backend.IsPath => "malloc_trim(0), when the library defines it",
        _ => null,
    };

    /// <summary>The release call of a loaded native allocator, or null when it has none. Called in the worker
    /// only (the lab never loads a C allocator).</summary>
    public static Action? For(BackendInfo backend)
    {
        if (!backend.IsNative || backend.LibraryPath() is not string file) return null;
        nint lib = NativeLibrary.Load(file);
        nint Symbol(string name) => NativeLibrary.TryGetExport(lib, name, out nint address) ? address : 0;
        switch (backend.Name)
        {
            case "mimalloc" when Symbol("mi_collect") is var collect and not 0:
                return () => ((delegate* unmanaged[Cdecl]<byte, void>)collect)(1);
            case "jemalloc" when Symbol("mallctl") is var mallctl and not 0:
                return () =>
                {
                    nint name = Marshal.StringToCoTaskMemUTF8(JemallocPurgeAll);
                    try { ((delegate* unmanaged[Cdecl]<nint, void*, nuint*, void*, nuint, int>)mallctl)(name, null, null, null, 0); }
                    finally { Marshal.FreeCoTaskMem(name); }
                };
            case "tcmalloc" when Symbol("MallocExtension_ReleaseFreeMemory") is var release and not 0:
                return () => ((delegate* unmanaged[Cdecl]<void>)release)();
            default:
                // glibc's, or a library's own malloc_trim (never glibc's through the library's dependencies).
                if (Symbol("malloc_trim") is var trim and not 0 && (backend.IsSystem || DefinedBy(trim, file)))
                    return () => ((delegate* unmanaged[Cdecl]<nuint, int>)trim)(0);
                return null;
        }
    }

    private static bool DefinedBy(nint address, string file) =>
        dladdr(address, out var info) != 0 && info.FileName != 0
        && Path.GetFileName(Marshal.PtrToStringUTF8(info.FileName)) == Path.GetFileName(file);

    [StructLayout(LayoutKind.Sequential)]
    private struct DlInfo
    {
        public nint FileName, Base, SymbolName, SymbolAddress;
    }

    [DllImport("libc", EntryPoint = "dladdr")]
    private static extern int dladdr(nint address, out DlInfo info);
}
