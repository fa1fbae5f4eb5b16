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
        _restoreParent = null;
        LastProcessedZxid = 0;
    }

    /// <summary>Adds one node read from a snapshot. The root comes first (as "" or "/"); every other node's parent
    /// must already be present.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void RestoreNode(string path, DataNode node)
    {
        if (path.Length == 0) path = RootPath;
        node.Path = path;
        if (path == RootPath)
        {
            if (_root is not null) throw new InvalidDataException($"node {path} restored twice");
            _root = node;
        }
        else
        {
            if (!RestoreParentOf(path).AddChild(node)) throw new InvalidDataException($"node {path} restored twice");
            ApproximateDataSize += path.Length + (node.Data?.Length ?? 0);
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
    }

    // A snapshot lists a parent's children one after another (pre-order), so the last parent found is almost always
    // the next one too: comparing against it saves a walk from the root per node.
    private DataNode? _restoreParent;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private DataNode RestoreParentOf(string path)
    {
        int slash = path.LastIndexOf('/');
        var parentPath = slash == 0 ? RootPath.AsSpan() : path.AsSpan(0, Math.Max(slash, 0));
        if (_restoreParent is not null && parentPath.SequenceEqual(_restoreParent.Path)) return _restoreParent;
        var parent = slash < 0 ? null : GetNode(parentPath);
        if (parent is null) throw new InvalidDataException($"Invalid Datatree, unable to find parent {parentPath} of path {path}");
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
        var pending = new Stack<DataNode>();
        if (GetNode(QuotaZookeeper) is { } quotaRoot) pending.Push(quotaRoot);
        while (pending.Count > 0)
        {
            var node = pending.Pop();
            var path = node.Path;
            if (node.ChildCount == 0 && path.StartsWith(QuotaZookeeper + "/", StringComparison.Ordinal) && path.EndsWith(limitSuffix, StringComparison.Ordinal))
                _quotaPaths.Add(TrimQuotaPath(path[..^limitSuffix.Length]));
            foreach (var child in node.Children) pending.Push(child);
        }
        foreach (var quotaPath in _quotaPaths) UpdateQuotaForPath(quotaPath);
        LastProcessedZxid = zxid;
        _restoreParent = null;
    }
}
