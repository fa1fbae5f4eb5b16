using System.Runtime.CompilerServices;
using Coord.Protocol;
using Coord.Protocol.Records;

namespace Coord.Server.Data;

/// <summary>
/// One znode. Holds the persisted stat fields (ZooKeeper's StatPersisted) inline to avoid a second object per node;
/// dataLength and numChildren are derived. <see cref="Cversion"/> is the persisted counter of child creates; clients
/// see 2 × Cversion − numChildren (DataNode.copyStat), which counts creates and deletes.
/// </summary>
public sealed class DataNode
{
    /// <summary>ZooKeeper's DataNode creates its child set with new HashSet&lt;&gt;(8); the capacity shapes the order
    /// getChildren returns.</summary>
    private const int JavaChildSetInitialCapacity = 8;

    /// <summary>The last component of the node's path ("" for the root): its key in its parent's
    /// <see cref="ChildSet"/>. Full paths are not stored (a 20-character path is 64 B as a string, the name ~40 B); the
    /// tree has no path → node map, and walks that need paths compose them (<see cref="PathComposer"/>).</summary>
    public string Name;
    /// <summary>Null when created or set with a null buffer; clients then read back null, as from ZooKeeper.</summary>
    public byte[]? Data;
    /// <summary>The tree's shared instance for this list (<see cref="AclCache"/>), never a per-node copy.</summary>
    public IReadOnlyList<Acl> Acl;
    public long Czxid, Mzxid, Ctime, Mtime, EphemeralOwner, Pzxid;
    public int Version, Cversion, Aversion;
    /// <summary>This node's insertion number in its parent's <see cref="ChildSet"/>, which Java's iteration order
    /// needs. With it the object is 112 B, 8-byte aligned (16 B header, four references, six longs, four ints).</summary>
    internal int ChildSeq;
    /// <summary>Null until the first child is added (most znodes are leaves).</summary>
    private ChildSet? _children;

    public DataNode(string name, byte[]? data, IReadOnlyList<Acl> acl, long czxid, long time, long ephemeralOwner)
    {
        Name = name;
        Data = data;
        Acl = acl;
        Czxid = Mzxid = Pzxid = czxid;
        Ctime = Mtime = time;
        EphemeralOwner = ephemeralOwner;
    }

    /// <summary>The child nodes, in no particular order.</summary>
    public IEnumerable<DataNode> Children => _children?.Nodes ?? [];
    public int ChildCount => _children?.Count ?? 0;

    /// <summary>The child called <paramref name="name"/> (a name, not a path), or null.</summary>
    public DataNode? GetChild(ReadOnlySpan<char> name) => _children?.Get(name);

    /// <summary>Child names in the order ZooKeeper returns them (Java HashSet iteration order).</summary>
    public List<string> ChildrenInZooKeeperOrder() => _children?.NamesInJavaOrder() ?? [];


    /// <summary>Writes the children in ZooKeeper's order into <paramref name="scratch"/> (grown when too small);
    /// returns how many there are.</summary>
    public int SortChildrenInZooKeeperOrder(ref ChildSet.JavaOrderEntry[] scratch)
    {
        if (_children is null) return 0;
        if (scratch.Length < _children.Count) scratch = new ChildSet.JavaOrderEntry[Math.Max(_children.Count, scratch.Length * 2)];
        _children.SortInJavaOrder(scratch);
        return _children.Count;
    }

    /// <summary>Adds a child under its <see cref="Name"/>; false when that name is taken.</summary>
    public bool AddChild(DataNode child) => (_children ??= new ChildSet(JavaChildSetInitialCapacity)).Add(child);

    // The set is kept when it empties: Java keeps its grown capacity, which later orders must reflect.
    public DataNode? RemoveChild(ReadOnlySpan<char> name) => _children?.Remove(name);

    /// <summary>The Stat a client sees: containers and TTL nodes show ephemeralOwner 0.</summary>
    public Stat ToStat()
    {
        int n = ChildCount;
        return new Stat(Czxid, Mzxid, Ctime, Mtime, Version, Cversion * 2 - n, Aversion,
            EphemeralType.SessionOf(EphemeralOwner), Data?.Length ?? 0, n, Pzxid);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public StatPersisted ToStatPersisted() =>
        new(Czxid, Mzxid, Ctime, Mtime, Version, Cversion, Aversion, EphemeralOwner, Pzxid);

    /// <summary>A node as a snapshot stores it (the inverse of <see cref="ToStatPersisted"/>).</summary>
    public static DataNode FromPersisted(string name, byte[]? data, IReadOnlyList<Acl> acl, in StatPersisted s) =>
        new(name, data, acl, s.Czxid, s.Ctime, s.EphemeralOwner)
        {
            Mzxid = s.Mzxid,
            Mtime = s.Mtime,
            Version = s.Version,
            Cversion = s.Cversion,
            Aversion = s.Aversion,
            Pzxid = s.Pzxid,
        };
}
