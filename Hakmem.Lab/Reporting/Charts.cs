using Hakmem.Lab.Running;
using Hakmem.Lab.Results;
using Hakmem.Workloads;
using ScottPlot;

namespace Hakmem.Lab.Reporting;

/// <summary>The charts of a result set, each written as SVG and PNG: throughput against threads (box
/// plots over runs) per workload, the crash-rate heatmap over hakmem's knob matrix, and peak RSS per
/// allocator.</summary>
public static class Charts
{
    public const int Width = 1200, Height = 600;

    public static IReadOnlyList<string> Write(string dir, IReadOnlyList<RunRecord> runs, ResultMeta? meta = null)
    {
        var files = new List<string>();
        if (runs.Any(r => r.Side.Length > 0))
        {
            // An interleaved comparison (hklab ab): the paired ratio B/A of every cell, per workload.
            foreach (var family in runs.GroupBy(r => $"{r.Workload} {r.Args}").OrderBy(g => g.Key, StringComparer.Ordinal))
                files.AddRange(Save(dir, $"ab-{Slug(family.Key)}", PairedRatios(family.Key, family.ToList(), meta)));
        }
        foreach (var family in runs.GroupBy(Family).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            string name = Slug(family.Key);
            files.AddRange(Save(dir, $"throughput-{name}", Throughput(family.Key, family.ToList())));
        }
        if (runs.Any(r => r.Allocator == "hakmem")) files.AddRange(Save(dir, "crash-heatmap", CrashHeatmap(runs)));
        files.AddRange(Save(dir, "peak-rss", PeakRss(runs)));
        foreach (var (name, plot) in MemoryCharts.Plots(dir, runs)) files.AddRange(Save(dir, name, plot));
        return files;
    }

    /// <summary>The workload command line without its thread count: the runs one chart puts side by side.</summary>
    public static string Family(RunRecord r)
    {
        var args = r.Args.Split(' ');
        if (ThreadArgument(r.Workload, args) is int t && t < args.Length) args[t] = "T";
        return $"{r.Workload} {string.Join(' ', args)}";
    }

    /// <summary>Where the workload keeps its thread count, as its spec says; none for a program, or for
    /// arguments that no longer parse.</summary>
    private static int? ThreadArgument(string workload, string[] args)
    {
        if (workload == "exec") return null;
        try
        {
            return WorkloadSpec.Parse(workload, args).ThreadArgument;
        }
        catch (WorkloadArgumentException)
        {
            return null;
        }
    }

    private static string Series(RunRecord r) => CellKey.Of(r) is var k && k.Knobs.Length > 0 ? $"{r.Allocator} {k.Knobs}" : r.Allocator;

    private static Plot Throughput(string family, IReadOnlyList<RunRecord> runs)
    {
        var plot = new Plot();
        var finished = runs.Where(r => OutcomeNames.Parse(r.Outcome).Finished()).ToList();
        // A program that prints no figure is judged by its time: drawn in seconds, less is better.
        bool byTime = finished.Count > 0 && finished.All(r => r.Metric == Metrics.Seconds);
        var threads = finished.Select(r => r.Threads).Distinct().Order().ToList();
        var series = finished.Select(Series).Distinct().Order(StringComparer.Ordinal).ToList();
        double groupWidth = 0.8, boxWidth = groupWidth / Math.Max(series.Count, 1);
        var palette = new ScottPlot.Palettes.Category20();
        for (int s = 0; s < series.Count; s++)
        {
            var boxes = new List<Box>();
            for (int t = 0; t < threads.Count; t++)
            {
                var xs = finished.Where(r => Series(r) == series[s] && r.Threads == threads[t]).Select(r => byTime ? r.Seconds : r.OpsPerSec / 1e6).Order().ToArray();
                if (xs.Length == 0) continue;
                double[] q = Estimators.Quantiles(xs, 0.25, 0.5, 0.75);
                boxes.Add(new Box
                {
                    Position = t - groupWidth / 2 + boxWidth * (s + 0.5),
                    BoxMin = q[0], BoxMax = q[2], BoxMiddle = q[1],
                    WhiskerMin = xs[0], WhiskerMax = xs[^1], Width = boxWidth * 0.85,
                });
            }
            var added = plot.Add.Boxes(boxes);
            added.LegendText = series[s];
            added.FillColor = palette.GetColor(s).WithAlpha(0.6);
            added.LineColor = palette.GetColor(s);
        }
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            threads.Select((t, i) => (double)i).ToArray(), threads.Select(t => $"{t} thread{(t == 1 ? "" : "s")}").ToArray());
        plot.Title(byTime ? $"{family}: time over runs (no figure printed: less is better)" : $"{family}: throughput over runs");
        plot.YLabel(byTime ? "seconds" : "million ops/s");
        plot.XLabel("threads");
        plot.Axes.Margins(bottom: 0);
        plot.ShowLegend(Edge.Right);
        return plot;
    }

    private static Plot CrashHeatmap(IReadOnlyList<RunRecord> runs)
    {
        var hk = runs.Where(r => r.Allocator == "hakmem").ToList();
        var rows = hk.Select(r => CellKey.Of(r).Knobs).Distinct().Order(StringComparer.Ordinal).ToList();
        var cols = hk.Select(r => $"{r.Workload} T={r.Threads}").Distinct().Order(StringComparer.Ordinal).ToList();
        var rate = new double[rows.Count, cols.Count];
        for (int i = 0; i < rows.Count; i++)
            for (int j = 0; j < cols.Count; j++)
            {
                var cell = hk.Where(r => CellKey.Of(r).Knobs == rows[i] && $"{r.Workload} T={r.Threads}" == cols[j]).ToList();
                rate[i, j] = cell.Count == 0 ? double.NaN : cell.Count(r => OutcomeNames.Parse(r.Outcome).IsFailure()) * 100.0 / cell.Count;
            }
        var plot = new Plot();
        var map = plot.Add.Heatmap(rate);
        map.Colormap = new ScottPlot.Colormaps.Turbo();
        map.ManualRange = new ScottPlot.Range(0, 100);
        map.Position = new CoordinateRect(-0.5, cols.Count - 0.5, -0.5, rows.Count - 0.5); // cell (i, j) centred on (j, rows-1-i)
        plot.Add.ColorBar(map).Label = "failed runs %";
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(cols.Select((_, j) => (double)j).ToArray(), cols.ToArray());
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(rows.Select((_, i) => (double)(rows.Count - 1 - i)).ToArray(), rows.ToArray());
        plot.Axes.Bottom.TickLabelStyle.Rotation = -30;
        plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleRight;
        plot.Axes.Bottom.MinimumSize = 110;
        plot.Title("hakmem: failed runs (crash, abort, corrupt, timeout, oom, error) per knob setting");
        return plot;
    }

    /// <summary>hklab ab: per cell the ratio B/A of the paired runs with its 90% interval, and the threshold band
    /// around 1 (outside it and clear of it: slower or faster; inside and clear: same).</summary>
    private static Plot PairedRatios(string family, IReadOnlyList<RunRecord> runs, ResultMeta? meta)
    {
        double threshold = meta?.Threshold ?? ResultSet.DefaultThreshold;
        var plot = new Plot();
        var rows = (ResultSet.Paired(runs, meta) ?? []).OrderBy(c => c.Cell, StringComparer.Ordinal).ToList();
        var labels = new List<string>();
        for (int i = 0; i < rows.Count; i++)
        {
            var c = rows[i];
            double y = rows.Count - 1 - i;
            labels.Add(c.Cell[(c.Cell.IndexOf('|') + 1)..].Trim() + $"  [{c.Verdict}]");
            if (c.Ratio is not double ratio) continue;
            double lo = c.RatioLow ?? ratio, hi = c.RatioHigh ?? ratio;
            var line = plot.Add.Line(lo, y, hi, y);
            line.LineWidth = 3;
            var color = c.Verdict switch { "slower" => Colors.Red, "faster" => Colors.Green, "same" => Colors.Blue, _ => Colors.Gray };
            line.Color = color;
            plot.Add.Marker(ratio, y, MarkerShape.FilledCircle, 8, color);
        }
        foreach (double x in new[] { 1 - threshold, 1 + threshold })
        {
            var band = plot.Add.VerticalLine(x);
            band.LinePattern = LinePattern.Dashed;
            band.Color = Colors.Black.WithAlpha(0.5);
        }
        plot.Add.VerticalLine(1).Color = Colors.Black;
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(labels.Select((_, i) => (double)(rows.Count - 1 - i)).ToArray(), labels.ToArray());
        plot.Axes.Left.MinimumSize = 320;
        plot.Title($"{family}: B/A, paired (90% interval, ±{threshold * 100:0.#}% band)");
        plot.XLabel("throughput B / A");
        return plot;
    }

    /// <summary>Median peak RSS above the runtime's floor (peak - base) per allocator: the ~40 MB every .NET
    /// worker carries whatever the allocator is left out. Runs from before base_rss_kb was recorded count
    /// their whole peak.</summary>
    private static Plot PeakRss(IReadOnlyList<RunRecord> runs)
    {
        var plot = new Plot();
        var allocators = runs.Select(r => r.Allocator).Distinct().Order(StringComparer.Ordinal).ToList();
        var bars = new List<Bar>();
        var palette = new ScottPlot.Palettes.Category10();
        for (int i = 0; i < allocators.Count; i++)
        {
            var xs = runs.Where(r => r.Allocator == allocators[i] && r.PeakRssKb > 0).Select(r => (r.RssOverBaseKb ?? r.PeakRssKb) / 1024.0).ToList();
            if (xs.Count == 0) continue;
            double median = Estimators.Median(xs);
            bars.Add(new Bar { Position = i, Value = median, ValueBase = 0, FillColor = palette.GetColor(i), Label = $"{median:0} MB" });
        }
        plot.Add.Bars(bars);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(allocators.Select((_, i) => (double)i).ToArray(), allocators.ToArray());
        plot.Title("peak RSS above the runtime's floor (peak - base) per allocator, median over all its runs");
        plot.YLabel("MB");
        plot.Axes.Margins(bottom: 0);
        return plot;
    }

    /// <summary>Each chart is drawn into a temporary file beside its target and renamed over it: a full disk
    /// leaves the chart that was there (or none), never a cut-off or empty one.</summary>
    private static IEnumerable<string> Save(string dir, string name, Plot plot)
    {
        string png = Path.Combine(dir, name + ".png"), svg = Path.Combine(dir, name + ".svg");
        Whole(png, temp => plot.SavePng(temp, Width, Height));
        Whole(svg, temp => plot.SaveSvg(temp, Width, Height));
        return [png, svg];
    }

    private static void Whole(string target, Action<string> write)
    {
        string temp = Path.Combine(Path.GetDirectoryName(target)!, $".{Path.GetFileNameWithoutExtension(target)}.{Environment.ProcessId}.tmp{Path.GetExtension(target)}");
        try
        {
            write(temp);
            using (var f = new FileStream(temp, FileMode.Open, FileAccess.ReadWrite)) f.Flush(flushToDisk: true);
            File.Move(temp, target, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { }
            throw;
        }
    }

    public static string Slug(string s) =>
        new string(s.Select(c => char.IsLetterOrDigit(c) ? c : '-').ToArray()).Replace("--", "-", StringComparison.Ordinal).Trim('-');
}
