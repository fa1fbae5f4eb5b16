using System.Buffers.Binary;
using System.Text.Json;
using Coord.Protocol;
using Coord.Protocol.Records;
using Coord.Server.Data;
using Coord.Server.Persistence;
using Coord.Server.Persistence.Snappy;
using Coord.Tests.Infrastructure;
using NUnit.Framework;

namespace Coord.Tests.Persistence;

/// <summary>
/// Files cross between Coord and Apache ZooKeeper 3.8.0 in both directions: Coord reads and replays what a real
/// ZooKeeper wrote, and ZooKeeper's own tools — and ZooKeeper itself, starting on the directory — accept what Coord
/// wrote and end up with the same tree.
/// </summary>
[TestFixture, Category("Persistence"), Category("Interop"), NonParallelizable]
public sealed class ZooKeeperInteropTests
{
    private static JsonElement LastJsonLine(string stdout) =>
        JsonDocument.Parse(stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]).RootElement;

    /// <summary>Runs `zk_workload.py dump` against a server: it returns only once the server has finished starting
    /// (so its startup snapshot is complete) and gives each path's data, Stat and ACL as a client sees them.</summary>
    private static JsonElement Dump(ReferenceZooKeeper zk, params string[] paths) => Dump(zk.HostPort, () => zk.Log, paths);

    private static JsonElement Dump(string hostPort, Func<string> serverLog, params string[] paths)
    {
        var r = Kit.RunWorkload(["dump", hostPort, .. paths]);
        Assert.That(r.ExitCode, Is.EqualTo(0), r + "\n" + serverLog());
        return LastJsonLine(r.Stdout);
    }

    private static void CopyDir(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
    }

    // ---- (b) ZooKeeper writes, Coord reads ---------------------------------------------------------------------------

    [Test]
    public void CoordReadsAndReplaysWhatZooKeeperWrote()
    {
        Kit.RequireReference();
        using var dir = new TempDir();
        var dataDir = dir.Sub("data");
        var v2 = PersistenceFormat.VersionDir(dataDir);

        // Run 1: the workload; the JVM is killed (SIGKILL) with session A still open.
        JsonElement work;
        using (var zk = ReferenceZooKeeper.Start(dataDir))
        {
            var r = Kit.RunWorkload("write", zk.HostPort);
            Assert.That(r.ExitCode, Is.EqualTo(0), r + "\n" + zk.Log);
            work = LastJsonLine(r.Stdout);
            zk.Kill();
        }
        long sessionA = work.GetProperty("sessionA").GetInt64(), sessionB = work.GetProperty("sessionB").GetInt64();
        var failures = work.GetProperty("steps").EnumerateArray().Where(s => s[2].GetInt32() != 0).Select(s => $"{s[0]} {s[1]} {s[2]}").ToList();
        Assert.That(failures, Is.EqualTo(new[] { "create /p -110" }), "only the deliberate NodeExists fails");
        long lastZxidRun1 = Kit.ReadAll(v2)[^1].Header.Zxid;

        // Run 2 recovers and snapshots at startup (snapshot.<lastZxidRun1>); run 3 does the same with gzip.
        using (var zk = ReferenceZooKeeper.Start(dataDir)) { Dump(zk, "/p"); zk.Kill(); }
        using (var zk = ReferenceZooKeeper.Start(dataDir, "zookeeper.snapshot.compression.method=gz")) { Dump(zk, "/p"); zk.Kill(); }

        // The log: every entry intact, every txn type of the workload decoded.
        var entries = Kit.ReadAll(v2);
        Assert.That(entries.Select(e => e.Header.Zxid), Is.EqualTo(Enumerable.Range(1, entries.Count).Select(i => (long)i)), "zxids 1..n with no gap");
        Assert.That(entries.Where(e => e.Header.Type != OpCode.Error).All(e => e.Digest is { Version: 2 }), Is.True,
            "3.8 appends a TxnDigest to every txn but error txns");
        Assert.That(entries.Where(e => e.Header.Type == OpCode.Error).All(e => e.Digest is null), Is.True);

        T Txn<T>(int type, Func<T, bool> match) where T : class, ITxnRecord =>
            entries.Where(e => e.Header.Type == type).Select(e => e.Txn as T).FirstOrDefault(t => t is not null && match(t))
            ?? throw new AssertionException($"no {OpCode.Name(type)} txn matching");

        Assert.That(entries.Count(e => e.Header.Type == OpCode.CreateSession && ((CreateSessionTxn)e.Txn!).TimeOut == 30000 && e.Header.ClientId == sessionA), Is.EqualTo(1));
        Assert.That(Txn<CreateTxn>(OpCode.Create, t => t.Path == "/p/e").Ephemeral, Is.True);
        Assert.That(entries.Single(e => e.Txn is CreateTxn { Path: "/p/e" }).Header.ClientId, Is.EqualTo(sessionA));
        Assert.That(Txn<CreateTxn>(OpCode.Create, t => t.Path.StartsWith("/p/s-")).Path, Does.Match(@"^/p/s-\d{10}$"));
        Assert.That(Txn<CreateTxn>(OpCode.Create, t => t.Path == "/p/nul").Data, Is.Null);
        Assert.That(Txn<CreateContainerTxn>(OpCode.CreateContainer, t => t.Path == "/c").Data, Is.EqualTo("box"u8.ToArray()));
        Assert.That(Txn<CreateTtlTxn>(OpCode.CreateTtl, t => t.Path == "/t").Ttl, Is.EqualTo(600000));
        Assert.That(Txn<CreateTxn>(OpCode.Create, t => t.Path == "/mine").AclList, Is.EqualTo(new[] { new Acl(Perms.All, new Id("digest", "u:Jq7wMyA/w2Vd5WIDAKdu4OIIFEQ=")) }),
            "the auth scheme expanded to the caller's digest id");
        Assert.That(Txn<SetAclTxn>(OpCode.SetAcl, t => t.Path == "/acl").Version, Is.EqualTo(1));
        Assert.That(Txn<ErrorTxn>(OpCode.Error, _ => true).Err, Is.EqualTo((int)KeeperErrorCode.NodeExists));
        var okMulti = Txn<MultiTxn>(OpCode.Multi, t => t.Txns[0].Type == OpCode.Create && ((CreateTxn)t.Txns[0].Record).Path == "/m1");
        Assert.That(okMulti.Txns.Select(t => t.Type), Is.EqualTo(new[] { OpCode.Create, OpCode.SetData, OpCode.Check }));
        var failedMulti = Txn<MultiTxn>(OpCode.Multi, t => t.Txns.Any(x => x.Type == OpCode.Error));
        Assert.That(failedMulti.Txns.Select(t => t.Type), Is.EqualTo(new[] { OpCode.Create, OpCode.Error }), "ZooKeeper keeps the txns before the failing op");
        Assert.That(((ErrorTxn)failedMulti.Txns[1].Record).Err, Is.EqualTo((int)KeeperErrorCode.NoNode));
        var closeB = entries.Single(e => e.Header.Type == OpCode.CloseSession && e.Header.ClientId == sessionB);
        Assert.That(((CloseSessionTxn)closeB.Txn!).Paths2Delete, Is.EqualTo(new[] { "/b-eph" }));
        Assert.That(entries.Any(e => e.Header.Type == OpCode.CloseSession && e.Header.ClientId == sessionA), Is.False, "session A was never closed");

        // The snapshots: snapshot.0 from the first start, snapshot.<run 1's last zxid>, and a gzip one.
        var snaps = PersistenceFormat.ListSnapshots(v2);
        Assert.That(snaps.Select(s => Path.GetFileName(s.Path)), Has.Member("snapshot.0").And.Member("snapshot." + lastZxidRun1.ToString("x")));
        var gzPath = snaps[0].Path;
        Assert.That(gzPath, Does.EndWith(".gz"));
        var empty = FileSnap.Read(Path.Combine(v2, "snapshot.0"));
        Assert.That(empty.Nodes.Select(n => n.Path), Is.EquivalentTo(new[] { "", "/zookeeper", "/zookeeper/config", "/zookeeper/quota" }));

        var snapX = FileSnap.Read(Path.Combine(v2, "snapshot." + lastZxidRun1.ToString("x")));
        Assert.That(snapX.Header, Is.EqualTo(new FileHeader(PersistenceFormat.SnapshotMagic, 2, -1)));
        Assert.That(snapX.Sessions, Does.Contain(new KeyValuePair<long, int>(sessionA, 30000)));
        Assert.That(snapX.Sessions.Select(kv => kv.Key), Does.Not.Contain(sessionB));
        Assert.That(snapX.Digest, Is.Not.Null);
        Assert.That(snapX.Digest!.Value.Zxid, Is.EqualTo(lastZxidRun1));
        Assert.That(snapX.Digest.Value.DigestVersion, Is.EqualTo(2));
        SnapshotNode Node(SnapshotContents s, string path) => s.Nodes.Single(n => n.Path == path);
        Assert.That(Node(snapX, "/p/e").Stat.EphemeralOwner, Is.EqualTo(sessionA));
        Assert.That(snapX.Nodes.Single(n => n.Path.StartsWith("/p/es-")).Stat.EphemeralOwner, Is.EqualTo(sessionA));
        Assert.That(Node(snapX, "/c").Stat.EphemeralOwner, Is.EqualTo(EphemeralType.ContainerOwner));
        Assert.That(EphemeralType.TtlOf(Node(snapX, "/t").Stat.EphemeralOwner), Is.EqualTo(600000));
        Assert.That(EphemeralType.TtlOf(snapX.Nodes.Single(n => n.Path.StartsWith("/t-")).Stat.EphemeralOwner), Is.EqualTo(700000));
        Assert.That(Node(snapX, "/p/nul").Data, Is.Null);
        Assert.That(snapX.ResolveAcl(Node(snapX, "/acl").AclId), Is.EqualTo(new[] { new Acl(Perms.All, new Id("digest", "u:Jq7wMyA/w2Vd5WIDAKdu4OIIFEQ=")) }));
        Assert.That(snapX.ResolveAcl(Node(snapX, "/ro").AclId), Is.EqualTo(Acl.ReadAclUnsafe));
        Assert.That(new[] { "", "/zookeeper", "/zookeeper/quota" }.Select(p => Node(snapX, p).AclId), Is.All.EqualTo(-1L), "OPEN_ACL_UNSAFE id");
        Assert.That(Node(snapX, "/zookeeper/config").Stat.Aversion, Is.EqualTo(-1));
        Assert.That(snapX.Nodes.Any(n => n.Path == "/b-eph" || n.Path == "/many/n3"), Is.False);

        // Coord's writer reproduces ZooKeeper's file byte for byte from what its reader read.
        var rewritten = FileSnap.Write(dir.Sub("rewrite"), snapX);
        Assert.That(File.ReadAllBytes(rewritten), Is.EqualTo(File.ReadAllBytes(Path.Combine(v2, "snapshot." + lastZxidRun1.ToString("x")))));

        // The gzip snapshot (after two restarts with no node changes) holds the same tree; a tree built by loading
        // snapshot X orders children exactly as ZooKeeper's reloaded tree does.
        var snapGz = FileSnap.Read(gzPath);
        var fromX = new DataTree();
        DataTreeLoader.Load(fromX, snapX);
        Assert.That(Kit.ZooKeeperDigest(snapX), Is.EqualTo(snapX.Digest.Value.Digest), "the test's DigestCalculator agrees with ZooKeeper's");
        bool digestsExact = Kit.CheckDigestAgainstZooKeeper(fromX.TreeDigest, snapX, "tree loaded from ZooKeeper's snapshot");
        Kit.AssertSameTree(snapGz, Kit.Capture(fromX, snapX.Sessions), compareSessions: false);

        // Replaying ZooKeeper's log from its empty snapshot.0 gives ZooKeeper's tree, node for node.
        var replayDir = dir.Sub("replay");
        CopyDir(v2, PersistenceFormat.VersionDir(replayDir));
        foreach (var (p, z) in PersistenceFormat.ListSnapshots(PersistenceFormat.VersionDir(replayDir))) if (z != 0) File.Delete(p);
        using (var snapLog = new TxnSnapLog(replayDir))
        {
            var tree = new DataTree();
            var result = snapLog.Restore(tree);
            Assert.That(result.TornTail, Is.Null);
            Assert.That(result.SnapshotZxid, Is.Zero);
            Assert.That(result.DigestsChecked, Is.GreaterThan(40), "ZooKeeper's TxnDigests checked during replay");
            Assert.That(result.DigestMismatches, Is.EqualTo(digestsExact ? 0 : result.DigestsChecked), string.Join("\n", result.Warnings));
            Assert.That(result.LastZxid, Is.EqualTo(entries[^1].Header.Zxid));
            // A connect that raced a server's startup may leave a session of its own; A must be there, B gone.
            Assert.That(result.Sessions[sessionA], Is.EqualTo(30000));
            Assert.That(result.Sessions.ContainsKey(sessionB), Is.False);
            Kit.AssertSameTree(snapX, Kit.Capture(tree, result.Sessions), compareSessions: false);
        }

        // And restoring the directory as it is (newest snapshot: the gzip one) gives the same.
        using (var snapLog = new TxnSnapLog(dataDir))
        {
            var tree = new DataTree();
            var result = snapLog.Restore(tree);
            Assert.That(result.SnapshotPath, Is.EqualTo(gzPath));
            if (digestsExact) Assert.That(result.DigestMismatches, Is.Zero, string.Join("\n", result.Warnings));
            Kit.AssertSameTree(snapGz, Kit.Capture(tree, result.Sessions), compareSessions: false);
            Assert.That(result.Sessions[sessionA], Is.EqualTo(30000));
        }
    }

    // ---- (c) Coord writes, ZooKeeper reads ---------------------------------------------------------------------------

    private static TxnScript WriteCoordDataDir(string dataDir) => Kit.WriteHistory(dataDir);

    [Test]
    public void ZooKeeperToolsReadCoordFilesWithoutComplaint()
    {
        Kit.RequireReference();
        using var dir = new TempDir();
        var dataDir = dir.Sub("data");
        var script = WriteCoordDataDir(dataDir);
        var v2 = PersistenceFormat.VersionDir(dataDir);

        var entries = Kit.ReadAll(v2);
        var logs = PersistenceFormat.ListLogs(v2);
        Assert.That(logs, Has.Count.EqualTo(3));
        foreach (var (log, _) in logs)
        {
            var r = Kit.RunZooKeeperTool("org.apache.zookeeper.server.persistence.TxnLogToolkit", log);
            TestContext.Out.WriteLine(r.Stdout);
            Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
            Assert.That(r.Stdout, Does.Contain("ZooKeeper Transactional Log File with dbid 0 txnlog format version 2"));
            Assert.That(r.Stdout, Does.Contain($"EOF reached after {entries.Count(e => e.File == log)} txns."), r.ToString());
            Assert.That(r.Stdout + r.Stderr, Does.Not.Contain("CRC ERROR").And.Not.Contain("Exception"));
        }
        var all = string.Concat(logs.Select(l => Kit.RunZooKeeperTool("org.apache.zookeeper.server.persistence.TxnLogToolkit", l.Path).Stdout));
        foreach (var expected in new[] { "createSession 30000", "create /app,hello,", "createContainer /c,box,", "createTtl /t,ttl,", "setACL",
                     "error -110", "multi create:", "closeSession v{", "/b-eph2", "deleteContainer", "/many/n8" })
            Assert.That(all, Does.Contain(expected), $"toolkit output mentions {expected}");

        var gzDir = dir.Sub("gz");
        foreach (var snapshot in new[]
                 {
                     PersistenceFormat.ListSnapshots(v2)[0].Path,
                     DataTreeLoader.WriteSnapshot(script.Tree, script.Sessions, gzDir, script.Zxid, new SnapshotWriteOptions { Compression = SnapshotCompression.Gzip }),
                 })
        {
            var snap = FileSnap.Read(snapshot);
            var r = Kit.RunZooKeeperTool("org.apache.zookeeper.server.SnapshotFormatter", snapshot);
            TestContext.Out.WriteLine(r.Stdout);
            Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
            Assert.That(r.Stdout, Does.Contain($"ZNode Details (count={snap.Nodes.Count + 1}):"), "ZooKeeper counts the root under \"\" and \"/\"");
            foreach (var n in snap.Nodes.Where(n => n.Path.Length > 0)) Assert.That(r.Stdout, Does.Contain("\n" + n.Path + "\n"));
            foreach (var (id, timeout) in snap.Sessions)
                Assert.That(r.Stdout, Does.Contain($"0x{id:x}, {timeout}, "));
            Assert.That(r.Stdout, Does.Contain($"Last zxid: 0x{snap.Zxid:x}"));
            Assert.That(r.Stderr, Does.Not.Contain("Exception"));
        }
    }

    [Test]
    public void ZooKeeperStartsOnACoordDataDirectoryAndSeesTheSameTree()
    {
        Kit.RequireReference();
        using var dir = new TempDir();
        var dataDir = dir.Sub("data");
        var script = WriteCoordDataDir(dataDir);
        var v2 = PersistenceFormat.VersionDir(dataDir);

        // What Coord recovers from these files (on a copy, before ZooKeeper adds its own).
        var copy = dir.Sub("copy");
        CopyDir(v2, PersistenceFormat.VersionDir(copy));
        SnapshotContents coordView;
        using (var snapLog = new TxnSnapLog(copy))
        {
            var tree = new DataTree();
            var result = snapLog.Restore(tree);
            Assert.That(result.LastZxid, Is.EqualTo(script.Zxid));
            coordView = DataTreeLoader.Capture(tree, result.Sessions, result.LastZxid);
        }

        var newestCoordSnapshot = Path.GetFileName(PersistenceFormat.ListSnapshots(v2)[0].Path);
        string[] paths = ["/app", "/app/e", "/app/nul", "/c", "/t", "/ro", "/m1", "/many", "/deep/d0/d1/d2", "/c3", "/b-eph", "/zookeeper/config"];
        JsonElement seen;
        using (var zk = ReferenceZooKeeper.Start(dataDir))
        {
            seen = Dump(zk, paths);
            Assert.That(zk.Log, Does.Contain("Reading snapshot " + Path.Combine(v2, newestCoordSnapshot)), "ZooKeeper loads Coord's newest snapshot");
            Assert.That(zk.Log, Does.Contain($"highest zxid is 0x{script.Zxid:x}"), "and replays Coord's log to its end");
            Assert.That(zk.Log, Does.Contain("The digest in the snapshot has digest version of 2"), "ZooKeeper read Coord's snapshot digest");
            Assert.That(zk.Log, Does.Not.Contain("problem reading snap file"), zk.Log);
            if (Kit.CheckDigestAgainstZooKeeper(script.Tree.TreeDigest, Kit.Capture(script.Tree, script.Sessions), "Coord's tree"))
                Assert.That(zk.Log, Does.Not.Contain("Digests are not matching"), zk.Log);
            zk.Kill();
        }

        // Through ZooKeeper's client API: data and Stat exactly as Coord's tree has them.
        foreach (var p in paths)
        {
            var node = script.Tree.GetNode(p);
            var got = seen.GetProperty(p);
            if (node is null)
            {
                Assert.That(got.GetProperty("err").GetInt32(), Is.EqualTo((int)KeeperErrorCode.NoNode), p);
                continue;
            }
            Assert.That(got.TryGetProperty("err", out _), Is.False, $"{p}: {got}");
            var data = got.GetProperty("data");
            Assert.That(data.ValueKind == JsonValueKind.Null ? null : Convert.FromHexString(data.GetString()!), Is.EqualTo(node.CopyData()), $"data of {p}");
            var stat = got.GetProperty("stat");
            var expected = node.ToStat();
            var actual = new Stat(stat.GetProperty("czxid").GetInt64(), stat.GetProperty("mzxid").GetInt64(), stat.GetProperty("ctime").GetInt64(),
                stat.GetProperty("mtime").GetInt64(), stat.GetProperty("version").GetInt32(), stat.GetProperty("cversion").GetInt32(),
                stat.GetProperty("aversion").GetInt32(), stat.GetProperty("ephemeralOwner").GetInt64(), stat.GetProperty("dataLength").GetInt32(),
                stat.GetProperty("numChildren").GetInt32(), stat.GetProperty("pzxid").GetInt64());
            Assert.That(actual, Is.EqualTo(expected), $"Stat of {p}");
        }

        // ZooKeeper's startup snapshot of what it loaded: the same tree, node order, stats, ACLs and sessions.
        var zkSnap = FileSnap.Read(Path.Combine(v2, "snapshot." + script.Zxid.ToString("x")));
        Kit.AssertSameTree(coordView, zkSnap);
        Kit.AssertSameTree(Kit.Capture(script.Tree, script.Sessions), zkSnap);
        Assert.That(zkSnap.Sessions.Select(kv => kv.Key), Is.EquivalentTo(new[] { TxnScript.SessionA, TxnScript.SessionC }));
        Assert.That(zkSnap.Digest!.Value.Zxid, Is.EqualTo(script.Zxid));
        Assert.That(zkSnap.Digest.Value.Digest, Is.EqualTo(Kit.ZooKeeperDigest(zkSnap)), "ZooKeeper's digest of the tree it loaded");
    }

    // ---- (d) snapshot.compression.method=snappy, both ways ----------------------------------------------------------

    private const string ZooKeeperSnappy = "zookeeper.snapshot.compression.method=snappy";
    private const string CoordSnappy = "snapshot.compression.method=snappy";

    /// <summary>Bulk nodes (zk_workload.py bulk): about 225 KB of data, so a snapshot spans several 32 KiB blocks.</summary>
    private const int BulkNodes = 150, BulkBytes = 1500;

    /// <summary>Every kind of node the workload makes, a deleted one, one no client may read, and bulk nodes spread
    /// over the file.</summary>
    private static readonly string[] SnappyComparedPaths =
    [
        "/p", "/p/e", "/p/nul", "/c", "/c/y", "/t", "/acl", "/ro", "/mine", "/m1", "/many", "/many/n5", "/many/n3",
        "/deep/d0/d1/d2/d3/d4/d5", "/b-eph", "/bulk", "/bulk/b0", "/bulk/b77", "/bulk/b149",
    ];

    private static void RunSnappyWorkload(string hostPort, Func<string> serverLog)
    {
        var r = Kit.RunWorkload("write", hostPort);
        Assert.That(r.ExitCode, Is.EqualTo(0), r + "\n" + serverLog());
        r = Kit.RunWorkload("bulk", hostPort, BulkNodes.ToString(), BulkBytes.ToString());
        Assert.That(r.ExitCode, Is.EqualTo(0), r + "\n" + serverLog());
    }

    /// <summary>snappy-java's header, then the 4-byte big-endian chunk lengths lead exactly to the end of the file.</summary>
    private static void AssertSnappyFraming(string path)
    {
        var raw = File.ReadAllBytes(path);
        Assert.That(raw[..SnappyFramedStream.HeaderBytes], Is.EqualTo(new byte[] { 0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0, 0, 0, 0, 1, 0, 0, 0, 1 }), path);
        int chunks = 0, p = SnappyFramedStream.HeaderBytes;
        for (; p < raw.Length; chunks++) p += 4 + BinaryPrimitives.ReadInt32BigEndian(raw.AsSpan(p));
        Assert.That(p, Is.EqualTo(raw.Length), "chunks end with the file");
        Assert.That(chunks, Is.GreaterThan(3), "the snapshot spans several 32 KiB blocks");
    }

    /// <summary>What two servers answered for each path (data, Stat, ACL or error) is identical.</summary>
    private static void AssertSameAnswers(JsonElement expected, JsonElement actual)
    {
        foreach (var p in SnappyComparedPaths)
            Assert.That(actual.GetProperty(p).GetRawText(), Is.EqualTo(expected.GetProperty(p).GetRawText()), p);
        Assert.That(actual.GetProperty("/bulk/b149").TryGetProperty("err", out _), Is.False, "bulk nodes exist");
        Assert.That(actual.GetProperty("/p/e").TryGetProperty("err", out _), Is.False, "session A's ephemeral survived");
    }

    [Test]
    public void CoordStartsOnZooKeepersSnappySnapshotAndServesTheSameTree()
    {
        Kit.RequireReference();
        using var dir = new TempDir();
        var dataDir = dir.Sub("data");
        var v2 = PersistenceFormat.VersionDir(dataDir);

        // Run 1 logs the workload (its first start writes snapshot.0.snappy); run 2 snapshots it at startup, as .snappy.
        using (var zk = ReferenceZooKeeper.Start(dataDir, ZooKeeperSnappy))
        {
            RunSnappyWorkload(zk.HostPort, () => zk.Log);
            zk.Kill();
        }
        long lastZxidRun1 = Kit.ReadAll(v2)[^1].Header.Zxid;
        JsonElement zkSeen;
        using (var zk = ReferenceZooKeeper.Start(dataDir, ZooKeeperSnappy))
        {
            zkSeen = Dump(zk, SnappyComparedPaths);
            zk.Kill();
        }
        var zkSnapshot = Path.Combine(v2, $"snapshot.{lastZxidRun1:x}.snappy");
        Assert.That(PersistenceFormat.ListSnapshots(v2).Select(s => Path.GetFileName(s.Path)),
            Has.Member("snapshot.0.snappy").And.Member(Path.GetFileName(zkSnapshot)).And.All.EndsWith(".snappy"));
        AssertSnappyFraming(zkSnapshot);

        // Coord decodes every node: the tree digest ZooKeeper stored in the file is the digest of what Coord read.
        var snap = FileSnap.Read(zkSnapshot);
        Assert.That(snap.Nodes.Count(n => n.Path.StartsWith("/bulk/", StringComparison.Ordinal)), Is.EqualTo(BulkNodes));
        Assert.That(snap.Nodes.Single(n => n.Path == "/bulk/b7").Data, Has.Length.EqualTo(BulkBytes));
        Assert.That(snap.Digest!.Value.Zxid, Is.EqualTo(lastZxidRun1));
        Assert.That(Kit.ZooKeeperDigest(snap), Is.EqualTo(snap.Digest.Value.Digest), "ZooKeeper's digest of the tree Coord decoded");

        // Recovery picks the .snappy snapshot (on a copy, before Coord adds files of its own).
        var copy = dir.Sub("copy");
        CopyDir(v2, PersistenceFormat.VersionDir(copy));
        using (var snapLog = new TxnSnapLog(copy))
        {
            var tree = new DataTree();
            var result = snapLog.Restore(tree);
            Assert.That(result.SnapshotPath, Is.EqualTo(Path.Combine(PersistenceFormat.VersionDir(copy), Path.GetFileName(zkSnapshot))));
            Assert.That(result.Warnings, Is.Empty);
            Kit.AssertSameTree(snap, Kit.Capture(tree, result.Sessions), compareSessions: false);
        }

        // The Coord server on ZooKeeper's directory answers exactly as ZooKeeper did.
        JsonElement coordSeen;
        using (var coord = ServerProcess.StartCoordIn(dataDir, ownsDataDir: false))
        {
            coordSeen = Dump(coord.HostPort, () => coord.Log, SnappyComparedPaths);
        }
        AssertSameAnswers(zkSeen, coordSeen);
    }

    [Test]
    public void ZooKeeperStartsOnCoordsSnappySnapshotAndItsFormatterReadsIt()
    {
        Kit.RequireReference();
        using var dir = new TempDir();
        var dataDir = dir.Sub("data");
        var v2 = PersistenceFormat.VersionDir(dataDir);

        // Run 1 logs the workload; run 2 snapshots it at startup. A clean stop (SIGTERM) waits for the snapshot's
        // background write to finish.
        using (var coord = ServerProcess.StartCoordIn(dataDir, ownsDataDir: false, CoordSnappy))
        {
            RunSnappyWorkload(coord.HostPort, () => coord.Log);
            Assert.That(coord.Terminate(TimeSpan.FromSeconds(60)), Is.Not.Null, "Coord stops on SIGTERM\n" + coord.Log);
        }
        long lastZxid = Kit.ReadAll(v2)[^1].Header.Zxid;
        JsonElement coordSeen;
        using (var coord = ServerProcess.StartCoordIn(dataDir, ownsDataDir: false, CoordSnappy))
        {
            coordSeen = Dump(coord.HostPort, () => coord.Log, SnappyComparedPaths);
            Assert.That(coord.Terminate(TimeSpan.FromSeconds(60)), Is.Not.Null, "Coord stops on SIGTERM\n" + coord.Log);
        }
        var coordSnapshot = Path.Combine(v2, $"snapshot.{lastZxid:x}.snappy");
        Assert.That(PersistenceFormat.ListSnapshots(v2).Select(s => Path.GetFileName(s.Path)),
            Has.Member("snapshot.0.snappy").And.Member(Path.GetFileName(coordSnapshot)).And.All.EndsWith(".snappy"));
        AssertSnappyFraming(coordSnapshot);
        var snap = FileSnap.Read(coordSnapshot);
        Assert.That(snap.Nodes.Count(n => n.Path.StartsWith("/bulk/", StringComparison.Ordinal)), Is.EqualTo(BulkNodes));

        // ZooKeeper's SnapshotFormatter decompresses it with snappy-java (on the class path through zookeeper.jar's
        // manifest) and prints every node, with its data under -d.
        var r = Kit.RunZooKeeperTool("org.apache.zookeeper.server.SnapshotFormatter", "-d", coordSnapshot);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(r.Stderr, Does.Not.Contain("Exception"));
        Assert.That(r.Stdout, Does.Contain($"ZNode Details (count={snap.Nodes.Count + 1}):"), "ZooKeeper counts the root under \"\" and \"/\"");
        foreach (var n in snap.Nodes.Where(n => n.Path.Length > 0))
        {
            Assert.That(r.Stdout, Does.Contain("\n" + n.Path + "\n"));
            if (n.Data is { Length: > 0 }) Assert.That(r.Stdout, Does.Contain("  data = " + Convert.ToBase64String(n.Data) + "\n"), $"data of {n.Path}");
        }
        foreach (var (id, timeout) in snap.Sessions) Assert.That(r.Stdout, Does.Contain($"0x{id:x}, {timeout}, "));
        Assert.That(r.Stdout, Does.Contain($"Last zxid: 0x{snap.Zxid:x}"));

        // ZooKeeper (default compression) starts from Coord's snappy snapshot and answers exactly as Coord did; its
        // own startup snapshot holds the same tree.
        JsonElement zkSeen;
        using (var zk = ReferenceZooKeeper.Start(dataDir))
        {
            zkSeen = Dump(zk, SnappyComparedPaths);
            Assert.That(zk.Log, Does.Contain("Reading snapshot " + coordSnapshot), "ZooKeeper loads Coord's snappy snapshot");
            Assert.That(zk.Log, Does.Contain("The digest in the snapshot has digest version of 2"), "and reads its digest section");
            Assert.That(zk.Log, Does.Not.Contain("problem reading snap file"), zk.Log);
            zk.Kill();
        }
        AssertSameAnswers(coordSeen, zkSeen);
        var zkOwn = PersistenceFormat.ListSnapshots(v2).First(s => !s.Path.EndsWith(".snappy", StringComparison.Ordinal));
        Assert.That(zkOwn.Zxid, Is.GreaterThanOrEqualTo(lastZxid));
        Kit.AssertSameTree(snap, FileSnap.Read(zkOwn.Path), compareSessions: false);
    }
}
