using System.Runtime.InteropServices;

namespace Hakmem;

/// <summary>The heap's side of large blocks (<see cref="LargeBlocks"/>): whole-page mappings, kept in
/// the large-block cache when freed and reused from it, counted against the memory cap while mapped
/// (cached ones included). No lock is held while mapping or while a foreign pointer is looked up in
/// other heaps.</summary>
public sealed unsafe partial class HakmemHeap
{
    private readonly LargeBlocks _large;
    private readonly MemoryBudget _budget;
    private long _remoteFreesWithoutCache;

    /// <summary>A cached mapping of the request's class, else pages from the OS: aligned to a page or to
    /// <paramref name="alignment"/>; zeroed when <paramref name="zero"/> (fresh pages are).</summary>
    private void* AllocLarge(nuint size, nuint alignment, bool zero = false)
    {
        if (size > SizeClasses.MaxRequest) return null;
        ThrowIfDisposed();
        nuint bytes = LargeBlocks.MappingSize(size);
        if (alignment <= Layout.PageSize)
        {
            void* cached = _large.TakeCached(bytes);
            if (cached != null)
            {
                if (zero) NativeMemory.Clear(cached, size);
                if (Trace.On) Traced(null, Route.AllocLarge, -1, cached);
                return cached;
            }
        }
        if (alignment <= Layout.PageSize && _large.TakeToResize(bytes) is var (start, old))
        {
            void* resized = Resize(start, old, bytes);
            if (resized != null)
            {
                if (zero) NativeMemory.Clear(resized, Math.Min(size, old)); // the pages it gained are fresh zeroes
                if (Trace.On) Traced(null, Route.AllocLarge, -1, resized);
                return resized;
            }
        }
        if (!Reserve(bytes))
        {
            _budget.Refused();
            return LibcFallback(size);
        }
        void* p = Os.MapAligned(bytes, Math.Max(alignment, Layout.PageSize));
        if (p == null)
        {
            _budget.Release((long)bytes);
            _budget.Refused();
            return null;
        }
        _large.Add(p, bytes);
        if (Trace.On) Traced(null, Route.AllocLarge, -1, p);
        return p;
    }

    /// <summary>A cached mapping taken out of the cache, resized into a live block of <paramref name="bytes"/>;
    /// null (the mapping given back) when the cap refuses its growth or the OS the resize.</summary>
    private void* Resize(nuint start, nuint old, nuint bytes)
    {
        if (bytes > old && !_budget.TryReserve((long)(bytes - old)))
        {
            Os.Unmap((void*)start, old);
            _budget.Release((long)old);
            return null;
        }
        void* p = Os.Remap((void*)start, old, bytes);
        if (p == null)
        {
            if (bytes > old) _budget.Release((long)(bytes - old));
            Os.Unmap((void*)start, old);
            _budget.Release((long)old);
            return null;
        }
        if (bytes < old) _budget.Release((long)(old - bytes));
        _large.Add(p, bytes);
        return p;
    }

    /// <summary>Reserve under the cap; when it refuses, first give back what the heap holds without
    /// need (the large-block cache, spans of ended threads, abandoned spans that emptied, empty
    /// SuperSlabs), then try again.</summary>
    private bool Reserve(nuint bytes)
    {
        if (_budget.TryReserve((long)bytes)) return true;
        if (_budget.Max == 0) return false;
        if (_large.TrimAll() && _budget.TryReserve((long)bytes)) return true;
        lock (_sync)
        {
            ThrowIfDisposed();
            ReleaseUnusedLocked();
        }
        return _budget.TryReserve((long)bytes);
    }

    private void FreeLarge(void* p)
    {
        ThrowIfDisposed();
        if (_large.Free(p))
        {
            if (Trace.On) Traced(null, Route.FreeLarge, -1, p);
            return;
        }
        if (DropAsForeign(p)) return;
        ThrowForeign(p);
    }

    private nuint LargeUsableSize(void* p)
    {
        ThrowIfDisposed();
        if (!_large.TryGetSize(p, out nuint bytes)) ThrowForeign(p);
        return bytes;
    }

    /// <summary>Why a pointer that is neither in a SuperSlab nor the start of a large block of this
    /// heap is rejected: inside one of our large blocks, owned by another heap, or unknown. Called with
    /// no lock held: asking another heap takes that heap's locks.</summary>
    private void ThrowForeign(void* p)
    {
        nuint a = (nuint)p;
        if (_large.BlockContaining(p) is var (start, bytes))
            throw new HeapCorruptionException(a, $"free of an interior pointer of a large block (block 0x{start:x}, {bytes} bytes)");
        if (_large.IsCached(p))
            throw new HeapCorruptionException(a, "double free of a large block (its mapping is in the heap's large-block cache)");
        long other = HeapDirectory.OwnerOf(p, except: this);
        if (other != 0)
            throw new HeapCorruptionException(a, $"pointer of another heap (heap {other}), not of heap {_id}");
        throw new HeapCorruptionException(a, $"foreign pointer: not allocated by heap {_id} (or a large block already freed)");
    }

    /// <summary>Whether <paramref name="p"/> lies in memory this heap mapped (for error messages).</summary>
    internal bool Contains(void* p)
    {
        lock (_sync)
        {
            if (_disposed) return false;
            if (_registry.Find((nuint)p & ~Layout.SuperSlabMask) != null) return true;
        }
        return _large.BlockContaining(p) != null;
    }

    private void DisposeLargeLocked() => _large.UnmapAll();
}
