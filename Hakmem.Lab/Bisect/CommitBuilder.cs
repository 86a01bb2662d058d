using System.Diagnostics;
using Hakmem.Lab.Ab;
using Hakmem.Lab.Running;

namespace Hakmem.Lab.Bisect;

/// <summary>A commit ready to run the cell: the worker that runs it, the spec bound to the commit, and what
/// the runs file records as its build (the commit).</summary>
public sealed record CommitBuild(Commit Commit, WorkerCommand Worker, RunSpec Spec, string Build, TimeSpan BuildTime, bool Cached);

/// <summary>A commit that cannot be tested, and why (as <c>git bisect skip</c>).</summary>
public sealed class BuildSkippedException(string message) : Exception(message);

/// <summary>Makes each commit runnable, once. In this repository a commit is a build of hklab (ab's builder:
/// a worktree, dotnet build, the build cache) and the cell runs on that build's worker, refused there when the
/// build lacks a workload or option the cell uses (<see cref="Capabilities"/>). In any other repository the
/// commit is checked out in a worktree of its own, <c>--build</c> runs there (through sh), and the cell, bound to
/// that worktree, runs on this build of hklab. A commit that does not build, or cannot run the cell, is a skip.</summary>
public sealed class CommitBuilder : IDisposable
{
    private readonly string _repo;
    private readonly bool _thisRepo;
    private readonly string? _buildCommand;
    private readonly BisectCell _cell;
    private readonly TimeSpan _buildTimeout;
    private readonly string _scratch;
    private readonly List<string> _worktrees = [];

    public CommitBuilder(string repo, bool thisRepo, string? buildCommand, BisectCell cell, TimeSpan buildTimeout)
    {
        _repo = repo;
        _thisRepo = thisRepo;
        _buildCommand = buildCommand;
        _cell = cell;
        _buildTimeout = buildTimeout;
        _scratch = Path.Combine(Path.GetTempPath(), $"hklab-bisect-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}");
    }

    /// <summary>The commit, built; <see cref="BuildSkippedException"/> says why it cannot be tested.</summary>
    public CommitBuild Build(Commit commit)
    {
        var clock = Stopwatch.StartNew();
        if (_thisRepo)
        {
            AbSide side;
            try
            {
                side = AbSide.FromCommit(commit.Short, commit.Short, _repo, commit.Hash, TextWriter.Null);
            }
            catch (ArgumentException e)
            {
                throw new BuildSkippedException(e.Message.Replace($"side {commit.Short} '{commit.Short}' ", "", StringComparison.Ordinal));
            }
            var spec = Bind(null);
            if (side.Lacks(Capabilities.UsedBy([spec]), _repo) is { Count: > 0 } lacks)
                throw new BuildSkippedException("its build cannot run the cell: " + string.Join("; ", lacks.Select(l => $"{l.Feature.What} [{l.Feature.Name}]: {l.Why}")));
            Check(spec, WorkerSnapshot.Pinned); // the library and the program are the same whichever build probes them
            return new CommitBuild(commit, side.Worker, spec, side.Build, clock.Elapsed, side.Cached);
        }
        string tree = Path.Combine(_scratch, commit.Short);
        if (!Directory.Exists(tree))
        {
            Directory.CreateDirectory(_scratch);
            var (code, text) = Git.Exec("git", _repo, ["worktree", "add", "--detach", "--force", tree, commit.Hash]);
            if (code != 0) throw new BuildSkippedException($"git worktree add failed: {text.Trim().Split('\n')[0]}");
            _worktrees.Add(tree);
        }
        if (_buildCommand != null)
        {
            var (code, output, timedOut) = Shell(_buildCommand, tree, _buildTimeout);
            if (timedOut) throw new BuildSkippedException($"--build '{_buildCommand}' did not finish in {_buildTimeout.TotalSeconds:0} s");
            if (code != 0)
                throw new BuildSkippedException($"--build '{_buildCommand}' failed (exit {code}): {FirstError(output)}");
        }
        var bound = Bind(tree);
        Check(bound, WorkerSnapshot.Pinned);
        return new CommitBuild(commit, WorkerSnapshot.Pinned, bound, commit.Short, clock.Elapsed, Cached: false);
    }

    /// <summary>The worktree a commit was checked out in (another repository only).</summary>
    public string? WorktreeOf(Commit commit) => _thisRepo ? null : Path.Combine(_scratch, commit.Short);

    private RunSpec Bind(string? tree)
    {
        try
        {
            return _cell.Bind(tree);
        }
        catch (ArgumentException e)
        {
            throw new BuildSkippedException(e.Message);
        }
    }

    private static void Check(RunSpec spec, WorkerCommand worker)
    {
        try
        {
            Preflight.Check([spec], worker);
        }
        catch (Exception e) when (e is ArgumentException or Backends.BackendUnavailableException)
        {
            throw new BuildSkippedException(e.Message);
        }
    }

    /// <summary>The line of a build's output that says what failed: the first naming an error, else the last.</summary>
    private static string FirstError(string output)
    {
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.FirstOrDefault(l => l.Contains("error", StringComparison.OrdinalIgnoreCase)) ?? lines.LastOrDefault() ?? "no output";
    }

    private static (int Code, string Output, bool TimedOut) Shell(string command, string dir, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo("sh") { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(command);
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            p.WaitForExit();
            return (-1, stdout.Result + stderr.Result, true);
        }
        p.WaitForExit();
        return (p.ExitCode, stdout.Result + "\n" + stderr.Result, false);
    }

    /// <summary>Removes every worktree this builder made, and their directory.</summary>
    public void Dispose()
    {
        foreach (string tree in _worktrees) Git.Exec("git", _repo, ["worktree", "remove", "--force", tree]);
        if (_worktrees.Count > 0) Git.Exec("git", _repo, ["worktree", "prune"]);
        try
        {
            if (Directory.Exists(_scratch)) Directory.Delete(_scratch, true);
        }
        catch (IOException)
        {
        }
    }
}
