using System.CommandLine;
using Hakmem.Lab.Reporting;
using Hakmem.Lab.Results;

namespace Hakmem.Lab.Cli;

/// <summary><c>hklab report DIR</c>: charts next to summary.md, and summary.md rewritten to link them.</summary>
public static class ReportCommand
{
    public static Command Create()
    {
        var input = new Argument<string>("dir") { Description = "a result directory (hklab matrix --out DIR) or a runs CSV file" };
        var cmd = new Command("report", "Draw the charts of a result set (SVG and PNG): throughput vs threads per allocator and config\n"
            + "(box plots over runs), the crash-rate heatmap over hakmem's knobs, peak RSS per allocator; link them from summary.md.");
        cmd.Arguments.Add(input);
        cmd.SetAction(r =>
        {
            try
            {
                string file = RunsCsv.Resolve(r.GetValue(input)!);
                string dir = Path.GetDirectoryName(Path.GetFullPath(file))!;
                var runs = RunsCsv.Read(file);
                if (runs.Count == 0) throw new ArgumentException($"{file} has no runs");
                var charts = Charts.Write(dir, runs);
                var meta = ResultMeta.Read(dir);
                var summaries = Summarizer.Summarize(runs);
                Csv.Write(Path.Combine(dir, RunsCsv.SummaryFile), summaries);
                File.WriteAllText(Path.Combine(dir, RunsCsv.SummaryMarkdown), SummaryMarkdown.Render(meta, summaries, ResultSet.ExistingCharts(dir)));
                foreach (var c in charts) Console.WriteLine(c);
                Console.WriteLine($"summary: {Path.Combine(dir, RunsCsv.SummaryMarkdown)}");
                return 0;
            }
            catch (Exception e) when (e is ArgumentException or FileNotFoundException or IOException or CsvHelper.CsvHelperException)
            {
                Console.Error.WriteLine($"hklab report: {e.Message}");
                return 2;
            }
        });
        return cmd;
    }
}
