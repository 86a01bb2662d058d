namespace Hakmem.Workloads.Tests;

public class ClassicArgumentTests
{
    private static WorkloadSpec Spec(string command)
    {
        var parts = command.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return WorkloadSpec.Parse(parts[0], parts[1..]);
    }

    [Theory]
    [InlineData("xmalloc_test 0 5 64", "xmalloc_test: workers = '0' is not valid: expected an integer from 1 to 512")]
    [InlineData("xmalloc_test 2 x 64", "xmalloc_test: seconds = 'x' is not valid: expected a number from 0.001")]
    [InlineData("xmalloc_test 2 5 -2", "xmalloc_test: object_size = '-2' is not valid: expected an integer from -1")]
    [InlineData("xmalloc_test 2 5", "xmalloc_test: expected 3 arguments (workers seconds object_size), got 2")]
    [InlineData("cache_scratch 2 1000 1 1 2", "cache_scratch: repetitions 1 is smaller than nthreads 2")]
    [InlineData("cache_scratch 2 1000 1 100", "cache_scratch: expected 5 arguments")]
    [InlineData("cache_thrash 2 1000 0 100 2", "cache_thrash: objSize = '0' is not valid: expected an integer from 1")]
    [InlineData("cache_thrash 2 -5 1 100 2", "cache_thrash: iterations = '-5' is not valid")]
    [InlineData("mstress 0", "mstress: threads = '0' is not valid: expected an integer from 1 to 1024")]
    [InlineData("mstress 2 x", "mstress: scale = 'x' is not valid")]
    [InlineData("mstress 2 50 25 1", "mstress: too many arguments (4); usage: [threads [scale [iterations]]]")]
    [InlineData("rptest 2 3 1 2 500 1000 100 8 16000", "rptest: mode = '3' is not valid: expected an integer from 0 to 1")]
    [InlineData("rptest 2 0 5 2 500 1000 100 8 16000", "rptest: size_mode = '5' is not valid: expected an integer from 0 to 2")]
    [InlineData("rptest 2 0 1 2 99999999 1000 100 8 16000", "rptest: loops = '99999999' is not valid: expected an integer from 0 to 16777215")]
    [InlineData("rptest 2 0 1 2 500 1000 100 2 16000", "rptest: min_size = '2' is not valid: expected an integer from 4")]
    [InlineData("rptest 2 0 1 2 500 1000 100 8 4", "rptest: mode 0 (random sizes) needs max_size at least min_size 8, got 4")]
    [InlineData("rptest 2 0 1 2 500 1000 100 8", "rptest: mode 0 (random sizes) needs max_size at least min_size 8, got 0")]
    [InlineData("rptest 1001 0 1 2 500 1000 100 8 16000", "rptest: threads = '1001' is not valid: expected an integer from 1 to 1000")]
    [InlineData("glibc_simple 0", "glibc_simple: alloc_size = '0' is not valid")]
    [InlineData("glibc_simple 16 10", "glibc_simple: iterations = '10' is not valid: expected an integer from 1600")]
    [InlineData("glibc_thread 2 0", "glibc_thread: seconds = '0' is not valid")]
    [InlineData("glibc_thread 2 1 1", "glibc_thread: too many arguments")]
    [InlineData("alloc_test 17", "alloc_test: threads = '17' is not valid: expected an integer from 1 to 16")]
    [InlineData("alloc_test 2 10", "alloc_test: iterations = '10' is not valid: expected an integer from 32")]
    [InlineData("malloc_large 0", "malloc_large: iterations = '0' is not valid: expected an integer from 1")]
    [InlineData("malloc_large 1 2", "malloc_large: too many arguments")]
    public void Bad_arguments_name_the_argument_and_what_is_allowed(string command, string expected)
    {
        var e = Assert.Throws<WorkloadArgumentException>(() => Spec(command));
        Assert.Contains(expected, e.Message);
    }

    /// <summary>mimalloc-bench's command lines (bench.sh, with 2 for its thread count), as the C programs take them.</summary>
    [Theory]
    [InlineData("xmalloc_test 2 5 64", "xmalloc_test 2 5 64")]
    [InlineData("cache_scratch 1 1000 1 2000000 2", "cache_scratch 1 1000 1 2000000 2")]
    [InlineData("cache_thrash 2 1000 1 2000000 2", "cache_thrash 2 1000 1 2000000 2")]
    [InlineData("mstress 2 50 25", "mstress 2 50 25")]
    [InlineData("mstress", "mstress 32 50 10")]
    [InlineData("rptest 2 0 1 2 500 1000 100 8 16000", "rptest 2 0 1 2 500 1000 100 8 16000")]
    [InlineData("rptest 2 1 0 0 0 0 0 64", "rptest 2 1 0 0 0 0 0 64 0")]
    [InlineData("glibc_simple", "glibc_simple 16 2000000")]
    [InlineData("glibc_thread 2", "glibc_thread 2 2")]
    [InlineData("alloc_test 1", "alloc_test 1 100000000")]
    [InlineData("alloc_test", "alloc_test 6 100000000")]
    [InlineData("malloc_large", "malloc_large 2000")]
    public void The_original_command_lines_parse_with_the_original_defaults(string command, string canonical)
    {
        var spec = Spec(command);
        Assert.Equal(canonical, spec.CommandLine);
        Assert.Equal(spec, WorkloadSpec.Parse(spec.Name, spec.Arguments)); // the canonical form reads back the same
    }

    [Fact]
    public void Rptest_takes_the_original_defaults_for_zero()
    {
        var r = (RpTest)Spec("rptest 1 1 0 0 0 0 0 64");
        Assert.Equal((800 * 1024, 10 * 1024, 1000, 0), (r.LoopCount, r.SlotCount, r.OperationCount, r.EffectiveCrossRate));
        Assert.Equal(0, ((RpTest)Spec("rptest 1 0 1 2 5 10 10 8 100")).EffectiveCrossRate); // one thread hands nothing over
    }

    [Theory]
    [InlineData("xmalloc_test 2 5 64")]
    [InlineData("cache_scratch 2 1000 1 2000000 2")]
    [InlineData("cache_thrash 1 1000 1 2000000 2")]
    [InlineData("mstress 2 50 25")]
    [InlineData("rptest 2 0 1 2 500 1000 100 8 16000")]
    [InlineData("glibc_thread 2 2")]
    [InlineData("alloc_test 2 1000")]
    public void The_thread_count_is_the_argument_the_spec_names(string command)
    {
        var spec = Spec(command);
        int at = Assert.IsType<int>(spec.ThreadArgument);
        var three = spec.WithThreads(3);
        Assert.Equal(3, three.Threads);
        Assert.Equal("3", three.Arguments[at]);
        Assert.Equal(spec.Arguments.Where((_, i) => i != at), three.Arguments.Where((_, i) => i != at));
    }

    [Theory]
    [InlineData("glibc_simple 16 2000000")]
    [InlineData("malloc_large 100")]
    public void A_workload_without_a_thread_count_refuses_one(string command)
    {
        var spec = Spec(command);
        Assert.Null(spec.ThreadArgument);
        Assert.Same(spec, spec.WithThreads(1));
        Assert.Throws<WorkloadArgumentException>(() => spec.WithThreads(2));
    }

    [Fact]
    public void The_classic_preset_names_the_nine_and_each_has_a_scenario()
    {
        Assert.Equal(["xmalloc_test", "cache_scratch", "cache_thrash", "mstress", "rptest", "glibc_simple", "glibc_thread", "alloc_test", "malloc_large"],
            WorkloadCatalog.ClassicNames);
        Assert.All(WorkloadCatalog.ClassicNames, n => Assert.Contains(Scenarios.All, s => s.Workload == n));
        Assert.All(WorkloadCatalog.ClassicNames, n => Assert.Contains(n, WorkloadSpec.Names));
    }

    [Fact]
    public void Xmalloc_mixed_sizes_are_the_powers_of_two_and_their_halves_between_8_and_2048()
    {
        Assert.Equal([8u, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048], XmallocTest.MixedSizes);
    }

    [Fact]
    public void Glibc_thread_sizes_are_inverse_square_between_4_and_32768_bytes()
    {
        uint[] sizes = GlibcThread.SizeTable();
        Assert.All(sizes, s => Assert.InRange(s, 4u, 32768u));
        // A size is the draw truncated, so at most 8 bytes is a draw below 9: (1/4 - 1/9) / (1/4 - 1/32768) = 0.556 of them.
        double atMost8 = sizes.Count(s => s <= 8) / (double)sizes.Length;
        Assert.InRange(atMost8, 0.53, 0.58);
    }
}
