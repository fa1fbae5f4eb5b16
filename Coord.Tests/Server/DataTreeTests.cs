using Coord.Protocol;
using Coord.Protocol.Records;
using Coord.Server.Data;
using Coord.Server.Watches;
using NUnit.Framework;

namespace Coord.Tests.Server;

/// <summary>The data tree driven by txns alone, as replicas apply them; no sockets.</summary>
[TestFixture]
public sealed class DataTreeTests
{
    private sealed class RecordingWatcher : IWatcher
    {
        public readonly List<string> Events = [];
        public IReadOnlyList<Id> Ids = [];
        public void Process(EventType type, string path, IReadOnlyList<Acl>? nodeAcl)
        {
            if (nodeAcl is null || Coord.Server.Auth.AclChecker.Allowed(nodeAcl, Perms.Read, Ids)) Events.Add($"{type} {path}");
        }
    }

    private long _zxid;
    private DataTree _tree = new();

    // NUnit shares one fixture instance across its tests: each test gets a fresh tree.
    [SetUp]
    public void FreshTree()
    {
        _tree = new DataTree();
        _zxid = 0;
    }

    private ProcessTxnResult Apply(int type, ITxnRecord txn, long session = 0x100) =>
        _tree.ProcessTxn(new TxnHeader(session, 1, ++_zxid, 1000 + _zxid, type), txn);

    private ProcessTxnResult Create(string path, long owner = 0, int parentCVersion = -1) =>
        Apply(OpCode.Create, new CreateTxn(path, [1, 2], Acl.OpenAclUnsafe, owner != 0, parentCVersion), owner == 0 ? 0x100 : owner);

    [Test]
    public void FreshTreeHasZooKeeperSystemNodes()
    {
        Assert.That(_tree.GetNode("/zookeeper")!.ToStat().Cversion, Is.EqualTo(-2), "2 x 0 creates - 2 children");
        Assert.That(_tree.GetNode("/zookeeper/config")!.Aversion, Is.EqualTo(-1));
        Assert.That(_tree.GetNode("/zookeeper/config")!.Acl, Is.EqualTo(Acl.ReadAclUnsafe));
        Assert.That(_tree.GetNode(""), Is.SameAs(_tree.GetNode("/")), "\"\" is the root, as in ZooKeeper");
        Assert.That(_tree.NodeCount, Is.EqualTo(5), "ZooKeeper counts the root twice");
    }

    [Test]
    public void VisibleCversionCountsCreatesAndDeletes()
    {
        Create("/p");
        Create("/p/a");
        Assert.That(_tree.GetNode("/p")!.ToStat().Cversion, Is.EqualTo(1));
        Apply(OpCode.Delete, new DeleteTxn("/p/a"));
        var s = _tree.GetNode("/p")!.ToStat();
        Assert.That(s.Cversion, Is.EqualTo(2));
        Assert.That(s.Pzxid, Is.EqualTo(_zxid), "a delete moves pzxid");
        Assert.That(_tree.GetNode("/p")!.Cversion, Is.EqualTo(1), "the persisted counter (sequence source) only counts creates");
        Create("/p/b");
        Assert.That(_tree.GetNode("/p")!.ToStat().Cversion, Is.EqualTo(3));
    }

    [Test]
    public void SetDataBumpsVersionAndFiresDataWatch()
    {
        var w = new RecordingWatcher();
        Create("/d");
        _tree.AddDataWatch("/d", w);
        var r = Apply(OpCode.SetData, new SetDataTxn("/d", [9], 1));
        Assert.That(r.Stat.Version, Is.EqualTo(1));
        Assert.That(r.Stat.Mzxid, Is.EqualTo(_zxid));
        Apply(OpCode.SetData, new SetDataTxn("/d", [8], 2));
        Assert.That(w.Events, Is.EqualTo(new[] { "NodeDataChanged /d" }), "one-shot watches fire once");
    }

    [Test]
    public void FailedMultiAppliesNothingAndReportsPerOpResults()
    {
        Create("/m");
        var r = Apply(OpCode.Multi, new MultiTxn([
            (OpCode.Create, new CreateTxn("/m/a", [], Acl.OpenAclUnsafe, false, 1)),
            (OpCode.Error, new ErrorTxn((int)KeeperErrorCode.NodeExists)),
            (OpCode.Error, new ErrorTxn((int)KeeperErrorCode.RuntimeInconsistency)),
        ]));
        Assert.That(r.MultiResult!.Select(x => x.Err), Is.EqualTo(new[] { 0, -110, -2 }));
        Assert.That(r.MultiResult!.All(x => x.Type == OpCode.Error), Is.True);
        Assert.That(_tree.GetNode("/m/a"), Is.Null);
    }

    [Test]
    public void ClosingASessionDeletesItsEphemeralsAndNotifies()
    {
        var w = new RecordingWatcher();
        Create("/e");
        Create("/e/x", owner: 0x42);
        _tree.AddChildWatch("/e", w);
        Apply(OpCode.CloseSession, new CloseSessionTxn(["/e/x"]), 0x42);
        Assert.That(_tree.GetNode("/e/x"), Is.Null);
        Assert.That(_tree.GetEphemerals(0x42), Is.Empty);
        Assert.That(w.Events, Is.EqualTo(new[] { "NodeChildrenChanged /e" }));
    }

    [Test]
    public void ContainerAndTtlOwnersAreHiddenFromClients()
    {
        Apply(OpCode.CreateContainer, new CreateContainerTxn("/c", [], Acl.OpenAclUnsafe, 1));
        Apply(OpCode.CreateTtl, new CreateTtlTxn("/t", [], Acl.OpenAclUnsafe, 2, 5000));
        Assert.That(_tree.GetNode("/c")!.EphemeralOwner, Is.EqualTo(long.MinValue));
        Assert.That(_tree.GetNode("/c")!.ToStat().EphemeralOwner, Is.EqualTo(0));
        Assert.That(EphemeralType.TtlOf(_tree.GetNode("/t")!.EphemeralOwner), Is.EqualTo(5000));
        Assert.That(_tree.GetNode("/t")!.ToStat().EphemeralOwner, Is.EqualTo(0));
        Assert.That(_tree.Containers, Does.Contain("/c"));
        Assert.That(_tree.Ttls, Does.Contain("/t"));
    }

    [Test]
    public void RecursiveWatchSeesDescendantsButNeverChildEvents()
    {
        var w = new RecordingWatcher();
        Create("/r");
        _tree.AddPersistentWatch("/r", w, recursive: true);
        Create("/r/a");
        Create("/r/a/b");
        Apply(OpCode.SetData, new SetDataTxn("/r/a/b", [], 1));
        Apply(OpCode.Delete, new DeleteTxn("/r/a/b"));
        Assert.That(w.Events, Is.EqualTo(new[] { "NodeCreated /r/a", "NodeCreated /r/a/b", "NodeDataChanged /r/a/b", "NodeDeleted /r/a/b" }));
    }

    [Test]
    public void OneShotWatchReplacesPersistentModeAsIn38()
    {
        var w = new RecordingWatcher();
        Create("/o");
        _tree.AddPersistentWatch("/o", w, recursive: false);
        _tree.AddDataWatch("/o", w);
        Apply(OpCode.SetData, new SetDataTxn("/o", [], 1));
        Apply(OpCode.SetData, new SetDataTxn("/o", [], 2));
        Assert.That(w.Events, Is.EqualTo(new[] { "NodeDataChanged /o" }));
    }

    [Test]
    public void WatchEventsAreWithheldFromWatchersWithoutRead()
    {
        var w = new RecordingWatcher();
        _tree.ProcessTxn(new TxnHeader(1, 1, ++_zxid, 0, OpCode.Create),
            new CreateTxn("/secret", [], [new Acl(Perms.Write, Id.Anyone)], false, -1));
        _tree.AddDataWatch("/secret", w);
        Apply(OpCode.SetData, new SetDataTxn("/secret", [1], 1));
        Assert.That(w.Events, Is.Empty);
    }

    [Test]
    public void ChildrenComeBackInJavaHashSetOrder()
    {
        Create("/h");
        foreach (var n in new[] { "cc", "ttl", "seq0000000004", "c2" }) Create("/h/" + n);
        // Order measured from ZooKeeper 3.8.0 for these names (docs/reference-behaviour.md §k).
        Assert.That(_tree.GetNode("/h")!.ChildrenInZooKeeperOrder(), Is.EqualTo(new[] { "cc", "ttl", "seq0000000004", "c2" }));
    }

    [Test]
    public void JavaStringHashMatchesJava()
    {
        Assert.That(JavaHashOrder.StringHash("hello"), Is.EqualTo(99162322));
        Assert.That(JavaHashOrder.StringHash(""), Is.EqualTo(0));
        Assert.That(JavaHashOrder.Capacity(8, 6), Is.EqualTo(8));
        Assert.That(JavaHashOrder.Capacity(8, 7), Is.EqualTo(16));
        Assert.That(JavaHashOrder.CopyCapacity(2), Is.EqualTo(4));
    }
}
