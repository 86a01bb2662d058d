using Hakmem.Lab.Results;

namespace Hakmem.Lab.Tests;

/// <summary>Every command, fed what a careless user types: one line on stderr naming the bad value and what
/// is expected, exit 2, no stack trace, nothing written.</summary>
public class BadInputTests : IDisposable
{
    private readonly string _fixtures = Hklab.TempDir("bad-input-fixtures");

    public BadInputTests()
    {
        // A result set, one with a broken meta.json, a plain file, a runs file.
        string set = Path.Combine(_fixtures, "set");
        Directory.CreateDirectory(set);
        RunsCsv.Write(Path.Combine(set, RunsCsv.RunsFile), [new RunRecord { RunId = "m-c0000-r001", Workload = "random_mixed", Args = "10 10 1", Allocator = "system", Threads = 1, Run = 1, Outcome = "ok", OpsPerSec = 1 }]);
        new ResultMeta { MatrixId = "m", Cells = 1, PlannedRuns = 1 }.Write(set);
        string bad = Path.Combine(_fixtures, "badmeta");
        Directory.CreateDirectory(bad);
        File.Copy(Path.Combine(set, RunsCsv.RunsFile), Path.Combine(bad, RunsCsv.RunsFile));
        File.WriteAllText(Path.Combine(bad, RunsCsv.MetaFile), "{ \"matrix_id\": ");
        File.WriteAllText(Path.Combine(_fixtures, "file.txt"), "not a directory");
    }

    public void Dispose() => Directory.Delete(_fixtures, true);

    public static TheoryData<string, string> Cases => new()
    {
        // unknown commands and options
        { "bogus", "no command 'bogus'; commands: run, matrix" },
        { "", "no command given" },
        { "run random_mixed 10 10 1 --bogus", "unknown option '--bogus'" },
        // numbers: not numbers, out of range, overflowing, not finite
        { "run random_mixed 10 10 1 --runs x", "--runs 'x' is not valid: expected a whole number from 1" },
        { "run random_mixed 10 10 1 --runs 0", "--runs '0' is not valid" },
        { "run random_mixed 10 10 1 --runs 2147483647", "--runs '2147483647' is not valid" },
        { "run random_mixed 10 10 1 --timeout NaN", "--timeout 'NaN' is not valid: expected a number of seconds" },
        { "run random_mixed 10 10 1 --timeout Infinity", "--timeout 'Infinity' is not valid" },
        { "run random_mixed 10 10 1 --timeout 1e20", "--timeout '1e20' is not valid" },
        { "run random_mixed 10 10 1 --timeout -1", "--timeout '-1' is not valid" },
        { "run random_mixed 10 10 1 --max-mb 17592186044432", "--max-mb '17592186044432' is not valid: expected a whole number from 0 to" },
        { "run random_mixed 10 10 1 --max-mb 9999999999999", "--max-mb '9999999999999' is not valid" },
        { "run random_mixed 10 10 1 --fast-cap -1", "--fast-cap '-1' is not valid: expected a whole number from 0 to 1024" },
        { "run random_mixed 10 10 1 --threads 0", "--threads '0' is not valid" },
        { "run random_mixed 10 10 1 --tls-list maybe", "--tls-list 'maybe' is not valid: expected on or off" },
        { "run random_mixed 10 x 1", "random_mixed: ws = 'x' is not valid" },
        { "run large_mixed 10 64 1 70000 65536", "large_mixed: min_size 70000 is larger than max_size 65536" },
        { "run large_mixed 10 64 1 --env HAKMEM_LARGE_CACHE_MB=abc", "HAKMEM_LARGE_CACHE_MB='abc' is not valid: expected a whole number of MiB" },
        { "matrix --workloads large_mixed --env HAKMEM_LARGE_DECAY_MS=0", "HAKMEM_LARGE_DECAY_MS='0' is not valid" },
        { "run random_mixed 10 10 1 --allocator nosuch", "unknown allocator 'nosuch'" },
        // the classic workloads' arguments
        { "run xmalloc_test 0 5 64", "xmalloc_test: workers = '0' is not valid: expected an integer from 1 to 512" },
        { "run xmalloc_test 2 5", "xmalloc_test: expected 3 arguments (workers seconds object_size), got 2" },
        { "run cache_scratch 2 1000 1 1 2", "cache_scratch: repetitions 1 is smaller than nthreads 2" },
        { "run cache_thrash 2 1000 0 100 2", "cache_thrash: objSize = '0' is not valid" },
        { "run mstress 2 x", "mstress: scale = 'x' is not valid" },
        { "run rptest 2 3 1 2 500 1000 100 8 16000", "rptest: mode = '3' is not valid: expected an integer from 0 to 1" },
        { "run rptest 2 0 1 2 500 1000 100 8", "rptest: mode 0 (random sizes) needs max_size at least min_size 8" },
        { "run glibc_simple 16 10", "glibc_simple: iterations = '10' is not valid" },
        { "run glibc_simple --threads 2", "glibc_simple has no thread count" },
        { "run glibc_thread 2 0", "glibc_thread: seconds = '0' is not valid" },
        { "run alloc_test 17", "alloc_test: threads = '17' is not valid: expected an integer from 1 to 16" },
        { "run malloc_large 1 2", "malloc_large: too many arguments" },
        { "matrix --runs 2147483647", "--runs '2147483647' is not valid" },
        { "matrix --runs 100000", "the plan has 12000000 runs" },
        { "matrix --timeout NaN", "--timeout 'NaN' is not valid" },
        { "canaries --runs 0", "--runs '0' is not valid" },
        { "compare {set} {set} --threshold 100%", "--threshold '100%' is not valid" },
        { "compare {set} {set} --threshold NaN", "--threshold 'NaN' is not valid" },
        // lists: empty, with an empty item, bad items
        { "matrix --workloads ,", "--workloads ',' is empty" },
        { "matrix --allocators ,", "--allocators ',' is empty" },
        { "matrix --threads ,", "--threads ',' is empty" },
        { "matrix --threads 1,,2", "--threads '1,,2' has an empty item" },
        { "matrix --fast-cap ,", "--fast-cap ',' is empty" },
        { "matrix --fast-cap -1", "--fast-cap item '-1' is not valid" },
        { "matrix --p0 on,maybe", "--p0 item 'maybe' is not valid: expected on or off" },
        { "canaries --only ,", "--only ',' is empty" },
        { "matrix --shard 0/0", "--shard '0/0' is not valid" },
        { "matrix --resume --force", "--resume and --force exclude each other" },
        // output paths
        { "matrix --quick --out {set}", "already holds a result set" },
        { "matrix --quick --out {file}", "is a file: expected a directory" },
        { "matrix --quick --out {file}/sub", "lies under" },
        { "matrix --quick --out /proc/hklab", "cannot be written" },
        { "matrix --quick --out \"\"", "--out is empty" },
        { "run random_mixed 10 10 1 --csv {fixtures}", "is a directory: expected a file name" },
        { "run random_mixed 10 10 1 --csv {file}", "already exists" },
        { "run random_mixed 10 10 1 --csv {file}/runs.csv", "lies under" },
        { "run random_mixed 10 10 1 --csv /proc/runs.csv", "cannot be written" },
        { "run random_mixed 10 10 1 --csv \"\"", "--csv is empty" },
        { "canaries --csv {fixtures}", "is a directory: expected a file name" },
        { "compare {set} {set} --out {set}/runs.csv", "is one of the inputs" },
        { "merge {set} --out {set}", "is one of the shards being merged" },
        { "merge {set} --out {file}", "is a file" },
        // input files
        { "report {badmeta}", "is not a valid meta.json" },
        { "merge {badmeta} --out new", "is not a valid meta.json" },
        { "report {fixtures}/nope", "does not exist" },
        { "compare {file} {set}", "missing columns" },
        { "micro --job bogus", "--job 'bogus'" },
        { "micro --job paired --rounds 3", "--rounds '3' is not valid: expected a whole number from 5 to 10000" },
        { "micro --rounds 9 --allocators hakmem,system", "--rounds applies to --job paired only" },
        { "micro --job paired --allocators system", "needs hakmem among --allocators" },
        { "micro --job paired --allocators hakmem", "needs a second backend" },
        { "micro --job paired --allocators hakmem,system --out {file}", "is a file" },
        { "micro --job paired --allocators hakmem,lib:{file}", "does not load" },
        { "repro {set} nosuch", "no run 'nosuch'" },
        { "repro {fixtures}/nope m", "does not exist" },
        { "repro {set} m --runs 0", "--runs '0' is not valid" },
        { "ab . .", "is neither a git checkout of hklab nor a build directory" },
        // programs that cannot run, refused before the first run (never an error run naming an internal tool)
        { "run --exec ./nosuch", "the program './nosuch' does not exist" },
        { "run --exec {file}", "is not executable (chmod +x" },
        { "run --exec {fixtures}", "is a directory, not a program" },
        { "run --exec nosuchprogram-hklab", "no program 'nosuchprogram-hklab' in PATH" },
        { "matrix --exec ./nosuch --allocators system", "the program './nosuch' does not exist" },
        // a thread axis that reaches nothing
        { "matrix --workloads random_mixed --threads 1,2", "--threads '1,2' reaches none of the workloads: random_mixed (single-threaded)" },
        { "matrix --exec /bin/true --allocators system --threads 1,2", "(no {threads} in its command)" },
        { "ab lib:{fixtures}/nope.so lib:{fixtures}/nope.so", "nope.so does not exist" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Bad_input_is_one_line_and_exit_2_with_nothing_written(string command, string expected)
    {
        string cwd = Hklab.TempDir("bad-input-cwd");
        string before = Snapshot(_fixtures);
        try
        {
            var args = Split(command.Replace("{set}", Path.Combine(_fixtures, "set")).Replace("{badmeta}", Path.Combine(_fixtures, "badmeta"))
                .Replace("{file}", Path.Combine(_fixtures, "file.txt")).Replace("{fixtures}", _fixtures));
            var o = Hklab.RunIn(cwd, args);
            Assert.True(o.ExitCode == 2, $"exit {o.ExitCode}: {o.Stdout}{o.Stderr}");
            string error = o.Stderr.TrimEnd('\n');
            Assert.DoesNotContain('\n', error);
            Assert.DoesNotContain("   at ", o.Stderr + o.Stdout);
            Assert.DoesNotContain("System.", error);
            Assert.Contains(expected, error);
            Assert.Empty(Directory.EnumerateFileSystemEntries(cwd));
            Assert.Equal(before, Snapshot(_fixtures));
        }
        finally
        {
            Directory.Delete(cwd, true);
        }
    }

    /// <summary>Every file under a directory with its length and time: what a command must not have touched.</summary>
    private static string Snapshot(string dir) =>
        string.Join("\n", Directory.EnumerateFileSystemEntries(dir, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .Select(f => File.Exists(f) ? $"{f} {new FileInfo(f).Length} {File.GetLastWriteTimeUtc(f).Ticks}" : f));

    /// <summary>Split on spaces; "" is an empty argument.</summary>
    private static string[] Split(string command) =>
        command.Length == 0 ? [] : command.Split(' ').Select(a => a == "\"\"" ? "" : a).ToArray();
}
