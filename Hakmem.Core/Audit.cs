using System.Numerics;

namespace Hakmem;

/// <summary>Live blocks of one size class at audit time.</summary>
public sealed record ClassAudit(int Class, int BlockSize, long LiveBlocks, long LiveBytes, long FreeBlocks, int Spans);

/// <summary>Result of a heap walk. After a program has freed everything, <see cref="LiveBlocks"/> is 0;
/// anything else is the leak count. <see cref="Violations"/> lists broken invariants.</summary>
public sealed record HeapAudit(long LiveBlocks, long LiveBytes, IReadOnlyList<string> Violations,
    IReadOnlyList<ClassAudit> Classes, long LargeBlocks, long LargeBytes)
{
    public bool IsClean => LiveBlocks == 0 && Violations.Count == 0;
}

public sealed unsafe partial class HakmemHeap
{
    /// <summary>Walks every SuperSlab, span list, remote queue and thread cache and counts the blocks
    /// with the user. Caches of ended threads are reclaimed first. Meant for a quiescent heap: blocks
    /// moving between threads during the walk make the counts approximate (never unsafe).</summary>
    public HeapAudit Audit()
    {
        lock (_sync)
        {
            ThrowIfDisposed();
            CollectLocked();
            var violations = new List<string>();
            var free = new HashSet<nuint>();
            var cachedPerSpan = new Dictionary<nint, long>();

            void Note(Slab* s, void* p, string where)
            {
                if (!free.Add((nuint)p)) violations.Add($"block 0x{(nuint)p:x} is on two free lists (second: {where}; class {s->Class}, {SlabName(s)})");
            }

            bool Valid(Slab* s, void* p, string where)
            {
                nuint rel = (nuint)((byte*)p - s->Start);
                if ((byte*)p < s->Start || rel >= (nuint)s->Carved * s->BlockSize || rel % s->BlockSize != 0)
                {
                    violations.Add($"{where} holds 0x{(nuint)p:x}, not a carved block of its span (class {s->Class}, {SlabName(s)})");
                    return false;
                }
                return true;
            }

            // Thread caches: every block must be of a span owned by that cache, of the tier's class.
            foreach (var (cache, _) in _activeCaches)
            {
                var tc = (ThreadCache*)cache;
                for (int c = 0; c < SizeClasses.Count; c++)
                {
                    ClassCache* cc = ThreadCache.Classes(tc) + c;
                    void CountCached(void* p, string tier)
                    {
                        SuperSlab* ss = _registry.Find((nuint)p & ~Layout.SuperSlabMask);
                        if (ss == null) ss = FindUnregisteredSuperSlab(p);
                        if (ss == null)
                        {
                            violations.Add($"{tier} of class {c} holds 0x{(nuint)p:x}, outside every SuperSlab of the heap");
                            return;
                        }
                        Slab* s = SuperSlab.SpanOf(ss, p);
                        if (s->Owner != tc || s->Class != c)
                            violations.Add($"{tier} of class {c} holds 0x{(nuint)p:x} of a span it does not own (class {s->Class}, {SlabName(s)})");
                        if (!Valid(s, p, tier)) return;
                        Note(s, p, tier);
                        cachedPerSpan[(nint)s] = cachedPerSpan.GetValueOrDefault((nint)s) + 1;
                    }
                    for (void** f = cc->Fast; f < cc->FastTop; f++) CountCached(*f, TierOrder.Name(Tier.Fast));
                    string chain = TierOrder.Name(cc->ChainTier);
                    int n = 0;
                    for (void* p = cc->Chain; p != null && n <= cc->ChainCount; p = *(void**)p, n++) CountCached(p, chain);
                    if (n != cc->ChainCount) violations.Add($"{chain} of class {c} has {n} blocks but counts {cc->ChainCount}");
                }
            }

            // Lists of emptied spans (Emptied.cs), of active and pooled caches: a record is Listed exactly when it is on one, once.
            var listed = new HashSet<nint>();
            void WalkListed(Slab* s, string list)
            {
                for (int n = 0; s != null && n <= 1 << 20; s = s->EmptiedNext, n++)
                {
                    if (!listed.Add((nint)s)) violations.Add($"span record {SlabName(s)} is twice on the lists of emptied spans (second: {list})");
                    if (!RemoteQueue.IsListed(&s->RemoteHead)) violations.Add($"span record {SlabName(s)} is on a list of emptied spans ({list}) but not marked listed");
                }
            }
            foreach (var (cache, _) in _activeCaches)
            {
                WalkListed(*ThreadCache.Emptied((ThreadCache*)cache), "a cache's emptied list");
                WalkListed(*ThreadCache.Aged((ThreadCache*)cache), "a cache's aged list");
            }
            for (ThreadCache* tc = _freeCaches; tc != null; tc = tc->NextFree) WalkListed(*ThreadCache.Emptied(tc), "a pooled cache's emptied list");

            var perClass = new (long Live, long Free, int Spans)[SizeClasses.Count];
            int empty = 0;
            for (SuperSlab* ss = _superSlabs; ss != null; ss = ss->Next)
            {
                if (ss->Magic != SuperSlab.MagicValue || ss->HeapId != _id)
                    violations.Add($"SuperSlab 0x{(nuint)ss->Base:x}: header magic 0x{ss->Magic:x} / heap {ss->HeapId}, expected 0x{SuperSlab.MagicValue:x} / heap {_id}");
                if (ss->FreeMask == Layout.AllSlabsFree) empty++;
                if (ss->Resting != 0 && ss->FreeMask != Layout.AllSlabsFree)
                    violations.Add($"SuperSlab 0x{(nuint)ss->Base:x} rests (its pages given up) with spans in it");
                Slab* slabs = SuperSlab.Slabs(ss);
                for (int k = 0; k < Layout.SlabsPerSuperSlab; k++)
                {
                    Slab* s = slabs + k;
                    if (RemoteQueue.IsListed(&s->RemoteHead) && !listed.Contains((nint)s))
                        violations.Add($"span record {SlabName(s)} is marked listed but is on no list of emptied spans: nothing would clear the mark");
                    if ((s->Class < 0 || s->Owner == null) && ((ulong)(nint)s->RemoteHead & RemoteQueue.WantEmptied) != 0)
                        violations.Add($"span record {SlabName(s)} is free or abandoned but asks its owner to hear when it empties");
                    if (s->Class < 0 || s->HeadSlab != s) continue;
                    long onList = 0, remote = 0;
                    for (void* p = s->FreeList; p != null && onList <= s->Capacity; p = *(void**)p, onList++)
                        if (Valid(s, p, "span free list")) Note(s, p, "span free list");
                    void* remoteHead = RemoteQueue.Peek(&s->RemoteHead, out uint counted);
                    for (void* p = remoteHead; p != null && remote <= s->Capacity; p = *(void**)p, remote++)
                        if (Valid(s, p, "remote queue")) Note(s, p, "remote queue");
                    if (remote <= s->Capacity && remote != counted)
                        violations.Add($"the remote queue of span class {s->Class} ({SlabName(s)}) holds {remote} blocks but its head counts {counted}");
                    if (onList > s->Capacity || remote > s->Capacity)
                        violations.Add($"a list of span class {s->Class} ({SlabName(s)}) is longer than the span: a cycle");
                    if (s->Used != s->Carved - onList)
                        violations.Add($"counter mismatch in class {s->Class} ({SlabName(s)}): Used={s->Used} but Carved-FreeList={s->Carved - onList}");
                    long cached = cachedPerSpan.GetValueOrDefault((nint)s);
                    long live = s->Carved - onList - remote - cached;
                    if (live < 0) violations.Add($"negative live count {live} in class {s->Class} ({SlabName(s)})");
                    if (CountLiveBits(ss, s) is long bits && bits != live)
                        violations.Add($"guard live bitmap counts {bits} blocks but lists leave {live} in class {s->Class} ({SlabName(s)})");
                    perClass[s->Class].Live += Math.Max(live, 0);
                    perClass[s->Class].Free += s->Capacity - Math.Max(live, 0);
                    perClass[s->Class].Spans++;
                }
            }
            if (empty != _emptySuperSlabs)
                violations.Add($"{empty} SuperSlabs have every slot free but the heap counts {_emptySuperSlabs} empty ones");

            var classes = new List<ClassAudit>();
            long liveBlocks = 0, liveBytes = 0;
            for (int c = 0; c < SizeClasses.Count; c++)
            {
                var (live, freeBlocks, spans) = perClass[c];
                if (spans == 0) continue;
                long bytes = live * SizeClasses.BlockSize(c);
                classes.Add(new ClassAudit(c, (int)SizeClasses.BlockSize(c), live, bytes, freeBlocks, spans));
                liveBlocks += live;
                liveBytes += bytes;
            }
            var (largeBlocks, largeBytes, _, _, _, _, _, _) = _large.Counts();
            return new HeapAudit(liveBlocks + largeBlocks, liveBytes + largeBytes, violations, classes, largeBlocks, largeBytes);
        }
    }

    /// <summary>Guard mode: blocks of the span whose live bit is set; null without guards.</summary>
    private static long? CountLiveBits(SuperSlab* ss, Slab* s)
    {
        if (ss->LiveBits == null) return null;
        long n = 0;
        nuint first = (nuint)(s->Start - ss->Base) >> 4;
        nuint end = first + ((nuint)s->Span << Layout.SlabShift >> 4);
        for (nuint w = first >> 6; w < end >> 6; w++) n += BitOperations.PopCount(ss->LiveBits[w]);
        return n;
    }
}
