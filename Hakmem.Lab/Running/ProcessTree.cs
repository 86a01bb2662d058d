namespace Hakmem.Lab.Running;

/// <summary>What the lab reads of its runs' processes from /proc, without touching them.</summary>
public static class ProcessTree
{
    /// <summary>The process at the end of <paramref name="pid"/>'s chain of children (for an exec run: worker,
    /// GNU time, the program), or null while the chain is still being built or is gone.</summary>
    public static int? Deepest(int pid)
    {
        int current = pid;
        for (int depth = 0; depth < 8; depth++)
        {
            string? children = Read($"/proc/{current}/task/{current}/children");
            if (children == null) return depth == 0 ? null : current;
            string first = children.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "";
            if (!int.TryParse(first, out int child)) return depth == 0 ? null : current;
            current = child;
        }
        return current;
    }

    /// <summary>Resident set size of a process now, from /proc/PID/statm (no memory map lock taken), in KiB.</summary>
    public static long? RssKb(int pid)
    {
        string? statm = Read($"/proc/{pid}/statm");
        var fields = statm?.Split(' ');
        return fields is { Length: > 1 } && long.TryParse(fields[1], out long pages) ? pages * Environment.SystemPageSize / 1024 : null;
    }

    private static string? Read(string file)
    {
        try
        {
            return File.ReadAllText(file).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
