using System.Text;

namespace Hakmem.Workloads;

/// <summary>exec <c>CMD ARGS...</c>: an external benchmark program, run as its own process (by the lab's
/// worker) on an allocator preloaded into it. The command line may hold <c>{threads}</c>, which takes the
/// matrix's threads axis. It is split into words on spaces (quotes group them), never run through a
/// shell. Its throughput is read from what it prints; it has no in-process <see cref="Run{TAlloc}"/>.</summary>
public sealed record ExecWorkload(IReadOnlyList<string> Template, int ThreadCount) : WorkloadSpec
{
    public const string Placeholder = "{threads}";
    public const string UsageText = "'CMD ARGS' (one argument; {threads} takes the thread count)";

    public override string Name => "exec";
    public override string Usage => UsageText;
    public override int Threads => ThreadCount;
    public bool HasThreads => Template.Any(t => t.Contains(Placeholder, StringComparison.Ordinal));

    /// <summary>The words of the command as it runs: the placeholder replaced.</summary>
    public override IReadOnlyList<string> Arguments =>
        Template.Select(t => t.Replace(Placeholder, ThreadCount.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)).ToList();

    public override WorkloadSpec WithThreads(int threads)
    {
        if (!HasThreads) throw new WorkloadArgumentException($"exec: '{string.Join(' ', Template)}' has no {Placeholder} to take a thread count");
        return this with { ThreadCount = threads };
    }

    public override WorkloadSpec Warmup() => this;

    public override WorkloadResult Run<TAlloc>(TAlloc allocator) =>
        throw new InvalidOperationException("an exec workload runs as a program of its own, not in the worker");

    /// <summary>One argument holding the whole command line, or the words already split (a scenario, or a
    /// runs file's args read back).</summary>
    public static ExecWorkload Parse(IReadOnlyList<string> args)
    {
        var words = args.Count == 1 ? Split(args[0]) : args.ToList();
        if (words.Count == 0 || words[0].Length == 0) throw new WorkloadArgumentException($"exec: expected a command line, {UsageText}");
        return new ExecWorkload(words, 1);
    }

    /// <summary>The words as one command line that <see cref="Split"/> gives back exactly: a plain word as it
    /// is, any other in single quotes, with a single quote itself written "'" (quoted parts join in a word).</summary>
    public static string Format(IReadOnlyList<string> words) => string.Join(' ', words.Select(Quote));

    private static string Quote(string word)
    {
        if (word.Length > 0 && word.All(c => !char.IsWhiteSpace(c) && c is not ('\'' or '"'))) return word;
        if (word.Length == 0) return "''";
        var parts = word.Split('\'');
        var sb = new StringBuilder();
        for (int i = 0; i < parts.Length; i++)
        {
            if (i > 0) sb.Append("\"'\"");
            if (parts[i].Length > 0) sb.Append('\'').Append(parts[i]).Append('\'');
        }
        return sb.ToString();
    }

    /// <summary>Words separated by spaces; '...' and "..." group (the quotes are dropped).</summary>
    public static List<string> Split(string command)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        bool inWord = false;
        char quote = '\0';
        foreach (char c in command)
        {
            if (quote != '\0')
            {
                if (c == quote) quote = '\0';
                else word.Append(c);
            }
            else if (c is '\'' or '"')
            {
                quote = c;
                inWord = true;
            }
            else if (char.IsWhiteSpace(c))
            {
                if (inWord) words.Add(word.ToString());
                word.Clear();
                inWord = false;
            }
            else
            {
                word.Append(c);
                inWord = true;
            }
        }
        if (quote != '\0') throw new WorkloadArgumentException($"exec: a quote is never closed in '{command}'");
        if (inWord) words.Add(word.ToString());
        return words;
    }
}
