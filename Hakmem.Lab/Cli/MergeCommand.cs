using System.CommandLine;
using Hakmem.Lab.Matrix;
using Hakmem.Lab.Output;
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
        var force = new Option<bool>("--force") { Description = "--out holds a result set: move it aside to DIR.old-<time> (never deleted) and write the merge there" };
        var cmd = new Command("merge", "Join the result directories of a matrix's shards into one result set, as if it had run unsharded.\n"
            + "Exit code 1 when a shard or a run of the plan is missing (nothing is written unless --allow-partial), 2 on bad input.");
        cmd.Arguments.Add(inputs);
        cmd.Options.Add(output);
        cmd.Options.Add(allowPartial);
        cmd.Options.Add(force);
        cmd.SetAction(r => CommandGuard.Run("merge", () =>
        {
            var set = Merge.Load(r.GetValue(inputs)!);
            if (set.IsPartial && !r.GetValue(allowPartial))
            {
                Console.Error.WriteLine($"hklab merge: {set.Meta.Gaps}: nothing written (--allow-partial merges what is there and marks it partial)");
                return 1;
            }
            var sources = r.GetValue(inputs)!.Select(d => Path.GetDirectoryName(Path.GetFullPath(RunsCsv.Resolve(d)))!).ToList();
            string outText = r.GetValue(output)!;
            if (sources.Contains(Path.GetFullPath(outText.Length > 0 ? outText : ".").TrimEnd('/')))
                throw new OutputPathException($"--out '{outText}' is one of the shards being merged: merge never writes over its inputs");
            using var dir = ResultDirectory.Open("--out", outText, r.GetValue(force) ? ExistingSet.Force : ExistingSet.Refuse, "hklab merge", resumable: false);
            if (dir.MovedAside != null) Console.WriteLine($"the result set in {dir.Path} was moved aside to {dir.MovedAside}");
            RunsCsv.Write(Path.Combine(dir.Path, RunsCsv.RunsFile), set.Runs);
            var summaries = ResultSet.WriteSummaries(dir.Path, set.Runs, set.Meta);
            Console.WriteLine($"merged {set.Runs.Count} runs of {summaries.Count} cells into {dir.Path}");
            if (set.IsPartial) Console.Error.WriteLine($"hklab merge: the result set is marked partial: {set.Meta.Gaps}");
            return 0;
        }));
        return cmd;
    }
}
