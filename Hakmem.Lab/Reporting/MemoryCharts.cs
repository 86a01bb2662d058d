using Hakmem.Lab.Results;
using Hakmem.Lab.Running;
using ScottPlot;

namespace Hakmem.Lab.Reporting;

/// <summary>The memory charts of a result set: RSS over time per cell (each cell's median run, from
/// rss/RUN_ID.csv), the overhead per allocator (peak RSS above base per peak live byte), and what each
/// allocator retained once everything was freed.</summary>
public static class MemoryCharts
{
    /// <summary>The charts this set has data for, as (file name without extension, plot).</summary>
    public static IEnumerable<(string Name, Plot Plot)> Plots(string dir, IReadOnlyList<RunRecord> runs)
    {
        var finished = runs.Where(r => OutcomeNames.Parse(r.Outcome).Finished()).ToList();
        foreach (var command in finished.GroupBy(r => $"{r.Workload} {r.Args}").OrderBy(g => g.Key, StringComparer.Ordinal))
            if (RssOverTime(dir, command.Key, command.ToList()) is { } plot) yield return ($"rss-{Charts.Slug(command.Key)}", plot);
        if (finished.Any(r => r.PeakLiveKb > 0 && r.RssOverBaseKb != null))
            yield return ("overhead", Bars(finished, r => r.Overhead,
                "overhead: peak RSS above base per peak live byte (median over runs)", "RSS per live byte"));
        if (finished.Any(r => r.RetainedKb != null))
            yield return ("retained", Bars(finished, r => r.RetainedKb / 1024.0, "retained: RSS above base once everything was freed (median over runs)", "MB"));
    }

    /// <summary>RSS above base against time for every cell of one command line: the run whose peak is the cell's median.</summary>
    private static Plot? RssOverTime(string dir, string command, IReadOnlyList<RunRecord> runs)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        int drawn = 0;
        foreach (var cell in runs.GroupBy(r => CellKey.Of(r) with { Args = "" }).OrderBy(g => g.Key.ToString(), StringComparer.Ordinal))
        {
            var withSeries = cell.Where(r => RssSeries.Read(dir, r.RunId) != null).OrderBy(r => r.PeakRssKb).ToList();
            if (withSeries.Count == 0) continue;
            var median = withSeries[withSeries.Count / 2];
            var series = RssSeries.Read(dir, median.RunId)!;
            long floor = median.BaseRssKb ?? 0;
            var line = plot.Add.ScatterLine(series.Select(s => s.Ms / 1000).ToArray(), series.Select(s => Math.Max(0, s.RssKb - floor) / 1024.0).ToArray());
            line.LegendText = cell.Key.Knobs.Length > 0 ? $"{cell.Key.Allocator} {cell.Key.Knobs}" : cell.Key.Allocator;
            line.Color = palette.GetColor(drawn++);
            line.MarkerSize = 0;
        }
        if (drawn == 0) return null;
        plot.Title($"{command}: RSS above base over time (each cell's median run)");
        plot.XLabel("seconds since the run started");
        plot.YLabel("MB");
        plot.ShowLegend(Edge.Right);
        return plot;
    }

    /// <summary>One bar per allocator and workload: the median of <paramref name="value"/> over its runs.</summary>
    private static Plot Bars(IReadOnlyList<RunRecord> runs, Func<RunRecord, double?> value, string title, string unit)
    {
        var plot = new Plot();
        var families = runs.Select(Charts.Family).Distinct().Order(StringComparer.Ordinal).ToList();
        var allocators = runs.Select(r => r.Allocator).Distinct().Order(StringComparer.Ordinal).ToList();
        var palette = new ScottPlot.Palettes.Category10();
        double width = 0.8 / Math.Max(allocators.Count, 1);
        for (int a = 0; a < allocators.Count; a++)
        {
            var bars = new List<Bar>();
            for (int f = 0; f < families.Count; f++)
            {
                var xs = runs.Where(r => r.Allocator == allocators[a] && Charts.Family(r) == families[f]).Select(value).OfType<double>().ToList();
                if (xs.Count == 0) continue;
                double m = Estimators.Median(xs);
                bars.Add(new Bar { Position = f - 0.4 + width * (a + 0.5), Value = m, Size = width * 0.9, FillColor = palette.GetColor(a), Label = m.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture) });
            }
            var added = plot.Add.Bars(bars);
            added.LegendText = allocators[a];
        }
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(families.Select((_, i) => (double)i).ToArray(), families.ToArray());
        plot.Title(title);
        plot.YLabel(unit);
        plot.Axes.Margins(bottom: 0);
        plot.ShowLegend(Edge.Right);
        return plot;
    }
}
