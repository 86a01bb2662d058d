using Hakmem;

namespace Hakmem.Tests;

public class OptionsTests
{
    private static HakmemOptions From(params (string Name, string Value)[] vars) =>
        HakmemOptions.FromVariables(n => vars.FirstOrDefault(v => v.Name == n).Value);

    [Fact]
    public void Defaults_when_nothing_is_set()
    {
        Assert.Equal(HakmemOptions.Default, From());
        Assert.Equal(64, HakmemOptions.Default.FastCap);
    }

    [Fact]
    public void Every_variable_of_the_seeds_sets_its_property()
    {
        var o = From(("HAKMEM_TINY_FAST_CAP", "0"), ("HAKMEM_TINY_TLS_SLL", "0"), ("HAKMEM_TINY_TLS_LIST", "1"),
            ("HAKMEM_TINY_P0_BATCH_REFILL", "0"), ("HAKMEM_TINY_REFILL_FAILFAST", "1"), ("HAKMEM_MAX_MB", "64"));
        Assert.Equal(new HakmemOptions { FastCap = 0, TlsSll = false, TlsList = true, P0BatchRefill = false, Guards = true, MaxMemoryBytes = 64L << 20 }, o);
    }

    [Fact]
    public void The_large_block_cache_variables_set_its_cap_and_decay()
    {
        var o = From(("HAKMEM_LARGE_CACHE_MB", "0"), ("HAKMEM_LARGE_DECAY_MS", "250"));
        Assert.Equal(HakmemOptions.Default with { LargeCacheBytes = 0, LargeCacheDecayMs = 250 }, o);
    }

    [Fact]
    public void HAKMEM_MID_CACHE_switches_the_mid_classes_tiers()
    {
        Assert.True(HakmemOptions.Default.MidCache);
        Assert.Equal(HakmemOptions.Default with { MidCache = false }, From(("HAKMEM_MID_CACHE", "0")));
        Assert.Equal(HakmemOptions.Default, From(("HAKMEM_MID_CACHE", "on")));
    }

    [Theory]
    [InlineData("HAKMEM_MID_CACHE", "256")]
    [InlineData("HAKMEM_LARGE_CACHE_MB", "-1")]
    [InlineData("HAKMEM_LARGE_DECAY_MS", "0")]
    [InlineData("HAKMEM_TINY_FAST_CAP", "abc")]
    [InlineData("HAKMEM_TINY_FAST_CAP", "-1")]
    [InlineData("HAKMEM_TINY_FAST_CAP", "100000")]
    [InlineData("HAKMEM_TINY_TLS_LIST", "2")]
    [InlineData("HAKMEM_TINY_TLS_SLL", "maybe")]
    [InlineData("HAKMEM_TINY_P0_BATCH_REFILL", "")]
    [InlineData("HAKMEM_TINY_REFILL_FAILFAST", "yes please")]
    [InlineData("HAKMEM_MAX_MB", "1.5")]
    public void A_bad_value_is_an_argument_error_naming_variable_and_value(string name, string value)
    {
        var e = Assert.Throws<ArgumentException>(() => From((name, value)));
        Assert.Contains(name, e.Message);
        Assert.Contains($"'{value}'", e.Message);
        Assert.Contains("expected", e.Message);
    }

    [Fact]
    public void Options_out_of_range_are_refused_by_the_heap()
    {
        Assert.Throws<ArgumentException>(() => new HakmemHeap(new HakmemOptions { FastCap = -1 }));
        Assert.Throws<ArgumentException>(() => new HakmemHeap(new HakmemOptions { MaxMemoryBytes = -5 }));
        Assert.Throws<ArgumentException>(() => new HakmemHeap(new HakmemOptions { LargeCacheBytes = -1 }));
        Assert.Throws<ArgumentException>(() => new HakmemHeap(new HakmemOptions { LargeCacheDecayMs = 0 }));
    }
}
