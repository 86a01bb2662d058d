using System.CommandLine;

namespace Hakmem.Lab.Cli;

/// <summary>The hakmem knobs as command-line flags. A flag that is not given leaves the value from the
/// HAKMEM_* environment (or the default), so the seeds' command lines work as written.</summary>
public sealed class HakmemKnobOptions
{
    public Option<int?> FastCap { get; } = NumberOption.Int("--fast-cap", "HAKMEM_TINY_FAST_CAP: fast tier blocks per class, 0 = off", 0, HakmemOptions.MaxFastCap);
    public Option<string?> TlsSll { get; } = OnOff.Option("--tls-sll", "HAKMEM_TINY_TLS_SLL: the thread-local singly linked list tier");
    public Option<string?> TlsList { get; } = OnOff.Option("--tls-list", "HAKMEM_TINY_TLS_LIST: the spilling TLS List tier");
    public Option<string?> P0 { get; } = OnOff.Option("--p0", "HAKMEM_TINY_P0_BATCH_REFILL: batch refill");
    public Option<bool> Guards { get; } = new("--guards") { Description = "HAKMEM_TINY_REFILL_FAILFAST=1: validate every list operation" };
    public Option<long?> MaxMb { get; } = NumberOption.Long("--max-mb", "HAKMEM_MAX_MB: cap on hakmem's mapped memory in MiB (0 = none)", 0, MaxMiB, "MiB");

    /// <summary>A PiB: more than any machine maps, small enough that the byte count cannot overflow.</summary>
    private const long MaxMiB = 1L << 30;
    public Option<string?> Inject { get; } = new("--inject")
    {
        Description = $"HAKMEM_INJECT: seed-bug canaries to re-create ({string.Join(", ", SeedBugs.Names.Select(n => n.Name))}; comma-separated)",
        HelpName = "canaries",
    };

    public void AddTo(Command command)
    {
        foreach (Option o in new Option[] { FastCap, TlsSll, TlsList, P0, Guards, MaxMb, Inject }) command.Options.Add(o);
    }

    /// <summary>Environment first, then the flags that were given; ArgumentException names a bad value.</summary>
    public HakmemOptions Resolve(ParseResult r, HakmemOptions? start = null)
    {
        var o = start ?? HakmemOptions.FromEnvironment();
        if (r.GetValue(FastCap) is int f) o = o with { FastCap = f };
        if (OnOff.Parse(r.GetValue(TlsSll)) is bool s) o = o with { TlsSll = s };
        if (OnOff.Parse(r.GetValue(TlsList)) is bool l) o = o with { TlsList = l };
        if (OnOff.Parse(r.GetValue(P0)) is bool p) o = o with { P0BatchRefill = p };
        if (r.GetValue(Guards)) o = o with { Guards = true };
        if (r.GetValue(MaxMb) is long mb) o = o with { MaxMemoryBytes = mb * 1024 * 1024 };
        if (r.GetValue(Inject) is string inject)
        {
            try
            {
                o = o with { Inject = SeedBugs.Parse(inject) };
            }
            catch (FormatException e)
            {
                throw new ArgumentException($"--inject '{inject}' is not valid: {e.Message}; expected {string.Join(", ", SeedBugs.Names.Select(n => n.Name))}");
            }
        }
        o.Validate();
        return o;
    }
}
