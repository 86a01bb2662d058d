using Hakmem;

namespace Hakmem.Tests;

/// <summary>Option combinations the tests run over: every knob that selects a code path.</summary>
public static class Knobs
{
    public static IEnumerable<HakmemOptions> All(bool guards = false) =>
        from fast in new[] { 0, 64 }
        from sll in new[] { false, true }
        from list in new[] { false, true }
        from p0 in new[] { false, true }
        select new HakmemOptions { FastCap = fast, TlsSll = sll, TlsList = list, P0BatchRefill = p0, Guards = guards };

    public static TheoryData<int, bool, bool, bool, bool> Data(bool withGuards)
    {
        var data = new TheoryData<int, bool, bool, bool, bool>();
        foreach (var o in All()) data.Add(o.FastCap, o.TlsSll, o.TlsList, o.P0BatchRefill, false);
        if (withGuards)
            foreach (var o in All()) data.Add(o.FastCap, o.TlsSll, o.TlsList, o.P0BatchRefill, true);
        return data;
    }

    public static TheoryData<int, bool, bool, bool, bool> AllWithGuards => Data(true);

    public static HakmemOptions Options(int fast, bool sll, bool list, bool p0, bool guards) =>
        new() { FastCap = fast, TlsSll = sll, TlsList = list, P0BatchRefill = p0, Guards = guards };
}
