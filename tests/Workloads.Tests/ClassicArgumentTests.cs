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
    public void The_original_command_lines_parse_with_the_original_defaults(string command, string canonical)
    {
        var spec = Spec(command);
        Assert.Equal(canonical, spec.CommandLine);
        Assert.Equal(spec, WorkloadSpec.Parse(spec.Name, spec.Arguments)); // the canonical form reads back the same
    }

    [Theory]
    [InlineData("xmalloc_test 2 5 64")]
    [InlineData("cache_scratch 2 1000 1 2000000 2")]
    [InlineData("cache_thrash 1 1000 1 2000000 2")]
    [InlineData("mstress 2 50 25")]
    public void The_thread_count_is_the_argument_the_spec_names(string command)
    {
        var spec = Spec(command);
        int at = Assert.IsType<int>(spec.ThreadArgument);
        var three = spec.WithThreads(3);
        Assert.Equal(3, three.Threads);
        Assert.Equal("3", three.Arguments[at]);
        Assert.Equal(spec.Arguments.Where((_, i) => i != at), three.Arguments.Where((_, i) => i != at));
    }

    [Fact]
    public void Xmalloc_mixed_sizes_are_the_powers_of_two_and_their_halves_between_8_and_2048()
    {
        Assert.Equal([8u, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048], XmallocTest.MixedSizes);
    }
}
