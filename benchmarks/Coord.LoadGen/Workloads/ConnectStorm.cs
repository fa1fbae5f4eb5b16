using System.Diagnostics;

namespace Coord.LoadGen.Workloads;

/// <summary>
/// --workload connect --sessions N: N sessions connect at once (TCP connect + ConnectRequest, each timed from its own
/// start to its ConnectResponse), then all send closeSession at once. Reports the time until all sessions were
/// established and until all closes were acknowledged, with per-session percentiles. Sessions that fail count as errors.
/// </summary>
static class ConnectStorm
{
    public static async Task<int> RunAsync(Options o)
    {
        int n = o.Sessions;
        var connectUs = new int[n];
        var sessions = new AsyncSession?[n];
        var failures = new List<string>();
        Watchdog.Phase = "connect";
        long t0 = Stopwatch.GetTimestamp();
        var tasks = Enumerable.Range(0, n).Select(async i =>
        {
            long t = Stopwatch.GetTimestamp();
            try
            {
                sessions[i] = await AsyncSession.ConnectAsync(o.Host, o.Port);
                connectUs[i] = Stats.Us(t, Stopwatch.GetTimestamp());
            }
            catch (Exception e) { lock (failures) failures.Add(e.Message); }
        }).ToArray();
        await Task.WhenAll(tasks);
        long allEstablishedUs = Stats.Us(t0, Stopwatch.GetTimestamp());
        var connected = sessions.Where(s => s is not null).Select(s => s!).ToArray();
        var lat = connectUs.Where((_, i) => sessions[i] is not null).ToArray();
        Array.Sort(lat);

        Watchdog.Phase = "close";
        var closeUs = new int[connected.Length];
        long t1 = Stopwatch.GetTimestamp();
        await Task.WhenAll(connected.Select(async (s, i) =>
        {
            long t = Stopwatch.GetTimestamp();
            try { await s.CloseAsync(); }
            catch (Exception e) { lock (failures) failures.Add("close: " + e.Message); }
            closeUs[i] = Stats.Us(t, Stopwatch.GetTimestamp());
        }));
        long allClosedUs = Stats.Us(t1, Stopwatch.GetTimestamp());
        // The server closes each connection after acknowledging closeSession; give it 10 s.
        await Task.WhenAny(Task.WhenAll(connected.Select(s => s.Closed)), Task.Delay(10_000));
        int serverClosed = connected.Count(s => s.Closed.IsCompleted);
        foreach (var s in connected) s.Dispose();
        Array.Sort(closeUs);

        Console.WriteLine($"workload=connect sessions={n}");
        Console.WriteLine($"sessions={n} established={connected.Length} failed={n - connected.Length} all_established_ms={allEstablishedUs / 1000.0:0.0} " +
            $"{Stats.Percentiles(lat)} all_closed_ms={allClosedUs / 1000.0:0.0} close_p50={Stats.Ms(closeUs, 0.5):0.000}ms close_p99={Stats.Ms(closeUs, 0.99):0.000}ms " +
            $"connections_closed_by_server={serverClosed}");
        foreach (var f in failures.GroupBy(f => f).Take(5)) Console.WriteLine($"error ({f.Count()}×): {f.Key}");
        return failures.Count == 0 ? 0 : 1;
    }
}
