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
        var output = new Option<string?>("--out", "-o") { Description = "where to write the comparison's CSV (default: compare-BEFORE-vs-AFTER.csv beside the after set, never inside a result set)" };
        var allowMissing = new Option<bool>("--allow-missing") { Description = "a cell in only one of the sets is listed as missing but does not fail the comparison" };
        var side = new Option<string?>("--side") { Description = "for an input that is an hklab ab result set: the side (A or B) whose runs are compared", HelpName = "A|B" };
        var allowPartial = new Option<bool>("--allow-partial") { Description = "compare a set that is partial (an interrupted matrix, a merge with runs missing)" };
        var memoryThreshold = MemoryOptions.MemoryThresholdOption();
        var allowMixed = new Option<bool>("--allow-mixed") { Description = "compare a set whose runs come from more than one build or were resumed under other settings" };
        var allocators = new Option<string?>("--allocators")
        {
            Description = "compare allocator BEFORE's cells of the before set with allocator AFTER's cells of the after set (give one matrix twice to judge "
                + "two allocators of it), matched by workload, arguments, threads and settings but not the allocator's knobs: e.g. mimalloc,hakmem "
                + "(hakmem,hakmem: one knob setting against another, from two sets)",
            HelpName = "BEFORE,AFTER",
        };
        var cmd = new Command("compare", "Compare two result sets cell by cell, or two allocators' cells (--allocators). Throughput: the\n"
            + "ratio after/before with its 90% interval; slower / faster when it is shown beyond the threshold, same\n"
            + "only when it is shown within it, unknown otherwise (Mann-Whitney on log throughput, false discovery rate\n"
            + "5% over the cells). Stability: every outcome but ok and leak is a failure; less / more stable by Fisher's\n"
            + "exact test on failures and leaks. Memory: peak RSS above base (a program's own peak RSS), bigger /\n"
            + "smaller / same by the same tests beyond max(--memory-threshold, 1 MB). A cell in one set only is\n"
            + "missing. Exit code 1 when any cell is slower, less stable, bigger or missing (missing allowed with\n"
            + "--allow-missing), 0 otherwise, 2 on bad input (a partial or mixed set among them, unless allowed; an ab\n"
            + "set without --side).");
        cmd.Arguments.Add(before);
        cmd.Arguments.Add(after);
        foreach (Option o in new Option[] { threshold, memoryThreshold, allocators, output, allowMissing, side, allowPartial, allowMixed }) cmd.Options.Add(o);
        cmd.SetAction(r => CommandGuard.Run("compare", () =>
        {
            double t = ParseThreshold(r.GetValue(threshold)!);
            double? memory = MemoryOptions.ParseMemoryThreshold(r.GetValue(memoryThreshold)!);
            var pair = r.GetValue(allocators) is string pairText ? AllocatorPair.Parse(pairText) : ((string, string)?)null;
            string? sideName = r.GetValue(side);
            if (sideName != null && sideName is not ("A" or "B")) throw new ArgumentException($"--side '{sideName}' is not valid: expected A or B");
            var b = Input.Load("before", r.GetValue(before)!, sideName, r.GetValue(allowPartial), r.GetValue(allowMixed));
            var a = Input.Load("after", r.GetValue(after)!, sideName, r.GetValue(allowPartial), r.GetValue(allowMixed));
            if (sideName != null && !b.IsAb && !a.IsAb) throw new ArgumentException($"--side {sideName}: neither input is an hklab ab result set");
            string csv = OutputPaths.ForFile("--out", r.GetValue(output) ?? DefaultOutput(b.File, a.File, pair));
            foreach (string input in new[] { b.File, a.File }.SelectMany(InputsOf))
                if (Path.GetFullPath(input) == csv)
                    throw new OutputPathException($"--out '{r.GetValue(output) ?? csv}' is one of the inputs ({input}): compare never writes over what it reads");
            string outDir = Path.GetDirectoryName(csv)!;
            if (ResultDirectory.IsLocked(outDir))
                throw new OutputPathException($"--out '{r.GetValue(output)}' is inside a result set another hklab is writing: write it elsewhere");
            if (ResultMeta.TryRead(outDir) is { Sides.Count: > 0 })
                throw new OutputPathException($"--out '{r.GetValue(output)}' is inside an hklab ab result set, whose own compare.csv is its paired verdict: write it elsewhere");
            foreach (string line in Provenance(b, a)) Console.WriteLine(line);
            IReadOnlyList<RunRecord> beforeRuns = b.Runs, afterRuns = a.Runs;
            if (pair is var (x, y)) (beforeRuns, afterRuns) = AllocatorPair.Relabel(b.Runs, a.Runs, x, y);
            var rows = Comparer.Compare(beforeRuns, afterRuns, t, memory);
            if (pair is var (px, py))
                Console.WriteLine($"{px}'s cells (before) against {py}'s (after), matched by workload, arguments, threads and settings, not by knobs: "
                    + $"a row for each of {py}'s cells, and one for each cell either lacks (missing)");
            Console.WriteLine(Comparer.Markdown(rows, t));
            Console.WriteLine(Comparer.Summary(rows));
            Csv.Write(csv, rows);
            Console.WriteLine($"written to {csv}");
            var bad = rows.Where(x => x.IsRegression(r.GetValue(allowMissing))).ToList();
            if (bad.Count > 0)
                Console.Error.WriteLine($"hklab compare: {bad.Count} cells fail the comparison: "
                    + string.Join(", ", new[] { (Verdicts.Slower, rows.Count(x => x.Verdict == Verdicts.Slower)), (Verdicts.LessStable, rows.Count(x => x.Stability == Verdicts.LessStable)),
                        ("bigger", rows.Count(x => x.Memory == MemoryVerdict.Bigger)),
                        (Verdicts.Missing, r.GetValue(allowMissing) ? 0 : rows.Count(x => x.Verdict == Verdicts.Missing)) }.Where(c => c.Item2 > 0).Select(c => $"{c.Item2} {c.Item1}")));
            return bad.Count > 0 ? 1 : 0;
        }));
        return cmd;
    }

    /// <summary>One side of a comparison: its runs (of one side, for an ab set), checked whole and of one build.</summary>
    private sealed record Input(string File, IReadOnlyList<RunRecord> Runs, ResultMeta? Meta, bool IsAb)
    {
        public static Input Load(string role, string path, string? side, bool allowPartial, bool allowMixed)
        {
            string file = RunsCsv.Resolve(path);
            var runs = RunsCsv.Read(file);
            var meta = ResultMeta.Read(Path.GetDirectoryName(Path.GetFullPath(file))!);
            bool ab = runs.Any(x => x.Side.Length > 0);
            if (ab)
            {
                if (side == null)
                    throw new ArgumentException($"{role} '{path}' is an hklab ab result set (sides A and B): --side A or --side B says which side's runs to compare");
                runs = runs.Where(x => x.Side == side).ToList();
            }
            if (meta is { Partial: true } && !allowPartial)
                throw new ArgumentException($"{role} '{path}' is partial ({meta.DoneRuns} of {meta.PlannedRuns} planned runs{(meta.Gaps.Length > 0 ? $": {meta.Gaps}" : "")}): "
                    + "--allow-partial compares it anyway");
            if ((ResultSet.MixedBuilds(runs) != null || meta is { Mixed: true }) && !allowMixed)
                throw new ArgumentException($"{role} '{path}' is mixed ({ResultSet.MixedBuilds(runs) ?? "resumed under other settings or another timeout"}): --allow-mixed compares it anyway");
            return new Input(file, runs, meta, ab);
        }
    }

    /// <summary>Where the two sets come from, when that differs: said first, before any verdict.</summary>
    private static IEnumerable<string> Provenance(Input before, Input after)
    {
        static bool Counted(Input i) => i.Runs.Any(r => r.PeakLiveKb != null);
        static bool InProcess(Input i) => i.Runs.Any(r => r.Workload != "exec" && r.Outcome == "ok");
        if (InProcess(before) && InProcess(after) && Counted(before) != Counted(after))
            yield return $"note: the {(Counted(before) ? "after" : "before")} set's workloads ran without the live-byte count (an older build), which costs the "
                + "fastest workloads some throughput (about 6% on random_mixed, the same for every allocator): compare allocators within a set, or sets of one generation";
        if (before.Meta is not { } b || after.Meta is not { } a) yield break;
        var differences = ResultMeta.Differences(b, a);
        if (differences.Count > 0) yield return $"note: the sets were measured in different places ({string.Join("; ", differences)}): the ratios compare those too";
    }

    /// <summary>compare-BEFORE-vs-AFTER.csv beside the after set (a result directory's parent, or a runs file's
    /// directory): never inside a result set, whose files are its writer's.</summary>
    private static string DefaultOutput(string beforeFile, string afterFile, (string Before, string After)? pair)
    {
        static (string Dir, string Name) Place(string file)
        {
            string full = Path.GetFullPath(file), dir = Path.GetDirectoryName(full)!;
            bool set = Path.GetFileName(full) == RunsCsv.RunsFile || File.Exists(Path.Combine(dir, RunsCsv.MetaFile));
            return set ? (Path.GetDirectoryName(dir) ?? dir, Path.GetFileName(dir)) : (dir, Path.GetFileNameWithoutExtension(full));
        }
        var (dir, after) = Place(afterFile);
        // A pair of allocators names its file too, so that another pair of the same sets does not replace it.
        static string Safe(string name) => string.Concat(name.Select(ch => char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_' or '.' ? ch : '_'));
        string allocators = pair is var (x, y) ? $"-{Safe(x)}-vs-{Safe(y)}" : "";
        return Path.Combine(dir, $"compare-{Place(beforeFile).Name}-vs-{after}{allocators}.csv");
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
        if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v) || v < 0 || (percent ? v >= 100 : v >= 1))
            throw new ArgumentException($"--threshold '{text}' is not valid: expected a relative change such as 5% or 0.05");
        return percent ? v / 100 : v;
    }
}
