namespace Hakmem.Lab.Backends;

/// <summary>An allocator the lab can run: hakmem (embedded), bump (the harness ceiling), and the native
/// allocators, all one mechanism: a shared library, the symbols to call in it (malloc, free and realloc), and
/// the Debian package that has it. The named ones are rows of <see cref="All"/>; <c>lib:PATH</c> is any other library file (a
/// build of your own). The same entry serves the in-process workloads (the worker loads the library and
/// calls its malloc, free and realloc) and external programs (the library is preloaded into them; glibc's own
/// allocator is preloaded as nothing).</summary>
public sealed record BackendInfo(string Name, string About, string? Library = null, string? MallocSymbol = null, string? FreeSymbol = null,
    string? DebianPackage = null, IReadOnlyDictionary<string, string>? Environment = null, string? ReallocSymbol = null)
{
    public const string LibraryPrefix = "lib:";

    public bool IsHakmem => Name == "hakmem";
    public bool IsNative => Library != null;
    public bool IsSystem => Name == "system";
    /// <summary>A library given by path (lib:PATH) rather than by name.</summary>
    public bool IsPath => Name.StartsWith(LibraryPrefix, StringComparison.Ordinal);

    public static readonly IReadOnlyList<BackendInfo> All =
    [
        new("hakmem", "Hakmem.Core, embedded; options from flags or HAKMEM_* variables"),
        new("system", "glibc malloc/free", "libc.so.6", "malloc", "free", "libc6", ReallocSymbol: "realloc"),
        new("mimalloc", "Microsoft mimalloc", "libmimalloc.so.2", "mi_malloc", "mi_free", "libmimalloc2.0", ReallocSymbol: "mi_realloc"),
        // jemalloc uses initial-exec TLS: dlopen needs static TLS space reserved at process start.
        new("jemalloc", "jemalloc", "libjemalloc.so.2", "malloc", "free", "libjemalloc2",
            new Dictionary<string, string> { ["GLIBC_TUNABLES"] = "glibc.rtld.optional_static_tls=4096" }, ReallocSymbol: "realloc"),
        new("tcmalloc", "gperftools tcmalloc (minimal)", "libtcmalloc_minimal.so.4", "tc_malloc", "tc_free", "libtcmalloc-minimal4", ReallocSymbol: "tc_realloc"),
        new("bump", "never frees: the cost of the harness itself, the ceiling for any allocator"),
    ];

    public static IReadOnlyList<string> Names { get; } = All.Select(b => b.Name).ToArray();

    /// <summary>A named allocator, or lib:PATH (the file must exist; whether it loads and has malloc, free
    /// and realloc is for the run to find out, and an error run names what is wrong).</summary>
    public static BackendInfo Get(string name)
    {
        if (name.StartsWith(LibraryPrefix, StringComparison.Ordinal)) return ForLibrary(name[LibraryPrefix.Length..]);
        return All.FirstOrDefault(b => b.Name == name)
            ?? throw new ArgumentException($"unknown allocator '{name}': expected one of {string.Join(", ", Names)}, or lib:PATH for a malloc library of your own");
    }

    /// <summary>lib:PATH: CSV names it by its file name, the spec and meta.json by its full path.</summary>
    public static BackendInfo ForLibrary(string path)
    {
        if (path.Length == 0) throw new ArgumentException("lib: needs a path: lib:./libmymalloc.so");
        string full = Path.GetFullPath(path);
        if (!File.Exists(full)) throw new ArgumentException($"allocator 'lib:{path}': {full} does not exist");
        return new BackendInfo(LibraryPrefix + Path.GetFileName(full), $"the malloc library {full}", full, "malloc", "free", ReallocSymbol: "realloc");
    }

    /// <summary>What a run spec carries: the name, or lib: with the full path.</summary>
    public string SpecName => IsPath ? LibraryPrefix + Library : Name;

    /// <summary>The library file on this machine, or null when it is not installed.</summary>
    public string? LibraryPath()
    {
        if (!IsNative) return null;
        if (Path.IsPathRooted(Library!)) return File.Exists(Library) ? Library : null;
        var dirs = (System.Environment.GetEnvironmentVariable("LD_LIBRARY_PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib", "/usr/local/lib"]);
        return dirs.Select(d => Path.Combine(d, Library!)).FirstOrDefault(File.Exists);
    }

    /// <summary>Whether the library file is on this machine. The file is looked for, not loaded: a C
    /// allocator is only ever loaded into a worker process, never into the lab itself.</summary>
    public bool IsAvailable() => !IsNative || LibraryPath() != null;

    /// <summary>What an external program gets as LD_PRELOAD to run on this allocator: nothing for glibc
    /// (it is the program's own), the library file for the others. hakmem and bump have no native library.</summary>
    public string? Preload()
    {
        if (!IsNative) throw new ArgumentException($"allocator '{Name}' has no native library to preload into a program: --exec runs with system, mimalloc, jemalloc, tcmalloc or lib:PATH");
        if (IsSystem) return null;
        return LibraryPath() ?? throw new BackendUnavailableException(this);
    }
}

public sealed class BackendUnavailableException(BackendInfo backend, string? detail = null)
    : Exception(detail ?? (backend.DebianPackage != null
        ? $"allocator '{backend.Name}' is not installed: {backend.Library} was not found (apt-get install {backend.DebianPackage})"
        : $"allocator '{backend.Name}': {backend.Library} cannot be loaded"));
