using System.Runtime.InteropServices;

namespace Hakmem;

/// <summary>The OS boundary: anonymous mappings from mmap, returned with munmap.
/// Nothing the heap hands out comes from anywhere else (never from libc malloc).</summary>
internal static unsafe partial class Os
{
    private const int ProtRead = 0x1, ProtWrite = 0x2;
    private const int MapPrivate = 0x02, MapAnonymous = 0x20, MapNoReserve = 0x4000;

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    private static partial void* mmap(void* addr, nuint length, int prot, int flags, int fd, nint offset);

    [LibraryImport("libc", EntryPoint = "munmap", SetLastError = true)]
    private static partial int munmap(void* addr, nuint length);

    [LibraryImport("libc", EntryPoint = "mremap", SetLastError = true)]
    private static partial void* mremap(void* oldAddress, nuint oldSize, nuint newSize, int flags);

    private const int MremapMayMove = 1;

    /// <summary>The mapping at <paramref name="p"/> resized to <paramref name="newSize"/> (it may move): the pages
    /// it keeps keep their contents and stay resident, the pages it gains are fresh zeroes, the pages it loses go
    /// back to the OS. Null when the OS refuses (the old mapping is then untouched).</summary>
    public static void* Remap(void* p, nuint oldSize, nuint newSize)
    {
        void* q = mremap(p, oldSize, newSize, MremapMayMove);
        return q == (void*)-1 ? null : q;
    }

    public static nuint RoundUpToPage(nuint n) => (n + Layout.PageSize - 1) & ~(Layout.PageSize - 1);

    /// <summary>Zeroed read-write pages, or null when the OS refuses.</summary>
    public static void* Map(nuint size)
    {
        void* p = mmap(null, size, ProtRead | ProtWrite, MapPrivate | MapAnonymous | MapNoReserve, -1, 0);
        return p == (void*)-1 ? null : p;
    }

    /// <summary>Zeroed pages whose start is a multiple of <paramref name="alignment"/> (a power of two
    /// at least a page): map size + alignment, then give back the unaligned head and the tail.</summary>
    public static void* MapAligned(nuint size, nuint alignment)
    {
        if (alignment <= Layout.PageSize) return Map(size);
        nuint total = size + alignment;
        if (total < size) return null;
        byte* raw = (byte*)Map(total);
        if (raw == null) return null;
        byte* aligned = (byte*)(((nuint)raw + alignment - 1) & ~(alignment - 1));
        nuint head = (nuint)(aligned - raw);
        nuint tail = total - head - size;
        if (head != 0) munmap(raw, head);
        if (tail != 0) munmap(aligned + size, tail);
        return aligned;
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "ftruncate", SetLastError = true)]
    private static partial int ftruncate(int fd, long length);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int close(int fd);

    /// <summary>A shared, zeroed mapping of a new file of <paramref name="size"/> bytes (sparse until written),
    /// or null: what the process writes there is in the file even if the process is killed.</summary>
    public static byte* MapFile(string path, long size)
    {
        const int ORdwr = 0x2, OCreat = 0x40, OTrunc = 0x200, MapShared = 0x01;
        int fd = open(path, ORdwr | OCreat | OTrunc, 0x1a4);
        if (fd < 0) return null;
        try
        {
            if (ftruncate(fd, size) != 0) return null;
            void* p = mmap(null, (nuint)size, ProtRead | ProtWrite, MapShared, fd, 0);
            return p == (void*)-1 ? null : (byte*)p;
        }
        finally
        {
            close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "madvise", SetLastError = true)]
    private static partial int madvise(void* addr, nuint length, int advice);

    private const int MadvDontNeed = 4, MadvFree = 8;

    /// <summary>Gives the pages' contents up while keeping the mapping: MADV_FREE, where the kernel takes a page
    /// only when it needs memory and a write before that keeps it without a fault (the pages show as LazyFree
    /// meanwhile); MADV_DONTNEED, which drops them at once, on a kernel without it. A page read after the kernel
    /// took it is zero.</summary>
    public static void Rest(void* p, nuint size)
    {
        if (madvise(p, size, MadvFree) != 0) madvise(p, size, MadvDontNeed);
    }

    public static void Unmap(void* p, nuint size)
    {
        if (munmap(p, size) != 0)
            throw new InvalidOperationException($"munmap(0x{(nuint)p:x}, {size}) failed: errno {Marshal.GetLastPInvokeError()}");
    }
}
