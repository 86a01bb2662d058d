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
    public void Report_of_a_missing_directory_exits_2()
    {
        var o = Hklab.Run("report", "/nonexistent/hklab-results");
        Assert.Equal(2, o.ExitCode);
        Assert.Contains("/nonexistent/hklab-results", o.Stderr);
    }
}
