using Hakmem.Lab.Results;

namespace Hakmem.Lab.Tests;

/// <summary>HAKMEM_FREE_ROUTE_TRACE=1 records where every allocation and free went; each knob setting of
/// the default matrix must send the workloads' operations down a different set of routes (a knob that
/// changes only a label would leave the mix as it is).</summary>
public class RouteTests
{
    [Fact]
    public void Every_knob_setting_of_the_default_matrix_changes_the_route_mix()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"hklab-routes-{Guid.NewGuid():N}");
        try
        {
            var o = Hklab.Run(new Dictionary<string, string> { ["HAKMEM_FREE_ROUTE_TRACE"] = "1" },
                "matrix", "--quick", "--workloads", "larson,random_mixed", "--allocators", "hakmem", "--threads", "4", "--runs", "1", "--out", dir);
            Assert.True(o.ExitCode == 0, o.Stdout + o.Stderr);
            var runs = RunsCsv.Read(Path.Combine(dir, RunsCsv.RunsFile));
            foreach (var workload in runs.GroupBy(r => r.Workload))
            {
                Assert.Equal(8, workload.Count());
                var mixes = workload.ToDictionary(r => CellKey.Of(r).Knobs, r => Mix(r.Routes));
                Assert.All(mixes.Values, m => Assert.NotEmpty(m));
                foreach (var (knobs, mix) in mixes)
                {
                    Assert.Equal(knobs.Contains("fast_cap=64"), mix.Contains("free.fast") && mix.Contains("alloc.fast"));
                    Assert.Equal(knobs.Contains("tls_list=on"), mix.Contains("free.list") && !mix.Contains("free.sll"));
                    Assert.Equal(knobs.Contains("p0=on"), mix.Contains("refill.batch") && !mix.Contains("refill.single"));
                }
                Assert.Equal(8, mixes.Values.Select(m => string.Join(';', m)).Distinct().Count());
                if (workload.Key == "larson") Assert.All(mixes.Values, m => Assert.Contains("free.remote", m));
            }
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Without_the_switch_the_routes_column_is_empty()
    {
        string csv = Path.Combine(Path.GetTempPath(), $"hklab-routes-{Guid.NewGuid():N}.csv");
        try
        {
            Assert.Equal(0, Hklab.Run("run", "random_mixed", "20000", "256", "1", "--csv", csv).ExitCode);
            Assert.Equal("", Assert.Single(RunsCsv.Read(csv)).Routes);
        }
        finally
        {
            File.Delete(csv);
        }
    }

    /// <summary>The routes taken at least once, in order.</summary>
    private static SortedSet<string> Mix(string routes) =>
        new(routes.Split(';', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=')).Where(p => long.Parse(p[1]) > 0).Select(p => p[0]), StringComparer.Ordinal);
}
