using System.Diagnostics;

namespace Coord.LoadGen;

static class Stats
{
    /// <summary>Quantile q of sorted microsecond samples, in milliseconds.</summary>
    public static double Ms(int[] sortedUs, double q) =>
        sortedUs.Length == 0 ? 0 : sortedUs[Math.Min(sortedUs.Length - 1, (int)(q * sortedUs.Length))] / 1000.0;

    public static string Percentiles(int[] sortedUs) =>
        $"p50={Ms(sortedUs, 0.50):0.000}ms p99={Ms(sortedUs, 0.99):0.000}ms p99.9={Ms(sortedUs, 0.999):0.000}ms max={(sortedUs.Length == 0 ? 0 : sortedUs[^1] / 1000.0):0.000}ms";

    public static int Us(long fromTicks, long toTicks) => (int)Math.Min(int.MaxValue, (toTicks - fromTicks) * 1_000_000 / Stopwatch.Frequency);

    public static double ServerCpuSeconds(int pid)
    {
        if (pid <= 0) return 0;
        // /proc/<pid>/stat fields 14 and 15: utime and stime in clock ticks (USER_HZ = 100 on Linux).
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11]) + long.Parse(fields[12])) / 100.0;
    }
}
