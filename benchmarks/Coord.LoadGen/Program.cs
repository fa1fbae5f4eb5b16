using Coord.LoadGen;
using Coord.LoadGen.Workloads;

// Coord.LoadGen: a ZooKeeper-protocol load generator that works against Coord and Apache ZooKeeper alike.
//
//   --server host:port   --server-pid PID (server CPU per op from /proc)   --timeout S (hard limit; default seconds + 60)
//
// Request workloads (one znode per session under /loadgen; --value-bytes B of data):
//   --workload get|set|mix90|mix50|exists|children|createdelete   --sessions N  --seconds S  --value-bytes B
//     get/set = getData/setData, mixNN = NN% getData, exists = exists, children = getChildren of a node with
//     --children C (default 10) children, createdelete = create then delete of a child, alternating.
//   Closed loop (default): --outstanding K requests in flight per session (1 = synchronous).
//   Open loop: --rate OPS_PER_SEC spread evenly over the sessions on a fixed schedule independent of the replies;
//     latency is measured from each request's scheduled send time (no coordinated omission).
// Other workloads:
//   --workload connect --sessions N   N sessions connect at once, then all close (Workloads/ConnectStorm.cs)
//   --workload watch --sessions N --watch-nodes W   every session watches W znodes, one write fires N × W
//     notifications (Workloads/WatchFanout.cs)
//   --populate N   create N znodes under /bench (Workloads/Populate.cs)
//
// Every result line is key=value pairs (scripts/bench parses them); a failure prints FAILED: ... and exits non-zero.
var opts = Options.Parse(args);
Watchdog.Start(opts.TimeoutSeconds);
// The load generator runs pinned to one core, where the pool would start with a single worker thread.
ThreadPool.SetMinThreads(4, 4);
try
{
    int rc = opts switch
    {
        { Populate: > 0 } => await Populate.RunAsync(opts),
        { Workload: "connect" } => await ConnectStorm.RunAsync(opts),
        { Workload: "watch" } => await WatchFanout.RunAsync(opts),
        { Rate: > 0 } => await OpenLoop.RunAsync(opts),
        _ => await ClosedLoop.RunAsync(opts),
    };
    return rc;
}
catch (Exception e)
{
    Console.WriteLine($"FAILED: {e.GetType().Name}: {e.Message} (phase: {Watchdog.Phase})");
    return 2;
}
