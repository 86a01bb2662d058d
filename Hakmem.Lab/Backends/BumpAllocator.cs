using System.Runtime.InteropServices;
using Hakmem.Workloads;

namespace Hakmem.Lab.Backends;

/// <summary>The harness ceiling: allocation is a pointer bump in a per-thread chunk of one big arena,
/// and free does nothing. Fresh memory costs page faults, which would make bump the slowest backend
/// instead of the ceiling: the arena uses huge pages and its first GiB is faulted in when it is created,
/// before anything is measured. Memory only grows, so a long run ends as out of memory when the arena
/// (8 GiB) is used up. Each block sits after a 16-byte header holding its size (16, so blocks stay
/// 16-byte aligned), which is where Realloc finds how much to copy into the new block.</summary>
public unsafe struct BumpAllocator : IAllocator<BumpAllocator>
{
    private const long ArenaBytes = 8L << 30;
    private const long ChunkBytes = 1 << 20;
    private const long PrefaultBytes = 1L << 30;

    private sealed class Arena
    {
        public byte* Base;
        public long Next;
    }

    private readonly Arena _arena;
    private byte* _cur, _end;

    private BumpAllocator(Arena arena)
    {
        _arena = arena;
        _cur = _end = null;
    }

    public static BumpAllocator Create()
    {
        void* p = mmap(null, unchecked((nuint)ArenaBytes), 3 /* read|write */, 0x22 | 0x4000 /* private|anonymous|noreserve */, -1, 0);
        if (p == (void*)-1) throw new OutOfMemoryException("bump: cannot reserve the arena");
        madvise(p, unchecked((nuint)ArenaBytes), 14 /* MADV_HUGEPAGE */);
        madvise(p, (nuint)PrefaultBytes, 23 /* MADV_POPULATE_WRITE; ignored by kernels before 5.14 */);
        return new BumpAllocator(new Arena { Base = (byte*)p });
    }

    public BumpAllocator AttachThread() => new(_arena);
    public void DetachThread() { }

    private const int HeaderBytes = 16;

    public void* Alloc(nuint size)
    {
        if (size > unchecked((nuint)ArenaBytes)) return null;
        nuint n = ((size + 15) & ~(nuint)15) + HeaderBytes;
        if ((nuint)(_end - _cur) < n && !NewChunk(n)) return null;
        byte* p = _cur;
        _cur += n;
        *(nuint*)p = size;
        return p + HeaderBytes;
    }

    public void Free(void* p, nuint size) { }

    /// <summary>A new block with the old one's contents (up to the smaller size): bump never reuses memory.</summary>
    public void* Realloc(void* p, nuint oldSize, nuint size)
    {
        if (p == null) return Alloc(size);
        void* q = Alloc(size);
        if (q == null) return null;
        nuint keep = Math.Min(size, *(nuint*)((byte*)p - HeaderBytes));
        Buffer.MemoryCopy(p, q, keep, keep);
        return q;
    }

    private bool NewChunk(nuint n)
    {
        long want = Math.Max(ChunkBytes, (long)n);
        long start = Interlocked.Add(ref _arena.Next, want) - want;
        if (start + want > ArenaBytes) return false;
        _cur = _arena.Base + start;
        _end = _cur + want;
        return true;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int madvise(void* addr, nuint length, int advice);

    [DllImport("libc", SetLastError = true)]
    private static extern void* mmap(void* addr, nuint length, int prot, int flags, int fd, nint offset);
}
