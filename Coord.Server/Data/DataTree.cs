using Coord.Protocol;
using Coord.Protocol.Records;
using Coord.Server.Watches;

namespace Coord.Server.Data;

/// <summary>
/// The in-memory znode tree. <see cref="ProcessTxn"/> is its only mutator: every change arrives as a committed txn,
/// in zxid order, so replaying the same txns on any replica yields the same tree. Reads go straight to the nodes.
/// Watches are fired from here, while the txn is applied, so a client's watch event is queued before the reply to
/// the write that caused it and before any later read reply (ZooKeeper's ordering guarantee).
/// Single-threaded: only the request-processing thread touches it.
/// </summary>
public sealed partial class DataTree
{
    public const string RootPath = "/";
    public const string ProcZookeeper = "/zookeeper";
    public const string QuotaZookeeper = "/zookeeper/quota";
    public const string ConfigZookeeper = "/zookeeper/config";

    /// <summary>There is no path → node map (ZooKeeper's NodeHashMap): a lookup walks from the root through the
    /// child sets, one hash probe per path component, and a node costs no map entry (~40 B with the map's slack,
    /// about a tenth of a 100-byte znode's memory).</summary>
    private DataNode? _root;
    /// <summary>Nodes in the tree, the root included.</summary>
    private int _nodeCount;
    /// <summary>ZooKeeper keeps each session's ephemerals in a new HashSet&lt;String&gt;() (capacity 16).</summary>
    private const int JavaEphemeralSetInitialCapacity = 16;
    private readonly Dictionary<long, JavaOrderedStringSet> _ephemerals = [];
    private readonly HashSet<string> _containers = new(StringComparer.Ordinal);
    private readonly HashSet<string> _ttls = new(StringComparer.Ordinal);

    /// <summary>The distinct ACL lists of the nodes, shared among them.</summary>
    public AclCache Acls { get; } = new();

    public WatchManager DataWatches { get; } = new();
    public WatchManager ChildWatches { get; } = new();

    /// <summary>Zxid of the last txn applied.</summary>
    public long LastProcessedZxid { get; private set; }

    /// <summary>Sum of path lengths and data lengths (ZooKeeper's approximateDataSize, for mntr).</summary>
    public long ApproximateDataSize { get; private set; }

    public DataTree()
    {
        var root = new DataNode("", [], Acls.Acquire(Acl.OpenAclUnsafe), 0, 0, 0);
        _root = root;
        _nodeCount = 1;
        DigestAdd(RootPath, root);
        AddSystemNode(ProcZookeeper, Acl.OpenAclUnsafe);
        AddSystemNode(QuotaZookeeper, Acl.OpenAclUnsafe);
        AddSystemNode(ConfigZookeeper, Acl.ReadAclUnsafe);
        // ZooKeeper creates /zookeeper/config with aversion -1 (DataTree.addConfigNode).
        GetNode(ConfigZookeeper)!.Aversion = -1;
    }

    private void AddSystemNode(string path, IReadOnlyList<Acl> acl)
    {
        var node = new DataNode(PathUtils.Name(path), [], Acls.Acquire(acl), 0, 0, 0);
        GetNode(PathUtils.Parent(path))!.AddChild(node);
        _nodeCount++;
        DigestAdd(path, node);
        ApproximateDataSize += path.Length;
    }

    /// <summary>Node count as ZooKeeper reports it (srvr, mntr): its map holds the root twice, under "" and "/".</summary>
    public int NodeCount => _nodeCount + 1;
    public IReadOnlyDictionary<long, JavaOrderedStringSet> Ephemerals => _ephemerals;
    public IReadOnlyCollection<string> Containers => _containers;
    public IReadOnlyCollection<string> Ttls => _ttls;

    /// <summary>Looks a node up; "" is an alias of the root, as in ZooKeeper.</summary>
    public DataNode? GetNode(string path) => GetNode(path.AsSpan());

    /// <summary>Paths up to this many UTF-16 code units are transcoded to UTF-8 on the stack for a lookup.</summary>
    private const int StackPathChars = 256;

    /// <summary>Transcodes the path to UTF-8 once (names are stored as UTF-8) and walks it.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    [System.Runtime.CompilerServices.SkipLocalsInit]
    public DataNode? GetNode(ReadOnlySpan<char> path)
    {
        Span<byte> buffer = stackalloc byte[StackPathChars * 3];
        return GetNodeUtf8(Utf8Of(path, buffer));
    }

    /// <summary>The path as UTF-8: in <paramref name="stackBuffer"/> (StackPathChars × 3 bytes) when it fits, else in a
    /// new array.</summary>
    private static ReadOnlySpan<byte> Utf8Of(ReadOnlySpan<char> path, Span<byte> stackBuffer) =>
        path.Length <= StackPathChars
            ? stackBuffer[..System.Text.Encoding.UTF8.GetBytes(path, stackBuffer)]
            : System.Text.Encoding.UTF8.GetBytes(path.ToArray());

    /// <summary>The parent of a UTF-8 path ("/a/b" → "/a"; "/a" and anything without a '/' → the root) and the last
    /// component, so a create or delete transcodes its path once for both lookups and the new node's name.</summary>
    private DataNode? ParentOf(ReadOnlySpan<byte> pathUtf8, out ReadOnlySpan<byte> name)
    {
        int slash = pathUtf8.LastIndexOf((byte)'/');
        name = pathUtf8[(slash + 1)..];
        return slash <= 0 ? _root : GetNodeUtf8(pathUtf8[..slash]);
    }

    /// <summary>Walks from the root one component at a time. Anything that is not a well-formed absolute path (no
    /// leading '/', an empty component, a trailing '/') names no node, as it names no key in ZooKeeper's map.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public DataNode? GetNodeUtf8(ReadOnlySpan<byte> path)
    {
        var node = _root;
        if (path.Length <= 1) return path.Length == 0 || path[0] == (byte)'/' ? node : null;
        if (path[0] != (byte)'/') return null;
        path = path[1..];
        while (node is not null)
        {
            int slash = path.IndexOf((byte)'/');
            if (slash < 0) return node.GetChild(path);
            node = node.GetChild(path[..slash]);
            path = path[(slash + 1)..];
        }
        return null;
    }

    public static bool IsSpecialPath(string path) =>
        path is RootPath or ProcZookeeper or QuotaZookeeper or ConfigZookeeper;

    /// <summary>A session's ephemerals in the order ZooKeeper's getEphemerals hands out (a clone of its HashSet).</summary>
    public List<string> GetEphemerals(long sessionId) =>
        _ephemerals.TryGetValue(sessionId, out var set) ? JavaHashOrder.AsCopied(set.JavaOrder()) : [];

    /// <summary>Descendants of a node, not counting the node itself (getAllChildrenNumber).</summary>
    public int CountDescendants(string path)
    {
        var node = GetNode(path);
        if (node is null) return 0;
        int total = 0;
        var stack = new Stack<DataNode>();
        stack.Push(node);
        while (stack.Count > 0)
        {
            foreach (var child in stack.Pop().Children)
            {
                total++;
                if (child.ChildCount > 0) stack.Push(child);
            }
        }
        return total;
    }

    public ProcessTxnResult ProcessTxn(in TxnHeader hdr, ITxnRecord? txn)
    {
        var rc = new ProcessTxnResult { ClientId = hdr.ClientId, Cxid = hdr.Cxid, Zxid = hdr.Zxid, Type = hdr.Type };
        try
        {
            Apply(hdr, hdr.Type, txn, rc);
        }
        catch (KeeperException e)
        {
            rc.Err = e.Code;
        }
        if (hdr.Zxid > LastProcessedZxid) LastProcessedZxid = hdr.Zxid;
        LogDigest(hdr.Zxid);
        return rc;
    }

    private void Apply(in TxnHeader hdr, int type, ITxnRecord? txn, ProcessTxnResult rc)
    {
        switch (type)
        {
            case OpCode.Create:
            case OpCode.Create2:
            {
                var t = (CreateTxn)txn!;
                rc.Path = t.Path;
                rc.Stat = CreateNode(t.Path, t.Data, t.AclList, t.Ephemeral ? hdr.ClientId : 0, t.ParentCVersion, hdr.Zxid, hdr.Time);
                break;
            }
            case OpCode.CreateContainer:
            {
                var t = (CreateContainerTxn)txn!;
                rc.Path = t.Path;
                rc.Stat = CreateNode(t.Path, t.Data, t.AclList, EphemeralType.ContainerOwner, t.ParentCVersion, hdr.Zxid, hdr.Time);
                break;
            }
            case OpCode.CreateTtl:
            {
                var t = (CreateTtlTxn)txn!;
                rc.Path = t.Path;
                rc.Stat = CreateNode(t.Path, t.Data, t.AclList, EphemeralType.EncodeTtl(t.Ttl), t.ParentCVersion, hdr.Zxid, hdr.Time);
                break;
            }
            case OpCode.Delete:
            case OpCode.DeleteContainer:
            {
                var t = (DeleteTxn)txn!;
                rc.Path = t.Path;
                DeleteNode(t.Path, hdr.Zxid);
                break;
            }
            case OpCode.SetData:
            {
                var t = (SetDataTxn)txn!;
                rc.Path = t.Path;
                rc.Stat = SetData(t.Path, t.Data, t.Version, hdr.Zxid, hdr.Time);
                break;
            }
            case OpCode.SetAcl:
            {
                var t = (SetAclTxn)txn!;
                rc.Path = t.Path;
                rc.Stat = SetAcl(t.Path, t.AclList, t.Version);
                break;
            }
            case OpCode.CloseSession:
            {
                var t = txn as CloseSessionTxn;
                KillSession(hdr.ClientId, hdr.Zxid, t?.Paths2Delete);
                break;
            }
            case OpCode.Error:
                rc.Err = (KeeperErrorCode)((ErrorTxn)txn!).Err;
                break;
            case OpCode.Check:
            {
                var t = (CheckVersionTxn)txn!;
                rc.Path = t.Path;
                break;
            }
            case OpCode.Multi:
                ApplyMulti(hdr, (MultiTxn)txn!, rc);
                break;
            case OpCode.CreateSession:
                break;
        }
    }

    /// <summary>
    /// A multi is all-or-nothing: if any sub-txn is an error txn, nothing is applied and the results are
    /// OK (0) for ops before the failing one, its own code for it, and RuntimeInconsistency after it
    /// (DataTree.processTxn, case multi).
    /// </summary>
    private void ApplyMulti(in TxnHeader hdr, MultiTxn multi, ProcessTxnResult rc)
    {
        rc.MultiResult = new List<OpResult>(multi.Txns.Count);
        bool failed = false;
        foreach (var (type, _) in multi.Txns) if (type == OpCode.Error) { failed = true; break; }
        bool postFailed = false;
        foreach (var (type, rec) in multi.Txns)
        {
            if (failed)
            {
                int ec;
                if (type == OpCode.Error) { ec = ((ErrorTxn)rec).Err; postFailed = true; }
                else ec = postFailed ? (int)KeeperErrorCode.RuntimeInconsistency : (int)KeeperErrorCode.Ok;
                rc.MultiResult.Add(new OpResult { Type = OpCode.Error, Err = ec });
                continue;
            }
            var sub = new ProcessTxnResult { ClientId = hdr.ClientId, Cxid = hdr.Cxid, Zxid = hdr.Zxid, Type = type };
            Apply(hdr, type, rec, sub);
            rc.MultiResult.Add(type switch
            {
                // ZooKeeper 3.8 reports a create2 inside a multi as a plain create result (path only).
                OpCode.Create or OpCode.Create2 => new OpResult { Type = OpCode.Create, Path = sub.Path },
                OpCode.CreateTtl or OpCode.CreateContainer => new OpResult { Type = OpCode.Create2, Path = sub.Path, Stat = sub.Stat },
                OpCode.SetData => new OpResult { Type = OpCode.SetData, Stat = sub.Stat },
                _ => new OpResult { Type = type },
            });
        }
    }

    [System.Runtime.CompilerServices.SkipLocalsInit]
    private Stat CreateNode(string path, byte[]? data, IReadOnlyList<Acl> acl, long ephemeralOwner, int parentCVersion, long zxid, long time)
    {
        Span<byte> buffer = stackalloc byte[StackPathChars * 3];
        var parent = ParentOf(Utf8Of(path, buffer), out var nameUtf8) ?? throw new KeeperException(KeeperErrorCode.NoNode, path);
        if (nameUtf8.IsEmpty || parent.GetChild(nameUtf8) is not null) throw new KeeperException(KeeperErrorCode.NodeExists, path);
        string parentPath = PathUtils.Parent(path);
        if (parentCVersion == -1) parentCVersion = parent.Cversion + 1;
        BeforeChange(parent);
        DigestRemove(parentPath, parent);
        // A create replayed over a fuzzy snapshot may carry an older cversion; only move it forward.
        if (parentCVersion > parent.Cversion)
        {
            parent.Cversion = parentCVersion;
            parent.Pzxid = zxid;
        }
        var node = DataNode.Create(nameUtf8, data, Acls.Acquire(acl), zxid, time, ephemeralOwner);
        parent.AddChild(node);
        _nodeCount++;
        DigestAdd(parentPath, parent);
        DigestAdd(path, node);
        ApproximateDataSize += path.Length + (data?.Length ?? 0);
        if (EphemeralType.IsContainer(ephemeralOwner)) _containers.Add(path);
        else if (EphemeralType.IsTtl(ephemeralOwner)) _ttls.Add(path);
        else if (ephemeralOwner != 0)
        {
            if (!_ephemerals.TryGetValue(ephemeralOwner, out var set)) _ephemerals[ephemeralOwner] = set = new JavaOrderedStringSet(JavaEphemeralSetInitialCapacity);
            set.Add(path);
        }
        OnQuotaCreate(path, parentPath, ChildSet.NameOf(path), data?.Length ?? 0);
        var stat = node.ToStat();
        DataWatches.Trigger(path, EventType.NodeCreated, acl);
        ChildWatches.Trigger(parentPath, EventType.NodeChildrenChanged, parent.Acl);
        return stat;
    }

    [System.Runtime.CompilerServices.SkipLocalsInit]
    private void DeleteNode(string path, long zxid)
    {
        Span<byte> buffer = stackalloc byte[StackPathChars * 3];
        var parent = ParentOf(Utf8Of(path, buffer), out var nameUtf8);
        var node = parent?.GetChild(nameUtf8) ?? throw new KeeperException(KeeperErrorCode.NoNode, path);
        var name = ChildSet.NameOf(path);
        string parentPath = PathUtils.Parent(path);
        BeforeChange(parent);
        DigestRemove(path, node);
        DigestRemove(parentPath, parent);
        parent.RemoveChild(nameUtf8);
        _nodeCount--;
        Acls.Release(node.Acl);
        if (zxid > parent.Pzxid) parent.Pzxid = zxid;
        DigestAdd(parentPath, parent);
        ApproximateDataSize -= path.Length + node.DataLength;
        long owner = node.EphemeralOwner;
        if (EphemeralType.IsContainer(owner)) _containers.Remove(path);
        else if (EphemeralType.IsTtl(owner)) _ttls.Remove(path);
        else if (owner != 0 && _ephemerals.TryGetValue(owner, out var set))
        {
            set.Remove(path);
        }
        OnQuotaDelete(path, parentPath, name, node.DataLength);
        var processed = DataWatches.Trigger(path, EventType.NodeDeleted, node.Acl);
        ChildWatches.Trigger(path, EventType.NodeDeleted, node.Acl, processed);
        ChildWatches.Trigger(parentPath, EventType.NodeChildrenChanged, parent.Acl);
    }

    private Stat SetData(string path, byte[]? data, int version, long zxid, long time)
    {
        var node = GetNode(path) ?? throw new KeeperException(KeeperErrorCode.NoNode, path);
        ApproximateDataSize += (data?.Length ?? 0) - node.DataLength;
        OnQuotaSetData(path, node.DataLength, data?.Length ?? 0);
        BeforeChange(node);
        DigestRemove(path, node);
        node.SetData(data);
        node.Version = version;
        node.Mzxid = zxid;
        node.Mtime = time;
        DigestAdd(path, node);
        var stat = node.ToStat();
        DataWatches.Trigger(path, EventType.NodeDataChanged, node.Acl);
        return stat;
    }

    private Stat SetAcl(string path, IReadOnlyList<Acl> acl, int version)
    {
        var node = GetNode(path) ?? throw new KeeperException(KeeperErrorCode.NoNode, path);
        BeforeChange(node);
        DigestRemove(path, node);
        var shared = Acls.Acquire(acl);
        Acls.Release(node.Acl);
        node.Acl = shared;
        node.Aversion = version;
        DigestAdd(path, node);
        return node.ToStat();
    }

    private void KillSession(long sessionId, long zxid, IReadOnlyList<string>? paths)
    {
        // ZooKeeper deletes the paths listed in the CloseSessionTxn, in that order; an old-format txn without the
        // list falls back to the session's current ephemerals.
        IReadOnlyList<string> toDelete = paths is { Count: > 0 } ? paths : GetEphemerals(sessionId);
        foreach (var p in toDelete)
        {
            try { DeleteNode(p, zxid); }
            catch (KeeperException) { /* already gone: nothing to do, as in DataTree.killSession */ }
        }
        _ephemerals.Remove(sessionId);
    }

    // ---- Watch registration for reads (DataTree.getData/statNode/getChildren) ----

    public void AddDataWatch(string path, IWatcher w) => DataWatches.AddWatch(NormalizeWatchPath(path), w);
    public void AddChildWatch(string path, IWatcher w) => ChildWatches.AddWatch(NormalizeWatchPath(path), w);

    /// <summary>addWatch: a persistent or recursive watch goes into both tables, replacing any one-shot watch of
    /// the same client on that path (3.8 keeps one mode per client and path). A recursive watch in the child table
    /// never fires NodeChildrenChanged, which is how 3.8 behaves.</summary>
    public void AddPersistentWatch(string path, IWatcher w, bool recursive)
    {
        path = NormalizeWatchPath(path);
        var mode = recursive ? WatcherMode.PersistentRecursive : WatcherMode.Persistent;
        DataWatches.AddWatch(path, w, mode);
        ChildWatches.AddWatch(path, w, mode);
    }

    private static string NormalizeWatchPath(string path) => path.Length == 0 ? RootPath : path;

    public void RemoveWatcher(IWatcher w)
    {
        DataWatches.RemoveWatcher(w);
        ChildWatches.RemoveWatcher(w);
    }

    /// <summary>setWatches on reconnect: re-arms each watch, or fires at once for changes after relativeZxid
    /// (DataTree.setWatches). Exist watches on nodes that now exist fire NodeCreated.</summary>
    /// <summary>Re-registers a reconnecting client's watches, firing those whose event it missed. False when the request
    /// stops early (<see cref="SetWatchesRequest.StopAt"/>): what comes before that point is done, as in ZooKeeper,
    /// and the caller answers MarshallingError.</summary>
    public bool SetWatches(long relativeZxid, SetWatchesRequest req, IWatcher w)
    {
        var (stopList, stopIndex) = req.StopAt ?? (int.MaxValue, 0);
        int Count(int list, List<string> paths) => list < stopList ? paths.Count : list == stopList ? stopIndex : 0;
        for (int i = 0, n = Count(0, req.DataWatches); i < n; i++)
        {
            var path = req.DataWatches[i];
            var node = GetNode(path);
            if (node is null) w.Process(EventType.NodeDeleted, path, null);
            else if (node.Mzxid > relativeZxid) w.Process(EventType.NodeDataChanged, path, null);
            else DataWatches.AddWatch(path, w);
        }
        for (int i = 0, n = Count(1, req.ExistWatches); i < n; i++)
        {
            var path = req.ExistWatches[i];
            if (GetNode(path) is not null) w.Process(EventType.NodeCreated, path, null);
            else DataWatches.AddWatch(path, w);
        }
        for (int i = 0, n = Count(2, req.ChildWatches); i < n; i++)
        {
            var path = req.ChildWatches[i];
            var node = GetNode(path);
            if (node is null) w.Process(EventType.NodeDeleted, path, null);
            else if (node.Pzxid > relativeZxid) w.Process(EventType.NodeChildrenChanged, path, null);
            else ChildWatches.AddWatch(path, w);
        }
        for (int i = 0, n = Count(3, req.PersistentWatches); i < n; i++)
        {
            ChildWatches.AddWatch(req.PersistentWatches[i], w, WatcherMode.Persistent);
            DataWatches.AddWatch(req.PersistentWatches[i], w, WatcherMode.Persistent);
        }
        for (int i = 0, n = Count(4, req.PersistentRecursiveWatches); i < n; i++)
        {
            ChildWatches.AddWatch(req.PersistentRecursiveWatches[i], w, WatcherMode.PersistentRecursive);
            DataWatches.AddWatch(req.PersistentRecursiveWatches[i], w, WatcherMode.PersistentRecursive);
        }
        return req.StopAt is null;
    }

    /// <summary>All nodes by path, in no particular order (tools, tests, ACL numbering).</summary>
    public IEnumerable<KeyValuePair<string, DataNode>> Nodes
    {
        get
        {
            if (_root is null) yield break;
            var stack = new Stack<(string, DataNode)>();
            stack.Push((RootPath, _root));
            while (stack.Count > 0)
            {
                var (path, node) = stack.Pop();
                yield return new(path, node);
                foreach (var child in node.Children) stack.Push((PathComposer.Child(path, child.Name), child));
            }
        }
    }
}
