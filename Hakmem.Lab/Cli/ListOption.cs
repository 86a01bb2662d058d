using System.CommandLine;
using System.Globalization;

namespace Hakmem.Lab.Cli;

/// <summary>Comma-separated list options ("--threads 1,2,4,8"), validated item by item.</summary>
public static class ListOption
{
    public static Option<string?> Create(string name, string description, string defaultText) =>
        new(name) { Description = $"{description} (comma-separated; default {defaultText})", HelpName = "list" };

    public static IReadOnlyList<string> Items(string? text) =>
        text?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];

    public static IReadOnlyList<int> Ints(string option, string? text, IReadOnlyList<int> fallback, int min, int max)
    {
        if (text == null) return fallback;
        return Items(text).Select(s => int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n >= min && n <= max
            ? n : throw new ArgumentException($"{option} '{s}' is not valid: expected whole numbers from {min} to {max}")).Distinct().ToList();
    }

    public static IReadOnlyList<bool> OnOffs(string option, string? text, IReadOnlyList<bool> fallback)
    {
        if (text == null) return fallback;
        return Items(text).Select(s => OnOff.Parse(s) ?? throw new ArgumentException($"{option} '{s}' is not valid: expected on, off or both (on,off)")).Distinct().ToList();
    }
}
