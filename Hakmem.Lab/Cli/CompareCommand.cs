using System.CommandLine;
using System.Globalization;
using Hakmem.Lab.Compare;
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
        var cmd = new Command("compare", "Compare two result sets cell by cell: faster / slower / same / unknown throughput (Mann-Whitney with a\n"
            + "relative threshold, Hodges-Lehmann shift) and less / more stable (Fisher's exact test on failures and leaks).\n"
            + "Exit code 1 when any cell is slower or less stable, 0 otherwise, 2 on bad input.");
        cmd.Arguments.Add(before);
        cmd.Arguments.Add(after);
        cmd.Options.Add(threshold);
        cmd.Options.Add(output);
        cmd.SetAction(r =>
        {
            try
            {
                double t = ParseThreshold(r.GetValue(threshold)!);
                string fb = RunsCsv.Resolve(r.GetValue(before)!), fa = RunsCsv.Resolve(r.GetValue(after)!);
                var rows = Comparer.Compare(RunsCsv.Read(fb), RunsCsv.Read(fa), t);
                Console.WriteLine(Comparer.Markdown(rows, t));
                Console.WriteLine(Comparer.Summary(rows));
                string csv = r.GetValue(output) ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(fa))!, "compare.csv");
                Csv.Write(csv, rows);
                Console.WriteLine($"written to {csv}");
                var bad = rows.Where(x => x.IsRegression).ToList();
                if (bad.Count > 0) Console.Error.WriteLine($"hklab compare: {bad.Count} cells regressed (slower or less stable)");
                return bad.Count > 0 ? 1 : 0;
            }
            catch (Exception e) when (e is ArgumentException or FileNotFoundException or IOException or CsvHelper.CsvHelperException)
            {
                Console.Error.WriteLine($"hklab compare: {e.Message}");
                return 2;
            }
        });
        return cmd;
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
