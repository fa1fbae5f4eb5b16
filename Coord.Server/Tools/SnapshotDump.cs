// `Coord.Server dump-snapshot <snapshot file> [--json] [--data]` — prints a ZooKeeper-format snapshot (plain, .gz,
// .snappy or .lz4), modelled on ZooKeeper's SnapshotFormatter (zkSnapShotToolkit.sh). The file is read and checked
// completely first (magic, both seals, structure, ACL ids, as FileSnap.Read and DataTreeLoader.Validate do); a
// damaged file prints nothing but the reason.
//
// Text output (SnapshotFormatter's, line for line, with the differences noted):
//
//   Output   = "ZNode Details (count=" n "):" NL Node* "----" NL
//              "Session Details (sid, timeout, ephemeralCount):" NL Session* Digest [ LastProc ]
//              "----" NL "Last zxid: 0x" hex NL
//   Node     = "----" NL path NL                                  ("/" for the root; nodes in file order)
//              "  cZxid = " zxid NL "  ctime = " date NL "  mZxid = " zxid NL "  mtime = " date NL
//              "  pZxid = " zxid NL "  cversion = " int NL "  dataVersion = " int NL "  aclVersion = " int NL
//              "  ephemeralOwner = " zxid NL "  dataLength = " int NL [ "  data = " base64 NL ]   (data: --data)
//   Session  = zxid ", " timeoutMs ", " ephemeralCount NL                   (file order)
//   Digest   = "Target zxid digest is: " hex ", " digest NL               (ZooKeeper prints the same line)
//            | "Target zxid digest: none (" reason ")" NL                 (ZooKeeper prints nothing)
//   LastProc = "Last processed zxid: 0x" hex NL                          (3.9 snapshots only)
//   zxid     = String.format("%#016x"): "0x" + at least 14 lower-case hex digits
//   date     = java.util.Date.toString() in UTC, "Thu Nov 26 06:51:54 UTC 2026"
//   hex      = Long.toHexString;  digest = decimal
//   n        = the number of nodes in the file (ZooKeeper's count is one higher: its tree holds the root as both
//              "" and "/"); Last zxid = max(zxid in the file name, every node's mZxid and pZxid), as ZooKeeper's.
//   With --data ZooKeeper prints data instead of dataLength; here data follows dataLength.
//
// --json: SnapshotFormatter -json's document — the ncdu export format, [1, 0, metadata, directory] where a node with
// children is an array [info, child...] and a leaf is its info object; children in file order, "ino" numbered from
// 1001 in that walk — with more keys that ncdu does not use:
//   metadata = {"progname":"Coord dump-snapshot","progver":"1","timestamp":<ms now>,"snapshot":"snapshot.23",
//               "path":"/abs/...","zxid":<from the name>,"lastZxid":..,"nodeCount":..,
//               "sessions":[{"id":"0x..","timeout":..,"ephemeralCount":..}],
//               "digest":{"zxid":..,"version":2,"digest":..}|null,"lastProcessedZxid":..|null}
//   info     = {"name":"p","asize":len,"dsize":len,"dev":0,"ino":1002,"path":"/p",
//               "stat":{"cZxid":..,"ctime":<ms>,"mZxid":..,"mtime":<ms>,"pZxid":..,"cversion":..,"dataVersion":..,
//                       "aclVersion":..,"ephemeralOwner":"0x..","dataLength":..},
//               "acl":[{"perms":31,"scheme":"world","id":"anyone"}], "data":base64|null (with --data)}
//   The root's name is "/". Session ids and ephemeral owners are hex strings (64-bit); zxids and times are numbers.
//
// Exit: 0 read cleanly; 1 damaged or unreadable (message on stderr); 2 bad arguments.

using System.Text.Json;
using Coord.Server.Persistence;

namespace Coord.Server.Tools;

public static class SnapshotDump
{
    public const string Usage = "usage: Coord.Server dump-snapshot <snapshot file> [--json] [--data]";

    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr)
    {
        string? path = null;
        bool json = false, data = false;
        foreach (var a in args)
        {
            if (a is "--json" or "-json") json = true;
            else if (a is "--data" or "-d") data = true;
            else if (a is "-h" or "--help") { stdout.WriteLine(Usage); return DumpCommand.Ok; }
            else if (a.Length > 1 && a[0] == '-') return DumpCommand.BadArguments(stderr, $"unknown option {a}", Usage);
            else if (path is not null) return DumpCommand.BadArguments(stderr, $"more than one path ({path}, {a})", Usage);
            else path = a;
        }
        if (path is null) return DumpCommand.BadArguments(stderr, "no snapshot file given", Usage);
        if (Directory.Exists(path)) return DumpCommand.BadArguments(stderr, $"{path} is a directory; name a snapshot.<zxid> file in it", Usage);
        if (!File.Exists(path)) return DumpCommand.BadArguments(stderr, $"{path}: no such file", Usage);

        SnapshotContents snap;
        try
        {
            snap = FileSnap.Read(path);
            DataTreeLoader.Validate(snap);
        }
        catch (PersistenceCorruptException e)
        {
            stderr.WriteLine($"dump-snapshot: damaged snapshot: {(e.Message.StartsWith(Path.GetFileName(path), StringComparison.Ordinal) ? "" : Path.GetFileName(path) + ": ")}{e.Message}");
            return DumpCommand.Damaged;
        }
        catch (NotSupportedException e)
        {
            stderr.WriteLine($"dump-snapshot: {e.Message}");
            return DumpCommand.Damaged;
        }

        var ephemerals = new Dictionary<long, int>();
        long lastZxid = snap.Zxid;
        foreach (var n in snap.Nodes)
        {
            if (n.Stat.EphemeralOwner != 0) ephemerals[n.Stat.EphemeralOwner] = ephemerals.GetValueOrDefault(n.Stat.EphemeralOwner) + 1;
            lastZxid = Math.Max(lastZxid, Math.Max(n.Stat.Mzxid, n.Stat.Pzxid));
        }

        if (json) WriteJson(snap, path, data, ephemerals, lastZxid, stdout);
        else WriteText(snap, data, ephemerals, lastZxid, stdout);
        return DumpCommand.Ok;
    }

    private static void WriteText(SnapshotContents snap, bool data, Dictionary<long, int> ephemerals, long lastZxid, TextWriter o)
    {
        o.WriteLine($"ZNode Details (count={snap.Nodes.Count}):");
        foreach (var n in snap.Nodes)
        {
            var s = n.Stat;
            o.WriteLine("----");
            o.WriteLine(n.Path.Length == 0 ? "/" : n.Path);
            o.WriteLine("  cZxid = " + DumpFormat.PaddedHex(s.Czxid));
            o.WriteLine("  ctime = " + DumpFormat.JavaDate(s.Ctime));
            o.WriteLine("  mZxid = " + DumpFormat.PaddedHex(s.Mzxid));
            o.WriteLine("  mtime = " + DumpFormat.JavaDate(s.Mtime));
            o.WriteLine("  pZxid = " + DumpFormat.PaddedHex(s.Pzxid));
            o.WriteLine("  cversion = " + s.Cversion);
            o.WriteLine("  dataVersion = " + s.Version);
            o.WriteLine("  aclVersion = " + s.Aversion);
            o.WriteLine("  ephemeralOwner = " + DumpFormat.PaddedHex(s.EphemeralOwner));
            o.WriteLine("  dataLength = " + (n.Data?.Length ?? 0));
            if (data) o.WriteLine("  data = " + (n.Data is null ? "" : Convert.ToBase64String(n.Data)));
        }
        o.WriteLine("----");
        o.WriteLine("Session Details (sid, timeout, ephemeralCount):");
        foreach (var (id, timeout) in snap.Sessions)
            o.WriteLine($"{DumpFormat.PaddedHex(id)}, {timeout}, {ephemerals.GetValueOrDefault(id)}");
        o.WriteLine(snap.Digest switch
        {
            null => "Target zxid digest: none (no digest section: written before ZooKeeper 3.6)",
            { Zxid: 0 } => "Target zxid digest: none (empty digest section)",
            { } d => $"Target zxid digest is: {DumpFormat.Hex(d.Zxid)}, {d.Digest}",
        });
        if (snap.LastProcessedZxid is { } lp) o.WriteLine("Last processed zxid: 0x" + DumpFormat.Hex(lp));
        o.WriteLine("----");
        o.WriteLine("Last zxid: 0x" + DumpFormat.Hex(lastZxid));
    }

    private static void WriteJson(SnapshotContents snap, string path, bool data, Dictionary<long, int> ephemerals, long lastZxid, TextWriter o)
    {
        // Children by parent, in file order (Validate guarantees every parent precedes its children).
        var index = new Dictionary<string, int>(snap.Nodes.Count, StringComparer.Ordinal);
        var children = new List<int>[snap.Nodes.Count];
        int maxDepth = 0;
        for (int i = 0; i < snap.Nodes.Count; i++)
        {
            var p = snap.Nodes[i].Path;
            index[p] = i;
            children[i] = [];
            if (p.Length == 0) continue;
            children[index[p[..p.LastIndexOf('/')]]].Add(i);
            maxDepth = Math.Max(maxDepth, p.Count(c => c == '/'));
        }

        using var sink = new JsonSink(o, maxDepth + 16);
        var w = sink.Writer;
        w.WriteStartArray();
        w.WriteNumberValue(1);
        w.WriteNumberValue(0);
        w.WriteStartObject();
        w.WriteString("progname", "Coord dump-snapshot");
        w.WriteString("progver", "1");
        w.WriteNumber("timestamp", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        w.WriteString("snapshot", Path.GetFileName(path));
        w.WriteString("path", Path.GetFullPath(path));
        w.WriteNumber("zxid", snap.Zxid);
        w.WriteNumber("lastZxid", lastZxid);
        w.WriteNumber("nodeCount", snap.Nodes.Count);
        w.WriteStartArray("sessions");
        foreach (var (id, timeout) in snap.Sessions)
        {
            w.WriteStartObject();
            w.WriteString("id", "0x" + DumpFormat.Hex(id));
            w.WriteNumber("timeout", timeout);
            w.WriteNumber("ephemeralCount", ephemerals.GetValueOrDefault(id));
            w.WriteEndObject();
        }
        w.WriteEndArray();
        if (snap.Digest is { } d)
        {
            w.WriteStartObject("digest");
            w.WriteNumber("zxid", d.Zxid);
            w.WriteNumber("version", d.DigestVersion);
            w.WriteNumber("digest", d.Digest);
            w.WriteEndObject();
        }
        else w.WriteNull("digest");
        if (snap.LastProcessedZxid is { } lp) w.WriteNumber("lastProcessedZxid", lp);
        else w.WriteNull("lastProcessedZxid");
        w.WriteEndObject();

        // Depth-first without recursion: a node with children opens an array closed after its last child.
        int ino = 1000;
        var stack = new Stack<(int Node, int Next)>();
        void Open(int i)
        {
            if (children[i].Count > 0) w.WriteStartArray();
            WriteInfo(w, snap, i, ++ino, data);
            if (children[i].Count > 0) stack.Push((i, 0));
            sink.Drain(1 << 16);
        }
        if (snap.Nodes.Count > 0) Open(0);
        while (stack.Count > 0)
        {
            var (node, next) = stack.Pop();
            if (next < children[node].Count)
            {
                stack.Push((node, next + 1));
                Open(children[node][next]);
            }
            else w.WriteEndArray();
        }
        w.WriteEndArray();
        sink.Drain();
        o.WriteLine();
    }

    private static void WriteInfo(Utf8JsonWriter w, SnapshotContents snap, int i, int ino, bool data)
    {
        var n = snap.Nodes[i];
        var s = n.Stat;
        int length = n.Data?.Length ?? 0;
        w.WriteStartObject();
        w.WriteString("name", n.Path.Length == 0 ? "/" : n.Path[(n.Path.LastIndexOf('/') + 1)..]);
        w.WriteNumber("asize", length);
        w.WriteNumber("dsize", length);
        w.WriteNumber("dev", 0);
        w.WriteNumber("ino", ino);
        w.WriteString("path", n.Path.Length == 0 ? "/" : n.Path);
        w.WriteStartObject("stat");
        w.WriteNumber("cZxid", s.Czxid);
        w.WriteNumber("ctime", s.Ctime);
        w.WriteNumber("mZxid", s.Mzxid);
        w.WriteNumber("mtime", s.Mtime);
        w.WriteNumber("pZxid", s.Pzxid);
        w.WriteNumber("cversion", s.Cversion);
        w.WriteNumber("dataVersion", s.Version);
        w.WriteNumber("aclVersion", s.Aversion);
        w.WriteString("ephemeralOwner", "0x" + DumpFormat.Hex(s.EphemeralOwner));
        w.WriteNumber("dataLength", length);
        w.WriteEndObject();
        DumpFormat.WriteAcl(w, "acl", snap.ResolveAcl(n.AclId));
        if (data) DumpFormat.WriteData(w, "data", n.Data);
        w.WriteEndObject();
    }
}
