namespace Hakmem.Lab.Output;

/// <summary>Checks of an output path made before anything runs: not empty, not under a file, not an
/// existing directory where a file is wanted (or a file where a directory is), and writable (tried, not
/// guessed). Each failure is one <see cref="OutputPathException"/> naming the option and the path.</summary>
public static class OutputPaths
{
    /// <summary>A file to be written (<c>run --csv F</c>): its directory is created, the file is not.</summary>
    public static string ForFile(string option, string? path)
    {
        string full = Common(option, path);
        if (Directory.Exists(full)) throw new OutputPathException($"{option} '{path}' is a directory: expected a file name (such as {Path.Combine(path!, "runs.csv")})");
        Writable(option, path!, Path.GetDirectoryName(full)!);
        return full;
    }

    /// <summary>A directory to be written into (<c>matrix --out D</c>): created if missing.</summary>
    public static string ForDirectory(string option, string? path)
    {
        string full = Common(option, path);
        if (System.IO.File.Exists(full)) throw new OutputPathException($"{option} '{path}' is a file: expected a directory for the result set");
        Writable(option, path!, full);
        return full;
    }

    private static string Common(string option, string? path)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new OutputPathException($"{option} is empty: expected a path");
        string full;
        try
        {
            full = Path.GetFullPath(path);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new OutputPathException($"{option} '{path}' is not a valid path: {e.Message}");
        }
        for (string? dir = Path.GetDirectoryName(full); dir != null; dir = Path.GetDirectoryName(dir))
        {
            if (System.IO.File.Exists(dir)) throw new OutputPathException($"{option} '{path}' lies under '{dir}', which is a file");
            if (Directory.Exists(dir)) break;
        }
        return full;
    }

    /// <summary>Create the directory and a probe file in it; any refusal is the user's to fix.</summary>
    private static void Writable(string option, string path, string dir)
    {
        try
        {
            Directory.CreateDirectory(dir);
            string probe = Path.Combine(dir, $".hklab-probe-{Environment.ProcessId}");
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose)) { }
        }
        catch (UnauthorizedAccessException)
        {
            throw new OutputPathException($"{option} '{path}' cannot be written: permission denied in '{dir}' (or a read-only file system)");
        }
        catch (IOException)
        {
            throw new OutputPathException($"{option} '{path}' cannot be written: '{dir}' does not take new files");
        }
    }

    public static string Reason(Exception e) => e switch
    {
        UnauthorizedAccessException => "permission denied (or a read-only file system)",
        _ => e.Message.TrimEnd('.'),
    };
}
