using System.CommandLine;
using Hakmem.Lab.Matrix;
using Hakmem.Lab.Results;

namespace Hakmem.Lab.Cli;

/// <summary><c>hklab merge</c>: joins shard result directories into one result set.</summary>
public static class MergeCommand
{
    public static Command Create()
    {
        var inputs = new Argument<string[]>("dirs") { Arity = ArgumentArity.OneOrMore, Description = "result directories of the shards (hklab matrix --shard K/N --out DIR)" };
        var output = new Option<string>("--out", "-o") { Description = "the merged result directory", Required = true };
        var cmd = new Command("merge", "Join the result directories of a matrix's shards into one result set, as if it had run unsharded.");
        cmd.Arguments.Add(inputs);
        cmd.Options.Add(output);
        cmd.SetAction(r =>
        {
            try
            {
                var (runs, meta) = Merge.Load(r.GetValue(inputs)!);
                string dir = r.GetValue(output)!;
                Directory.CreateDirectory(dir);
                RunsCsv.Write(Path.Combine(dir, RunsCsv.RunsFile), runs);
                var summaries = ResultSet.WriteSummaries(dir, runs, meta);
                var missing = Merge.Missing(meta.Shards);
                Console.WriteLine($"merged {runs.Count} runs of {summaries.Count} cells into {dir}");
                if (missing.Count > 0) Console.Error.WriteLine($"hklab merge: shards missing: {string.Join(", ", missing)} (the result set is partial)");
                return 0;
            }
            catch (Exception e) when (e is ArgumentException or FileNotFoundException or IOException or CsvHelper.CsvHelperException)
            {
                Console.Error.WriteLine($"hklab merge: {e.Message}");
                return 2;
            }
        });
        return cmd;
    }
}
