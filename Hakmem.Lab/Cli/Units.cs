using System.Globalization;

namespace Hakmem.Lab.Cli;

public static class Units
{
    public static string Rate(double opsPerSec) => opsPerSec switch
    {
        >= 1e9 => (opsPerSec / 1e9).ToString("0.00", CultureInfo.InvariantCulture) + "G",
        >= 1e6 => (opsPerSec / 1e6).ToString("0.00", CultureInfo.InvariantCulture) + "M",
        >= 1e3 => (opsPerSec / 1e3).ToString("0.0", CultureInfo.InvariantCulture) + "K",
        _ => opsPerSec.ToString("0", CultureInfo.InvariantCulture),
    };

    public static string Kb(long kb) => kb >= 1024 * 10 ? $"{kb / 1024} MB" : $"{kb} KB";

    public static string Seconds(double s) => s.ToString(s < 10 ? "0.00" : "0.0", CultureInfo.InvariantCulture) + " s";
}
