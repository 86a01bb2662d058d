using System.CommandLine;
using System.CommandLine.Parsing;

namespace Hakmem.Lab.Cli;

/// <summary>Options that take on/off (also 1/0, true/false, yes/no), with an error naming the bad value.
/// Typed as strings: System.CommandLine lets a bool option consume only true/false.</summary>
public static class OnOff
{
    public static Option<string?> Option(string name, string description)
    {
        var option = new Option<string?>(name) { Description = description + " (on|off)", HelpName = "on|off" };
        option.Validators.Add(result =>
        {
            foreach (var token in result.Tokens)
                if (Parse(token.Value) == null)
                    result.AddError($"{name} '{token.Value}' is not valid: expected {Accepted}");
        });
        return option;
    }

    public const string Accepted = "on or off (also 1/0, true/false, yes/no)";

    public static bool? Parse(string? value) => value?.ToLowerInvariant() switch
    {
        "on" or "1" or "true" or "yes" => true,
        "off" or "0" or "false" or "no" => false,
        _ => null,
    };
}
