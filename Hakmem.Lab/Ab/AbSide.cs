using System.Diagnostics;
using Hakmem.Lab.Running;

namespace Hakmem.Lab.Ab;

/// <summary>One side of <c>hklab ab</c>: what the user named, the build it resolved to, and the worker that
/// runs its code. A side is a git ref of this repository (built once per commit, Release, through a git
/// worktree, into a cache), <c>.</c> (the working tree with its uncommitted changes), a directory
/// holding another checkout (built there), or a directory holding a build (its hklab used as it is).
/// Every build is used from a snapshot, as the lab's own workers are.</summary>
public sealed record AbSide(string Label, string Spec, string Build, WorkerCommand Worker, TimeSpan BuildTime, bool Cached)
{
    /// <summary>A side that is a malloc library (lib:PATH): the allocator its runs use, on this build's worker.</summary>
    public string? Allocator { get; init; }

    /// <summary>"A: main (3f2c1d0a9b8e), built in 41.2 s" or "... cached".</summary>
    public string Describe() =>
        $"{Label}: {Spec} ({Build}), {(Cached ? "cached" : $"ready in {BuildTime.TotalSeconds:0.0} s")}";

    /// <summary>What of <paramref name="used"/> this side's build cannot run: asked of the build itself (hklab
    /// __capabilities), or for a build older than that question read from the commits of <paramref name="repo"/>.
    /// Empty for a library side (it runs on this very build).</summary>
    public IReadOnlyList<(Feature Feature, string Why)> Lacks(IReadOnlyList<Feature> used, string? repo)
    {
        if (Allocator != null || used.Count == 0) return [];
        var (_, stdout) = Git.Exec(Worker.FileName, Path.GetTempPath(), [.. Worker.PrefixArguments, Capabilities.CommandName]);
        var answer = Capabilities.ParseAnswer(stdout);
        string? commit = Results.Provenance.CommitOf(Build);
        return Capabilities.Missing(used, answer, feature =>
        {
            if (commit == null || repo == null) return null;
            var (code, _) = Git.Exec("git", repo, ["merge-base", "--is-ancestor", feature, commit]);
            return code switch { 0 => true, 1 => false, _ => null };
        });
    }

    /// <summary>What a side names, found without building anything (so a bad name is refused before any
    /// output is written): a build directory, a checkout, or a commit of the repository here.</summary>
    public sealed record Source(string Label, string Spec, string? BuildDir, string? Checkout, string? Repo, string? Commit, Backends.BackendInfo? Library = null);

    public static Source Locate(string label, string spec)
    {
        if (spec.StartsWith(Backends.BackendInfo.LibraryPrefix, StringComparison.Ordinal))
            return new Source(label, spec, null, null, null, null, Backends.BackendInfo.Get(spec));
        if (Directory.Exists(spec) && File.Exists(Path.Combine(spec, "hklab.dll")))
            return new Source(label, spec, Path.GetFullPath(spec), null, null, null);
        if (spec == "." || Directory.Exists(spec))
        {
            string tree = Git.TopLevel(spec == "." ? Environment.CurrentDirectory : spec)
                ?? throw new ArgumentException($"side {label} '{spec}' is neither a git checkout of hklab nor a build directory (one holding hklab.dll)");
            if (!File.Exists(Path.Combine(tree, "Hakmem.Lab", "Hakmem.Lab.csproj")))
                throw new ArgumentException($"side {label} '{spec}': {tree} is not a checkout of hklab (no Hakmem.Lab/Hakmem.Lab.csproj)");
            return new Source(label, spec, null, tree, null, null);
        }
        string repo = Git.TopLevel(Environment.CurrentDirectory)
            ?? throw new ArgumentException($"side {label} '{spec}' is not a directory, and there is no git repository here to read it as a ref of");
        string commit = Git.Commit(repo, spec)
            ?? throw new ArgumentException($"side {label} '{spec}' is not a commit, branch or tag of {repo}, a checkout or a build directory");
        return new Source(label, spec, null, null, repo, commit);
    }

    /// <summary>The side's build, built (or found in the cache) and snapshotted.</summary>
    public static AbSide Prepare(Source source, TextWriter progress)
    {
        var clock = Stopwatch.StartNew();
        var (label, spec) = (source.Label, source.Spec);
        if (source.Library is { } library)
            return new AbSide(label, spec, library.Name, WorkerSnapshot.Pinned, clock.Elapsed, Cached: true) { Allocator = library.SpecName };
        if (source.BuildDir is string buildDir)
        {
            var (worker, cached) = WorkerSnapshot.Of(buildDir);
            return new AbSide(label, spec, BuildStamp(buildDir) ?? $"build {Path.GetFileName(buildDir.TrimEnd('/'))}", worker, clock.Elapsed, cached);
        }
        if (source.Checkout is string tree)
        {
            progress.WriteLine($"ab: building side {label} ({spec}: {tree}) ...");
            string output = Path.Combine(tree, "Hakmem.Lab", "bin", "Release", "net10.0");
            DotnetBuild(Path.Combine(tree, "Hakmem.Lab", "Hakmem.Lab.csproj"), null, label, spec);
            var (worker, _) = WorkerSnapshot.Of(output);
            return new AbSide(label, spec, BuildStamp(output) ?? Git.Describe(tree), worker, clock.Elapsed, Cached: false);
        }
        return FromCommit(label, spec, source.Repo!, source.Commit!, progress, clock);
    }

    /// <summary>A git ref of the repository hklab is run in: one build per commit, kept in the cache (bisect builds
    /// its commits this way too). A commit that does not build is an ArgumentException saying why.</summary>
    public static AbSide FromCommit(string label, string spec, string repo, string commit, TextWriter progress) =>
        FromCommit(label, spec, repo, commit, progress, Stopwatch.StartNew());

    private static AbSide FromCommit(string label, string spec, string repo, string commit, TextWriter progress, Stopwatch clock)
    {
        string shortId = commit[..12];
        string cache = Path.GetFullPath(Path.Combine(WorkerSnapshot.CacheRoot(), "..", "ab", shortId));
        bool cached = File.Exists(Path.Combine(cache, "hklab.dll"));
        if (!cached)
        {
            progress.WriteLine($"ab: building side {label} ({spec} = {shortId}) in a worktree ...");
            string worktree = Path.Combine(Path.GetTempPath(), $"hklab-ab-{shortId}-{Environment.ProcessId}");
            string temp = $"{cache}.{Environment.ProcessId}.tmp";
            Git.Run(repo, "worktree", "add", "--detach", "--force", worktree, commit);
            try
            {
                try
                {
                    DotnetBuild(Path.Combine(worktree, "Hakmem.Lab", "Hakmem.Lab.csproj"), temp, label, spec);
                }
                catch
                {
                    if (Directory.Exists(temp)) Directory.Delete(temp, true); // a failed build leaves nothing in the cache
                    throw;
                }
                Directory.CreateDirectory(Path.GetDirectoryName(cache)!);
                try
                {
                    Directory.Move(temp, cache);
                }
                catch (IOException) when (Directory.Exists(cache))
                {
                    Directory.Delete(temp, true); // built by another ab meanwhile
                }
            }
            finally
            {
                Git.Run(repo, "worktree", "remove", "--force", worktree);
            }
        }
        var (worker, _) = WorkerSnapshot.Of(Path.GetFullPath(cache));
        return new AbSide(label, spec, shortId, worker, clock.Elapsed, cached);
    }

    private static string? BuildStamp(string dir) => Results.Provenance.BuildOf(dir);

    private static void DotnetBuild(string project, string? output, string label, string spec)
    {
        var args = new List<string> { "build", project, "-c", "Release", "-nologo", "-v", "quiet", "-clp:ErrorsOnly" };
        if (output != null) args.AddRange(["-o", output]);
        var (code, text) = Git.Exec("dotnet", Path.GetDirectoryName(project)!, args);
        if (code != 0)
            throw new ArgumentException($"side {label} '{spec}' does not build: {text.Split('\n').FirstOrDefault(l => l.Contains("error", StringComparison.Ordinal))?.Trim() ?? $"dotnet build exit {code}"}");
    }
}

/// <summary>The few git commands ab needs, each a child process.</summary>
internal static class Git
{
    public static string? TopLevel(string dir)
    {
        var (code, text) = Exec("git", dir, ["rev-parse", "--show-toplevel"]);
        return code == 0 ? text.Trim() : null;
    }

    public static string? Commit(string repo, string spec)
    {
        var (code, text) = Exec("git", repo, ["rev-parse", "--verify", "--quiet", spec + "^{commit}"]);
        return code == 0 ? text.Trim() : null;
    }

    /// <summary>"3f2c1d0a9b8e", "-dirty" when the tree has changes.</summary>
    public static string Describe(string repo)
    {
        string head = Commit(repo, "HEAD")?[..12] ?? "unknown";
        return Exec("git", repo, ["status", "--porcelain"]).Text.Trim().Length > 0 ? head + "-dirty" : head;
    }

    public static void Run(string repo, params string[] args)
    {
        var (code, text) = Exec("git", repo, args);
        if (code != 0) throw new ArgumentException($"git {args[0]} failed: {text.Trim().Split('\n')[0]}");
    }

    public static (int Code, string Text) Exec(string file, string dir, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(file) { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        try
        {
            using var p = Process.Start(psi)!;
            var stderr = p.StandardError.ReadToEndAsync();
            string stdout = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return (p.ExitCode, stdout + stderr.Result);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (127, $"{file}: {e.Message}");
        }
    }
}
