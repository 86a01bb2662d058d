using System.CommandLine;
using System.CommandLine.Parsing;

namespace Hakmem.Lab.Cli;

/// <summary>Options that take on/off (also 1/0, true/false), with an error that names the bad value.</summary>
public static class OnOff
{
    public static Option<bool?> Option(string name, string description) => new(name)
    {
        Description = description + " (on|off)",
        HelpName = "on|off",
        CustomParser = Parse,
    };

    private static bool? Parse(ArgumentResult result)
    {
        string v = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
        switch (v.ToLowerInvariant())
        {
            case "on" or "1" or "true" or "yes": return true;
            case "off" or "0" or "false" or "no": return false;
            default:
                result.AddError($"{((OptionResult)result.Parent!).Option.Name} '{v}' is not valid: expected on or off");
                return null;
        }
    }
}
