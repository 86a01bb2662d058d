using Hakmem.Lab.Backends;
using Hakmem.Lab.Running;

namespace Hakmem.Lab.Tests;

public class BackendTests
{
    public static TheoryData<string> Names => new(BackendInfo.Names);

    /// <summary>Every backend runs a real workload in a child process, or (a C allocator that is not
    /// installed) reports an error naming the Debian package: never a silent substitute.</summary>
    [Theory]
    [MemberData(nameof(Names))]
    public async Task Each_backend_runs_larson_in_a_child_or_says_which_package_is_missing(string name)
    {
        var backend = BackendInfo.Get(name);
        var spec = new RunSpec("larson", ["0.3", "8", "128", "256", "2", "12345", "2"], name, HakmemOptions.Default);
        var r = await new ChildRunner(Hklab.Command).RunAsync(spec, TimeSpan.FromSeconds(60));
        if (backend.IsAvailable())
        {
            Assert.True(r.Outcome == Outcome.Ok, $"{name}: {r.Outcome.Name()} {r.Message}");
            Assert.True(r.Ops > 0 && r.PeakRssKb > 0);
        }
        else
        {
            Assert.Equal(Outcome.Error, r.Outcome);
            Assert.Contains($"apt-get install {backend.DebianPackage}", r.Message);
        }
    }

    [Fact]
    public void A_missing_library_names_the_package_to_install()
    {
        var fake = new BackendInfo("fakealloc", "test", "libfakealloc.so.9", "fa_malloc", "fa_free", "libfakealloc9");
        var e = Assert.Throws<BackendUnavailableException>(() => NativeAllocator.Load(fake));
        Assert.Contains("apt-get install libfakealloc9", e.Message);
        Assert.False(fake.IsAvailable());
    }
}
