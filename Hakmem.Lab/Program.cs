using System.CommandLine;
using System.Globalization;
using Hakmem.Lab.Cli;
using Hakmem.Lab.Running;

namespace Hakmem.Lab;

public static class Program
{
    public static int Main(string[] args)
    {
        CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        // The worker mode is not a user command: dispatch it before any parsing.
        if (args.Length == 2 && args[0] == Worker.CommandName) return Worker.Run(args[1]);
        if (args.Length == 1 && args[0] == Capabilities.CommandName) return Capabilities.Answer();
        if (args.Length == 2 && args[0] == Preflight.ProbeCommand) return Worker.ProbeLibrary(args[1]);

        var root = new RootCommand("hklab: a benchmark and stability lab for memory allocators. Runs allocator workloads on\n"
            + "Hakmem.Core and on glibc, mimalloc, jemalloc and tcmalloc, each run in its own child process.");
        root.Subcommands.Add(RunCommand.Create());
        root.Subcommands.Add(MatrixCommand.Create());
        root.Subcommands.Add(MergeCommand.Create());
        root.Subcommands.Add(CompareCommand.Create());
        root.Subcommands.Add(AbCommand.Create());
        root.Subcommands.Add(BisectCommand.Create());
        root.Subcommands.Add(ReportCommand.Create());
        root.Subcommands.Add(CanariesCommand.Create());
        root.Subcommands.Add(ReproCommand.Create());
        root.Subcommands.Add(MicroCommand.Create());
        root.Subcommands.Add(SelftestCommand.Create());
        string commands = string.Join(", ", root.Subcommands.Select(c => c.Name));
        if (args.Length == 0) return Usage($"hklab: no command given; commands: {commands} (hklab --help says what each does)");
        if (!args[0].StartsWith('-') && root.Subcommands.All(c => c.Name != args[0]))
            return Usage($"hklab: no command '{args[0]}'; commands: {commands}");
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            // Usage errors exit 2, as the lab's own argument errors do: one line, naming the bad value.
            string command = root.Subcommands.Any(c => c.Name == args[0]) ? $" {args[0]}" : "";
            return Usage($"hklab{command}: {Cli.CommandGuard.OneLine(parsed.Errors[0].Message)} (hklab{command} --help lists what it takes)");
        }
        return parsed.Invoke();
    }

    private static int Usage(string message)
    {
        Console.Error.WriteLine(message);
        return 2;
    }
}
