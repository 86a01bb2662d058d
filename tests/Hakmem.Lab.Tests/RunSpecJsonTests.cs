using System.Text.Json;
using Hakmem.Lab.Running;

namespace Hakmem.Lab.Tests;

/// <summary>The run spec a parent hands to a worker, which may be another build's (ab, bisect): the worker reads it
/// strictly, so an option added later must not appear in a spec of the behaviour builds before it always had.</summary>
public class RunSpecJsonTests
{
    private static RunSpec Spec(HakmemOptions o) => new("rptest", ["2", "0", "1", "2", "2500", "1000", "100", "8", "16000"], "hakmem", o);

    [Fact]
    public void A_spec_with_the_mid_cache_on_leaves_the_member_out_so_builds_from_before_the_option_read_it()
    {
        string json = JsonSerializer.Serialize(Spec(HakmemOptions.Default), WorkerReport.Json);
        Assert.DoesNotContain("mid_cache", json);
        Assert.Contains("\"fast_cap\":64", json); // the options are there, the new one is not
        var back = JsonSerializer.Deserialize<RunSpec>(json, WorkerReport.StrictJson)!;
        Assert.True(back.Hakmem.MidCache);
        Assert.Equal(HakmemOptions.Default, back.Hakmem);
    }

    [Fact]
    public void A_spec_with_the_mid_cache_off_says_so_and_reads_back_off()
    {
        var off = HakmemOptions.Default with { MidCache = false };
        string json = JsonSerializer.Serialize(Spec(off), WorkerReport.Json);
        Assert.Contains("\"mid_cache\":false", json);
        var back = JsonSerializer.Deserialize<RunSpec>(json, WorkerReport.StrictJson)!;
        Assert.False(back.Hakmem.MidCache);
        Assert.Equal(off, back.Hakmem);
    }
}
