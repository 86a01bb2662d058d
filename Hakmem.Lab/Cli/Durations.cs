using System.Globalization;
using System.Text.RegularExpressions;

namespace Hakmem.Lab.Cli;

/// <summary>A duration as people type one: 90s, 30m, 2h, 1h30m, or a plain number of seconds.</summary>
public static partial class Durations
{
    [GeneratedRegex(@"^(?:(?<h>\d+(?:\.\d+)?)h)?(?:(?<m>\d+(?:\.\d+)?)m)?(?:(?<s>\d+(?:\.\d+)?)s?)?$")]
    private static partial Regex Form();

    public static TimeSpan Parse(string option, string text)
    {
        var m = Form().Match(text.Trim());
        double Part(string g) => m.Groups[g].Success ? double.Parse(m.Groups[g].Value, CultureInfo.InvariantCulture) : 0;
        if (text.Trim().Length == 0 || !m.Success || (!m.Groups["h"].Success && !m.Groups["m"].Success && !m.Groups["s"].Success))
            throw new ArgumentException($"{option} '{text}' is not valid: expected a duration such as 90s, 30m, 2h or 1h30m");
        double seconds = Part("h") * 3600 + Part("m") * 60 + Part("s");
        if (seconds <= 0 || seconds > NumberOption.MaxSeconds)
            throw new ArgumentException($"{option} '{text}' is not valid: expected a duration above 0 and at most {NumberOption.MaxSeconds} s");
        return TimeSpan.FromSeconds(seconds);
    }
}
