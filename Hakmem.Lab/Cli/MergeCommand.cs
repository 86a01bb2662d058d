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
        var allowPartial = new Option<bool>("--allow-partial") { Description = "merge even when shards or runs of the plan are missing; the result is marked partial" };
        var cmd = new Command("merge", "Join the result directories of a matrix's shards into one result set, as if it had run unsharded.\n"
            + "Exit code 1 when a shard or a run of the plan is missing (nothing is written unless --allow-partial), 2 on bad input.");
        cmd.Arguments.Add(inputs);
        cmd.Options.Add(output);
        cmd.Options.Add(allowPartial);
        cmd.SetAction(r =>
        {
            try
            {
                var set = Merge.Load(r.GetValue(inputs)!);
                if (set.IsPartial && !r.GetValue(allowPartial))
                {
                    Console.Error.WriteLine($"hklab merge: {set.Meta.Gaps}: nothing written (--allow-partial merges what is there and marks it partial)");
                    return 1;
                }
                string dir = r.GetValue(output)!;
                Directory.CreateDirectory(dir);
                RunsCsv.Write(Path.Combine(dir, RunsCsv.RunsFile), set.Runs);
                var summaries = ResultSet.WriteSummaries(dir, set.Runs, set.Meta);
                Console.WriteLine($"merged {set.Runs.Count} runs of {summaries.Count} cells into {dir}");
                if (set.IsPartial) Console.Error.WriteLine($"hklab merge: the result set is marked partial: {set.Meta.Gaps}");
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
