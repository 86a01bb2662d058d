using Hakmem.Lab.Backends;
using Hakmem.Lab.Running;
using Hakmem.Workloads;

namespace Hakmem.Lab.Bisect;

/// <summary>The cell a bisection runs at every commit, as <c>hklab run</c> takes it, before it is bound to a
/// commit. In another repository (a C allocator's) a relative <c>lib:</c> path, the relative program of an
/// <c>--exec</c> command and its arguments that name files of the commit are taken inside that commit's
/// worktree, so <c>lib:libmine.so</c> is the library built at each commit; in this repository they mean what
/// they mean for <c>run</c> (from the current directory), and the commit is the build of hklab that runs them.</summary>
public sealed record BisectCell(WorkloadSpec Workload, string Allocator, HakmemOptions Options, IReadOnlyDictionary<string, string> Env,
    IReadOnlyDictionary<string, string> Ambient)
{
    public string? OpsRegex { get; init; }
    public string? Cwd { get; init; }
    /// <summary>--touch, --repeat, --pin: as hklab run takes them (in-process workloads only).</summary>
    public string? Touch { get; init; }
    public int? Repeat { get; init; }
    public bool? Pin { get; init; }

    public bool IsProgram => Workload is ExecWorkload;

    /// <summary>"random_mixed 2000 64 1 on lib:libmine.so" for headings and the summary.</summary>
    public string Describe() => $"{Workload.CommandLine} on {Allocator}";

    /// <summary>The run spec at one commit: <paramref name="worktree"/> is the commit's worktree of another
    /// repository (null: this repository, or no worktree). ArgumentException says what cannot run there (a
    /// library the build did not make, a program that is not there).</summary>
    public RunSpec Bind(string? worktree)
    {
        string allocator = Allocator;
        if (worktree != null && allocator.StartsWith(BackendInfo.LibraryPrefix, StringComparison.Ordinal)
            && allocator[BackendInfo.LibraryPrefix.Length..] is { Length: > 0 } path && !Path.IsPathRooted(path))
        {
            string inTree = Path.Combine(worktree, path);
            if (!File.Exists(inTree)) throw new ArgumentException($"allocator '{allocator}': {path} is not in the commit's worktree after the build (expected {inTree})");
            allocator = BackendInfo.LibraryPrefix + inTree;
        }
        var backend = BackendInfo.Get(allocator);
        var workload = Workload;
        if (worktree != null && workload is ExecWorkload exec) workload = exec with { Template = InTree(exec.Template, worktree) };
        if (workload is ExecWorkload program) ProgramPath.Check(program.Arguments);
        var env = new SortedDictionary<string, string>(Env.ToDictionary(), StringComparer.Ordinal);
        foreach (var (k, v) in AmbientSettings.For(Ambient, backend, IsProgram)) env.TryAdd(k, v);
        return new RunSpec(workload.Name, workload.Arguments, backend.SpecName, Options)
        {
            Env = env, OpsRegex = IsProgram ? OpsRegex : null, Cwd = IsProgram ? Cwd : null,
            Touch = IsProgram ? null : Touch, Repeat = IsProgram ? null : Repeat, Pin = IsProgram ? null : Pin,
        };
    }

    /// <summary>The program (a relative path, or a name that is a file of the tree) and every argument naming a
    /// file or directory of the tree, made absolute inside it.</summary>
    private static IReadOnlyList<string> InTree(IReadOnlyList<string> words, string worktree)
    {
        var result = words.ToList();
        for (int i = 0; i < result.Count; i++)
        {
            string w = result[i];
            if (w.Length == 0 || w.StartsWith('-') || Path.IsPathRooted(w)) continue;
            string candidate = Path.GetFullPath(Path.Combine(worktree, w));
            if ((i == 0 && w.Contains('/')) || File.Exists(candidate) || (i > 0 && Directory.Exists(candidate))) result[i] = candidate;
        }
        return result;
    }
}
