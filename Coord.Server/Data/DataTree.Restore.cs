using System.Runtime.CompilerServices;
using System.Text;
using Coord.Protocol.Records;
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
        _restoreParentPath.Clear();
        _restoreParent = null;
        _lastRestoredPath.Clear();
        _lastRestored = null;
        LastProcessedZxid = 0;
    }

    /// <summary>Adds one node read from a snapshot and returns it. The root comes first (as "" or "/"); every other
    /// node's parent must already be present.</summary>
    public DataNode RestoreNode(string path, byte[]? data, IReadOnlyList<Acl> acl, in StatPersisted stat) =>
        RestoreNode(Encoding.UTF8.GetBytes(path), data, data is null, acl, stat);

    /// <summary>As <see cref="RestoreNode(string, byte[], IReadOnlyList{Acl}, in StatPersisted)"/>, with the path as
    /// the UTF-8 the file holds and the data as a span (both copied): a load makes no path string and no data array
    /// per node, only the node and its payload.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public DataNode RestoreNode(ReadOnlySpan<byte> pathUtf8, ReadOnlySpan<byte> data, bool dataIsNull, IReadOnlyList<Acl> acl, in StatPersisted stat)
    {
        if (pathUtf8.SequenceEqual("/"u8)) pathUtf8 = [];
        DataNode node;
        if (pathUtf8.IsEmpty)
        {
            if (_root is not null) throw new InvalidDataException($"node {RootPath} restored twice");
            _root = node = DataNode.FromPersisted([], data, dataIsNull, acl, stat);
        }
        else
        {
            var parent = RestoreParentOf(pathUtf8, out var name);
            node = DataNode.FromPersisted(name, data, dataIsNull, acl, stat);
            if (!parent.AddChild(node)) throw new InvalidDataException($"node {Encoding.UTF8.GetString(pathUtf8)} restored twice");
            // ZooKeeper counts the path in UTF-16 code units (String.length()).
            int pathChars = Ascii.IsValid(pathUtf8) ? pathUtf8.Length : Encoding.UTF8.GetCharCount(pathUtf8);
            ApproximateDataSize += pathChars + node.DataLength;
        }
        _nodeCount++;
        node.Acl = Acls.Acquire(node.Acl);
        TreeDigest += NodeDigest(pathUtf8, node);
        long owner = node.EphemeralOwner;
        if (owner != 0)
        {
            var path = pathUtf8.IsEmpty ? RootPath : Encoding.UTF8.GetString(pathUtf8);
            if (Coord.Protocol.EphemeralType.IsContainer(owner)) _containers.Add(path);
            else if (Coord.Protocol.EphemeralType.IsTtl(owner)) _ttls.Add(path);
            else
            {
                if (!_ephemerals.TryGetValue(owner, out var set)) _ephemerals[owner] = set = new JavaOrderedStringSet(JavaEphemeralSetInitialCapacity);
                set.Add(path);
            }
        }
        _lastRestoredPath.Set(pathUtf8);
        _lastRestored = node;
        return node;
    }

    // A snapshot lists a parent's children one after another (pre-order), so the last parent found is almost always
    // the next one too, and otherwise it is most often the node just restored (a parent's first child follows it):
    // comparing against those two saves a walk from the root per node. Their paths are kept as UTF-8 copies.
    private PathBytes _restoreParentPath;
    private DataNode? _restoreParent;
    private PathBytes _lastRestoredPath;
    private DataNode? _lastRestored;

    /// <summary>A reusable copy of a UTF-8 path.</summary>
    private struct PathBytes
    {
        private byte[]? _bytes;
        private int _length;

        public readonly ReadOnlySpan<byte> Span => _bytes.AsSpan(0, _length);

        public void Set(ReadOnlySpan<byte> path)
        {
            if (_bytes is null || _bytes.Length < path.Length) _bytes = new byte[Math.Max(path.Length, 256)];
            path.CopyTo(_bytes);
            _length = path.Length;
        }

        public void Clear() => (_bytes, _length) = (null, 0);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private DataNode RestoreParentOf(ReadOnlySpan<byte> pathUtf8, out ReadOnlySpan<byte> name)
    {
        int slash = pathUtf8.LastIndexOf((byte)'/');
        if (slash < 0) throw new InvalidDataException($"Invalid Datatree, unable to find parent of path {Encoding.UTF8.GetString(pathUtf8)}");
        name = pathUtf8[(slash + 1)..];
        // The root is "" in a snapshot, so "/a"'s parent path is "" too.
        var parentPath = pathUtf8[..slash];
        if (_restoreParent is not null && parentPath.SequenceEqual(_restoreParentPath.Span)) return _restoreParent;
        if (_lastRestored is not null && parentPath.SequenceEqual(_lastRestoredPath.Span))
        {
            _restoreParentPath.Set(parentPath);
            return _restoreParent = _lastRestored;
        }
        var parent = parentPath.IsEmpty ? _root : GetNodeUtf8(parentPath);
        if (parent is null)
            throw new InvalidDataException($"Invalid Datatree, unable to find parent {(parentPath.IsEmpty ? RootPath : Encoding.UTF8.GetString(parentPath))} of path {Encoding.UTF8.GetString(pathUtf8)}");
        _restoreParentPath.Set(parentPath);
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
        _restoreParentPath.Clear();
        _restoreParent = null;
        _lastRestoredPath.Clear();
        _lastRestored = null;
    }
}
