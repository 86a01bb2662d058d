using System.Xml.Linq;
using Hakmem.Lab.Results;

namespace Hakmem.Lab.Tests;

public class ReportTests
{
    [Fact]
    public void Report_writes_png_and_svg_charts_with_text_and_links_them()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"hklab-report-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            var runs = new List<RunRecord>();
            foreach (var alloc in new[] { "hakmem", "system" })
                foreach (int t in new[] { 1, 2, 4 })
                    for (int i = 0; i < 5; i++)
                        runs.Add(new RunRecord
                        {
                            Workload = "larson", Args = $"1 8 128 1024 1 12345 {t}", Allocator = alloc, Threads = t, Run = i + 1,
                            FastCap = alloc == "hakmem" ? 64 : null, TlsSll = alloc == "hakmem" ? "on" : "",
                            Outcome = alloc == "system" && t == 4 && i == 0 ? "crash" : "ok", OpsPerSec = 1e6 * t * (alloc == "hakmem" ? 2 : 1) + i * 1e4, PeakRssKb = 40_000,
                        });
            RunsCsv.Write(Path.Combine(dir, RunsCsv.RunsFile), runs);
            var o = Hklab.Run("report", dir);
            Assert.True(o.ExitCode == 0, o.Stderr);
            var pngs = Directory.GetFiles(dir, "*.png");
            var svgs = Directory.GetFiles(dir, "*.svg");
            Assert.Contains(pngs, p => Path.GetFileName(p).StartsWith("throughput-larson", StringComparison.Ordinal));
            Assert.Contains(pngs, p => Path.GetFileName(p) == "crash-heatmap.png");
            Assert.Contains(pngs, p => Path.GetFileName(p) == "peak-rss.png");
            foreach (var png in pngs)
            {
                byte[] head = File.ReadAllBytes(png)[..8];
                Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, head);
                Assert.True(new FileInfo(png).Length > 10_000, $"{png} is suspiciously small");
            }
            foreach (var svg in svgs)
            {
                var doc = XDocument.Load(svg);
                Assert.Equal("svg", doc.Root!.Name.LocalName);
            }
            string throughputSvg = File.ReadAllText(svgs.Single(s => Path.GetFileName(s).StartsWith("throughput-larson", StringComparison.Ordinal)));
            Assert.Contains("<text", throughputSvg);
            Assert.Contains("threads", throughputSvg);
            string md = File.ReadAllText(Path.Combine(dir, RunsCsv.SummaryMarkdown));
            Assert.Contains("](crash-heatmap.png)", md);
            Assert.Contains("| system |", md);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void On_a_full_disk_report_leaves_no_cut_off_or_empty_chart()
    {
        if (Environment.UserName != "root") return; // mounting a small tmpfs needs root
        string mount = Hklab.TempDir("report-full");
        if (Hklab.Start("mount", ["-t", "tmpfs", "-o", "size=24k", "tmpfs", mount]).ExitCode != 0)
        {
            Directory.Delete(mount);
            return;
        }
        try
        {
            var runs = Enumerable.Range(1, 5).Select(i => new RunRecord
            {
                RunId = $"r{i}", Workload = "random_mixed", Args = "10 10 1", Allocator = "system", Threads = 1, Run = i, Outcome = "ok", OpsPerSec = 1e6 + i, PeakRssKb = 40_000,
            }).ToList();
            RunsCsv.Write(Path.Combine(mount, RunsCsv.RunsFile), runs);
            var o = Hklab.Run("report", mount);
            Assert.Equal(1, o.ExitCode);
            Assert.Contains("No space left on device", Assert.Single(o.Stderr.TrimEnd('\n').Split('\n')));
            foreach (var chart in Directory.GetFiles(mount).Where(f => f.EndsWith(".png", StringComparison.Ordinal) || f.EndsWith(".svg", StringComparison.Ordinal)))
                Assert.True(new FileInfo(chart).Length > 1000 && !Path.GetFileName(chart).StartsWith('.'), $"{chart} is cut off or a leftover");
        }
        finally
        {
            Hklab.Start("umount", [mount]);
            Directory.Delete(mount, true);
        }
    }

    [Fact]
    public void Report_of_a_missing_directory_exits_2()
    {
        var o = Hklab.Run("report", "/nonexistent/hklab-results");
        Assert.Equal(2, o.ExitCode);
        Assert.Contains("/nonexistent/hklab-results", o.Stderr);
    }
}
