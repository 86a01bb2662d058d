using System.CommandLine;
using System.Globalization;

namespace Hakmem.Lab.Cli;

/// <summary>Numeric options parsed and bounded here, so that a bad value is refused naming the option, the
/// value and what is expected ("--runs 'x' is not valid: expected a whole number from 1 to 100000"),
/// never with a .NET type name, and never wraps around (a --max-mb that overflows, a --timeout of 1e20).</summary>
public static class NumberOption
{
    public static Option<int?> Int(string name, string description, int min, int max, string? helpName = null) => new(name)
    {
        Description = description,
        HelpName = helpName ?? "N",
        CustomParser = r => Parse<int>(r, name, s => int.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int n) && n >= min && n <= max ? n : (int?)null,
            $"a whole number from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}"),
    };

    public static Option<long?> Long(string name, string description, long min, long max, string? helpName = null) => new(name)
    {
        Description = description,
        HelpName = helpName ?? "N",
        CustomParser = r => Parse<long>(r, name, s => long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long n) && n >= min && n <= max ? n : (long?)null,
            $"a whole number from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}"),
    };

    /// <summary>A positive, finite number of seconds up to <paramref name="max"/>.</summary>
    public static Option<double?> Seconds(string name, string description, double max = MaxSeconds) => new(name)
    {
        Description = description,
        HelpName = "seconds",
        CustomParser = r => Parse<double>(r, name, s => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && double.IsFinite(d) && d > 0 && d <= max ? d : (double?)null,
            $"a number of seconds above 0 and at most {max.ToString(CultureInfo.InvariantCulture)}"),
    };

    /// <summary>Eleven days and a half: longer than any run anyone waits for, short enough for any clock.</summary>
    public const double MaxSeconds = 1_000_000;

    private static T? Parse<T>(System.CommandLine.Parsing.ArgumentResult r, string name, Func<string, T?> parse, string expected) where T : struct
    {
        string token = r.Tokens.Count > 0 ? r.Tokens[^1].Value : "";
        T? value = parse(token.Trim());
        if (value == null) r.AddError($"{name} '{token}' is not valid: expected {expected}");
        return value;
    }
}
