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

    /// <summary>The node's name and data in one array, so a znode costs one array header instead of two:
    /// <code>
    ///   payload = name data        name: UTF-8, <see cref="NameLength"/> bytes; data: the rest
    /// </code>
    /// The name is the last component of the node's path ("" for the root), its key in its parent's
    /// <see cref="ChildSet"/>. Full paths are not stored: the tree has no path → node map, and walks that need paths
    /// compose them (<see cref="PathComposer"/>). A payload is never written into once the node holds it (setData
    /// makes a new one), so a snapshot view can keep an old one (<see cref="TreeSnapshot"/>).</summary>
    private byte[] _payload;
    /// <summary>Bytes of <see cref="_payload"/> that are the name; <see cref="NullDataFlag"/> is set when the data
    /// is null (created or set with a null buffer; clients then read back null, as from ZooKeeper).</summary>
    private int _nameLength;
    private const int NullDataFlag = 1 << 31;
    /// <summary>The tree's shared instance for this list (<see cref="AclCache"/>), never a per-node copy.</summary>
    public IReadOnlyList<Acl> Acl;
    public long Czxid, Mzxid, Ctime, Mtime, EphemeralOwner, Pzxid;
    public int Version, Cversion, Aversion;
    /// <summary>This node's insertion number in its parent's <see cref="ChildSet"/>, which Java's iteration order
    /// needs.</summary>
    internal int ChildSeq;
    /// <summary>java.lang.String.hashCode of the name, which fixes the node's place in Java's iteration order. Kept
    /// because ordering a parent's children then reads only the child nodes, not their payloads; it fills what was
    /// padding, so the object is still 112 B (16 B header, three references, six longs, six ints).</summary>
    internal readonly int JavaNameHash;
    /// <summary>Null until the first child is added (most znodes are leaves).</summary>
    private ChildSet? _children;

    public DataNode(ReadOnlySpan<char> name, byte[]? data, IReadOnlyList<Acl> acl, long czxid, long time, long ephemeralOwner)
        : this(Payload.Of(name, data), acl, czxid, time, ephemeralOwner)
    {
    }

    /// <summary>A new node named by the UTF-8 <paramref name="nameUtf8"/> (a create's path is transcoded once, for
    /// its lookups and its name).</summary>
    public static DataNode Create(ReadOnlySpan<byte> nameUtf8, byte[]? data, IReadOnlyList<Acl> acl, long czxid, long time, long ephemeralOwner) =>
        new(Payload.Of(nameUtf8, data), acl, czxid, time, ephemeralOwner);

    private DataNode(Payload payload, IReadOnlyList<Acl> acl, long czxid, long time, long ephemeralOwner)
    {
        (_payload, _nameLength) = (payload.Bytes, payload.NameLengthAndFlag);
        JavaNameHash = JavaHashOrder.StringHash(NameUtf8);
        Acl = acl;
        Czxid = Mzxid = Pzxid = czxid;
        Ctime = Mtime = time;
        EphemeralOwner = ephemeralOwner;
    }

    /// <summary>The name as UTF-8 (the child-set key).</summary>
    public ReadOnlySpan<byte> NameUtf8 => new(_payload, 0, NameLength);
    /// <summary>The name as a new string (tools, tests, composing paths for a walk).</summary>
    public string Name => System.Text.Encoding.UTF8.GetString(NameUtf8);
    private int NameLength => _nameLength & ~NullDataFlag;

    public bool HasData => (_nameLength & NullDataFlag) == 0;
    /// <summary>The data; empty when <see cref="HasData"/> is false.</summary>
    public ReadOnlySpan<byte> DataSpan => _payload.AsSpan(NameLength);
    public int DataLength => _payload.Length - NameLength;
    /// <summary>The data in place (never written to once this node holds it, so a reply may reference it until sent).</summary>
    public ReadOnlyMemory<byte> DataMemory => _payload.AsMemory(NameLength);
    /// <summary>The data as a new array, or null (what a client reads back). Copies: not for the hot path.</summary>
    public byte[]? CopyData() => HasData ? DataSpan.ToArray() : null;

    /// <summary>Replaces the data (a new payload; the old one is left as it was for any snapshot view holding it).</summary>
    public void SetData(byte[]? data)
    {
        var p = Payload.Of(NameUtf8, data);
        (_payload, _nameLength) = (p.Bytes, p.NameLengthAndFlag);
    }

    /// <summary>The payload and its name length, as <see cref="NodeState"/> keeps them.</summary>
    internal Payload CurrentPayload => new(_payload, _nameLength);

    /// <summary>A node's name and data as the node holds them (see <see cref="_payload"/>).</summary>
    public readonly record struct Payload(byte[] Bytes, int NameLengthAndFlag)
    {
        public bool HasData => (NameLengthAndFlag & NullDataFlag) == 0;
        public ReadOnlySpan<byte> Data => Bytes.AsSpan(NameLengthAndFlag & ~NullDataFlag);

        public static Payload Of(ReadOnlySpan<char> name, byte[]? data)
        {
            int nameBytes = System.Text.Encoding.UTF8.GetByteCount(name);
            var bytes = new byte[nameBytes + (data?.Length ?? 0)];
            System.Text.Encoding.UTF8.GetBytes(name, bytes);
            data?.CopyTo(bytes, nameBytes);
            return new(bytes, nameBytes | (data is null ? NullDataFlag : 0));
        }

        public static Payload Of(ReadOnlySpan<byte> nameUtf8, ReadOnlySpan<byte> data, bool dataIsNull)
        {
            var bytes = new byte[nameUtf8.Length + data.Length];
            nameUtf8.CopyTo(bytes);
            data.CopyTo(bytes.AsSpan(nameUtf8.Length));
            return new(bytes, nameUtf8.Length | (dataIsNull ? NullDataFlag : 0));
        }

        public static Payload Of(ReadOnlySpan<byte> nameUtf8, byte[]? data)
        {
            var bytes = new byte[nameUtf8.Length + (data?.Length ?? 0)];
            nameUtf8.CopyTo(bytes);
            data?.CopyTo(bytes, nameUtf8.Length);
            return new(bytes, nameUtf8.Length | (data is null ? NullDataFlag : 0));
        }
    }

    /// <summary>The child nodes, in no particular order.</summary>
    public IEnumerable<DataNode> Children => _children?.Nodes ?? [];
    public int ChildCount => _children?.Count ?? 0;

    /// <summary>The child called <paramref name="name"/> (a name, not a path), or null.</summary>
    public DataNode? GetChild(ReadOnlySpan<char> name) => _children?.Get(name);

    /// <summary>The child whose UTF-8 name is <paramref name="nameUtf8"/>, or null.</summary>
    public DataNode? GetChild(ReadOnlySpan<byte> nameUtf8) => _children?.Get(nameUtf8);

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
    public DataNode? RemoveChild(ReadOnlySpan<byte> nameUtf8) => _children?.Remove(nameUtf8);

    /// <summary>The Stat a client sees: containers and TTL nodes show ephemeralOwner 0.</summary>
    public Stat ToStat()
    {
        int n = ChildCount;
        return new Stat(Czxid, Mzxid, Ctime, Mtime, Version, Cversion * 2 - n, Aversion,
            EphemeralType.SessionOf(EphemeralOwner), DataLength, n, Pzxid);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public StatPersisted ToStatPersisted() =>
        new(Czxid, Mzxid, Ctime, Mtime, Version, Cversion, Aversion, EphemeralOwner, Pzxid);

    /// <summary>A node as a snapshot stores it (the inverse of <see cref="ToStatPersisted"/>), from its UTF-8 name and
    /// its data (both copied).</summary>
    public static DataNode FromPersisted(ReadOnlySpan<byte> nameUtf8, ReadOnlySpan<byte> data, bool dataIsNull, IReadOnlyList<Acl> acl, in StatPersisted s) =>
        new(Payload.Of(nameUtf8, data, dataIsNull), acl, s.Czxid, s.Ctime, s.EphemeralOwner)
        {
            Mzxid = s.Mzxid,
            Mtime = s.Mtime,
            Version = s.Version,
            Cversion = s.Cversion,
            Aversion = s.Aversion,
            Pzxid = s.Pzxid,
        };

}
