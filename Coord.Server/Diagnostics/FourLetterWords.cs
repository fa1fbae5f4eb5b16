using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Coord.Server.Network;
using Coord.Server.Processing;

namespace Coord.Server.Diagnostics;

/// <summary>
/// Four-letter words on the client port (ZooKeeper's FourLetterCommands): recognised from the 4-byte length slot of
/// a connection that has not sent a ConnectRequest. Output follows ZooKeeper's text format so monitoring scripts
/// parse it; a word not in 4lw.commands.whitelist gets ZooKeeper's refusal text. The connection closes after the answer.
/// </summary>
public static class FourLetterWords
{
    public const string Version = "3.8.0-coord, built on 2026-11-26 00:00 UTC";

    private static readonly string[] Known =
        ["conf", "cons", "crst", "dirs", "dump", "envi", "gtmk", "ruok", "stmk", "srvr", "srst", "stat", "wchc", "wchp", "wchs", "mntr", "isro", "hash"];

    private static readonly Dictionary<int, string> ByCode = Known.ToDictionary(Code, w => w);

    public static int Code(string word) => BinaryPrimitives.ReadInt32BigEndian(Encoding.ASCII.GetBytes(word));

    public static bool IsKnown(int code) => ByCode.ContainsKey(code);

    public static readonly int Stmk = Code("stmk");

    public static void Execute(ZooKeeperServer zk, ServerCnxn c, int code, long? traceMask = null)
    {
        var word = ByCode[code];
        if (code == Stmk && traceMask is long mask && (zk.Config.FourLetterWhitelist.Contains("*") || zk.Config.FourLetterWhitelist.Contains(word)))
            zk.TraceMask = mask;
        string text;
        if (!zk.Config.FourLetterWhitelist.Contains("*") && !zk.Config.FourLetterWhitelist.Contains(word))
            text = word + " is not executed because it is not in the whitelist.\n";
        else
            text = Render(zk, c, word);
        c.SendRaw(Encoding.UTF8.GetBytes(text));
    }

    private static string Render(ZooKeeperServer zk, ServerCnxn self, string word)
    {
        var sb = new StringBuilder();
        var cfg = zk.Config;
        var conns = zk.ConnectionsSnapshot().Where(x => !ReferenceEquals(x, self)).ToList();
        switch (word)
        {
            case "ruok":
                return "imok";
            case "isro":
                return "rw";
            case "srvr":
            case "stat":
                sb.Append("Zookeeper version: ").Append(Version).Append('\n');
                if (word == "stat")
                {
                    sb.Append("Clients:\n");
                    foreach (var c in conns) AppendConnection(sb, c, brief: true);
                    AppendConnection(sb, self, brief: true);
                    sb.Append('\n');
                }
                sb.Append(CultureInfo.InvariantCulture, $"Latency min/avg/max: {zk.Stats.Min}/{zk.Stats.Avg:0.0###}/{zk.Stats.MaxLatencyMs}\n");
                sb.Append(CultureInfo.InvariantCulture, $"Received: {zk.Stats.PacketsReceived}\n");
                sb.Append(CultureInfo.InvariantCulture, $"Sent: {zk.Stats.PacketsSent}\n");
                sb.Append(CultureInfo.InvariantCulture, $"Connections: {conns.Count + 1}\n");
                sb.Append(CultureInfo.InvariantCulture, $"Outstanding: {conns.Sum(x => x.Outstanding)}\n");
                sb.Append(CultureInfo.InvariantCulture, $"Zxid: 0x{zk.Tree.LastProcessedZxid:x}\n");
                sb.Append("Mode: standalone\n");
                sb.Append(CultureInfo.InvariantCulture, $"Node count: {zk.Tree.NodeCount}\n");
                return sb.ToString();
            case "cons":
                foreach (var c in conns) AppendConnection(sb, c, brief: false);
                AppendConnection(sb, self, brief: false);
                sb.Append('\n');
                return sb.ToString();
            case "crst":
                foreach (var c in conns)
                {
                    c.PacketsReceived = c.PacketsSent = 0;
                    c.LastLatencyMs = c.TotalLatencyMs = c.LatencyCount = c.MaxLatencyMs = 0;
                    c.MinLatencyMs = long.MaxValue;
                }
                return "Connection stats reset.\n";
            case "srst":
                zk.Stats.Reset();
                return "Server stats reset.\n";
            case "conf":
                sb.Append(CultureInfo.InvariantCulture, $"clientPort={cfg.ClientPort}\n");
                sb.Append(CultureInfo.InvariantCulture, $"secureClientPort=-1\n");
                sb.Append(CultureInfo.InvariantCulture, $"dataDir={Path.GetFullPath(Path.Combine(cfg.DataDir, "version-2"))}\n");
                sb.Append(CultureInfo.InvariantCulture, $"dataDirSize={DirectorySize(zk.SnapLog.SnapDir)}\n");
                sb.Append(CultureInfo.InvariantCulture, $"dataLogDir={Path.GetFullPath(Path.Combine(cfg.DataLogDir ?? cfg.DataDir, "version-2"))}\n");
                sb.Append(CultureInfo.InvariantCulture, $"dataLogSize={DirectorySize(zk.SnapLog.LogDir)}\n");
                sb.Append(CultureInfo.InvariantCulture, $"tickTime={cfg.TickTimeMs}\n");
                sb.Append(CultureInfo.InvariantCulture, $"maxClientCnxns={cfg.MaxClientCnxns}\n");
                sb.Append(CultureInfo.InvariantCulture, $"minSessionTimeout={cfg.MinSessionTimeoutMs}\n");
                sb.Append(CultureInfo.InvariantCulture, $"maxSessionTimeout={cfg.MaxSessionTimeoutMs}\n");
                sb.Append("clientPortListenBacklog=-1\n");
                sb.Append("serverId=0\n");
                return sb.ToString();
            case "envi":
                sb.Append("Environment:\n");
                sb.Append("zookeeper.version=").Append(Version).Append('\n');
                sb.Append("host.name=").Append(Environment.MachineName).Append('\n');
                sb.Append("java.version=").Append(Environment.Version).Append('\n');
                sb.Append("java.vendor=.NET\n");
                sb.Append("java.home=").Append(AppContext.BaseDirectory).Append('\n');
                sb.Append("java.class.path=\n");
                sb.Append("java.library.path=\n");
                sb.Append("java.io.tmpdir=").Append(Path.GetTempPath()).Append('\n');
                sb.Append("java.compiler=<NA>\n");
                sb.Append("os.name=").Append(Environment.OSVersion.Platform).Append('\n');
                sb.Append("os.arch=").Append(System.Runtime.InteropServices.RuntimeInformation.OSArchitecture).Append('\n');
                sb.Append("os.version=").Append(Environment.OSVersion.Version).Append('\n');
                sb.Append("user.name=").Append(Environment.UserName).Append('\n');
                sb.Append("user.home=").Append(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile)).Append('\n');
                sb.Append("user.dir=").Append(Environment.CurrentDirectory).Append('\n');
                sb.Append(CultureInfo.InvariantCulture, $"os.memory.free={GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024 * 1024)}MB\n");
                sb.Append(CultureInfo.InvariantCulture, $"os.memory.max={GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024 * 1024)}MB\n");
                sb.Append(CultureInfo.InvariantCulture, $"os.memory.total={GC.GetTotalMemory(false) / (1024 * 1024)}MB\n");
                return sb.ToString();
            case "wchs":
            {
                // ZooKeeper's watch summaries cover the data-watch table only (exists, getData, addWatch).
                int total = zk.Tree.DataWatches.Count;
                var watchers = zk.Tree.DataWatches.ByWatcher().Count();
                var paths = zk.Tree.DataWatches.PathCount;
                sb.Append(CultureInfo.InvariantCulture, $"{watchers} connections watching {paths} paths\n");
                sb.Append(CultureInfo.InvariantCulture, $"Total watches:{total}\n");
                return sb.ToString();
            }
            case "wchc":
            {
                var map = new SortedDictionary<long, SortedSet<string>>();
                foreach (var (w, paths) in zk.Tree.DataWatches.ByWatcher())
                    {
                        long sid = (w as ServerCnxn)?.SessionId ?? 0;
                        if (!map.TryGetValue(sid, out var set)) map[sid] = set = new SortedSet<string>(StringComparer.Ordinal);
                        set.UnionWith(paths);
                    }
                foreach (var (sid, paths) in map)
                {
                    sb.Append(CultureInfo.InvariantCulture, $"0x{sid:x}\n");
                    foreach (var p in paths) sb.Append('\t').Append(p).Append('\n');
                }
                return sb.Append('\n').ToString();
            }
            case "wchp":
            {
                var map = new SortedDictionary<string, SortedSet<long>>(StringComparer.Ordinal);
                foreach (var (p, ws) in zk.Tree.DataWatches.ByPath())
                    {
                        if (!map.TryGetValue(p, out var set)) map[p] = set = [];
                        foreach (var w in ws) set.Add((w as ServerCnxn)?.SessionId ?? 0);
                    }
                foreach (var (p, sids) in map)
                {
                    sb.Append(p).Append('\n');
                    foreach (var sid in sids) sb.Append(CultureInfo.InvariantCulture, $"\t0x{sid:x}\n");
                }
                return sb.Append('\n').ToString();
            }
            case "dump":
            {
                // SessionTracker and connection expiry queues as ExpiryQueue.dump prints them:
                // "Sets (buckets)/(elements):", then per bucket "N expire at <date>:" and one tab-indented line per element.
                long nowMono = zk.Sessions.MonotonicMs();
                var buckets = zk.Sessions.Sessions.GroupBy(s => s.ExpireAtMs).OrderBy(g => g.Key).ToList();
                sb.Append("SessionTracker dump:\n");
                sb.Append(CultureInfo.InvariantCulture, $"Session Sets ({buckets.Count})/({zk.Sessions.Count}):\n");
                foreach (var g in buckets)
                {
                    sb.Append(CultureInfo.InvariantCulture, $"{g.Count()} expire at {JavaDate(DateTimeOffset.UtcNow.AddMilliseconds(g.Key - nowMono))}:\n");
                    foreach (var s in g) sb.Append(CultureInfo.InvariantCulture, $"\t0x{s.Id:x}\n");
                }
                sb.Append("ephemeral nodes dump:\n");
                var withEphemerals = zk.Tree.Ephemerals.Where(kv => kv.Value.Count > 0).OrderBy(kv => kv.Key).ToList();
                sb.Append(CultureInfo.InvariantCulture, $"Sessions with Ephemerals ({withEphemerals.Count}):\n");
                foreach (var (sid, paths) in withEphemerals)
                {
                    sb.Append(CultureInfo.InvariantCulture, $"0x{sid:x}:\n");
                    foreach (var p in paths.JavaOrder()) sb.Append('\t').Append(p).Append('\n');
                }
                sb.Append("Connections dump:\n");
                var all = conns.Append(self).ToList();
                sb.Append(CultureInfo.InvariantCulture, $"Connections Sets ({all.Count})/({all.Count}):\n");
                foreach (var c in all)
                {
                    sb.Append(CultureInfo.InvariantCulture, $"1 expire at {JavaDate(DateTimeOffset.UtcNow.AddMilliseconds(Math.Max(c.SessionTimeoutMs, zk.Config.TickTimeMs)))}:\n");
                    sb.Append(CultureInfo.InvariantCulture, $"\tip: /{c.RemoteIp}:{c.Remote.Port} sessionId: 0x{c.SessionId:x}\n");
                }
                return sb.ToString();
            }
            case "dirs":
                sb.Append(CultureInfo.InvariantCulture, $"datadir_size: {DirectorySize(zk.SnapLog.SnapDir)}\n");
                sb.Append(CultureInfo.InvariantCulture, $"logdir_size: {DirectorySize(zk.SnapLog.LogDir)}\n");
                return sb.ToString();
            case "gtmk":
                return zk.TraceMask.ToString(CultureInfo.InvariantCulture);
            case "stmk":
                return zk.TraceMask.ToString(CultureInfo.InvariantCulture);
            case "hash":
                // HashCommand: the logged (zxid, tree digest) pairs.
                foreach (var (zxid, digest) in zk.Tree.DigestLog)
                    sb.Append(CultureInfo.InvariantCulture, $"{zxid:x}: {digest}\n");
                return sb.ToString();
            case "mntr":
                return Mntr(zk, conns.Count + 1);
        }
        return "";
    }

    private static long DirectorySize(string dir) =>
        Directory.Exists(dir) ? new DirectoryInfo(dir).EnumerateFiles().Sum(f => f.Length) : 0;

    /// <summary>java.util.Date.toString: "EEE MMM dd HH:mm:ss zzz yyyy".</summary>
    private static string JavaDate(DateTimeOffset t) =>
        t.UtcDateTime.ToString("ddd MMM dd HH:mm:ss 'UTC' yyyy", CultureInfo.InvariantCulture);

    /// <summary>The four-letter operation names ZooKeeper's FinalRequestProcessor records as lastOp.</summary>
    private static string LastOpName(int op) => op switch
    {
        Protocol.OpCode.Create or Protocol.OpCode.Create2 or Protocol.OpCode.CreateContainer or Protocol.OpCode.CreateTtl => "CREA",
        Protocol.OpCode.Delete => "DELE", Protocol.OpCode.SetData => "SETD", Protocol.OpCode.GetData => "GETD",
        Protocol.OpCode.Exists => "EXIS", Protocol.OpCode.GetChildren => "GETC", Protocol.OpCode.GetChildren2 => "GETC",
        Protocol.OpCode.GetAcl => "GETA", Protocol.OpCode.SetAcl => "SETA", Protocol.OpCode.Sync => "SYNC",
        Protocol.OpCode.Ping => "PING", Protocol.OpCode.Multi => "MULT", Protocol.OpCode.MultiRead => "MLTR",
        Protocol.OpCode.CheckWatches => "CHKW", Protocol.OpCode.RemoveWatches => "REMW", Protocol.OpCode.AddWatch => "ADDW",
        Protocol.OpCode.SetWatches or Protocol.OpCode.SetWatches2 => "SETW", Protocol.OpCode.GetEphemerals => "GETE",
        Protocol.OpCode.GetAllChildrenNumber => "GETACN", Protocol.OpCode.WhoAmI => "HOMI", Protocol.OpCode.CloseSession => "CLOS",
        Protocol.OpCode.CreateSession => "SESS", Protocol.OpCode.Reconfig => "RECO", Protocol.OpCode.Check => "CHEC",
        _ => "NA",
    };

    private static void AppendConnection(StringBuilder sb, ServerCnxn c, bool brief)
    {
        sb.Append(CultureInfo.InvariantCulture, $" /{c.RemoteIp}:{c.Remote.Port}[{(c.Established ? 1 : 0)}](queued={c.Outstanding},recved={c.PacketsReceived},sent={c.PacketsSent}");
        if (!brief && c.Established)
        {
            sb.Append(CultureInfo.InvariantCulture, $",sid=0x{c.SessionId:x},lop={LastOpName(c.LastOp)},est={c.EstablishedAt.ToUnixTimeMilliseconds()},to={c.SessionTimeoutMs},lcxid=0x{c.LastCxid:x},lzxid=0x{c.LastZxid:x},lresp={c.LastResponseAt.ToUnixTimeMilliseconds()},llat={c.LastLatencyMs},minlat={(c.LatencyCount == 0 ? 0 : c.MinLatencyMs)},avglat={(c.LatencyCount == 0 ? 0 : c.TotalLatencyMs / c.LatencyCount)},maxlat={c.MaxLatencyMs}");
        }
        sb.Append(")\n");
    }

    /// <summary>mntr's keys in ZooKeeper 3.8's order (from a reference capture), with whether each is a float.
    /// Metrics Coord does not track report zero so that scrapers find every key they expect.</summary>
    private static readonly (string Key, bool IsFloat)[] MntrKeys = LoadMntrKeys();

    private static (string, bool)[] LoadMntrKeys()
    {
        using var s = typeof(FourLetterWords).Assembly.GetManifestResourceStream("mntr-keys.tsv")!;
        using var r = new StreamReader(s);
        var list = new List<(string, bool)>();
        while (r.ReadLine() is { } line)
        {
            var parts = line.Split('\t');
            if (parts.Length == 2) list.Add((parts[0], parts[1] == "f"));
        }
        return [.. list];
    }

    private static string Mntr(ZooKeeperServer zk, int connections)
    {
        var known = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["zk_version"] = Version,
            ["zk_server_state"] = "standalone",
            ["zk_avg_latency"] = zk.Stats.Avg.ToString("0.0###", CultureInfo.InvariantCulture),
            ["zk_max_latency"] = zk.Stats.MaxLatencyMs.ToString(CultureInfo.InvariantCulture),
            ["zk_min_latency"] = zk.Stats.Min.ToString(CultureInfo.InvariantCulture),
            ["zk_packets_received"] = zk.Stats.PacketsReceived.ToString(CultureInfo.InvariantCulture),
            ["zk_packets_sent"] = zk.Stats.PacketsSent.ToString(CultureInfo.InvariantCulture),
            ["zk_num_alive_connections"] = connections.ToString(CultureInfo.InvariantCulture),
            ["zk_znode_count"] = zk.Tree.NodeCount.ToString(CultureInfo.InvariantCulture),
            ["zk_watch_count"] = (zk.Tree.DataWatches.Count + zk.Tree.ChildWatches.Count).ToString(CultureInfo.InvariantCulture),
            ["zk_ephemerals_count"] = zk.Tree.Ephemerals.Sum(kv => kv.Value.Count).ToString(CultureInfo.InvariantCulture),
            ["zk_approximate_data_size"] = zk.Tree.ApproximateDataSize.ToString(CultureInfo.InvariantCulture),
            ["zk_open_file_descriptor_count"] = (Directory.Exists("/proc/self/fd") ? Directory.GetFiles("/proc/self/fd").Length : 0).ToString(CultureInfo.InvariantCulture),
            ["zk_max_file_descriptor_count"] = "1048576",
            ["zk_global_sessions"] = zk.Sessions.Count.ToString(CultureInfo.InvariantCulture),
            ["zk_uptime"] = ((long)(DateTimeOffset.UtcNow - zk.StartedAt).TotalMilliseconds).ToString(CultureInfo.InvariantCulture),
        };
        var sb = new StringBuilder();
        foreach (var (key, isFloat) in MntrKeys)
            sb.Append(key).Append('\t').Append(known.TryGetValue(key, out var v) ? v : isFloat ? "0.0" : "0").Append('\n');
        return sb.ToString();
    }
}
