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

    /// <summary>Whether the library file is on this machine. The file is looked for, not loaded: a C
    /// allocator is only ever loaded into a worker process, never into the lab itself.</summary>
    public bool IsAvailable()
    {
        if (!IsNative) return true;
        var dirs = (System.Environment.GetEnvironmentVariable("LD_LIBRARY_PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib", "/usr/local/lib"]);
        return dirs.Any(d => File.Exists(Path.Combine(d, Library!)));
    }
}

public sealed class BackendUnavailableException(BackendInfo backend, string? detail = null)
    : Exception(detail ?? $"allocator '{backend.Name}' is not installed: {backend.Library} was not found (apt-get install {backend.DebianPackage})");
