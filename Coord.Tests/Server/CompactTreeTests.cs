using Coord.Protocol;
using Coord.Protocol.Records;
using Coord.Server.Data;
using NUnit.Framework;

namespace Coord.Tests.Server;

/// <summary>The structures that keep a znode small: the shared ACL cache, child sets keyed by node names, and the
/// tree without a path map.</summary>
[TestFixture]
public sealed class CompactTreeTests
{
    private static IReadOnlyList<Acl> FreshOpenAcl() => [new Acl(Perms.All, new Id(new string("world"), new string("anyone")))];

    [Test]
    public void AclCache_SharesEqualLists_AndForgetsTheLastRelease()
    {
        var cache = new AclCache();
        var a = cache.Acquire(FreshOpenAcl());
        var b = cache.Acquire(FreshOpenAcl());
        Assert.That(b, Is.SameAs(a), "equal lists share one instance");
        Assert.That(cache.Count, Is.EqualTo(1));
        Assert.That(cache.UsersOf(a), Is.EqualTo(2));
        cache.Release(FreshOpenAcl());
        Assert.That(cache.Count, Is.EqualTo(1));
        cache.Release(a);
        Assert.That(cache.Count, Is.EqualTo(0), "no user left: forgotten");
        cache.Release(a); // unknown list: nothing happens
    }

    [Test]
    public void AclCache_KeepsItsOwnCopy()
    {
        var cache = new AclCache();
        var mine = new List<Acl>(FreshOpenAcl());
        var shared = cache.Acquire(mine);
        mine[0] = new Acl(Perms.Read, Id.Anyone);
        Assert.That(shared[0].Perms, Is.EqualTo(Perms.All));
    }

    [Test]
    public void DataTree_NodesShareAclLists_AndReleaseThemOnDeleteAndSetAcl()
    {
        var tree = new DataTree();
        long zxid = 0;
        TxnHeader H(int type) => new(1, 1, ++zxid, 0, type);
        tree.ProcessTxn(H(OpCode.Create), new CreateTxn("/a", [1], FreshOpenAcl(), false, -1));
        tree.ProcessTxn(H(OpCode.Create), new CreateTxn("/b", [2], FreshOpenAcl(), false, -1));
        Assert.That(tree.GetNode("/b")!.Acl, Is.SameAs(tree.GetNode("/a")!.Acl));
        IReadOnlyList<Acl> readOnly = [new Acl(Perms.Read | Perms.Write, Id.Anyone)];
        tree.ProcessTxn(H(OpCode.SetAcl), new SetAclTxn("/a", readOnly, 1));
        Assert.That(tree.Acls.UsersOf(readOnly), Is.EqualTo(1));
        tree.ProcessTxn(H(OpCode.Delete), new DeleteTxn("/a"));
        Assert.That(tree.Acls.UsersOf(readOnly), Is.EqualTo(0), "the only user is gone");
        Assert.That(tree.GetNode("/b")!.Acl, Is.EqualTo(FreshOpenAcl()));
    }

    [Test]
    public void ChildSet_NamesAndPathsAreInterchangeable()
    {
        var set = new ChildSet(8);
        Assert.That(set.Add(Leaf("a")), Is.True);
        Assert.That(set.Add(Leaf("a")), Is.False);
        Assert.That(set.Get("a")!.Name, Is.EqualTo("a"));
        Assert.That(set.Get("/p/a"), Is.Null, "Get takes a name, not a path");
        Assert.That(set.Contains("a"), Is.True);
        Assert.That(set.Contains("/p/a"), Is.True);
        Assert.That(set.Contains("/p/ab"), Is.False);
        Assert.That(set.Contains("b"), Is.False);
        Assert.That(set.Remove("a"), Is.True);
        Assert.That(set.Count, Is.EqualTo(0));
    }

    [Test]
    public void ChildSet_AgreesWithADictionaryThroughGrowthAndRemovals()
    {
        // Open addressing with backward-shift removal: after any mix of adds and removes, every present name is
        // found, every absent one is not, and the count is right.
        var rnd = new Random(20261126);
        var set = new ChildSet(8);
        var reference = new Dictionary<string, DataNode>();
        for (int step = 0; step < 20_000; step++)
        {
            var name = "c" + rnd.Next(600);
            if (rnd.Next(3) == 0)
            {
                var removed = set.Remove((ReadOnlySpan<byte>)System.Text.Encoding.UTF8.GetBytes(name));
                Assert.That(removed, Is.SameAs(reference.GetValueOrDefault(name)), $"remove {name} at step {step}");
                reference.Remove(name);
            }
            else
            {
                var node = Leaf(name);
                Assert.That(set.Add(node), Is.EqualTo(reference.TryAdd(name, node)), $"add {name} at step {step}");
            }
        }
        Assert.That(set.Count, Is.EqualTo(reference.Count));
        for (int i = 0; i < 600; i++)
            Assert.That(set.Get("c" + i), Is.SameAs(reference.GetValueOrDefault("c" + i)), $"c{i}");
        Assert.That(set.Nodes, Is.EquivalentTo(reference.Values));
    }

    [Test]
    public void DataTree_LooksUpOnlyWellFormedPaths()
    {
        var tree = TreeWith("/a", "/a/b");
        Assert.That(tree.GetNode("/a/b")!.Name, Is.EqualTo("b"));
        Assert.That(tree.GetNode(""), Is.SameAs(tree.GetNode("/")));
        foreach (var bad in new[] { "a", "a/b", "/a/", "//a", "/a//b", "/a/b/", "/a/b/c", "/b", "/zookeeper/", "x" })
            Assert.That(tree.GetNode(bad), Is.Null, bad);
        Assert.That(tree.NodeCount, Is.EqualTo(7), "root (counted twice, as ZooKeeper does), /zookeeper, its two children, /a, /a/b");
        var rc = tree.ProcessTxn(new(1, 1, tree.LastProcessedZxid + 1, 0, OpCode.Delete), new DeleteTxn("/a/b"));
        Assert.That(rc.Err, Is.EqualTo(KeeperErrorCode.Ok));
        Assert.That(tree.GetNode("/a/b"), Is.Null);
        Assert.That(tree.NodeCount, Is.EqualTo(6));
        Assert.That(tree.Nodes.Select(kv => kv.Key), Is.EquivalentTo(new[] { "/", "/zookeeper", "/zookeeper/quota", "/zookeeper/config", "/a" }));
    }

    [Test]
    public void ChildSet_IteratesLikeJavaHashSetOfTheNames()
    {
        // Same names, same insertion order and removals as a plain name set: the orders must agree.
        var names = Enumerable.Range(0, 40).Select(i => $"n{i * 7919 % 1000}").Distinct().ToList();
        var byPath = new ChildSet(8);
        var byName = new JavaOrderedStringSet(8);
        foreach (var n in names) { byPath.Add(Leaf(n)); byName.Add(n); }
        foreach (var n in names.Where((_, i) => i % 3 == 0)) { byPath.Remove(n); byName.Remove(n); }
        Assert.That(byPath.NamesInJavaOrder(), Is.EqualTo(byName.JavaOrder()));
    }

    [Test]
    public void ChildSet_KeepsJavasOrderWhenItsInsertionNumbersRunOut()
    {
        // Names that share a bucket iterate in insertion order; renumbering at 2^31 - 1 must keep that order.
        var names = Enumerable.Range(0, 200).Select(i => $"c{i}").ToList();
        var set = new ChildSet(8);
        var reference = new JavaOrderedStringSet(8);
        set.SetNextSeqForTest(int.MaxValue - 100);
        foreach (var n in names) { set.Add(Leaf(n)); reference.Add(n); }
        foreach (var n in names.Where((_, i) => i % 5 == 0)) { set.Remove(n); reference.Remove(n); }
        Assert.That(set.NamesInJavaOrder(), Is.EqualTo(reference.JavaOrder()));
    }

    [Test]
    public void ChildSet_HandsOutTheChildNodesInJavaOrder()
    {
        var set = new ChildSet(8);
        var nodes = Enumerable.Range(0, 30).Select(i => $"k{i}").ToDictionary(p => p, Leaf);
        foreach (var node in nodes.Values) set.Add(node);
        var scratch = new ChildSet.JavaOrderEntry[set.Count];
        set.SortInJavaOrder(scratch);
        Assert.That(scratch.Select(e => e.Name), Is.EqualTo(set.NamesInJavaOrder()));
        Assert.That(scratch.Select(e => e.Node), Is.EqualTo(scratch.Select(e => nodes[e.Name])), "each name with its own node");
    }

    private static DataNode Leaf(string name) => new(name, [], Acl.OpenAclUnsafe, 1, 1, 0);

    /// <summary>A tree with the given paths created in order (zxids 1, 2, …), empty data and open ACLs.</summary>
    private static DataTree TreeWith(params string[] paths)
    {
        var tree = new DataTree();
        long zxid = 0;
        foreach (var path in paths)
            Assert.That(tree.ProcessTxn(new TxnHeader(1, 1, ++zxid, 0, OpCode.Create), new CreateTxn(path, [], Acl.OpenAclUnsafe, false, -1)).Err,
                Is.EqualTo(KeeperErrorCode.Ok), path);
        return tree;
    }

    [Test]
    public void DataTree_ChildrenOfRootAndDeeperNodes()
    {
        var tree = TreeWith("/x", "/x/y");
        Assert.That(tree.GetNode("/")!.ChildrenInZooKeeperOrder(), Is.EquivalentTo(new[] { "zookeeper", "x" }));
        Assert.That(tree.GetNode("/x")!.ChildrenInZooKeeperOrder(), Is.EqualTo(new[] { "y" }));
        Assert.That(tree.CountDescendants("/"), Is.EqualTo(5));
    }
}
