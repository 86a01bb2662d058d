namespace Hakmem.Lab.Running;

/// <summary>The program of an --exec command, found before the first run: a path (with a slash) from the
/// caller's directory, or a name looked up in PATH as the runs will look it up. A program that is missing,
/// a directory or not executable is refused here, naming it, instead of failing every run.</summary>
public static class ProgramPath
{
    /// <summary>The full path of <paramref name="command"/>'s program; ArgumentException says what is wrong.</summary>
    public static string Check(IReadOnlyList<string> command)
    {
        string program = command[0];
        string shown = $"--exec '{string.Join(' ', command)}'";
        if (program.Contains('/'))
        {
            string full = Path.GetFullPath(program);
            if (Directory.Exists(full)) throw new ArgumentException($"{shown}: '{program}' is a directory, not a program");
            if (!File.Exists(full)) throw new ArgumentException($"{shown}: the program '{program}' does not exist ({full})");
            if (!IsExecutable(full)) throw new ArgumentException($"{shown}: the program '{program}' is not executable (chmod +x {program})");
            return full;
        }
        var dirs = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries);
        foreach (string dir in dirs)
        {
            string candidate = Path.Combine(dir, program);
            if (File.Exists(candidate) && IsExecutable(candidate)) return candidate;
        }
        throw new ArgumentException($"{shown}: no program '{program}' in PATH; give its path (./{program} for one in this directory)");
    }

    private static bool IsExecutable(string file) => !OperatingSystem.IsWindows() &&
        (File.GetUnixFileMode(file) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;

    /// <summary>The command as the program gets it in a working directory of its own: the program's path and every
    /// argument that names a file or directory relative to the caller's directory made absolute (so that
    /// <c>./larson</c> and <c>input.txt</c> still mean what they meant where hklab was started).</summary>
    public static IReadOnlyList<string> Resolve(IReadOnlyList<string> command)
    {
        var words = command.ToList();
        if (words[0].Contains('/')) words[0] = Path.GetFullPath(words[0]);
        for (int i = 1; i < words.Count; i++)
            if (words[i].Length > 0 && !words[i].StartsWith('-') && !Path.IsPathRooted(words[i]) && (File.Exists(words[i]) || Directory.Exists(words[i])))
                words[i] = Path.GetFullPath(words[i]);
        return words;
    }
}
