using System.Runtime.CompilerServices;

namespace Hakmem;

/// <summary>A heap: SuperSlabs for blocks up to 64 KiB, direct mappings above, per-thread caches.
/// Several heaps with different options live side by side; <see cref="Dispose"/> returns every
/// byte to the OS. This file holds the heap's state and the thread-cache lifecycle; the paths live in
/// Alloc.cs, Refill.cs, Free.cs, Spans.cs, Large.cs, Api.cs, Guards.cs, Stats.cs, Audit.cs
/// and Canaries.cs (the seed bugs, off unless injected).</summary>
public sealed unsafe partial class HakmemHeap : IDisposable
{
    private static long s_nextId;

    private readonly long _id;
    private readonly ulong _secret;          // free tags are _secret ^ address
    private readonly bool _guards;
    private readonly bool _p0;
    private readonly object _sync = new();   // slow paths only: spans, SuperSlabs, caches, large blocks
    private Registry _registry;
    private volatile bool _disposed;
    // Guard mode, or disposed: Alloc and Free take their checked paths. One flag, so the default paths
    // test one byte per call instead of two.
    private volatile bool _checked;

    // Everything below is guarded by _sync.
    private readonly Dictionary<nint, Thread> _activeCaches = new();
    private ThreadCache* _freeCaches;
    private readonly nuint _cacheBytes;

    private struct TlsSlot
    {
        public long HeapId;
        public ThreadCache* Cache;
    }

    // The calling thread's cache of the heap it used last: one thread-static read per Alloc/Free.
    [ThreadStatic] private static TlsSlot t_slot;
    // All of the calling thread's caches, by heap id (slow path when a thread switches heaps).
    [ThreadStatic] private static Dictionary<long, nint>? t_caches;

    public HakmemHeap(HakmemOptions? options = null)
    {
        Options = options ?? HakmemOptions.Default;
        Options.Validate();
        _id = Interlocked.Increment(ref s_nextId);
        _secret = (ulong)Random.Shared.NextInt64() | 1UL << 63;
        _guards = Options.Guards;
        _checked = _guards;
        _p0 = Options.P0BatchRefill;
        _budget = new MemoryBudget(Options.MaxMemoryBytes);
        _large = new LargeBlocks(Options.LargeCacheBytes, Options.LargeCacheDecayMs, _budget);
        _ = Trace.On; // the switches are read before any path of this heap is compiled, so the JIT folds them
        _inject = Options.Inject;
        _tlsListDisconnect = Injected(SeedBug.TlsListDisconnect) && Options.FastCap == 0 && Options.TlsList;
        _cacheBytes = ThreadCache.Bytes(Options.FastCap);
        _registry = Registry.Create();
        HeapDirectory.Add(this);
    }

    public HakmemOptions Options { get; }

    internal Registry SuperSlabRegistry => _registry;

    /// <summary>Process-unique id of this heap (ids are never reused).</summary>
    public long Id => _id;

    public bool IsDisposed => _disposed;

    /// <summary>A handle to the calling thread's cache: Alloc/Free through it skip the thread-local
    /// lookup. Use it only on this thread (guard mode checks) and not after <see cref="ReleaseThreadCache"/>.</summary>
    public HakmemThread ForThisThread()
    {
        ThrowIfDisposed();
        return new HakmemThread(this, CacheOrCreate());
    }

    /// <summary>The calling thread gives back its cached blocks and its spans (spans still holding live
    /// blocks are abandoned, to be adopted by the next thread that needs one of their class).</summary>
    public void ReleaseThreadCache()
    {
        ThrowIfDisposed();
        ThreadCache* tc = CacheOrNull();
        if (tc == null) return;
        lock (_sync) ReleaseCacheLocked(tc);
        t_caches?.Remove(_id);
        t_slot = default;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ThreadCache* CacheOrCreate()
    {
        ref TlsSlot slot = ref t_slot;
        return slot.HeapId == _id ? slot.Cache : CacheSlow(create: true);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ThreadCache* CacheOrNull()
    {
        ref TlsSlot slot = ref t_slot;
        return slot.HeapId == _id ? slot.Cache : CacheSlow(create: false);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private ThreadCache* CacheSlow(bool create)
    {
        var map = t_caches;
        int me = Environment.CurrentManagedThreadId;
        if (map != null && map.TryGetValue(_id, out nint found))
        {
            var tc = (ThreadCache*)found;
            if (tc->State == ThreadCache.StateActive && tc->HeapId == _id && tc->ThreadId == me)
            {
                t_slot = new TlsSlot { HeapId = _id, Cache = tc };
                return tc;
            }
            map.Remove(_id);
        }
        if (!create) return null;
        ThreadCache* created = CreateCache(me);
        (t_caches ??= new Dictionary<long, nint>())[_id] = (nint)created;
        t_slot = new TlsSlot { HeapId = _id, Cache = created };
        return created;
    }

    private ThreadCache* CreateCache(int threadId)
    {
        lock (_sync)
        {
            ThrowIfDisposed();
            ThreadCache* tc = _freeCaches;
            if (tc != null)
            {
                _freeCaches = tc->NextFree;
                UnlistEmptied(tc); // spans listed by frees that read a stale owner
            }
            else
            {
                tc = (ThreadCache*)Os.Map(_cacheBytes);
                if (tc == null) throw new OutOfMemoryException("hakmem: the OS refused memory for a thread cache");
            }
            ThreadCache.Init(tc, Options, _id, threadId);
            if (Trace.Ring)
            {
                if (tc->Ring == null) tc->Ring = TraceRings.Acquire(threadId); // a pooled cache keeps its ring
                else tc->Ring->Thread = threadId;
            }
            _activeCaches[(nint)tc] = Thread.CurrentThread;
            return tc;
        }
    }

    /// <summary>Return every cached block to its span, then free empty spans and abandon the rest.
    /// Runs on the cache's own thread, or for a thread that has ended (nobody else touches its spans).</summary>
    private void ReleaseCacheLocked(ThreadCache* tc)
    {
        UnlistEmptied(tc);
        for (int c = 0; c < SizeClasses.Count; c++)
        {
            ClassCache* cc = ThreadCache.Classes(tc) + c;
            FlushTiers(tc, cc, c);
            while (cc->Current != null)
            {
                Slab* s = cc->Current;
                UnlinkOwned(cc, s);
                if (s->RemoteHead != null) Drain(tc, s); // also for a flag alone: an abandoned span asks no owner to hear of it
                if (s->Used == 0) FreeSpanLocked(s);
                else AbandonLocked(s);
            }
        }
        FoldCounters(tc);
        tc->State = ThreadCache.StateFree;
        tc->ThreadId = 0;
        tc->NextFree = _freeCaches;
        _freeCaches = tc;
        _activeCaches.Remove((nint)tc);
        if (_activeCaches.Count == 0)
        {
            RestEmptySuperSlabsLocked();
            _large.TrimAll(); // no thread is about to reuse them: unlike an empty SuperSlab, a cached mapping cannot rest (it may be any size, and is handed out as it is)
        }
    }

    private void FlushTiers(ThreadCache* tc, ClassCache* cc, int c)
    {
        while (cc->FastTop != cc->Fast) PushToSpanFreeList(tc, c, cc->PopFast(), TierOrder.Name(Tier.Fast));
        while (cc->Chain != null)
        {
            void* p = cc->Chain;
            cc->Chain = *(void**)p;
            PushToSpanFreeList(tc, c, p, TierOrder.Name(cc->ChainTier));
        }
        cc->ChainRoom = cc->ChainCap;
    }

    private void PushToSpanFreeList(ThreadCache* tc, int c, void* p, string from)
    {
        Slab* s = OwnedSpanOf(tc, c, p, from);
        *(void**)p = s->FreeList;
        s->FreeList = p;
        s->Used--;
    }

    /// <summary>Caches of threads that ended without releasing them: their spans would otherwise
    /// be stranded. Thread.IsAlive is false only once the thread can no longer run.</summary>
    private int ReclaimDeadThreadsLocked()
    {
        List<nint>? dead = null;
        foreach (var (cache, thread) in _activeCaches)
            if (!thread.IsAlive) (dead ??= []).Add(cache);
        if (dead == null) return 0;
        foreach (nint cache in dead) ReleaseCacheLocked((ThreadCache*)cache);
        _cachesReclaimed += dead.Count;
        return dead.Count;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void ThrowIfDisposed()
    {
        if (_disposed) ThrowDisposed();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowDisposed() => throw new ObjectDisposedException(nameof(HakmemHeap), $"hakmem heap {_id} is disposed");

    /// <summary>Gives back to the OS what no live block needs: the caches of ended threads, every empty
    /// SuperSlab (even the ones kept for reuse) and every cached large mapping. The blocks of caches in use
    /// stay where they are. An allocator's release call, as mimalloc's mi_collect and glibc's malloc_trim:
    /// what a memory measurement calls before it takes a baseline, and after a workload to see what the heap
    /// can give back.</summary>
    public void Trim()
    {
        lock (_sync)
        {
            if (_disposed) ThrowDisposed();
            ReleaseUnusedLocked();
        }
        _large.TrimAll();
    }

    /// <summary>Unmaps every SuperSlab, large block, thread cache and the registry.</summary>
    public void Dispose()
    {
        lock (_sync)
        {
            if (_disposed) return;
            _disposed = true;
            _checked = true;
            DisposeSpansLocked();
            DisposeLargeLocked();
            foreach (var (cache, _) in _activeCaches) Os.Unmap((void*)cache, _cacheBytes);
            _activeCaches.Clear();
            for (ThreadCache* tc = _freeCaches; tc != null;)
            {
                ThreadCache* next = tc->NextFree;
                Os.Unmap(tc, _cacheBytes);
                tc = next;
            }
            _freeCaches = null;
            _registry.Destroy();
        }
        HeapDirectory.Remove(this);
        t_caches?.Remove(_id);
        if (t_slot.HeapId == _id) t_slot = default;
    }
}
