namespace Coord.Server.Data;

/// <summary>
/// Snapshot order and the copy-on-change view the server writes snapshots from (<see cref="TreeSnapshot"/>). Every
/// change to an existing node's persisted state goes through <see cref="BeforeChange"/> first.
/// </summary>
public sealed partial class DataTree
{
    private TreeSnapshot? _snapshotView;

    /// <summary>The nodes in snapshot order: pre-order depth-first from the root ("/"), children in ZooKeeper's order
    /// (DataTree.serializeNode), without recursion so deep chains cannot overflow the stack.</summary>
    public IEnumerable<(string Path, DataNode Node)> NodesInSnapshotOrder()
    {
        if (_root is null) yield break;
        var scratch = new ChildSet.JavaOrderEntry[64];
        var stack = new Stack<(string, DataNode)>();
        stack.Push((RootPath, _root));
        while (stack.Count > 0)
        {
            var (path, node) = stack.Pop();
            yield return (path, node);
            int n = node.SortChildrenInZooKeeperOrder(ref scratch);
            for (int c = n - 1; c >= 0; c--) stack.Push((PathComposer.Child(path, scratch[c].Name), scratch[c].Node));
        }
    }

    /// <summary>Takes a view of the tree as it is now, for another thread to read while txns go on; the reader must
    /// call <see cref="TreeSnapshot.Complete"/> when done. One view at a time.</summary>
    public TreeSnapshot TakeSnapshotView()
    {
        if (_snapshotView is { IsComplete: false }) throw new InvalidOperationException("a snapshot view is still being read");
        // The same walk as NodesInSnapshotOrder, written out: this runs on the tree thread while requests wait, so it
        // allocates only the result arrays (one sort buffer is reused across parents) and makes no path strings: the
        // writer rebuilds each path from the depths (PathComposer).
        var nodes = new DataNode[_nodeCount];
        var depths = new int[_nodeCount];
        int i = 0;
        var scratch = new ChildSet.JavaOrderEntry[64];
        var stack = new Stack<(DataNode, int)>();
        if (_root is not null) stack.Push((_root, 0));
        while (stack.Count > 0 && i < nodes.Length)
        {
            var (node, depth) = stack.Pop();
            nodes[i] = node;
            depths[i++] = depth;
            int n = node.SortChildrenInZooKeeperOrder(ref scratch);
            for (int c = n - 1; c >= 0; c--) stack.Push((scratch[c].Node, depth + 1));
        }
        if (i < nodes.Length)
        {
            Array.Resize(ref nodes, i);
            Array.Resize(ref depths, i);
        }
        _snapshotView = new TreeSnapshot(nodes, depths, AclListsForSnapshot(), LastProcessedZxid, TreeDigest);
        return _snapshotView;
    }

    /// <summary>The ACL lists a snapshot of the tree as it is now numbers, found from the ACL cache instead of a pass
    /// over every node (which cost a quarter of a 1M-znode snapshot write): every list some znode uses, except
    /// OPEN_ACL_UNSAFE when only the root, /zookeeper and /zookeeper/quota use it, since a snapshot gives those three
    /// the id -1 for it. Every node holds its cache's shared instance, so the cache's lists are exactly the nodes'.</summary>
    internal List<IReadOnlyList<Coord.Protocol.Records.Acl>> AclListsForSnapshot()
    {
        var lists = new List<IReadOnlyList<Coord.Protocol.Records.Acl>>(Acls.Count);
        foreach (var (list, users) in Acls.InUse)
        {
            int systemUsers = 0;
            if (AclListComparer.Instance.Equals(list, Coord.Protocol.Records.Acl.OpenAclUnsafe))
            {
                foreach (var path in (ReadOnlySpan<string>)[RootPath, ProcZookeeper, QuotaZookeeper])
                    if (ReferenceEquals(GetNode(path)?.Acl, list)) systemUsers++;
            }
            if (users > systemUsers) lists.Add(list);
        }
        return lists;
    }

    private void BeforeChange(DataNode node)
    {
        var view = _snapshotView;
        if (view is null) return;
        if (view.IsComplete) _snapshotView = null;
        else view.Preserve(node);
    }
}
