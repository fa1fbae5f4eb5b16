using System.Runtime.CompilerServices;
namespace Coord.Server.Data;

/// <summary>
/// Snapshot restore (used by Coord.Server.Persistence.DataTreeLoader), as ZooKeeper's DataTree.deserialize does it:
/// the tree is emptied, nodes are put back one by one in snapshot order (parents first) with their full persisted
/// state, each is added to its parent's child set in that order (which fixes later getChildren orders the way
/// ZooKeeper's do) and registered as ephemeral, container or TTL by its ephemeralOwner; finally quota statistics are
/// recomputed (DataTree.setupQuota). The tree digest and data-size accounting follow every node added. Only for a tree
/// no request has seen yet: nothing is watched, nothing fires.
/// </summary>
public sealed partial class DataTree
{
    /// <summary>Empties the tree (the nodes the constructor made included) before a snapshot is loaded.</summary>
    public void BeginRestore()
    {
        _root = null;
        _nodeCount = 0;
        Acls.Clear();
        _ephemerals.Clear();
        _containers.Clear();
        _ttls.Clear();
        _quotaPaths.Clear();
        _digestLog.Clear();
        ApproximateDataSize = 0;
        TreeDigest = 0;
        _restoreParentPath = null;
        _restoreParent = null;
        _lastRestoredPath = null;
        _lastRestored = null;
        LastProcessedZxid = 0;
    }

    /// <summary>Adds one node read from a snapshot and returns it. The root comes first (as "" or "/"); every other
    /// node's parent must already be present.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public DataNode RestoreNode(string path, byte[]? data, IReadOnlyList<Coord.Protocol.Records.Acl> acl, in Coord.Protocol.Records.StatPersisted stat)
    {
        if (path.Length == 0) path = RootPath;
        DataNode node;
        if (path == RootPath)
        {
            if (_root is not null) throw new InvalidDataException($"node {path} restored twice");
            _root = node = DataNode.FromPersisted("", data, acl, stat);
        }
        else
        {
            var parent = RestoreParentOf(path);
            node = DataNode.FromPersisted(ChildSet.NameOf(path), data, acl, stat);
            if (!parent.AddChild(node)) throw new InvalidDataException($"node {path} restored twice");
            ApproximateDataSize += path.Length + node.DataLength;
        }
        _nodeCount++;
        node.Acl = Acls.Acquire(node.Acl);
        DigestAdd(path, node);
        long owner = node.EphemeralOwner;
        if (Coord.Protocol.EphemeralType.IsContainer(owner)) _containers.Add(path);
        else if (Coord.Protocol.EphemeralType.IsTtl(owner)) _ttls.Add(path);
        else if (owner != 0)
        {
            if (!_ephemerals.TryGetValue(owner, out var set)) _ephemerals[owner] = set = new JavaOrderedStringSet(JavaEphemeralSetInitialCapacity);
            set.Add(path);
        }
        _lastRestoredPath = path;
        _lastRestored = node;
        return node;
    }

    // A snapshot lists a parent's children one after another (pre-order), so the last parent found is almost always
    // the next one too, and otherwise it is most often the node just restored (a parent's first child follows it):
    // comparing against those two saves a walk from the root and a parent-path string per node.
    private string? _restoreParentPath;
    private DataNode? _restoreParent;
    private string? _lastRestoredPath;
    private DataNode? _lastRestored;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private DataNode RestoreParentOf(string path)
    {
        int slash = path.LastIndexOf('/');
        var parentPath = slash == 0 ? RootPath.AsSpan() : path.AsSpan(0, Math.Max(slash, 0));
        if (_restoreParent is not null && parentPath.SequenceEqual(_restoreParentPath)) return _restoreParent;
        if (_lastRestored is not null && parentPath.SequenceEqual(_lastRestoredPath))
        {
            _restoreParentPath = _lastRestoredPath;
            return _restoreParent = _lastRestored;
        }
        var parent = slash < 0 ? null : GetNode(parentPath);
        if (parent is null) throw new InvalidDataException($"Invalid Datatree, unable to find parent {parentPath} of path {path}");
        _restoreParentPath = parentPath.ToString();
        _restoreParent = parent;
        return parent;
    }

    /// <summary>Ends a restore: registers every quota (a leaf zookeeper_limits node under /zookeeper/quota), recomputes
    /// its zookeeper_stats from the tree, and records <paramref name="zxid"/> as the last txn applied.</summary>
    public void EndRestore(long zxid)
    {
        // Only the quota subtree can hold limit nodes: walking it, not the whole node map, saves a pass over every
        // node of a large tree (~60 ms of a 1M-znode restart).
        const string limitSuffix = "/" + QuotaLimitNode;
        var pending = new Stack<(string, DataNode)>();
        if (GetNode(QuotaZookeeper) is { } quotaRoot) pending.Push((QuotaZookeeper, quotaRoot));
        while (pending.Count > 0)
        {
            var (path, node) = pending.Pop();
            if (node.ChildCount == 0 && path.StartsWith(QuotaZookeeper + "/", StringComparison.Ordinal) && path.EndsWith(limitSuffix, StringComparison.Ordinal))
                _quotaPaths.Add(TrimQuotaPath(path[..^limitSuffix.Length]));
            foreach (var child in node.Children) pending.Push((PathComposer.Child(path, child.Name), child));
        }
        foreach (var quotaPath in _quotaPaths) UpdateQuotaForPath(quotaPath);
        LastProcessedZxid = zxid;
        _restoreParentPath = null;
        _restoreParent = null;
        _lastRestoredPath = null;
        _lastRestored = null;
    }
}
