using System.Collections.Concurrent;

namespace Hakmem.Lab.Tests;

/// <summary>Small C programs and libraries the tests build with the system C compiler (gcc; .ci/run installs
/// it when missing), from <c>Native/*.c</c> next to the test assembly, once per test run.</summary>
public static class NativeFixture
{
    private static readonly string Dir = Path.Combine(Path.GetTempPath(), $"hklab-native-{Environment.ProcessId}");
    private static readonly ConcurrentDictionary<string, Lazy<string>> Built = new();

    /// <summary>Native/NAME.c built as a shared library; returns its path.</summary>
    public static string Library(string name) => Build(name, $"lib{name}.so", "-shared", "-fPIC");

    /// <summary>Native/NAME.c built as a shared library with one macro defined (-DMACRO=VALUE), named after it.</summary>
    public static string Library(string name, string macro, string value) =>
        Build(name, $"lib{name}-{macro.ToLowerInvariant()}{value}.so", "-shared", "-fPIC", $"-D{macro}={value}");

    /// <summary>Native/NAME.c built as a program; returns its path.</summary>
    public static string Program(string name) => Build(name, name, "-pthread");

    /// <summary>Native/NAME.c built as a static program (no dynamic loader: nothing can be preloaded into it).</summary>
    public static string StaticProgram(string name) => Build(name, name + "-static", "-static", "-pthread");

    private static string Build(string name, string output, params string[] flags) =>
        Built.GetOrAdd(output, _ => new Lazy<string>(() =>
        {
            Directory.CreateDirectory(Dir);
            string source = Path.Combine(AppContext.BaseDirectory, "Native", name + ".c");
            string target = Path.Combine(Dir, output);
            var o = Hklab.Start("gcc", [.. flags, "-O1", "-w", "-o", target, source]);
            if (o.ExitCode != 0) throw new InvalidOperationException($"gcc could not build {source}: {o.Stderr}");
            return target;
        })).Value;
}
