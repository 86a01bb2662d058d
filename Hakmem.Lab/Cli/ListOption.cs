using System.CommandLine;
using System.Globalization;

namespace Hakmem.Lab.Cli;

/// <summary>Comma-separated list options ("--threads 1,2,4,8"), validated item by item: an empty list or
/// an empty item ("1,,2") is refused, not quietly dropped, so a matrix never runs without a dimension
/// the user meant to give.</summary>
public static class ListOption
{
    public static Option<string?> Create(string name, string description, string defaultText) =>
        new(name) { Description = $"{description} (comma-separated; default {defaultText})", HelpName = "list" };

    /// <summary>The items of a list option, trimmed; null when the option was not given.</summary>
    public static IReadOnlyList<string>? Items(string option, string? text, string example)
    {
        if (text == null) return null;
        var items = text.Split(',', StringSplitOptions.TrimEntries);
        if (items.All(i => i.Length == 0)) throw new ArgumentException($"{option} '{text}' is empty: expected a comma-separated list such as {example}");
        if (items.Any(i => i.Length == 0)) throw new ArgumentException($"{option} '{text}' has an empty item: expected a comma-separated list such as {example}");
        return items;
    }

    public static IReadOnlyList<int> Ints(string option, string? text, IReadOnlyList<int> fallback, int min, int max)
    {
        var items = Items(option, text, $"{min},{Math.Min(max, min + 1)}");
        if (items == null) return fallback;
        return items.Select(s => int.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int n) && n >= min && n <= max
            ? n : throw new ArgumentException($"{option} item '{s}' is not valid: expected whole numbers from {min} to {max}")).Distinct().ToList();
    }

    public static IReadOnlyList<bool> OnOffs(string option, string? text, IReadOnlyList<bool> fallback)
    {
        var items = Items(option, text, "off,on");
        if (items == null) return fallback;
        return items.Select(s => OnOff.Parse(s) ?? throw new ArgumentException($"{option} item '{s}' is not valid: expected {OnOff.Accepted}, or both (off,on)")).Distinct().ToList();
    }
}
