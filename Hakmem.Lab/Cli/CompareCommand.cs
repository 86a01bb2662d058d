using System.CommandLine;
using System.Globalization;
using Hakmem.Lab.Compare;
using Hakmem.Lab.Output;
using Hakmem.Lab.Results;

namespace Hakmem.Lab.Cli;

/// <summary><c>hklab compare before after</c>: the CI gate. Exit 1 when a cell got slower or less stable.</summary>
public static class CompareCommand
{
    public static Command Create()
    {
        var before = new Argument<string>("before") { Description = "result directory or runs CSV before the change" };
        var after = new Argument<string>("after") { Description = "result directory or runs CSV after the change" };
        var threshold = new Option<string>("--threshold") { Description = "smallest relative throughput change that counts (e.g. 5%)", DefaultValueFactory = _ => "5%" };
        var output = new Option<string?>("--out", "-o") { Description = "where to write compare.csv (default: next to the after runs)" };
        var allowMissing = new Option<bool>("--allow-missing") { Description = "a cell in only one of the sets is listed as missing but does not fail the comparison" };
        var cmd = new Command("compare", "Compare two result sets cell by cell. Throughput: the ratio after/before with its 90% interval;\n"
            + "slower / faster when it is shown beyond the threshold, same only when it is shown within it, unknown\n"
            + "otherwise (Mann-Whitney on log throughput, false discovery rate 5% over the cells). Stability: every\n"
            + "outcome but ok and leak is a failure; less / more stable by Fisher's exact test on failures and leaks.\n"
            + "A cell in one set only is missing. Exit code 1 when any cell is slower, less stable or missing\n"
            + "(missing allowed with --allow-missing), 0 otherwise, 2 on bad input.");
        cmd.Arguments.Add(before);
        cmd.Arguments.Add(after);
        cmd.Options.Add(threshold);
        cmd.Options.Add(output);
        cmd.Options.Add(allowMissing);
        cmd.SetAction(r => CommandGuard.Run("compare", () =>
        {
            double t = ParseThreshold(r.GetValue(threshold)!);
            string fb = RunsCsv.Resolve(r.GetValue(before)!), fa = RunsCsv.Resolve(r.GetValue(after)!);
            var (runsBefore, runsAfter) = (RunsCsv.Read(fb), RunsCsv.Read(fa));
            string csv = OutputPaths.ForFile("--out", r.GetValue(output) ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(fa))!, "compare.csv"));
            foreach (string input in new[] { fb, fa }.SelectMany(InputsOf))
                if (Path.GetFullPath(input) == csv)
                    throw new OutputPathException($"--out '{r.GetValue(output) ?? csv}' is one of the inputs ({input}): compare never writes over what it reads");
            var rows = Comparer.Compare(runsBefore, runsAfter, t);
            Console.WriteLine(Comparer.Markdown(rows, t));
            Console.WriteLine(Comparer.Summary(rows));
            Csv.Write(csv, rows);
            Console.WriteLine($"written to {csv}");
            var bad = rows.Where(x => x.IsRegression(r.GetValue(allowMissing))).ToList();
            if (bad.Count > 0)
                Console.Error.WriteLine($"hklab compare: {bad.Count} cells fail the comparison: "
                    + string.Join(", ", new[] { (Verdicts.Slower, rows.Count(x => x.Verdict == Verdicts.Slower)), (Verdicts.LessStable, rows.Count(x => x.Stability == Verdicts.LessStable)),
                        (Verdicts.Missing, r.GetValue(allowMissing) ? 0 : rows.Count(x => x.Verdict == Verdicts.Missing)) }.Where(c => c.Item2 > 0).Select(c => $"{c.Item2} {c.Item1}")));
            return bad.Count > 0 ? 1 : 0;
        }));
        return cmd;
    }

    /// <summary>The files a result set consists of: its runs file, and beside it its meta and summaries.</summary>
    private static IEnumerable<string> InputsOf(string runsFile)
    {
        yield return runsFile;
        string dir = Path.GetDirectoryName(Path.GetFullPath(runsFile))!;
        foreach (string f in new[] { RunsCsv.MetaFile, RunsCsv.SummaryFile, RunsCsv.SummaryMarkdown, RunsCsv.RunsFile })
            yield return Path.Combine(dir, f);
    }

    public static double ParseThreshold(string text)
    {
        string s = text.Trim();
        bool percent = s.EndsWith('%');
        if (percent) s = s[..^1];
        if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || v < 0 || (percent ? v >= 100 : v >= 1))
            throw new ArgumentException($"--threshold '{text}' is not valid: expected a relative change such as 5% or 0.05");
        return percent ? v / 100 : v;
    }
}
