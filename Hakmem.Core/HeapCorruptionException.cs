namespace Hakmem;

/// <summary>A pointer the heap cannot accept (foreign, interior, already free, of another or a
/// disposed heap) or a broken invariant found by guard mode. The heap has written nothing for it.</summary>
public sealed class HeapCorruptionException : Exception
{
    public nuint Pointer { get; }
    public string Reason { get; }

    public HeapCorruptionException(nuint pointer, string reason)
        : base($"hakmem: {reason} (pointer 0x{pointer:x})")
    {
        Pointer = pointer;
        Reason = reason;
    }
}
