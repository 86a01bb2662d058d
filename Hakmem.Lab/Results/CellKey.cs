namespace Hakmem.Lab.Results;

/// <summary>What makes two runs the same experiment: the workload command line, the allocator and every
/// knob. Runs of one cell are samples of one distribution; compare matches cells by this key.</summary>
public sealed record CellKey(string Workload, string Args, string Allocator, int? FastCap, string TlsSll, string TlsList, string P0,
    string Guards, long? MaxMb, int Threads, string Inject, string Env = "", long? LargeCacheMb = null, int? LargeDecayMs = null, string Touch = "",
    int? Repeat = null, string Pin = "", string MidCache = "")
{
    public static CellKey Of(RunRecord r) =>
        new(r.Workload, r.Args, r.Allocator, r.FastCap, r.TlsSll, r.TlsList, r.P0, r.Guards, r.MaxMb, r.Threads, r.Inject, r.Env, r.LargeCacheMb, r.LargeDecayMs, r.Touch,
            r.Repeat, r.Pin, r.MidCache);

    /// <summary>The key of a run spec: the one place knobs become columns (empty for other allocators).</summary>
    public static CellKey For(Running.RunSpec spec, Hakmem.Workloads.WorkloadSpec workload)
    {
        bool hk = spec.Backend.IsHakmem;
        var o = spec.Hakmem;
        // A program's words are written so that they split back exactly (repro runs the very command).
        string args = workload is Hakmem.Workloads.ExecWorkload ? Hakmem.Workloads.ExecWorkload.Format(workload.Arguments) : string.Join(' ', workload.Arguments);
        return new CellKey(workload.Name, args, spec.Backend.Name,
            hk ? o.FastCap : null,
            hk ? Running.RunSpec.OnOff(o.TlsSll) : "",
            hk ? Running.RunSpec.OnOff(o.TlsList) : "",
            hk ? Running.RunSpec.OnOff(o.P0BatchRefill) : "",
            hk ? Running.RunSpec.OnOff(o.Guards) : "",
            hk && o.MaxMemoryBytes > 0 ? o.MaxMemoryBytes >> 20 : null,
            workload.Threads,
            hk ? SeedBugs.Format(o.Inject) : "",
            spec.EnvText,
            hk ? o.LargeCacheBytes >> 20 : null,
            hk ? o.LargeCacheDecayMs : null,
            spec.Touch ?? "",
            spec.Repeat,
            spec.Pin == true ? "on" : "",
            hk && !o.MidCache ? "off" : ""); // named only when off: every set from before the option had it on
    }

    /// <summary>The key without the allocator and its knobs: what cells of two allocators share when they ran the
    /// same workload under the same settings (compare --allocators).</summary>
    public CellKey Settings =>
        this with { Allocator = "", FastCap = null, TlsSll = "", TlsList = "", P0 = "", Guards = "", MaxMb = null, Inject = "", LargeCacheMb = null, LargeDecayMs = null, MidCache = "" };

    /// <summary>Run r under this key's allocator and knobs (the ones <see cref="Settings"/> clears), the rest of r as it is.</summary>
    public RunRecord Onto(RunRecord r) => r with
    {
        Allocator = Allocator, FastCap = FastCap, TlsSll = TlsSll, TlsList = TlsList, P0 = P0, Guards = Guards, MaxMb = MaxMb, Inject = Inject,
        LargeCacheMb = LargeCacheMb, LargeDecayMs = LargeDecayMs, MidCache = MidCache,
    };

    /// <summary>Knobs as words: "fast_cap=64 tls_sll=on tls_list=off p0=on" (empty for other allocators).</summary>
    public string Knobs
    {
        get
        {
            var parts = new List<string>();
            if (FastCap is int f) parts.Add($"fast_cap={f}");
            if (TlsSll.Length > 0) parts.Add($"tls_sll={TlsSll}");
            if (TlsList.Length > 0) parts.Add($"tls_list={TlsList}");
            if (P0.Length > 0) parts.Add($"p0={P0}");
            if (Guards == "on") parts.Add("guards=on");
            if (MaxMb is long mb) parts.Add($"max_mb={mb}");
            if (Inject.Length > 0) parts.Add($"inject={Inject}");
            if (MidCache.Length > 0) parts.Add($"mid_cache={MidCache}");
            // The large-block cache is named only when it is not the default (it is part of the key either way).
            if (LargeCacheMb is long cache && cache != HakmemOptions.Default.LargeCacheBytes >> 20) parts.Add($"large_cache_mb={cache}");
            if (LargeDecayMs is int decay && decay != HakmemOptions.Default.LargeCacheDecayMs) parts.Add($"large_decay_ms={decay}");
            if (Touch.Length > 0) parts.Add($"touch={Touch}");
            if (Repeat is int rep) parts.Add($"repeat={rep}");
            if (Pin.Length > 0) parts.Add($"pin={Pin}");
            if (Env.Length > 0) parts.Add($"env {Env}");
            return string.Join(' ', parts);
        }
    }

    public override string ToString() => $"{Workload} {Args} | {Allocator}{(Knobs.Length > 0 ? " " + Knobs : "")}";
}
