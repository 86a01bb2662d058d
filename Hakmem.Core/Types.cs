// Glossary of Hakmem.Core (every native structure is defined in the file named for it).
//
// block      - what Alloc returns. A free block holds the next pointer of the list it is on at
//              offset 0 and a free tag (heap secret ^ address) at offset 8, so blocks are >= 16 bytes.
// class      - a block size. Tiny: 20 classes up to 1024 bytes; mid: 24 classes up to 64 KiB.
// SuperSlab  - a 2 MiB region aligned to 2 MiB, taken from the OS. Its metadata lives out of band
//              (never inside memory handed to users): its header in a mapping of its own, its Slab
//              records in the registry.
// slab       - one of the 32 64 KiB slots of a SuperSlab. A span is 1..8 contiguous slabs serving
//              one class; its head slab's metadata (Slab) describes the whole span.
// carve      - hand out never-used blocks of a span linearly (Carved is the cursor).
// owner      - the thread cache that owns a span. Only the owner touches its free list,
//              Used and Carved; every other thread frees into the span's remote queue.
// remote queue - lock-free multi-producer single-consumer stack of blocks freed by non-owners.
// drain      - the owner takes the whole remote queue at once and splices it onto its free list.
// emptied    - a span its owner used up and other threads' frees then brought back whole: listed for the
//              owner, taken back by its class or given back to its SuperSlab (Emptied.cs).
// abandon    - a thread that releases its cache (or died) gives up its spans; they are parked
//              on the heap's abandoned list with Owner = null.
// adopt      - a thread needing a span of a class claims an abandoned one (under the heap lock),
//              and only then drains it: claim, then drain.
// registry   - a table of Slab records, one per 64 KiB slot of address space modulo 32 GiB; a
//              SuperSlab's 32 records are the group at base >> 21 (no two SuperSlabs of a heap share
//              one). A pointer whose slot record does not hold it as a block is not a small block of ours.

namespace Hakmem;

internal static class Layout
{
    public const int SuperSlabShift = 21;
    public const nuint SuperSlabSize = (nuint)1 << SuperSlabShift;       // 2 MiB
    public const nuint SuperSlabMask = SuperSlabSize - 1;
    public const int SlabShift = 16;
    public const nuint SlabSize = (nuint)1 << SlabShift;                 // 64 KiB
    public const int SlabsPerSuperSlab = (int)(SuperSlabSize / SlabSize); // 32
    public const uint AllSlabsFree = uint.MaxValue;                      // one bit per slab
    public const nuint PageSize = 4096;
    public const int MinBlock = 16;
}
