using System.Diagnostics;
using Hakmem.Lab.Running;

namespace Hakmem.Lab.Tests;

/// <summary>Starts the built hklab (next to the test assembly) as a real process.</summary>
public static class Hklab
{
    public static WorkerCommand Command { get; } = WorkerCommand.ForAssembly(typeof(Worker).Assembly.Location);

    public sealed record Output(int ExitCode, string Stdout, string Stderr);

    public static Output Run(IReadOnlyDictionary<string, string>? env, params string[] args) =>
        Start(Command.FileName, Command.PrefixArguments.Concat(args), env);

    public static Output Run(params string[] args) => Run(null, args);

    /// <summary>hklab in <paramref name="workingDirectory"/>.</summary>
    public static Output RunIn(string workingDirectory, params string[] args) =>
        Start(Command.FileName, Command.PrefixArguments.Concat(args), null, workingDirectory);

    /// <summary>Any program, with no HAKMEM_* variable inherited from the test's environment; killed after
    /// five minutes.</summary>
    public static Output Start(string file, IEnumerable<string> args, IReadOnlyDictionary<string, string>? env = null, string? workingDirectory = null)
    {
        using var p = Process.Start(Info(file, args, env, workingDirectory))!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(5))) p.Kill(true);
        p.WaitForExit();
        return new Output(p.ExitCode, stdout.Result, stderr.Result);
    }

    private static ProcessStartInfo Info(string file, IEnumerable<string> args, IReadOnlyDictionary<string, string>? env, string? workingDirectory)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (workingDirectory != null) psi.WorkingDirectory = workingDirectory;
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var name in HakmemOptions.Variables.Select(v => v.Name)) psi.Environment.Remove(name);
        if (env != null)
            foreach (var (k, v) in env) psi.Environment[k] = v;
        return psi;
    }

    /// <summary>A program running in the background; its output is collected as it comes, so it never
    /// blocks on a full pipe.</summary>
    public sealed class Background : IDisposable
    {
        private readonly System.Text.StringBuilder _out = new(), _err = new();

        public Process Process { get; }
        public int Id => Process.Id;

        public Background(ProcessStartInfo info)
        {
            Process = new Process { StartInfo = info };
            Process.OutputDataReceived += (_, e) => { lock (_out) _out.AppendLine(e.Data); };
            Process.ErrorDataReceived += (_, e) => { lock (_err) _err.AppendLine(e.Data); };
            Process.Start();
            Process.BeginOutputReadLine();
            Process.BeginErrorReadLine();
        }

        /// <summary>What it printed so far; all of it once it has exited (a wait with a timeout returns before the
        /// last lines reach the handlers, the wait without one after).</summary>
        public string Output
        {
            get
            {
                if (Process.HasExited) Process.WaitForExit();
                lock (_out) lock (_err) return _out.ToString() + _err;
            }
        }

        public void Dispose()
        {
            if (!Process.HasExited) Process.Kill(true);
            Process.Dispose();
        }
    }

    public static Background Spawn(string file, IEnumerable<string> args, IReadOnlyDictionary<string, string>? env = null, string? workingDirectory = null) =>
        new(Info(file, args, env, workingDirectory));

    public static Background Spawn(params string[] args) => Spawn(Command.FileName, Command.PrefixArguments.Concat(args));

    /// <summary>hklab in the background with SIGINT at its default disposition, for tests that interrupt it:
    /// a shell that starts the test run as a background job ignores SIGINT, every child inherits that, and
    /// the runtime then rightly leaves it ignored. env(1) resets it and execs, so the pid is hklab's.</summary>
    public static Background SpawnInterruptible(params string[] args) => SpawnInterruptible(null, args);

    public static Background SpawnInterruptible(IReadOnlyDictionary<string, string>? env, params string[] args) =>
        Spawn("env", new[] { "--default-signal=INT", Command.FileName }.Concat(Command.PrefixArguments).Concat(args), env);

    /// <summary>The pids of the running children of <paramref name="pid"/>.</summary>
    public static IReadOnlyList<int> ChildrenOf(int pid)
    {
        var children = new List<int>();
        foreach (var dir in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int child)) continue;
            try
            {
                string stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (fields[0] != "Z" && int.Parse(fields[1]) == pid) children.Add(child);
            }
            catch (IOException)
            {
            }
        }
        return children;
    }

    /// <summary>Whether a process runs (a zombie is dead: it only waits to be reaped).</summary>
    public static bool IsRunning(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..][0] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Sends a signal with kill(1).</summary>
    public static void Signal(int pid, string signal) => Start("kill", [$"-{signal}", pid.ToString()]);

    public static string TempDir(string name)
    {
        string dir = Path.Combine(Path.GetTempPath(), $"hklab-{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }
}
