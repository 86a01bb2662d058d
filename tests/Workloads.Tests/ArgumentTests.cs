using Hakmem.Workloads;

namespace Hakmem.Workloads.Tests;

public class ArgumentTests
{
    private static WorkloadArgumentException Bad(string command)
    {
        var parts = command.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return Assert.Throws<WorkloadArgumentException>(() => WorkloadSpec.Parse(parts[0], parts[1..]));
    }

    [Theory]
    [InlineData("larson 1 200 100 1024 1 12345 4", "min_size 200 is larger than max_size 100")]
    [InlineData("larson 1 8 128 1024 1 12345 0", "threads = '0' is not valid: expected an integer from 1 to 1024")]
    [InlineData("larson 1 8 abc 1024 1 12345 4", "max_size = 'abc' is not valid")]
    [InlineData("larson 1 8 128", "expected 7 arguments")]
    [InlineData("larson 1 8 128 1024 1 12345 4 9", "too many arguments")]
    [InlineData("larson -1 8 128 1024 1 12345 4", "seconds = '-1'")]
    [InlineData("random_mixed 0 2048 123", "cycles = '0'")]
    [InlineData("random_mixed 1000 x 123", "ws = 'x'")]
    [InlineData("mid_large_mt 0 1000 64 1", "threads = '0'")]
    [InlineData("mid_large_mt 2 1000 64 1 9000", "give both min_size and max_size")]
    [InlineData("mid_large_mt 2 1000 64 1 9000 100", "min_size 9000 is larger than max_size 100")]
    [InlineData("large_mixed 1000 0 1", "ws = '0'")]
    [InlineData("large_mixed 1000 64 1 65536", "give both min_size and max_size")]
    [InlineData("large_mixed 1000 64 1 70000 65536", "min_size 70000 is larger than max_size 65536")]
    [InlineData("large_mixed 1000 64 1 8 65536", "min_size = '8' is not valid")]
    [InlineData("nosuch 1 2 3", "unknown workload or scenario 'nosuch'")]
    [InlineData("larson-4t-high 1", "takes no arguments")]
    public void Bad_arguments_name_the_argument_and_what_is_allowed(string command, string expected)
    {
        Assert.Contains(expected, Bad(command).Message);
    }

    [Fact]
    public void Random_mixed_refuses_a_thread_count()
    {
        var e = Assert.Throws<WorkloadArgumentException>(() => WorkloadSpec.Parse("random_mixed", ["10", "10", "1"]).WithThreads(4));
        Assert.Contains("single-threaded", e.Message);
    }

    [Fact]
    public void Every_scenario_parses_and_the_seed_command_lines_are_there()
    {
        Assert.All(Scenarios.All, s => WorkloadSpec.Parse(s.Name, []));
        Assert.Equal("larson 10 8 128 1024 1 12345 4", WorkloadSpec.Parse("larson-4t-high", []).CommandLine);
        Assert.Equal("random_mixed 25000 2048 123", WorkloadSpec.Parse("random-mixed-25k", []).CommandLine);
    }

    [Fact]
    public void Threads_override_changes_the_thread_argument()
    {
        var spec = WorkloadSpec.Parse("larson", ["1", "8", "128", "1024", "1", "12345", "4"]).WithThreads(2);
        Assert.Equal(2, spec.Threads);
        Assert.Equal("2", spec.Arguments[^1]);
    }
}

public class ExecWorkloadTests
{
    [Theory]
    [InlineData("./larson 2 8 {threads}", new[] { "./larson", "2", "8", "{threads}" })]
    [InlineData("  prog   'a b'  \"c d\" e'f g'h ", new[] { "prog", "a b", "c d", "ef gh" })]
    [InlineData("prog ''", new[] { "prog", "" })]
    public void A_command_line_is_split_on_spaces_and_quotes_group(string command, string[] words)
    {
        Assert.Equal(words, Hakmem.Workloads.ExecWorkload.Split(command));
    }

    [Theory]
    [InlineData(new[] { "./prog", "plain", "--flag=1" }, "./prog plain --flag=1")]
    [InlineData(new[] { "./prog", "a b", "" }, "./prog 'a b' ''")]
    [InlineData(new[] { "prog", "it's", "'", "say \"hi\"" }, "prog 'it'\"'\"'s' \"'\" 'say \"hi\"'")]
    public void A_command_is_written_so_that_it_splits_back_into_the_very_same_words(string[] words, string expected)
    {
        string line = Hakmem.Workloads.ExecWorkload.Format(words);
        Assert.Equal(expected, line);
        Assert.Equal(words, Hakmem.Workloads.ExecWorkload.Split(line));
    }

    [Fact]
    public void Any_words_split_back_from_their_command_line()
    {
        var random = new Random(7);
        const string alphabet = "ab ' \"\t\\x{}";
        for (int i = 0; i < 2000; i++)
        {
            var words = Enumerable.Range(0, 1 + random.Next(4))
                .Select(_ => new string(Enumerable.Range(0, random.Next(6)).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray())).ToArray();
            Assert.Equal(words, Hakmem.Workloads.ExecWorkload.Split(Hakmem.Workloads.ExecWorkload.Format(words)));
        }
    }

    [Fact]
    public void Threads_fill_the_placeholder_and_a_command_without_one_refuses_a_thread_count()
    {
        var exec = (Hakmem.Workloads.ExecWorkload)Hakmem.Workloads.WorkloadSpec.Parse("exec", ["./larson 2 {threads} x{threads}"]);
        Assert.Equal(["./larson", "2", "4", "x4"], exec.WithThreads(4).Arguments);
        Assert.Equal(4, exec.WithThreads(4).Threads);
        var fixedThreads = Hakmem.Workloads.WorkloadSpec.Parse("exec", ["./larson 2 4"]);
        Assert.Throws<Hakmem.Workloads.WorkloadArgumentException>(() => fixedThreads.WithThreads(2));
    }
}
