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
    public void OnlyOneUnfinishedViewAtATime()
    {
        var tree = new DataTree();
        var view = tree.TakeSnapshotView();
        Assert.Throws<InvalidOperationException>(() => tree.TakeSnapshotView());
        view.Complete();
        Assert.DoesNotThrow(() => tree.TakeSnapshotView().Complete());
    }
}
