using Hakmem;

namespace Hakmem.Tests;

public unsafe class RegistryTests
{
    private const ulong Stride = 1UL << (21 + Registry.Bits); // bases this far apart share a slot

    private static nuint Base(ulong first, long i) => (nuint)(first + (ulong)i * Stride);

    [Fact]
    public void Colliding_bases_are_found_by_probing_removed_ones_are_not()
    {
        var r = Registry.Create();
        try
        {
            const ulong first = 0x7f00_0000_0000;
            for (int i = 0; i < 10; i++) Assert.True(r.Insert(Base(first, i), (SuperSlab*)(nint)(i + 100)));
            for (int i = 0; i < 10; i++) Assert.True(r.Find(Base(first, i)) == (SuperSlab*)(nint)(i + 100));
            r.Remove(Base(first, 3));
            Assert.True(r.Find(Base(first, 3)) == null);
            Assert.True(r.Find(Base(first, 9)) == (SuperSlab*)109, "a tombstone does not end the probe");
            Assert.True(r.Find(Base(first + (2UL << 21), 0)) == null);
        }
        finally
        {
            r.Destroy();
        }
    }

    [Fact]
    public void Probing_is_bounded_an_insert_past_the_window_fails()
    {
        var r = Registry.Create();
        try
        {
            const ulong first = 0x7e00_0000_0000;
            for (int i = 0; i < Registry.MaxProbe; i++) Assert.True(r.Insert(Base(first, i), (SuperSlab*)1));
            Assert.False(r.Insert(Base(first, Registry.MaxProbe), (SuperSlab*)1));
            Assert.True(r.Find(Base(first, Registry.MaxProbe)) == null);
        }
        finally
        {
            r.Destroy();
        }
    }
}
