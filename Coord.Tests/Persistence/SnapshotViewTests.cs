using Coord.Protocol.Records;
using Coord.Server.Data;
using Coord.Server.Persistence;
using NUnit.Framework;

namespace Coord.Tests.Persistence;

/// <summary>The copy-on-change view the server writes snapshots from: changes made after the view was taken must not
/// reach the file, and the file must be the one a stopped tree would have produced.</summary>
[TestFixture, Category("Persistence")]
public sealed class SnapshotViewTests
{
    [Test]
    public void ViewWrittenAfterLaterChanges_HoldsTheTreeAsItWasWhenTaken()
    {
        var script = new TxnScript();
        script.Run(1);
        script.Run(2);
        var expected = Kit.Capture(script.Tree, script.Sessions);
        long zxid = script.Zxid;
        long digest = script.Tree.TreeDigest;

        var view = script.Tree.TakeSnapshotView();
        // Every kind of change to nodes the view holds: data, ACL, a parent's cversion/pzxid by a create and a delete,
        // a deleted node, and a quota stats update if part 3 touches quotas.
        var someLeaf = script.Tree.Nodes.First(kv => kv.Value.ChildCount == 0 && !kv.Key.StartsWith("/zookeeper", StringComparison.Ordinal)).Key;
        script.SetData(someLeaf, [9, 9, 9]);
        script.SetAcl(someLeaf, [new Acl(Coord.Protocol.Perms.Read, Id.Anyone)]);
        script.Create(someLeaf + "/child", [1]);
        script.Delete(someLeaf + "/child");
        script.Run(3);
        Assert.That(script.Tree.TreeDigest, Is.Not.EqualTo(digest), "the tree did change");
        Assert.That(view.PreservedCount, Is.GreaterThan(0));

        using var dir = new TempDir();
        var path = DataTreeLoader.WriteSnapshot(view, expected.Sessions, dir.Path, new SnapshotWriteOptions());
        Assert.That(view.IsComplete, Is.True);
        Assert.That(view.PreservedCount, Is.EqualTo(0), "a completed view keeps nothing");

        var read = FileSnap.Read(path);
        Kit.AssertSameTree(expected, read);
        Assert.That(read.Zxid, Is.EqualTo(zxid));
        Assert.That(read.Digest, Is.EqualTo(new ZxidDigest(zxid, DataTree.DigestVersion, digest)));
        var loaded = new DataTree();
        DataTreeLoader.LoadFile(loaded, path);
        Assert.That(loaded.TreeDigest, Is.EqualTo(digest), "the file's nodes digest to the tree's digest at the view's zxid");

        // After completion the tree stops preserving, and a new view can be taken.
        script.SetData(someLeaf, [7]);
        Assert.That(view.PreservedCount, Is.EqualTo(0));
        script.Tree.TakeSnapshotView().Complete();
    }

    [Test]
    public void AViewNumbersTheSameAclListsAsAWalkOfEveryNode()
    {
        // The view takes its ACL lists from the tree's ACL cache; a snapshot written from a full walk finds them node
        // by node. OPEN_ACL_UNSAFE is numbered only when a node other than the root, /zookeeper and /zookeeper/quota
        // uses it.
        var tree = new DataTree();
        long zxid = 0;
        IReadOnlyList<Acl> digestAcl = [new(Coord.Protocol.Perms.All, new Id("digest", "u:x")), new(Coord.Protocol.Perms.Read, Id.Anyone)];
        void Apply(int type, ITxnRecord txn) =>
            Assert.That(tree.ProcessTxn(new TxnHeader(1, 1, ++zxid, 0, type), txn).Err, Is.EqualTo(Coord.Protocol.KeeperErrorCode.Ok));
        void AssertSameNumbering(string when)
        {
            var view = tree.TakeSnapshotView();
            try
            {
                Assert.That(Describe(DataTreeLoader.NumberAcls(view.AclLists)), Is.EqualTo(Describe(DataTreeLoader.NumberAcls(tree))), when);
            }
            finally
            {
                view.Complete();
            }
        }
        AssertSameNumbering("only the system nodes");
        Apply(Coord.Protocol.OpCode.Create, new CreateTxn("/ro", [], Acl.ReadAclUnsafe, false, -1));
        Apply(Coord.Protocol.OpCode.Create, new CreateTxn("/d", [], digestAcl, false, -1));
        AssertSameNumbering("OPEN used by system nodes only");
        Apply(Coord.Protocol.OpCode.Create, new CreateTxn("/open", [], Acl.OpenAclUnsafe, false, -1));
        AssertSameNumbering("OPEN used by /open too");
        Apply(Coord.Protocol.OpCode.SetAcl, new SetAclTxn("/", digestAcl, 1));
        Apply(Coord.Protocol.OpCode.Delete, new DeleteTxn("/open"));
        AssertSameNumbering("root moved to another list, /open gone");
        Apply(Coord.Protocol.OpCode.SetAcl, new SetAclTxn("/zookeeper/config", Acl.OpenAclUnsafe, 1));
        AssertSameNumbering("OPEN used by /zookeeper/config, which is not one of the three");

        static string Describe(DataTreeLoader.AclNumbering n) =>
            string.Join(" | ", n.Entries.Select(e => $"{e.Key}: {string.Join(",", e.Value)}"));
    }

    [Test]
    public void OnlyOneUnfinishedViewAtATime()
    {
        var tree = new DataTree();
        var view = tree.TakeSnapshotView();
        Assert.Throws<InvalidOperationException>(() => tree.TakeSnapshotView());
        view.Complete();
        Assert.DoesNotThrow(() => tree.TakeSnapshotView().Complete());
    }
}
