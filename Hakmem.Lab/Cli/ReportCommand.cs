using System.CommandLine;
using Hakmem.Lab.Output;
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
        cmd.SetAction(r => CommandGuard.Run("report", () =>
        {
            string file = Path.GetFullPath(RunsCsv.Resolve(r.GetValue(input)!));
            string dir = Path.GetDirectoryName(file)!;
            var runs = RunsCsv.Read(file);
            if (runs.Count == 0) throw new ArgumentException($"{file} has no runs");
            var meta = ResultMeta.Read(dir);
            string name = Path.GetFileName(file);
            if (name is RunsCsv.SummaryFile or RunsCsv.SummaryMarkdown or ResultSet.CompareFile || name.EndsWith(".png", StringComparison.Ordinal) || name.EndsWith(".svg", StringComparison.Ordinal))
                throw new OutputPathException($"'{file}' has the name of a file report writes: rename the runs file (report never writes over its input)");
            using var owner = ResultDirectory.Lock(dir, "hklab report");
            var charts = Charts.Write(dir, runs, meta);
            ResultSet.WriteSummaries(dir, runs, meta, writeMeta: false);
            foreach (var c in charts) Console.WriteLine(c);
            if (ResultSet.MixedBuilds(runs) is { } mixed) Console.Error.WriteLine($"hklab report: more than one build measured this set: {mixed}");
            if (meta is { Partial: true }) Console.Error.WriteLine($"hklab report: the set is partial: {meta.DoneRuns} of {meta.PlannedRuns} planned runs");
            Console.WriteLine($"summary: {Path.Combine(dir, RunsCsv.SummaryMarkdown)}");
            return 0;
        }));
        return cmd;
    }
}
