using Hakmem.Lab.Ab;

namespace Hakmem.Lab.Bisect;

/// <summary>A commit of the walk: its full hash, its subject line, and its position (0 = GOOD, N = BAD).</summary>
public sealed record Commit(string Hash, string Subject, int Position)
{
    public string Short => Hash[..12];
}

/// <summary>The commits a bisection walks, GOOD to BAD, found and checked before anything is built: both refs
/// exist, GOOD is an ancestor of BAD (on BAD's first-parent line when the walk follows first parents), the
/// repository has no uncommitted changes (unless allowed: a worktree of a commit never sees them, but the user
/// may think it does). With a pathspec only the commits that touch it are walked (BAD always ends the walk).</summary>
public sealed class CommitRange
{
    public string Repo { get; }
    public IReadOnlyList<Commit> Commits { get; }
    public Commit Good => Commits[0];
    public Commit Bad => Commits[^1];

    private CommitRange(string repo, IReadOnlyList<Commit> commits)
    {
        Repo = repo;
        Commits = commits;
    }

    /// <summary>The walk from <paramref name="good"/> to <paramref name="bad"/> in <paramref name="repoDir"/>;
    /// ArgumentException names what is wrong.</summary>
    public static CommitRange Resolve(string repoDir, string good, string bad, bool firstParent, IReadOnlyList<string> paths, bool allowDirty)
    {
        if (!Directory.Exists(repoDir)) throw new ArgumentException($"--repo '{repoDir}' does not exist: expected a git repository");
        string repo = Git.TopLevel(repoDir) ?? throw new ArgumentException($"--repo '{repoDir}' is not a git repository");
        string goodHash = Git.Commit(repo, good) ?? throw new ArgumentException($"GOOD '{good}' is not a commit, branch or tag of {repo}");
        string badHash = Git.Commit(repo, bad) ?? throw new ArgumentException($"BAD '{bad}' is not a commit, branch or tag of {repo}");
        if (goodHash == badHash) throw new ArgumentException($"GOOD '{good}' and BAD '{bad}' are the same commit ({goodHash[..12]}): expected GOOD to be an ancestor of BAD");
        if (Git.Exec("git", repo, ["merge-base", "--is-ancestor", goodHash, badHash]).Code != 0)
            throw new ArgumentException($"GOOD '{good}' ({goodHash[..12]}) is not an ancestor of BAD '{bad}' ({badHash[..12]}): expected a GOOD older than BAD on its history");
        if (!allowDirty)
        {
            var (_, status) = Git.Exec("git", repo, ["status", "--porcelain", "--untracked-files=no"]);
            if (status.Trim().Length > 0)
                throw new ArgumentException($"--repo {repo} has uncommitted changes ({status.Trim().Split('\n')[0].Trim()}...): bisect builds commits, never the working tree; "
                    + "commit or stash them, or give --allow-dirty");
        }
        var all = RevList(repo, goodHash, badHash, firstParent, []);
        if (firstParent && (all.Count == 0 || Parent(repo, all[0]) != goodHash))
            throw new ArgumentException($"GOOD '{good}' ({goodHash[..12]}) is not on the first-parent line of BAD '{bad}' (it came in through a merge): "
                + "give a GOOD on that line, or --first-parent false to walk every commit");
        var walked = paths.Count == 0 ? all : RevList(repo, goodHash, badHash, firstParent, paths);
        if (walked.Count == 0 || walked[^1] != badHash) walked = [.. walked, badHash];
        var hashes = new List<string> { goodHash };
        hashes.AddRange(walked);
        var commits = hashes.Select((h, i) => new Commit(h, Subject(repo, h), i)).ToList();
        return new CommitRange(repo, commits);
    }

    /// <summary>The files of the range that changed under <paramref name="dir"/> (for the warning that a range
    /// changing the workloads moves their throughput too).</summary>
    public IReadOnlyList<string> Touched(string dir)
    {
        var (code, text) = Git.Exec("git", Repo, ["diff", "--name-only", Good.Hash, Bad.Hash, "--", dir]);
        return code == 0 ? text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : [];
    }

    private static List<string> RevList(string repo, string good, string bad, bool firstParent, IReadOnlyList<string> paths)
    {
        var args = new List<string> { "rev-list", "--reverse" };
        if (firstParent) args.Add("--first-parent");
        else args.Add("--topo-order");
        args.Add($"{good}..{bad}");
        if (paths.Count > 0)
        {
            args.Add("--");
            args.AddRange(paths);
        }
        var (code, text) = Git.Exec("git", repo, args);
        if (code != 0) throw new ArgumentException($"git rev-list {good[..12]}..{bad[..12]} failed: {text.Trim().Split('\n')[0]}");
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
    }

    private static string? Parent(string repo, string commit)
    {
        var (code, text) = Git.Exec("git", repo, ["rev-parse", "--verify", "--quiet", commit + "^1"]);
        return code == 0 ? text.Trim() : null;
    }

    private static string Subject(string repo, string commit)
    {
        var (code, text) = Git.Exec("git", repo, ["log", "-1", "--format=%s", commit]);
        return code == 0 ? text.Trim() : "";
    }
}
