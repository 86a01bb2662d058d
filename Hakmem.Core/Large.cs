namespace Hakmem;

/// <summary>Large blocks (above 64 KiB): mapped directly from the OS in whole pages and unmapped on
/// free. The registry of large blocks is a dictionary from start address to mapped size; free never
/// trusts anything stored in the block itself. Also the memory cap shared with SuperSlabs.</summary>
public sealed unsafe partial class HakmemHeap
{
    // Guarded by _sync.
    private readonly Dictionary<nuint, nuint> _large = new();
    private readonly long _maxBytes;
    private long _mappedBytes, _peakMappedBytes, _largeBytes, _oomRefusals, _largeAllocs;
    private long _remoteFreesWithoutCache;

    /// <summary>Pages straight from the OS: zeroed, aligned to a page or to <paramref name="alignment"/>.</summary>
    private void* AllocLarge(nuint size, nuint alignment)
    {
        if (size > SizeClasses.MaxRequest) return null;
        nuint bytes = Os.RoundUpToPage(Math.Max(size, 1));
        lock (_sync)
        {
            ThrowIfDisposed();
            if (!ReserveLocked(bytes)) return LibcFallback(size);
            void* p = Os.MapAligned(bytes, Math.Max(alignment, Layout.PageSize));
            if (p == null)
            {
                UnreserveLocked(bytes);
                _oomRefusals++;
                return null;
            }
            _large.Add((nuint)p, bytes);
            _largeBytes += (long)bytes;
            _largeAllocs++;
            return p;
        }
    }

    private void FreeLarge(void* p)
    {
        lock (_sync)
        {
            ThrowIfDisposed();
            if (!_large.Remove((nuint)p, out nuint bytes))
            {
                if (DropAsForeign(p)) return;
                ThrowForeign(p);
            }
            Os.Unmap(p, bytes);
            _largeBytes -= (long)bytes;
            UnreserveLocked(bytes);
        }
    }

    private nuint LargeUsableSize(void* p)
    {
        lock (_sync)
        {
            ThrowIfDisposed();
            if (!_large.TryGetValue((nuint)p, out nuint bytes)) ThrowForeign(p);
            return bytes;
        }
    }

    /// <summary>Count <paramref name="bytes"/> as mapped unless that passes the cap (then count a refusal).</summary>
    private bool ReserveLocked(nuint bytes)
    {
        if (_maxBytes != 0 && _mappedBytes + (long)bytes > _maxBytes)
        {
            _oomRefusals++;
            return false;
        }
        _mappedBytes += (long)bytes;
        _peakMappedBytes = Math.Max(_peakMappedBytes, _mappedBytes);
        return true;
    }

    private void UnreserveLocked(nuint bytes) => _mappedBytes -= (long)bytes;

    /// <summary>Why a pointer that is neither in a SuperSlab nor the start of a large block of this
    /// heap is rejected: inside one of our large blocks, owned by another heap, or unknown.</summary>
    private void ThrowForeign(void* p)
    {
        nuint a = (nuint)p;
        foreach (var (start, bytes) in _large)
            if (a > start && a < start + bytes)
                throw new HeapCorruptionException(a, $"free of an interior pointer of a large block (block 0x{start:x}, {bytes} bytes)");
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
            foreach (var (start, bytes) in _large)
                if ((nuint)p >= start && (nuint)p < start + bytes) return true;
            return false;
        }
    }

    private void DisposeLargeLocked()
    {
        foreach (var (start, bytes) in _large) Os.Unmap((void*)start, bytes);
        _large.Clear();
        _mappedBytes = 0;
        _largeBytes = 0;
    }
}
