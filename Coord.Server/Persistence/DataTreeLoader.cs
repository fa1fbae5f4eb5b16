// Moves a DataTree in and out of ZooKeeper's snapshot format (grammar in FileSnap.cs):
//
//   Snapshot body = Sessions AclCache Node* "/"
//   Node          = ustring path ("" for the root), buffer data, long aclId, StatPersisted
//
// Writing walks the tree depth-first from the root, children in ZooKeeper's order (the parent's Java HashSet
// iteration order, DataTree.NodesInSnapshotOrder), exactly as DataTree.serializeNode does, without recursion so
// deep chains cannot overflow the stack. The server writes from a copy-on-change view of the tree (TreeSnapshot)
// on a background thread; the other writers run on the tree's thread. ACL lists are numbered 1..k by a canonical ordering of the distinct lists;
// the root, /zookeeper and /zookeeper/quota keep -1 (OPEN_ACL_UNSAFE) as in ZooKeeper. Sessions are written in the
// order a Java HashMap<Long,Integer> copy iterates them.
//
// The digest section is the tree's own (DataTree.TreeDigest, ZooKeeper's DigestCalculator v2) when the snapshot is
// taken at the tree's LastProcessedZxid, so ZooKeeper loading the file can check it; otherwise it is left empty.
//
// Loading rebuilds a fresh tree node by node in file order through DataTree.BeginRestore/RestoreNode/EndRestore, as
// DataTree.deserialize does: each node is added to its parent's child set in that order (which fixes later
// getChildren orders the way ZooKeeper's do) and registered as ephemeral, container or TTL by its ephemeralOwner.
// LoadFile streams: each node goes into the tree as it is decoded (TreeBuilder), with no list of every node in
// between, so a restart holds one copy of the tree, not two. Nodes that fit the reader's buffer are handed over as
// spans of it (ISnapshotSpanSink) and copied into the node's own array, so a load makes no path string and no data
// array per node. Writing from a view numbers the ACL lists the tree's ACL cache held when the view was taken
// (DataTree.AclListsForSnapshot), which are exactly the lists the view's nodes hold.
//
// The methods a load calls once per node (here, in FileSnap's CheckedReader, DataTree.RestoreNode, NodeDigest,
// ChildSet, AclCache, Adler32) are marked AggressiveOptimization: a load runs once per process, a million times in a
// row, before tiered compilation has replaced the unoptimised first versions; on one core the first load of a
// 1M-znode snapshot took ~3x as long as later ones in the same process (tree-probe: 4.3 s against 1.4-1.7 s).
// The same holds for the writer's per-node methods (SnapshotWriter, TreeSnapshot.StateAt, NodeState.Of), which a
// start-up snapshot runs a million times before tiering catches up. The rest of the first-load gap was the collector
// (see RestoreGcScope) and loops compiled unoptimised (TieredCompilationQuickJitForLoops=false in the project).

using System.Runtime.CompilerServices;
using Coord.Protocol.Records;
using Coord.Server.Data;

namespace Coord.Server.Persistence;

public static class DataTreeLoader
{
    private static readonly string[] OpenAclSystemPaths = [DataTree.RootPath, DataTree.ProcZookeeper, DataTree.QuotaZookeeper];

    /// <summary>Checks a snapshot's structure before anything is applied: the root comes first, every other node's
    /// parent precedes it, no path repeats, and every ACL id resolves.</summary>
    public static void Validate(SnapshotContents snap)
    {
        if (snap.Nodes.Count == 0 || snap.Nodes[0].Path.Length != 0)
            throw new PersistenceCorruptException("snapshot does not start with the root node (path \"\")");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var n in snap.Nodes)
        {
            snap.ResolveAcl(n.AclId);
            if (n.Path.Length > 0)
            {
                int slash = n.Path.LastIndexOf('/');
                if (slash < 0) throw new PersistenceCorruptException($"invalid node path '{n.Path}'");
                var parent = n.Path[..slash];
                if (!seen.Contains(parent)) throw new PersistenceCorruptException($"Invalid Datatree, unable to find parent {parent} of path {n.Path}");
            }
            if (!seen.Add(n.Path)) throw new PersistenceCorruptException($"node {n.Path} appears twice");
        }
    }

    /// <summary>Loads <paramref name="snap"/> into <paramref name="tree"/>, which must be fresh (only the system nodes,
    /// no txn applied). Afterwards the tree's LastProcessedZxid is the snapshot's zxid. Validates first, so a bad
    /// snapshot throws before the tree is touched.</summary>
    public static void Load(DataTree tree, SnapshotContents snap)
    {
        Validate(snap);
        EnsureFresh(tree);
        tree.BeginRestore();
        foreach (var n in snap.Nodes)
        {
            tree.RestoreNode(n.Path, n.Data, snap.ResolveAcl(n.AclId), n.Stat);
        }
        tree.EndRestore(Math.Max(snap.Zxid, 0));
    }

    /// <summary>Streams the snapshot file at <paramref name="path"/> into <paramref name="tree"/>, which must be fresh.
    /// On any error the tree is left half-built: call <see cref="DataTree.BeginRestore"/> (or use a new tree) before
    /// loading another snapshot into it. Returns what the file says besides its nodes, and its sessions.</summary>
    public static (SnapshotInfo Info, List<KeyValuePair<long, int>> Sessions) LoadFile(DataTree tree, string path, int maxBufferBytes = TxnLogReader.DefaultMaxRecordBytes)
    {
        EnsureFresh(tree);
        tree.BeginRestore();
        var builder = new TreeBuilder(tree);
        var info = FileSnap.ReadInto(path, builder, maxBufferBytes);
        if (info.NodeCount == 0) throw new PersistenceCorruptException($"{Path.GetFileName(path)}: snapshot has no root node");
        tree.EndRestore(Math.Max(info.Zxid, 0));
        return (info, builder.Sessions);
    }

    private static void EnsureFresh(DataTree tree)
    {
        if (tree.LastProcessedZxid != 0 || tree.Nodes.Any(kv => !DataTree.IsSpecialPath(kv.Key)))
            throw new InvalidOperationException("a snapshot can only be loaded into a fresh DataTree");
    }

    /// <summary>Puts decoded nodes straight into a tree, checking what <see cref="Validate"/> checks as it goes.</summary>
    private sealed class TreeBuilder(DataTree tree) : ISnapshotSpanSink
    {
        // ACL id → list; after its first node, the tree's shared instance, which the tree recognises by reference.
        private readonly Dictionary<long, IReadOnlyList<Acl>> _acls = new() { [SnapshotContents.OpenAclUnsafeId] = Acl.OpenAclUnsafe };
        private bool _sawRoot;

        public List<KeyValuePair<long, int>> Sessions { get; } = [];

        public void OnSession(long sessionId, int timeoutMs) => Sessions.Add(new(sessionId, timeoutMs));

        public void OnAcl(long id, IReadOnlyList<Acl> acl) => _acls[id] = acl;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void OnNode(string path, byte[]? data, long aclId, in StatPersisted s)
        {
            if (!_sawRoot && path.Length != 0) throw new PersistenceCorruptException("snapshot does not start with the root node (path \"\")");
            _sawRoot = true;
            if (!_acls.TryGetValue(aclId, out var acl))
                throw new PersistenceCorruptException($"snapshot node refers to ACL id {aclId}, which is not in the ACL cache");
            var node = tree.RestoreNode(path, data, acl, s);
            if (!ReferenceEquals(node.Acl, acl)) _acls[aclId] = node.Acl;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void OnNode(ReadOnlySpan<byte> pathUtf8, ReadOnlySpan<byte> data, bool dataIsNull, long aclId, in StatPersisted s)
        {
            if (!_sawRoot && pathUtf8.Length != 0) throw new PersistenceCorruptException("snapshot does not start with the root node (path \"\")");
            _sawRoot = true;
            if (!_acls.TryGetValue(aclId, out var acl))
                throw new PersistenceCorruptException($"snapshot node refers to ACL id {aclId}, which is not in the ACL cache");
            var node = tree.RestoreNode(pathUtf8, data, dataIsNull, acl, s);
            if (!ReferenceEquals(node.Acl, acl)) _acls[aclId] = node.Acl;
        }
    }

    /// <summary>The nodes in snapshot order: pre-order depth-first, children in ZooKeeper's order, root as "".</summary>
    public static IEnumerable<(string Path, DataNode Node)> Walk(DataTree tree) =>
        tree.NodesInSnapshotOrder().Select(pn => (pn.Path == DataTree.RootPath ? "" : pn.Path, pn.Node));

    /// <summary>Numbers the distinct ACL lists of the tree (1..k, in a canonical order, so equal trees get equal ids).</summary>
    public static AclNumbering NumberAcls(DataTree tree) => NumberAcls(tree.Nodes.Select(kv => (kv.Key, kv.Value.Acl)));

    /// <summary>Numbers the distinct ACL lists of (path, ACL) pairs, as <see cref="NumberAcls(DataTree)"/>.</summary>
    public static AclNumbering NumberAcls(IEnumerable<(string Path, IReadOnlyList<Acl> Acl)> nodes)
    {
        // Nodes share their tree's ACL list instances (AclCache), so the lists are told apart by reference first and
        // compared by value only once per instance: a million value hashes took a noticeable part of a snapshot.
        var instances = new HashSet<IReadOnlyList<Acl>>(ReferenceEqualityComparer.Instance);
        foreach (var (path, acl) in nodes)
        {
            if (instances.Contains(acl) || IsOpenAclSystemNode(path, acl)) continue;
            instances.Add(acl);
        }
        return NumberAcls(instances);
    }

    /// <summary>Numbers distinct ACL lists (1..k in a canonical order, so equal sets of lists get equal ids).</summary>
    public static AclNumbering NumberAcls(IReadOnlyCollection<IReadOnlyList<Acl>> instances)
    {
        var distinct = new Dictionary<IReadOnlyList<Acl>, long>(AclListComparer.Instance);
        foreach (var acl in instances) distinct.TryAdd(acl, 0);
        var ordered = distinct.Keys.OrderBy(CanonicalKey, StringComparer.Ordinal).ToList();
        var numbering = new AclNumbering();
        for (int i = 0; i < ordered.Count; i++) numbering.Add(ordered[i], i + 1);
        return numbering;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool IsOpenAclSystemNode(ReadOnlySpan<char> path, IReadOnlyList<Acl> acl) =>
        IsSystemPath(path) && AclListComparer.Instance.Equals(acl, Acl.OpenAclUnsafe);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool IsOpenAclSystemNode(ReadOnlySpan<byte> pathUtf8, IReadOnlyList<Acl> acl) =>
        IsSystemPath(pathUtf8) && AclListComparer.Instance.Equals(acl, Acl.OpenAclUnsafe);

    /// <summary>The root ("" or "/"), /zookeeper or /zookeeper/quota, given as UTF-8.</summary>
    private static bool IsSystemPath(ReadOnlySpan<byte> pathUtf8) =>
        pathUtf8.IsEmpty || pathUtf8.SequenceEqual("/"u8) || pathUtf8.SequenceEqual("/zookeeper"u8) || pathUtf8.SequenceEqual("/zookeeper/quota"u8);

    /// <summary>The root ("" or "/"), /zookeeper or /zookeeper/quota.</summary>
    private static bool IsSystemPath(ReadOnlySpan<char> path)
    {
        if (path.IsEmpty) return true;
        foreach (var p in OpenAclSystemPaths)
            if (path.SequenceEqual(p)) return true;
        return false;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static long AclIdOf(AclNumbering acls, ReadOnlySpan<char> path, IReadOnlyList<Acl> acl) =>
        IsOpenAclSystemNode(path, acl) ? SnapshotContents.OpenAclUnsafeId : acls.IdOf(acl);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static long AclIdOf(AclNumbering acls, ReadOnlySpan<byte> pathUtf8, IReadOnlyList<Acl> acl) =>
        IsOpenAclSystemNode(pathUtf8, acl) ? SnapshotContents.OpenAclUnsafeId : acls.IdOf(acl);

    private static string CanonicalKey(IReadOnlyList<Acl> acl) =>
        string.Join(";", acl.Select(a => $"{a.Perms},{a.Id.Scheme},{a.Id.Ident}"));

    /// <summary>The snapshot of a tree, in memory (tests, tools, comparisons).</summary>
    public static SnapshotContents Capture(DataTree tree, IEnumerable<KeyValuePair<long, int>> sessions, long zxid)
    {
        var acls = NumberAcls(tree);
        var snap = new SnapshotContents { Zxid = zxid, Digest = DigestOf(tree, zxid) };
        snap.Sessions.AddRange(SessionsInJavaOrder(sessions));
        snap.Acls.AddRange(acls.Entries);
        foreach (var (path, node) in Walk(tree))
            snap.Nodes.Add(new SnapshotNode(path, node.CopyData(), AclIdOf(acls, path, node.Acl), node.ToStatPersisted()));
        return snap;
    }

    /// <summary>Streams a snapshot of the tree to &lt;snapDir&gt;/snapshot.&lt;zxid&gt;; returns its path. Runs on the
    /// thread that owns the tree (the snapshot is exact, not fuzzy).</summary>
    public static string WriteSnapshot(DataTree tree, IEnumerable<KeyValuePair<long, int>> sessions, string snapDir, long zxid, SnapshotWriteOptions? options = null)
    {
        var acls = NumberAcls(tree);
        var sessionList = SessionsInJavaOrder(sessions);
        options ??= new SnapshotWriteOptions();
        if (options.Digest is null) options = options.WithDigest(DigestOf(tree, zxid));
        return FileSnap.Write(snapDir, zxid, options, w =>
        {
            w.WriteSessions(sessionList);
            w.WriteAcls(acls.Entries);
            foreach (var (path, node) in Walk(tree))
                w.WriteNode(path, node.DataSpan, !node.HasData, AclIdOf(acls, path, node.Acl), node.ToStatPersisted());
        });
    }

    /// <summary>Streams a snapshot of a <see cref="TreeSnapshot"/> view to &lt;snapDir&gt;/snapshot.&lt;view.Zxid&gt;;
    /// returns its path. Runs on any thread while the tree goes on; completes the view when done, failed or not.</summary>
    public static string WriteSnapshot(TreeSnapshot view, IReadOnlyCollection<KeyValuePair<long, int>> sessionsInJavaOrder, string snapDir, SnapshotWriteOptions options)
    {
        try
        {
            var acls = NumberAcls(view.AclLists);
            if (options.Digest is null)
                options = options.WithDigest(view.Zxid > 0 ? new ZxidDigest(view.Zxid, DataTree.DigestVersion, view.TreeDigest) : ZxidDigest.Empty);
            return FileSnap.Write(snapDir, view.Zxid, options, w =>
            {
                w.WriteSessions(sessionsInJavaOrder);
                w.WriteAcls(acls.Entries);
                var paths = new PathComposer();
                for (int i = 0; i < view.Count; i++)
                {
                    var path = view.PathAt(i, paths);
                    var state = view.StateAt(i);
                    w.WriteNode(path, state.Payload.Data, !state.Payload.HasData, AclIdOf(acls, path, state.Acl), state.Stat);
                }
            });
        }
        finally
        {
            view.Complete();
        }
    }

    /// <summary>The digest section for a snapshot of <paramref name="tree"/> named <paramref name="zxid"/>: the tree
    /// digest when the tree is exactly at that zxid, else empty (ZooKeeper then skips the check).</summary>
    public static ZxidDigest DigestOf(DataTree tree, long zxid) =>
        zxid > 0 && zxid == tree.LastProcessedZxid ? new ZxidDigest(zxid, DataTree.DigestVersion, tree.TreeDigest) : ZxidDigest.Empty;

    /// <summary>The order a Java HashMap&lt;Long,Integer&gt; copy of the session map iterates in
    /// (SerializeUtils.serializeSnapshot copies the map before writing it).</summary>
    public static List<KeyValuePair<long, int>> SessionsInJavaOrder(IEnumerable<KeyValuePair<long, int>> sessions)
    {
        var list = sessions.ToList();
        if (list.Count <= 1) return list;
        var items = list.Select((kv, i) => (kv, (int)(kv.Key ^ (long)((ulong)kv.Key >> 32)), (long)i));
        return JavaHashOrder.Order(items, JavaHashOrder.CopyCapacity(list.Count));
    }

    /// <summary>ACL list → id, with a fast path for list instances already seen.</summary>
    public sealed class AclNumbering
    {
        private readonly Dictionary<IReadOnlyList<Acl>, long> _byValue = new(AclListComparer.Instance);
        private readonly Dictionary<IReadOnlyList<Acl>, long> _byInstance = new(ReferenceEqualityComparer.Instance);

        public List<KeyValuePair<long, IReadOnlyList<Acl>>> Entries { get; } = [];

        internal void Add(IReadOnlyList<Acl> acl, long id)
        {
            _byValue[acl] = id;
            Entries.Add(new(id, acl));
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public long IdOf(IReadOnlyList<Acl> acl)
        {
            if (_byInstance.TryGetValue(acl, out long id)) return id;
            id = _byValue[acl];
            _byInstance[acl] = id;
            return id;
        }
    }
}
