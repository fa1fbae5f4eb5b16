using System.Diagnostics;
using Coord.Protocol;
using Coord.Protocol.Jute;
using Coord.Protocol.Records;

namespace Coord.LoadGen.Workloads;

/// <summary>
/// --workload watch --sessions S --watch-nodes W: S sessions each set a data watch (getData with watch) on each of W
/// znodes /watchfan/n{j}; then one more session sends a single write: setData of the znode when W = 1, otherwise one
/// multi of W setData ops (one transaction). That fires S × W watches; each session's receive loop stamps every
/// notification as it arrives. Reports the delivery latency of the notifications, measured from just before the write
/// was sent (p50/p99/max; max = time until every watcher was notified) and the write's own reply latency.
/// Idle sessions are pinged every 10 s; delivery waits at most 30 s, after which the run fails.
/// </summary>
static class WatchFanout
{
    public static async Task<int> RunAsync(Options o)
    {
        int s = o.Sessions, w = Math.Max(1, o.WatchNodes);
        long expected = (long)s * w;
        var value = new byte[o.ValueBytes];
        Random.Shared.NextBytes(value);
        string Node(int j) => $"/watchfan/n{j}";

        Watchdog.Phase = "setup";
        using (var setup = await Session.ConnectAsync(o.Host, o.Port))
        {
            await setup.CallAsync(OpCode.Create, (ref JuteWriter jw) => new CreateRequest("/watchfan", [], Wire.Open, 0).Write(ref jw, false));
            long errs = await setup.PipelineAsync(w, 100, j => new CreateRequest(Node(j), value, Wire.Open, 0));
            if (errs != 0) throw new InvalidOperationException($"{errs} setup creates failed (left over /watchfan from an earlier run?)");
        }

        Watchdog.Phase = "connect";
        var sessions = new AsyncSession[s];
        using (var gate = new SemaphoreSlim(50))
        {
            await Task.WhenAll(Enumerable.Range(0, s).Select(async i =>
            {
                await gate.WaitAsync();
                try { sessions[i] = await AsyncSession.ConnectAsync(o.Host, o.Port); } finally { gate.Release(); }
            }));
        }
        using var writer = await AsyncSession.ConnectAsync(o.Host, o.Port);
        using var pinger = new Timer(_ =>
        {
            foreach (var x in sessions.Append(writer)) try { x.Ping(); } catch (Exception) { /* reported as missing notifications */ }
        }, null, 10_000, 10_000);

        Watchdog.Phase = "arm watches";
        long received = 0;
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        foreach (var x in sessions) x.OnNotification = () => { if (Interlocked.Increment(ref received) == expected) all.TrySetResult(); };
        var armErrors = await Task.WhenAll(sessions.Select(x => x.CallManyAsync(w, (buf, xid, j) =>
            Wire.Frame(buf, xid, OpCode.GetData, (ref JuteWriter jw) => new PathWatchRequest(Node(j), true).Write(ref jw)))));
        if (armErrors.Sum() != 0) throw new InvalidOperationException($"{armErrors.Sum()} getData calls setting watches failed");

        Watchdog.Phase = "write and deliver";
        long t0 = Stopwatch.GetTimestamp();
        Task<int> write = w == 1
            ? writer.CallAsync(OpCode.SetData, (ref JuteWriter jw) => new SetDataRequest(Node(0), value, -1).Write(ref jw))
            : writer.CallAsync(OpCode.Multi, (ref JuteWriter jw) =>
            {
                var m = new MultiRequest();
                for (int j = 0; j < w; j++) m.Ops.Add(new MultiOp { Type = OpCode.SetData, SetData = new SetDataRequest(Node(j), value, -1) });
                m.Write(ref jw);
            });
        int writeErr = await write;
        long writeUs = Stats.Us(t0, Stopwatch.GetTimestamp());
        bool complete = await Task.WhenAny(all.Task, Task.Delay(30_000)) == all.Task;
        var lat = sessions.SelectMany(x => x.NotificationTicks.ToArray()).Select(t => Stats.Us(t0, t)).ToArray();
        Array.Sort(lat);
        double lastMs = lat.Length == 0 ? 0 : lat[^1] / 1000.0;

        Console.WriteLine($"workload=watch sessions={s} watch_nodes={w} write={(w == 1 ? "setData" : $"multi({w} setData)")} value={o.ValueBytes}B");
        Console.WriteLine($"watches={expected} notifications={lat.Length} write_err={writeErr} write_reply_ms={writeUs / 1000.0:0.000} " +
            $"{Stats.Percentiles(lat)} all_delivered_ms={(complete ? lastMs.ToString("0.000") : "n/a")} notifications/s={(lastMs > 0 ? lat.Length / (lastMs / 1000) : 0):0}");

        Watchdog.Phase = "close";
        await Task.WhenAny(Task.WhenAll(sessions.Select(x => x.CloseAsync())), Task.Delay(10_000));
        foreach (var x in sessions) x.Dispose();
        Watchdog.Phase = "cleanup";
        using (var cleanup = await Session.ConnectAsync(o.Host, o.Port))
        {
            await cleanup.PipelineAsync(w, 100, j => (OpCode.Delete, Node(j)));
            await cleanup.CallAsync(OpCode.Delete, (ref JuteWriter jw) => new PathVersionRequest("/watchfan", -1).Write(ref jw));
        }
        if (!complete) Console.WriteLine($"FAILED: {lat.Length} of {expected} notifications within 30 s");
        return complete && writeErr == 0 ? 0 : 1;
    }
}
