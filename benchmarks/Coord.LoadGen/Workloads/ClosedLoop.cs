using System.Diagnostics;

namespace Coord.LoadGen.Workloads;

/// <summary>Closed loop: each session keeps --outstanding requests in flight on its own connection for --seconds.</summary>
static class ClosedLoop
{
    public static async Task<int> RunAsync(Options o)
    {
        var value = new byte[o.ValueBytes];
        Random.Shared.NextBytes(value);
        await Layout.SetupAsync(o, value);
        Watchdog.Phase = "connect";
        var sessions = new Session[o.Sessions];
        for (int i = 0; i < sessions.Length; i++) sessions[i] = await Session.ConnectAsync(o.Host, o.Port);
        Watchdog.Phase = "measure";
        double cpu0 = Stats.ServerCpuSeconds(o.ServerPid);
        var sw = Stopwatch.StartNew();
        var tasks = sessions.Select((s, i) => s.RunAsync(new OpStream(o.Workload, Layout.NodePath(i), value, i), o.Outstanding, TimeSpan.FromSeconds(o.Seconds))).ToArray();
        await Task.WhenAll(tasks);
        double elapsed = sw.Elapsed.TotalSeconds;
        double cpu = Stats.ServerCpuSeconds(o.ServerPid) - cpu0;
        var lat = tasks.SelectMany(t => t.Result.LatenciesUs).ToArray();
        Array.Sort(lat);
        long ops = lat.Length, errors = tasks.Sum(t => t.Result.Errors);
        Console.WriteLine($"workload={o.Workload} sessions={o.Sessions} outstanding={o.Outstanding} value={o.ValueBytes}B seconds={elapsed:0.0}");
        Console.WriteLine($"ops={ops} errors={errors} ops/s={ops / elapsed:0} {Stats.Percentiles(lat)}" +
            (o.ServerPid > 0 ? $" server_cpu_s={cpu:0.00} server_cpu_us_per_op={cpu * 1e6 / Math.Max(1, ops):0.0}" : ""));
        foreach (var s in sessions) s.Dispose();
        await Layout.CleanupAsync(o);
        return errors == 0 ? 0 : 1;
    }
}
