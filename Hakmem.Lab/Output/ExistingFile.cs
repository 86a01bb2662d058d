using System.Globalization;

namespace Hakmem.Lab.Output;

/// <summary>A single output file (<c>run --csv F</c>, <c>canaries --csv F</c>) that must not silently
/// replace an earlier one: refused when it exists, unless --force, which moves it aside to
/// F.old-TIME first (never deletes it).</summary>
public static class ExistingFile
{
    /// <summary>The full path to write; where an existing file went, when it was moved aside.</summary>
    public static (string Path, string? MovedAside) Claim(string option, string? path, bool force)
    {
        string full = OutputPaths.ForFile(option, path);
        if (!File.Exists(full)) return (full, null);
        if (!force) throw new OutputPathException($"{option} '{path}' already exists: --force moves it aside and writes a new one");
        string aside = $"{full}.old-{DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}";
        File.Move(full, aside);
        return (full, aside);
    }
}
