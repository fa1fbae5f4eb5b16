using System.Buffers;
using System.Diagnostics;

namespace Coord.LoadGen.Workloads;

/// <summary>
/// Open loop (--rate R): request k is due at start + k/R and goes to session k mod N, whatever the replies are doing.
/// One sender thread sends every due request (sleeping with nanosleep until the next is due, no spinning) and each
/// session's receive loop times the reply from the request's scheduled time, so a stalled server shows up as latency
/// of every request that should have been sent meanwhile (no coordinated omission). After --seconds the sender stops
/// and the run waits up to 10 s for the outstanding replies; unanswered requests make the run fail.
/// </summary>
static class OpenLoop
{
    private const int MaxInFlight = 200_000;

    public static async Task<int> RunAsync(Options o)
    {
        var value = new byte[o.ValueBytes];
        Random.Shared.NextBytes(value);
        await Layout.SetupAsync(o, value);
        Watchdog.Phase = "connect";
        var sessions = new AsyncSession[o.Sessions];
        for (int i = 0; i < sessions.Length; i++) sessions[i] = await AsyncSession.ConnectAsync(o.Host, o.Port);
        var streams = sessions.Select((_, i) => new OpStream(o.Workload, Layout.NodePath(i), value, i)).ToArray();
        // Client warm-up, not measured: JIT the send and receive paths with a few synchronous round trips per session.
        Watchdog.Phase = "client warm-up";
        foreach (var (s, i) in sessions.Select((s, i) => (s, i)))
            for (int r = 0; r < 20; r++)
                await s.CallAsync(Coord.Protocol.OpCode.Exists, (ref Coord.Protocol.Jute.JuteWriter w) => new Coord.Protocol.Records.PathWatchRequest(Layout.NodePath(i), false).Write(ref w));
        foreach (var s in sessions) s.LatenciesUs.Clear();

        Watchdog.Phase = "measure";
        // The client's own collections stall every session at once; reported so a tail can be told apart from them.
        var clientGcPause0 = GC.GetTotalPauseDuration();
        int clientGcs0 = GC.CollectionCount(0);
        double cpu0 = Stats.ServerCpuSeconds(o.ServerPid);
        long freq = Stopwatch.Frequency;
        long start = Stopwatch.GetTimestamp() + freq / 100;
        long end = start + o.Seconds * freq;
        double ticksPerOp = freq / o.Rate;
        long scheduled = 0, maxLagTicks = 0, lagSumTicks = 0;
        var lagsUs = new List<int>(1 << 16);
        string? overload = null;
        var senderDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        string senderPriority = "normal";
        var sender = new Thread(() =>
        {
            senderPriority = PreciseSleep.RaiseThisThreadsPriority();
            var bufs = sessions.Select(_ => new ArrayBufferWriter<byte>(64 * 1024)).ToArray();
            var xids = sessions.Select(_ => new List<int>()).ToArray();
            var times = sessions.Select(_ => new List<long>()).ToArray();
            long k = 0;
            while (true)
            {
                long due = start + (long)(k * ticksPerOp);
                if (due >= end) break;
                long now = Stopwatch.GetTimestamp();
                if (due > now)
                {
                    PreciseSleep.Until(due);
                    continue;
                }
                // Everything due by now goes out, batched per session into one write.
                for (; due <= now && due < end; due = start + (long)(++k * ticksPerOp))
                {
                    int s = (int)(k % sessions.Length);
                    int xid = sessions[s].NextXid();
                    streams[s].Next(bufs[s], xid);
                    xids[s].Add(xid);
                    times[s].Add(due);
                    long lag = now - due;
                    lagSumTicks += lag;
                    lagsUs.Add(Stats.Us(due, now));
                    if (lag > maxLagTicks) maxLagTicks = lag;
                }
                for (int s = 0; s < sessions.Length; s++)
                {
                    if (xids[s].Count == 0) continue;
                    sessions[s].SendScheduled(bufs[s].WrittenSpan, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(xids[s]),
                        System.Runtime.InteropServices.CollectionsMarshal.AsSpan(times[s]));
                    bufs[s].ResetWrittenCount(); xids[s].Clear(); times[s].Clear();
                }
                if (sessions.Sum(x => x.PendingCount) > MaxInFlight) { overload = $"over {MaxInFlight} requests unanswered"; break; }
            }
            // A createdelete stream must not stop between a create and its delete.
            for (int s = 0; s < sessions.Length; s++)
            {
                if (streams[s].MayStop) continue;
                int xid = sessions[s].NextXid();
                streams[s].Next(bufs[s], xid);
                sessions[s].SendScheduled(bufs[s].WrittenSpan, [xid], [Stopwatch.GetTimestamp()]);
                bufs[s].ResetWrittenCount();
            }
            scheduled = k;
            senderDone.SetResult();
        }) { Name = "open-loop sender", IsBackground = true };
        sender.Start();
        await senderDone.Task; // not Join on a pool thread: with one core the pool has one worker and the replies would starve
        Watchdog.Phase = "drain";
        var drainUntil = Stopwatch.GetTimestamp() + 10 * freq;
        while (sessions.Any(s => s.PendingCount > 0 && !s.Closed.IsCompleted) && Stopwatch.GetTimestamp() < drainUntil) await Task.Delay(5);
        double cpu = Stats.ServerCpuSeconds(o.ServerPid) - cpu0;
        long unanswered = sessions.Sum(s => (long)s.PendingCount);
        foreach (var s in sessions) s.Dispose();
        await Task.WhenAll(sessions.Select(s => s.Closed));
        var lat = sessions.SelectMany(s => s.LatenciesUs).ToArray();
        Array.Sort(lat);
        var lags = lagsUs.ToArray();
        Array.Sort(lags);
        long ops = lat.Length, errors = sessions.Sum(s => s.Errors);
        Console.WriteLine($"workload={o.Workload} mode=open-loop rate={o.Rate:0} sessions={o.Sessions} value={o.ValueBytes}B seconds={o.Seconds}");
        Console.WriteLine($"ops={ops} errors={errors} unanswered={unanswered} scheduled={scheduled} ops/s={ops / o.Seconds:0} target={o.Rate:0} {Stats.Percentiles(lat)}" +
            $" client_gcs={GC.CollectionCount(0) - clientGcs0} client_gc_pause_ms={(GC.GetTotalPauseDuration() - clientGcPause0).TotalMilliseconds:0.0}" +
            $" sender_priority={senderPriority} send_lag_avg={(double)lagSumTicks / Math.Max(1, scheduled) * 1000 / freq:0.000}ms send_lag_p99={Stats.Ms(lags, 0.99):0.000}ms send_lag_max={(double)maxLagTicks * 1000 / freq:0.000}ms" +
            (o.ServerPid > 0 ? $" server_cpu_s={cpu:0.00} server_cpu_us_per_op={cpu * 1e6 / Math.Max(1, ops):0.0}" : ""));
        if (overload is not null) Console.WriteLine($"FAILED: {overload} (the server cannot sustain {o.Rate:0} ops/s)");
        await Layout.CleanupAsync(o);
        return errors == 0 && unanswered == 0 && overload is null ? 0 : 1;
    }
}

/// <summary>Sub-millisecond sleeps: Thread.Sleep rounds up to whole milliseconds, nanosleep(2) wakes within the timer
/// slack (50 µs by default on Linux), so the sender neither spins on the shared core nor batches a millisecond of requests.</summary>
static class PreciseSleep
{
    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
    private struct Timespec { public long Sec; public long Nsec; }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int nanosleep(ref Timespec req, IntPtr rem);

    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
    private struct SchedParam { public int Priority; }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int sched_setscheduler(int pid, int policy, ref SchedParam param);

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int setpriority(int which, int who, int prio);

    private const int SchedFifo = 1;
    /// <summary>Low among real-time priorities: above every normal thread, below the kernel's own.</summary>
    private const int FifoPriority = 10;

    /// <summary>
    /// Makes the calling thread (the sender) run as soon as its sleep ends: a real-time (SCHED_FIFO) thread preempts
    /// the receive loops it shares a core with, where a normal one can wait a scheduler slice (measured send lag p99
    /// of 1.3–7.4 ms at 12–14k ops/s). It sleeps between sends, so it cannot starve them. Needs root (CAP_SYS_NICE);
    /// otherwise nice −10, otherwise nothing. Returns which one took effect, for the report.
    /// </summary>
    public static string RaiseThisThreadsPriority()
    {
        if (!OperatingSystem.IsLinux()) return "normal";
        var p = new SchedParam { Priority = FifoPriority };
        if (sched_setscheduler(0, SchedFifo, ref p) == 0) return "fifo";
        return setpriority(0 /* PRIO_PROCESS: with who = 0 the calling thread on Linux */, 0, -10) == 0 ? "nice-10" : "normal";
    }

    public static void Until(long dueTimestamp)
    {
        long ns = (dueTimestamp - Stopwatch.GetTimestamp()) * 1_000_000_000 / Stopwatch.Frequency;
        if (ns <= 0) return;
        if (!OperatingSystem.IsLinux()) { Thread.Sleep(TimeSpan.FromTicks(Math.Max(1, ns / 100))); return; }
        var ts = new Timespec { Sec = ns / 1_000_000_000, Nsec = ns % 1_000_000_000 };
        nanosleep(ref ts, IntPtr.Zero);
    }
}
