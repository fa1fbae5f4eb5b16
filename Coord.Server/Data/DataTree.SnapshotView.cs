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
        if (!_nodes.TryGetValue(RootPath, out var root)) yield break;
        var stack = new Stack<(string, DataNode)>();
        stack.Push((RootPath, root));
        while (stack.Count > 0)
        {
            var (path, node) = stack.Pop();
            yield return (path, node);
            if (node.ChildCount == 0) continue;
            var children = node.ChildPathsInZooKeeperOrder();
            for (int i = children.Length - 1; i >= 0; i--)
                if (_nodes.TryGetValue(children[i], out var child)) stack.Push((children[i], child));
        }
    }

    /// <summary>Takes a view of the tree as it is now, for another thread to read while txns go on; the reader must
    /// call <see cref="TreeSnapshot.Complete"/> when done. One view at a time.</summary>
    public TreeSnapshot TakeSnapshotView()
    {
        if (_snapshotView is { IsComplete: false }) throw new InvalidOperationException("a snapshot view is still being read");
        // The same walk as NodesInSnapshotOrder, written out: this runs on the tree thread while requests wait, so it
        // allocates only the two result arrays (one sort buffer is reused across parents).
        var paths = new string[_nodes.Count];
        var nodes = new DataNode[_nodes.Count];
        int i = 0;
        var scratch = new ChildSet.JavaOrderEntry[64];
        var stack = new Stack<(string, DataNode)>();
        if (_nodes.TryGetValue(RootPath, out var root)) stack.Push((RootPath, root));
        while (stack.Count > 0 && i < paths.Length)
        {
            var (path, node) = stack.Pop();
            paths[i] = path;
            nodes[i++] = node;
            int n = node.SortChildrenInZooKeeperOrder(ref scratch);
            for (int c = n - 1; c >= 0; c--) stack.Push((scratch[c].Path, scratch[c].Node));
        }
        if (i < paths.Length)
        {
            Array.Resize(ref paths, i);
            Array.Resize(ref nodes, i);
        }
        _snapshotView = new TreeSnapshot(paths, nodes, LastProcessedZxid, TreeDigest);
        return _snapshotView;
    }

    private void BeforeChange(DataNode node)
    {
        var view = _snapshotView;
        if (view is null) return;
        if (view.IsComplete) _snapshotView = null;
        else view.Preserve(node);
    }
}
