using System.Globalization;
using Hakmem.Lab.Results;

namespace Hakmem.Lab.Tests;

/// <summary>--repeat runs the measured part K times in one process, its figure the median repetition;
/// --pin binds the worker to as many CPUs as the workload has threads. Both are part of the cell.</summary>
public class RepeatPinTests
{
    [Fact]
    public void Repeat_records_every_repetition_and_takes_their_median()
    {
        string csv = Path.Combine(Path.GetTempPath(), $"hklab-{Guid.NewGuid():N}.csv");
        try
        {
            var o = Hklab.Run("run", "random_mixed", "100000", "1024", "7", "--repeat", "3", "--runs", "2", "--csv", csv);
            Assert.True(o.ExitCode == 0, o.Stdout + o.Stderr);
            Assert.Contains("repeat=3", o.Stdout);
            var rows = RunsCsv.Read(csv);
            Assert.Equal(2, rows.Count);
            foreach (var r in rows)
            {
                Assert.Equal(3, r.Repeat);
                var reps = r.Repetitions.Split(';').Select(x => double.Parse(x, CultureInfo.InvariantCulture)).Order().ToArray();
                Assert.Equal(3, reps.Length);
                Assert.Equal(reps[1], r.OpsPerSec, 0.5);
                Assert.Equal(300000, r.Ops); // every repetition's operations
            }
        }
        finally
        {
            File.Delete(csv);
        }
    }

    [Fact]
    public void Pin_binds_one_thread_to_one_cpu_and_is_part_of_the_cell()
    {
        string csv = Path.Combine(Path.GetTempPath(), $"hklab-{Guid.NewGuid():N}.csv");
        try
        {
            var o = Hklab.Run("run", "random_mixed", "100000", "1024", "7", "--pin", "--csv", csv);
            Assert.True(o.ExitCode == 0, o.Stdout + o.Stderr);
            var row = Assert.Single(RunsCsv.Read(csv));
            Assert.Equal("on", row.Pin);
            Assert.Matches("^[0-9]+$", row.Pinned); // one CPU
            var unpinned = row with { Pin = "", Pinned = "" };
            Assert.NotEqual(CellKey.Of(row), CellKey.Of(unpinned));
            Assert.Contains("pin=on", CellKey.Of(row).Knobs);
        }
        finally
        {
            File.Delete(csv);
        }
    }

    [Theory]
    [InlineData("--repeat", "1")]
    [InlineData("--repeat", "x")]
    [InlineData("--repeat", "1001")]
    public void A_bad_repeat_is_refused_in_one_line(string option, string value)
    {
        var o = Hklab.Run("run", "random_mixed", "1000", "64", "1", option, value);
        Assert.Equal(2, o.ExitCode);
        Assert.Contains(value, o.Stderr);
        Assert.Contains("--repeat", o.Stderr);
    }
}
