namespace Hakmem.Lab.Backends;

/// <summary>An allocator the lab can run: hakmem (embedded), the C allocators (loaded at run time from
/// their Debian packages), and bump (the harness ceiling).</summary>
public sealed record BackendInfo(string Name, string About, string? Library = null, string? MallocSymbol = null, string? FreeSymbol = null,
    string? DebianPackage = null, IReadOnlyDictionary<string, string>? Environment = null)
{
    public bool IsHakmem => Name == "hakmem";
    public bool IsNative => Library != null;

    public static readonly IReadOnlyList<BackendInfo> All =
    [
        new("hakmem", "Hakmem.Core, embedded; options from flags or HAKMEM_* variables"),
        new("system", "glibc malloc/free", "libc.so.6", "malloc", "free", "libc6"),
        new("mimalloc", "Microsoft mimalloc", "libmimalloc.so.2", "mi_malloc", "mi_free", "libmimalloc2.0"),
        // jemalloc uses initial-exec TLS: dlopen needs static TLS space reserved at process start.
        new("jemalloc", "jemalloc", "libjemalloc.so.2", "malloc", "free", "libjemalloc2",
            new Dictionary<string, string> { ["GLIBC_TUNABLES"] = "glibc.rtld.optional_static_tls=4096" }),
        new("tcmalloc", "gperftools tcmalloc (minimal)", "libtcmalloc_minimal.so.4", "tc_malloc", "tc_free", "libtcmalloc-minimal4"),
        new("bump", "never frees: the cost of the harness itself, the ceiling for any allocator"),
    ];

    public static IReadOnlyList<string> Names { get; } = All.Select(b => b.Name).ToArray();

    public static BackendInfo Get(string name) =>
        All.FirstOrDefault(b => b.Name == name)
        ?? throw new ArgumentException($"unknown allocator '{name}': expected one of {string.Join(", ", Names)}");

    /// <summary>Whether the library loads here (the worker reports an unavailable backend as an error run).</summary>
    public bool IsAvailable()
    {
        if (!IsNative) return true;
        if (!System.Runtime.InteropServices.NativeLibrary.TryLoad(Library!, out nint h)) return false;
        System.Runtime.InteropServices.NativeLibrary.Free(h);
        return true;
    }
}

public sealed class BackendUnavailableException(BackendInfo backend, string? detail = null)
    : Exception(detail ?? $"allocator '{backend.Name}' is not installed: {backend.Library} was not found (apt-get install {backend.DebianPackage})");
