using Hakmem.Lab.Output;

namespace Hakmem.Lab.Cli;

/// <summary>How a command's failure reaches the user: one line on stderr, "hklab NAME: what and why", and
/// the exit code that says whose it is: 2 for bad input (an argument, an option, an input file, an
/// output path), 1 when writing the results failed part way (what was saved is in the message).</summary>
public static class CommandGuard
{
    public static async Task<int> Run(string name, Func<Task<int>> body)
    {
        try
        {
            return await body();
        }
        catch (ArgumentException e)
        {
            return Fail(name, e.Message, 2);
        }
        catch (OperationCanceledException)
        {
            return Fail(name, "interrupted", 130);
        }
        catch (ResultWriteException e)
        {
            return Fail(name, e.Message, 1);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Fail(name, OutputPaths.Reason(e), 1);
        }
    }

    public static Task<int> Run(string name, Func<int> body) => Run(name, () => Task.FromResult(body()));

    public static int Fail(string name, string message, int code)
    {
        Console.Error.WriteLine($"hklab {name}: {OneLine(message)}");
        return code;
    }

    public static string OneLine(string s) => s.ReplaceLineEndings(" ").Trim();
}
