using System.Globalization;
using System.Text;
using System.Text.Json;
using Coord.Protocol;
using Coord.Server.Persistence;
using Coord.Server.Tools;
using Coord.Tests.Infrastructure;
using Coord.Tests.Persistence;
using NUnit.Framework;

namespace Coord.Tests.Tools;

/// <summary>
/// The dump-log and dump-snapshot subcommands (Coord.Server/Tools): run in-process on files written by the persistence
/// classes, through the server executable on a live server's data directory, and side by side with ZooKeeper's
/// TxnLogToolkit and SnapshotFormatter on the same files.
/// </summary>
[TestFixture, Category("Tools")]
public sealed class DumpToolTests
{
    private sealed record Result(int Rc, string Out, string Err)
    {
        public string[] Lines => Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        public override string ToString() => $"rc={Rc}\n--- stdout\n{Out}\n--- stderr\n{Err}";
    }

    private static Result Dump(params string[] args)
    {
        var o = new StringWriter { NewLine = "\n" };
        var e = new StringWriter { NewLine = "\n" };
        int rc = DumpCommand.Run(args, o, e);
        return new Result(rc, o.ToString(), e.ToString());
    }

    private static readonly TxnSnapLogOptions FastLog = new() { Log = new FileTxnLogOptions { ForceSync = false, PreAllocBytes = 1 << 20 } };

    private static TxnScript WriteDataDir(string dataDir) => Kit.WriteHistory(dataDir, FastLog);

    private static string Hex(long v) => v.ToString("x", CultureInfo.InvariantCulture);

    private static string[] TxnLines(Result r) => r.Lines.Where(l => l.Contains(" session 0x", StringComparison.Ordinal)).ToArray();

    // ---- dump-log --------------------------------------------------------------------------------------------------

    [Test]
    public void DumpLogListsEveryTxnOfEveryFileOnOneLineEach()
    {
        using var dir = new TempDir();
        WriteDataDir(dir.Path);
        var v2 = PersistenceFormat.VersionDir(dir.Path);
        var entries = Kit.ReadAll(v2);
        var logs = PersistenceFormat.ListLogs(v2);
        Assert.That(logs, Has.Count.EqualTo(3));

        var r = Dump("dump-log", v2);
        Assert.That(r.Rc, Is.EqualTo(0), r.ToString());
        Assert.That(r.Err, Is.Empty);
        var lines = TxnLines(r);
        Assert.That(lines, Has.Length.EqualTo(entries.Count), "one line per txn");
        for (int i = 0; i < entries.Count; i++)
        {
            var h = entries[i].Header;
            var time = DateTimeOffset.FromUnixTimeMilliseconds(h.Time).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
            Assert.That(lines[i], Does.StartWith($"{time} session 0x{Hex(h.ClientId)} cxid 0x{Hex(h.Cxid)} zxid 0x{Hex(h.Zxid)} {TxnLogDump.TypeName(h.Type)}"));
        }
        Assert.That(r.Lines.Count(l => l == "ZooKeeper Transactional Log File with dbid 0 txnlog format version 2"), Is.EqualTo(3));
        foreach (var (path, _) in logs)
        {
            Assert.That(r.Lines, Does.Contain("File: " + path));
            Assert.That(r.Lines, Does.Contain($"EOF reached after {entries.Count(e => e.File == path)} txns."));
        }

        // The record fields, as TxnLogToolkit prints them (ACL lists without its embedded newlines).
        foreach (var expected in new[]
                 {
                     " createSession 30000",
                     " create /app,hello,[31,s{'world,'anyone}],false,1",
                     " create /app/e,eph,[31,s{'world,'anyone}],true,1",
                     " create /app/nul,,[31,s{'world,'anyone}],false,",
                     " createContainer /c,box,[31,s{'world,'anyone}],",
                     " createTtl /t,ttl,[31,s{'world,'anyone}],",
                     ",600000",
                     " create /acl,secret,[31,s{'digest,'u:Jq7wMyA/w2Vd5WIDAKdu4OIIFEQ=}, 1,s{'world,'anyone}],false,",
                     " setData /app,world,1",
                     " setACL '/acl,v{s{31,s{'digest,'u:Jq7wMyA/w2Vd5WIDAKdu4OIIFEQ=}}},1",
                     " error -110",
                     " delete '/many/n7",
                     " deleteContainer '/many/n8",
                     " closeSession v{'/b-eph",
                 })
            Assert.That(lines.Any(l => l.Contains(expected, StringComparison.Ordinal)), Is.True, $"a line contains \"{expected}\"\n{r.Out}");

        // Multi: every sub-txn decoded, separated by ';'.
        var multis = lines.Where(l => l.Contains(" multi ", StringComparison.Ordinal)).ToArray();
        Assert.That(multis, Has.Length.EqualTo(2));
        Assert.That(multis[0], Does.Match(@" multi create:/m1,1,\[31,s\{'world,'anyone\}\],false,\d+;setData:/app,m,\d+;check:'/app,\d+$"));
        Assert.That(multis[1], Does.Match(@" multi create:/m2,2,\[31,s\{'world,'anyone\}\],false,\d+;error:-101;error:-2$"));
    }

    [Test]
    public void DumpLogJsonIsOneParsableObjectPerLine()
    {
        using var dir = new TempDir();
        WriteDataDir(dir.Path);
        var v2 = PersistenceFormat.VersionDir(dir.Path);
        var entries = Kit.ReadAll(v2);

        var r = Dump("dump-log", v2, "--json");
        Assert.That(r.Rc, Is.EqualTo(0), r.ToString());
        var docs = r.Lines.Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.That(docs.Select(d => d.GetProperty("kind").GetString()).Distinct(), Is.EquivalentTo(new[] { "file", "txn", "eof" }));
        var txns = docs.Where(d => d.GetProperty("kind").GetString() == "txn").ToList();
        Assert.That(txns.Select(t => t.GetProperty("zxid").GetInt64()), Is.EqualTo(entries.Select(e => e.Header.Zxid)), "every txn, in order");
        Assert.That(txns.Select(t => Convert.ToInt64(t.GetProperty("session").GetString(), 16)), Is.EqualTo(entries.Select(e => e.Header.ClientId)));
        Assert.That(txns.Select(t => t.GetProperty("time").GetInt64()), Is.EqualTo(entries.Select(e => e.Header.Time)));
        Assert.That(txns.Select(t => t.GetProperty("offset").GetInt64()), Is.EqualTo(entries.Select(e => e.Offset)));
        Assert.That(docs.Where(d => d.GetProperty("kind").GetString() == "eof").Sum(d => d.GetProperty("txns").GetInt32()), Is.EqualTo(entries.Count));

        var app = txns.First(t => t.GetProperty("type").GetString() == "create" && t.GetProperty("txn").GetProperty("path").GetString() == "/app").GetProperty("txn");
        Assert.That(Convert.FromBase64String(app.GetProperty("data").GetString()!), Is.EqualTo("hello"u8.ToArray()));
        Assert.That(app.GetProperty("acl")[0].GetProperty("scheme").GetString(), Is.EqualTo("world"));
        Assert.That(app.GetProperty("ephemeral").GetBoolean(), Is.False);
        var nul = txns.First(t => t.GetProperty("txn").TryGetProperty("path", out var p) && p.GetString() == "/app/nul").GetProperty("txn");
        Assert.That(nul.GetProperty("data").ValueKind, Is.EqualTo(JsonValueKind.Null), "a null buffer stays null");
        var error = txns.First(t => t.GetProperty("type").GetString() == "error").GetProperty("txn");
        Assert.That(error.GetProperty("err").GetInt32(), Is.EqualTo(-110));
        Assert.That(error.GetProperty("errName").GetString(), Is.EqualTo("NodeExists"));
        var multi = txns.First(t => t.GetProperty("type").GetString() == "multi").GetProperty("txn").GetProperty("txns");
        Assert.That(multi.EnumerateArray().Select(s => s.GetProperty("type").GetString()), Is.EqualTo(new[] { "create", "setData", "check" }));
        Assert.That(multi[0].GetProperty("txn").GetProperty("path").GetString(), Is.EqualTo("/m1"));
        var close = txns.First(t => t.GetProperty("type").GetString() == "closeSession").GetProperty("txn");
        Assert.That(close.GetProperty("paths2Delete").EnumerateArray().Select(p => p.GetString()), Is.EquivalentTo(new[] { "/b-eph", "/b-eph2" }));
        Assert.That(txns.All(t => t.GetProperty("digest").ValueKind == JsonValueKind.Null), Is.True, "Coord writes no TxnDigest");
    }

    [Test]
    public void FromZxidSelectsFilesAsRecoveryDoesAndSkipsEarlierTxns()
    {
        using var dir = new TempDir();
        WriteDataDir(dir.Path);
        var v2 = PersistenceFormat.VersionDir(dir.Path);
        var entries = Kit.ReadAll(v2);
        var logs = PersistenceFormat.ListLogs(v2);
        long from = logs[1].Zxid + 3;

        foreach (var arg in new[] { from.ToString(CultureInfo.InvariantCulture), "0x" + Hex(from) })
        {
            var r = Dump("dump-log", dir.Path, "--from-zxid", arg);
            Assert.That(r.Rc, Is.EqualTo(0), r.ToString());
            Assert.That(TxnLines(r).Select(l => l.Split(' ')[6]), Is.EqualTo(entries.Where(e => e.Header.Zxid >= from).Select(e => "0x" + Hex(e.Header.Zxid))));
            Assert.That(r.Out, Does.Not.Contain("File: " + logs[0].Path), "the first file ends before the zxid and is not read");
            Assert.That(r.Out, Does.Contain($"(3 below zxid 0x{Hex(from)} skipped)."));
        }

        var single = Dump("dump-log", logs[0].Path, $"--from-zxid=0x{Hex(logs[0].Zxid + 1)}");
        Assert.That(single.Rc, Is.EqualTo(0), single.ToString());
        Assert.That(TxnLines(single), Has.Length.EqualTo(entries.Count(e => e.File == logs[0].Path) - 1));
        Assert.That(single.Out, Does.Not.Contain("File: "), "a single file gets no File: line");
    }

    [Test]
    public void ChecksumDamageListsTheIntactTxnsThenReportsTheDamageWithExitCode1()
    {
        using var dir = new TempDir();
        WriteDataDir(dir.Path);
        var v2 = PersistenceFormat.VersionDir(dir.Path);
        var entries = Kit.ReadAll(v2);
        var logs = PersistenceFormat.ListLogs(v2);
        var first = entries.Where(e => e.File == logs[0].Path).ToList();
        var victim = first[5];
        Kit.FlipByte(victim.File, victim.Offset + 12 + 20);
        TxnLogDamage expected;
        using (var reader = new TxnLogReader(victim.File))
        {
            while (reader.TryRead(out _)) { }
            expected = reader.Damage!;
        }
        Assert.That(expected.Reason, Is.EqualTo(TxnLogStop.ChecksumMismatch));

        var r = Dump("dump-log", v2);
        Assert.That(r.Rc, Is.EqualTo(1), r.ToString());
        Assert.That(TxnLines(r), Has.Length.EqualTo(5), "the txns before the damage are still listed");
        Assert.That(r.Lines, Does.Contain($"DAMAGE after 5 txns: {expected}"));
        Assert.That(r.Lines, Does.Contain("Not read after the damage: " + string.Join(", ", logs.Skip(1).Select(l => Path.GetFileName(l.Path)))));
        Assert.That(r.Err, Does.Contain(expected.ToString()));

        var j = Dump("dump-log", v2, "--json");
        Assert.That(j.Rc, Is.EqualTo(1));
        var last = JsonDocument.Parse(j.Lines[^1]).RootElement;
        Assert.That(last.GetProperty("kind").GetString(), Is.EqualTo("damage"));
        Assert.That(last.GetProperty("reason").GetString(), Is.EqualTo("ChecksumMismatch"));
        Assert.That(last.GetProperty("offset").GetInt64(), Is.EqualTo(victim.Offset));
        Assert.That(last.GetProperty("lastGoodZxid").GetInt64(), Is.EqualTo(first[4].Header.Zxid));
        Assert.That(last.GetProperty("intactEntryFollows").GetBoolean(), Is.True);
        Assert.That(last.GetProperty("description").GetString(), Is.EqualTo(expected.ToString()));
        Assert.That(last.GetProperty("filesNotRead").GetArrayLength(), Is.EqualTo(2));
    }

    [Test]
    public void TornTailAndForeignFilesAreDamageToo()
    {
        using var dir = new TempDir();
        WriteDataDir(dir.Path);
        var v2 = PersistenceFormat.VersionDir(dir.Path);
        var entries = Kit.ReadAll(v2);
        var lastEntry = entries[^1];
        Kit.SetLength(lastEntry.File, lastEntry.Offset + 20);

        var r = Dump("dump-log", lastEntry.File);
        Assert.That(r.Rc, Is.EqualTo(1), r.ToString());
        Assert.That(r.Out, Does.Contain("DAMAGE after " + (entries.Count(e => e.File == lastEntry.File) - 1) + " txns: "));
        Assert.That(r.Out, Does.Contain("TruncatedEntry at offset " + lastEntry.Offset));
        Assert.That(r.Err, Does.Contain("TruncatedEntry"));

        var snapshot = PersistenceFormat.ListSnapshots(v2)[0].Path;
        var wrong = Dump("dump-log", snapshot);
        Assert.That(wrong.Rc, Is.EqualTo(1), wrong.ToString());
        Assert.That(wrong.Out, Does.Contain("DAMAGE after 0 txns: ").And.Contain("BadFileHeader"));
        var wrong2 = Dump("dump-snapshot", lastEntry.File);
        Assert.That(wrong2.Rc, Is.EqualTo(1), wrong2.ToString());
        Assert.That(wrong2.Err, Does.Contain("magic"));
    }

    [TestCase("dump-log")]
    [TestCase("dump-log", "--from-zxid")]
    [TestCase("dump-log", "DIR", "--from-zxid", "banana")]
    [TestCase("dump-log", "DIR", "--from-zxid", "-5")]
    [TestCase("dump-log", "DIR", "--bogus")]
    [TestCase("dump-log", "DIR", "DIR")]
    [TestCase("dump-log", "DIR/missing")]
    [TestCase("dump-log", "EMPTY")]
    [TestCase("dump-snapshot")]
    [TestCase("dump-snapshot", "DIR")]
    [TestCase("dump-snapshot", "DIR/missing")]
    [TestCase("dump-snapshot", "SNAP", "--from-zxid", "1")]
    [TestCase("dump-nothing")]
    public void BadArgumentsExitWith2AndAUsageLine(params string[] args)
    {
        using var dir = new TempDir();
        WriteDataDir(dir.Path);
        var empty = dir.Sub("empty");
        Directory.CreateDirectory(empty);
        var snap = PersistenceFormat.ListSnapshots(PersistenceFormat.VersionDir(dir.Path))[0].Path;
        var resolved = args.Select(a => a.Replace("EMPTY", empty).Replace("DIR", dir.Path).Replace("SNAP", snap)).ToArray();
        var r = Dump(resolved);
        Assert.That(r.Rc, Is.EqualTo(2), r.ToString());
        Assert.That(r.Err, Does.Contain("usage: Coord.Server dump-"));
        Assert.That(r.Out, Is.Empty);
    }

    [Test]
    public void DataAndPathsStayOnOneLine()
    {
        byte[] data = [.. "a\nb\\c,é\t"u8, 0xff, 0x00, .. "€"u8];
        Assert.That(DumpFormat.Text(data), Is.EqualTo("a\\nb\\\\c,é\\t\\xff\\x00€"));
        Assert.That(DumpFormat.Text(null), Is.Empty);
        Assert.That(TxnLogDump.Fields(new Coord.Protocol.Records.CreateTxn("/x", data, Coord.Protocol.Records.Acl.OpenAclUnsafe, false, 3)),
            Is.EqualTo("/x,a\\nb\\\\c,é\\t\\xff\\x00€,[31,s{'world,'anyone}],false,3"));
        Assert.That(TxnLogDump.Fields(new Coord.Protocol.Records.DeleteTxn("/a,b}%")), Is.EqualTo("'/a%2Cb%7D%25"), "jute's CSV escapes");
        Assert.That(TxnLogDump.TypeName(OpCode.CreateTtl), Is.EqualTo("createTtl"));
        Assert.That(TxnLogDump.TypeName(99), Is.EqualTo("unknown 99"));
    }

    // ---- dump-snapshot ---------------------------------------------------------------------------------------------

    private static string JavaDate(long ms) =>
        DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime.ToString("ddd MMM dd HH:mm:ss 'UTC' yyyy", CultureInfo.InvariantCulture);

    private static string X14(long v) => "0x" + v.ToString("x14", CultureInfo.InvariantCulture);

    [Test]
    public void DumpSnapshotShowsEveryNodeTheSessionsAndTheDigest([Values(SnapshotCompression.None, SnapshotCompression.Gzip, SnapshotCompression.Snappy)] SnapshotCompression compression)
    {
        using var dir = new TempDir();
        var script = WriteDataDir(dir.Sub("data"));
        var path = DataTreeLoader.WriteSnapshot(script.Tree, script.Sessions, dir.Sub("snap"), script.Zxid,
            new SnapshotWriteOptions { Compression = compression, Fsync = false });
        var snap = FileSnap.Read(path);

        var r = Dump("dump-snapshot", path, "--data");
        Assert.That(r.Rc, Is.EqualTo(0), r.ToString());
        Assert.That(r.Err, Is.Empty);
        Assert.That(r.Lines[0], Is.EqualTo($"ZNode Details (count={snap.Nodes.Count}):"));
        foreach (var n in snap.Nodes)
        {
            var s = n.Stat;
            var block = string.Join("\n",
                "----", n.Path.Length == 0 ? "/" : n.Path,
                "  cZxid = " + X14(s.Czxid), "  ctime = " + JavaDate(s.Ctime),
                "  mZxid = " + X14(s.Mzxid), "  mtime = " + JavaDate(s.Mtime),
                "  pZxid = " + X14(s.Pzxid), "  cversion = " + s.Cversion, "  dataVersion = " + s.Version,
                "  aclVersion = " + s.Aversion, "  ephemeralOwner = " + X14(s.EphemeralOwner),
                "  dataLength = " + (n.Data?.Length ?? 0), "  data = " + (n.Data is null ? "" : Convert.ToBase64String(n.Data)), "");
            Assert.That(r.Out, Does.Contain(block));
        }
        Assert.That(r.Out, Does.Contain("\n/app\n  cZxid"));
        Assert.That(r.Out, Does.Contain("  data = " + Convert.ToBase64String("m"u8.ToArray()) + "\n"), "/app's data after the multi");

        Assert.That(r.Out, Does.Contain("----\nSession Details (sid, timeout, ephemeralCount):\n"));
        foreach (var (id, timeout) in snap.Sessions)
        {
            int eph = snap.Nodes.Count(n => n.Stat.EphemeralOwner == id);
            Assert.That(r.Lines, Does.Contain($"{X14(id)}, {timeout}, {eph}"));
        }
        Assert.That(snap.Sessions.Select(kv => kv.Key), Does.Contain(TxnScript.SessionA).And.Contain(TxnScript.SessionC));
        Assert.That(r.Lines, Does.Contain($"{X14(TxnScript.SessionC)}, 40000, 1"));
        Assert.That(snap.Digest, Is.Not.Null);
        Assert.That(r.Lines, Does.Contain($"Target zxid digest is: {Hex(snap.Digest!.Value.Zxid)}, {snap.Digest.Value.Digest}"));
        Assert.That(r.Out, Does.EndWith($"----\nLast zxid: 0x{Hex(script.Zxid)}\n"));

        var plain = Dump("dump-snapshot", path);
        Assert.That(plain.Rc, Is.EqualTo(0));
        Assert.That(plain.Out, Does.Not.Contain("  data = "), "data only with --data");
        Assert.That(plain.Lines.Count(l => l.StartsWith("  dataLength = ", StringComparison.Ordinal)), Is.EqualTo(snap.Nodes.Count));
    }

    [Test]
    public void DumpSnapshotJsonIsZooKeepersNcduDocumentWithTheStats()
    {
        using var dir = new TempDir();
        var script = WriteDataDir(dir.Sub("data"));
        var path = DataTreeLoader.WriteSnapshot(script.Tree, script.Sessions, dir.Sub("snap"), script.Zxid, new SnapshotWriteOptions { Fsync = false });
        var snap = FileSnap.Read(path);

        var r = Dump("dump-snapshot", path, "--json", "--data");
        Assert.That(r.Rc, Is.EqualTo(0), r.ToString());
        using var doc = JsonDocument.Parse(r.Out, new JsonDocumentOptions { MaxDepth = 256 });
        var root = doc.RootElement;
        Assert.That(root.GetArrayLength(), Is.EqualTo(4));
        Assert.That(root[0].GetInt32(), Is.EqualTo(1));
        Assert.That(root[1].GetInt32(), Is.EqualTo(0));
        var meta = root[2];
        Assert.That(meta.GetProperty("progname").GetString(), Is.Not.Empty);
        Assert.That(meta.GetProperty("timestamp").GetInt64(), Is.GreaterThan(0));
        Assert.That(meta.GetProperty("nodeCount").GetInt32(), Is.EqualTo(snap.Nodes.Count));
        Assert.That(meta.GetProperty("zxid").GetInt64(), Is.EqualTo(script.Zxid));
        Assert.That(meta.GetProperty("digest").GetProperty("digest").GetInt64(), Is.EqualTo(snap.Digest!.Value.Digest));
        Assert.That(meta.GetProperty("sessions").EnumerateArray().Select(s => Convert.ToInt64(s.GetProperty("id").GetString(), 16)),
            Is.EqualTo(snap.Sessions.Select(kv => kv.Key)));

        // ncdu's shape: a node with children is [info, child...], a leaf is its info object; walk it depth-first.
        var infos = new List<(JsonElement Info, string ParentPath)>();
        void Walk(JsonElement e, string parent)
        {
            if (e.ValueKind == JsonValueKind.Object) { infos.Add((e, parent)); return; }
            Assert.That(e.ValueKind, Is.EqualTo(JsonValueKind.Array));
            var info = e[0];
            infos.Add((info, parent));
            var self = info.GetProperty("path").GetString()!;
            foreach (var child in e.EnumerateArray().Skip(1)) Walk(child, self);
        }
        Walk(root[3], "");
        Assert.That(infos.Select(i => i.Info.GetProperty("path").GetString()), Is.EqualTo(snap.Nodes.Select(n => n.Path.Length == 0 ? "/" : n.Path)),
            "every node once, depth-first in file order");
        Assert.That(infos.Select(i => i.Info.GetProperty("ino").GetInt32()), Is.EqualTo(Enumerable.Range(1001, snap.Nodes.Count)));
        for (int i = 0; i < snap.Nodes.Count; i++)
        {
            var (info, parent) = infos[i];
            var n = snap.Nodes[i];
            var p = info.GetProperty("path").GetString()!;
            Assert.That(info.GetProperty("name").GetString(), Is.EqualTo(i == 0 ? "/" : p[(p.LastIndexOf('/') + 1)..]));
            if (i > 0) Assert.That(p, Is.EqualTo((parent == "/" ? "" : parent) + "/" + info.GetProperty("name").GetString()));
            Assert.That(info.GetProperty("asize").GetInt32(), Is.EqualTo(n.Data?.Length ?? 0));
            Assert.That(info.GetProperty("dsize").GetInt32(), Is.EqualTo(n.Data?.Length ?? 0));
            Assert.That(info.GetProperty("dev").GetInt32(), Is.EqualTo(0));
            var stat = info.GetProperty("stat");
            Assert.That(stat.GetProperty("cZxid").GetInt64(), Is.EqualTo(n.Stat.Czxid));
            Assert.That(stat.GetProperty("mZxid").GetInt64(), Is.EqualTo(n.Stat.Mzxid));
            Assert.That(stat.GetProperty("pZxid").GetInt64(), Is.EqualTo(n.Stat.Pzxid));
            Assert.That(stat.GetProperty("ctime").GetInt64(), Is.EqualTo(n.Stat.Ctime));
            Assert.That(stat.GetProperty("cversion").GetInt32(), Is.EqualTo(n.Stat.Cversion));
            Assert.That(stat.GetProperty("dataVersion").GetInt32(), Is.EqualTo(n.Stat.Version));
            Assert.That(stat.GetProperty("aclVersion").GetInt32(), Is.EqualTo(n.Stat.Aversion));
            Assert.That(Convert.ToInt64(stat.GetProperty("ephemeralOwner").GetString(), 16), Is.EqualTo(n.Stat.EphemeralOwner));
            Assert.That(info.GetProperty("acl").GetArrayLength(), Is.EqualTo(snap.ResolveAcl(n.AclId).Count));
            var data = info.GetProperty("data");
            if (n.Data is null) Assert.That(data.ValueKind, Is.EqualTo(JsonValueKind.Null));
            else Assert.That(data.GetBytesFromBase64(), Is.EqualTo(n.Data));
        }
    }

    [Test]
    public void DamagedSnapshotIsReportedWithExitCode1()
    {
        using var dir = new TempDir();
        var script = WriteDataDir(dir.Sub("data"));
        var path = DataTreeLoader.WriteSnapshot(script.Tree, script.Sessions, dir.Sub("snap"), script.Zxid, new SnapshotWriteOptions { Fsync = false });
        var copy = dir.Sub("snap", "snapshot.1");
        File.Copy(path, copy);

        Kit.FlipByte(path, new FileInfo(path).Length / 2);
        var r = Dump("dump-snapshot", path);
        Assert.That(r.Rc, Is.EqualTo(1), r.ToString());
        Assert.That(r.Out, Is.Empty, "nothing of a damaged snapshot is printed");
        Assert.That(r.Err, Does.Contain("damaged snapshot").And.Contain(Path.GetFileName(path)));

        Kit.SetLength(copy, new FileInfo(copy).Length - 30);
        var t = Dump("dump-snapshot", copy, "--json");
        Assert.That(t.Rc, Is.EqualTo(1), t.ToString());
        Assert.That(t.Err, Does.Contain("ends early").Or.Contain("CRC"));
    }

    // ---- through the server executable ---------------------------------------------------------------------------

    [Test, Category("Integration")]
    public void TheServerExecutableDumpsALiveServersDataDirectory()
    {
        using var server = ServerProcess.StartCoord();
        using (var c = RawClient.Connect(server.Port))
        {
            c.SendCreate("/dump-e2e", "root"u8.ToArray());
            Assert.That(c.ReadReply().Err, Is.EqualTo(0));
            c.SendCreate("/dump-e2e/a", "v1"u8.ToArray());
            Assert.That(c.ReadReply().Err, Is.EqualTo(0));
            c.SendSetData("/dump-e2e/a", "v2"u8.ToArray());
            Assert.That(c.ReadReply().Err, Is.EqualTo(0));
            c.SendCreate("/dump-e2e", []);
            Assert.That(c.ReadReply().Err, Is.EqualTo((int)KeeperErrorCode.NodeExists));
        }
        var timeout = TimeSpan.FromMinutes(1);

        // Every write is in the log once acknowledged; the data directory itself is given (version-2 is found).
        var log = Repo.Run("dotnet", [ServerProcess.CoordDll, "dump-log", server.DataDir], timeout);
        Assert.That(log.ExitCode, Is.EqualTo(0), log.ToString());
        var lines = log.Stdout.Split('\n').Where(l => l.Contains(" session 0x", StringComparison.Ordinal)).ToList();
        Assert.That(lines.Select(l => l.Split(' ')[7]), Is.EqualTo(new[] { "createSession", "create", "create", "setData", "error" }));
        Assert.That(lines[1], Does.EndWith(" create /dump-e2e,root,[31,s{'world,'anyone}],false,1"));
        Assert.That(lines[3], Does.EndWith(" setData /dump-e2e/a,v2,1"));
        Assert.That(lines[4], Does.EndWith(" error -110"));

        var json = Repo.Run("dotnet", [ServerProcess.CoordDll, "dump-log", server.DataDir, "--json", "--from-zxid", "2"], timeout);
        Assert.That(json.ExitCode, Is.EqualTo(0), json.ToString());
        var txns = json.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement)
            .Where(d => d.GetProperty("kind").GetString() == "txn").ToList();
        Assert.That(txns.Select(t => t.GetProperty("zxid").GetInt64()), Is.EqualTo(new long[] { 2, 3, 4, 5 }));

        var snapshot = PersistenceFormat.ListSnapshots(PersistenceFormat.VersionDir(server.DataDir))[^1].Path;
        var snap = Repo.Run("dotnet", [ServerProcess.CoordDll, "dump-snapshot", snapshot], timeout);
        Assert.That(snap.ExitCode, Is.EqualTo(0), snap.ToString());
        Assert.That(snap.Stdout, Does.StartWith("ZNode Details (count=").And.Contain("\n/zookeeper/quota\n").And.Contain("\nLast zxid: 0x"));

        var bad = Repo.Run("dotnet", [ServerProcess.CoordDll, "dump-snapshot", "--nope"], timeout);
        Assert.That(bad.ExitCode, Is.EqualTo(2), bad.ToString());
        Assert.That(bad.Stderr, Does.Contain("usage:"));
        Assert.That(server.IsAlive, Is.True);
    }

    [Test, Category("Integration")]
    public void AClosedPipeEndsTheDumpQuietly()
    {
        using var dir = new TempDir();
        using (var snapLog = new TxnSnapLog(dir.Path, null, FastLog))
        {
            var script = new TxnScript((h, t) => snapLog.Log.Append(h, t));
            script.CreateSession(TxnScript.SessionA, 30000);
            for (int i = 0; i < 4000; i++) script.Create("/n" + i, Encoding.ASCII.GetBytes(new string('x', 100)));
            snapLog.Log.Commit();
        }
        var r = Repo.Run("bash", ["-c", $"set -o pipefail; dotnet '{ServerProcess.CoordDll}' dump-log '{dir.Path}' | head -n 2"], TimeSpan.FromMinutes(1));
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries), Has.Length.EqualTo(2));
        Assert.That(r.Stderr, Is.Empty);
    }

    // ---- against ZooKeeper's own tools ---------------------------------------------------------------------------

    /// <summary>TxnLogToolkit's lines with the newlines inside ACL lists joined back, keyed from " session " on (the
    /// date column is locale-formatted there).</summary>
    private static List<string> ToolkitTxns(string stdout)
    {
        var joined = new List<string>();
        foreach (var line in stdout.Split('\n'))
        {
            if (line.Contains(" session 0x", StringComparison.Ordinal) && char.IsDigit(line.FirstOrDefault())) joined.Add(line);
            else if (joined.Count > 0 && !line.StartsWith("EOF reached", StringComparison.Ordinal) && line.Length > 0) joined[^1] += line;
        }
        return joined.Select(l => l[l.IndexOf(" session ", StringComparison.Ordinal)..]).ToList();
    }

    [Test, Category("Interop")]
    public void OutputMatchesZooKeepersToolsOnTheSameFiles()
    {
        Kit.RequireReference();
        using var dir = new TempDir();
        var script = WriteDataDir(dir.Path);
        var v2 = PersistenceFormat.VersionDir(dir.Path);

        foreach (var (log, _) in PersistenceFormat.ListLogs(v2))
        {
            var zk = Kit.RunZooKeeperTool("org.apache.zookeeper.server.persistence.TxnLogToolkit", log);
            Assert.That(zk.ExitCode, Is.EqualTo(0), zk.ToString());
            var ours = Dump("dump-log", log);
            Assert.That(ours.Rc, Is.EqualTo(0), ours.ToString());
            var theirs = ToolkitTxns(zk.Stdout);
            var mine = TxnLines(ours).Select(l => l[l.IndexOf(" session ", StringComparison.Ordinal)..]).ToList();
            Assert.That(mine, Has.Count.EqualTo(theirs.Count));
            for (int i = 0; i < mine.Count; i++)
            {
                if (mine[i].Contains(" multi ", StringComparison.Ordinal))
                    Assert.That(theirs[i], Does.StartWith(mine[i][..(mine[i].IndexOf(" multi ", StringComparison.Ordinal) + 7)]), "multi: same header; ZooKeeper prints the sub-txns' raw bytes");
                else
                    Assert.That(mine[i], Is.EqualTo(theirs[i]), $"txn {i} of {Path.GetFileName(log)}");
            }
            foreach (var line in new[] { "ZooKeeper Transactional Log File with dbid 0 txnlog format version 2", $"EOF reached after {mine.Count} txns." })
            {
                Assert.That(zk.Stdout, Does.Contain(line + "\n"));
                Assert.That(ours.Lines, Does.Contain(line));
            }
        }

        var snapshot = DataTreeLoader.WriteSnapshot(script.Tree, script.Sessions, dir.Sub("snap"), script.Zxid, new SnapshotWriteOptions { Fsync = false });
        foreach (var data in new[] { false, true })
        {
            var zk = data ? Kit.RunZooKeeperTool("org.apache.zookeeper.server.SnapshotFormatter", "-d", snapshot)
                          : Kit.RunZooKeeperTool("org.apache.zookeeper.server.SnapshotFormatter", snapshot);
            Assert.That(zk.ExitCode, Is.EqualTo(0), zk.ToString());
            var ours = data ? Dump("dump-snapshot", snapshot, "--data") : Dump("dump-snapshot", snapshot);
            Assert.That(ours.Rc, Is.EqualTo(0), ours.ToString());
            // Known differences: ZooKeeper counts the root twice; 3.8.0 does not print the digest line; with -d it
            // prints data instead of dataLength.
            static bool Compared(string l) => !l.StartsWith("ZNode Details", StringComparison.Ordinal) && !l.StartsWith("Target zxid digest", StringComparison.Ordinal);
            var theirs = zk.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(Compared).ToList();
            var mine = ours.Lines.Where(Compared).Where(l => !data || !l.StartsWith("  dataLength = ", StringComparison.Ordinal)).ToList();
            Assert.That(mine, Is.EqualTo(theirs), $"SnapshotFormatter{(data ? " -d" : "")}");
            Assert.That(zk.Stdout, Does.Contain($"ZNode Details (count={FileSnap.Read(snapshot).Nodes.Count + 1}):"));
        }

        var zkJson = Kit.RunZooKeeperTool("org.apache.zookeeper.server.SnapshotFormatter", "-json", snapshot);
        Assert.That(zkJson.ExitCode, Is.EqualTo(0), zkJson.ToString());
        var ourJson = Dump("dump-snapshot", snapshot, "--json");
        var opts = new JsonDocumentOptions { MaxDepth = 256 };
        using var theirsDoc = JsonDocument.Parse(zkJson.Stdout, opts);
        using var mineDoc = JsonDocument.Parse(ourJson.Out, opts);
        Assert.That(NcduOnly(mineDoc.RootElement[3]), Is.EqualTo(NcduOnly(theirsDoc.RootElement[3])), "the ncdu tree, ZooKeeper's keys only");
        Assert.That(mineDoc.RootElement[0].GetInt32(), Is.EqualTo(theirsDoc.RootElement[0].GetInt32()));
        Assert.That(mineDoc.RootElement[1].GetInt32(), Is.EqualTo(theirsDoc.RootElement[1].GetInt32()));
    }

    /// <summary>The tree of an ncdu document reduced to the keys ZooKeeper writes, as comparable text.</summary>
    private static string NcduOnly(JsonElement e)
    {
        if (e.ValueKind == JsonValueKind.Array) return "[" + string.Join(",", e.EnumerateArray().Select(NcduOnly)) + "]";
        return "{" + string.Join(",", new[] { "name", "asize", "dsize", "dev", "ino" }.Select(k => k + ":" + e.GetProperty(k).GetRawText())) + "}";
    }
}
