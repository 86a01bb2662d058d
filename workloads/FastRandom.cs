using System.Runtime.CompilerServices;

namespace Hakmem.Workloads;

/// <summary>xorshift64* : a few cycles per number, deterministic per seed, the same on every backend.</summary>
public struct FastRandom
{
    private ulong _state;

    public FastRandom(ulong seed) => _state = seed * 0x9E3779B97F4A7C15UL | 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint Next()
    {
        ulong x = _state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        _state = x;
        return (uint)((x * 0x2545F4914F6CDD1DUL) >> 32);
    }

    /// <summary>A number below <paramref name="n"/> from the high bits of <paramref name="r"/>: a multiply
    /// instead of the division of <c>r % n</c>, so the harness does not dominate the measurement.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Below(uint r, uint n) => (uint)(((ulong)r * n) >> 32);
}
