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
    private static readonly HashSet<string> NoChildren = new(StringComparer.Ordinal);

    public byte[] Data;
    public IReadOnlyList<Acl> Acl;
    public long Czxid, Mzxid, Ctime, Mtime, EphemeralOwner, Pzxid;
    public int Version, Cversion, Aversion;
    private HashSet<string>? _children;

    public DataNode(byte[] data, IReadOnlyList<Acl> acl, long czxid, long time, long ephemeralOwner)
    {
        Data = data;
        Acl = acl;
        Czxid = Mzxid = Pzxid = czxid;
        Ctime = Mtime = time;
        EphemeralOwner = ephemeralOwner;
    }

    public IReadOnlyCollection<string> Children => _children ?? NoChildren;
    public int ChildCount => _children?.Count ?? 0;

    public bool AddChild(string name) => (_children ??= new HashSet<string>(StringComparer.Ordinal)).Add(name);

    public bool RemoveChild(string name)
    {
        if (_children is null || !_children.Remove(name)) return false;
        if (_children.Count == 0) _children = null;
        return true;
    }

    /// <summary>The Stat a client sees: containers and TTL nodes show ephemeralOwner 0.</summary>
    public Stat ToStat()
    {
        int n = ChildCount;
        return new Stat(Czxid, Mzxid, Ctime, Mtime, Version, Cversion * 2 - n, Aversion,
            EphemeralType.SessionOf(EphemeralOwner), Data.Length, n, Pzxid);
    }

    public StatPersisted ToStatPersisted() =>
        new(Czxid, Mzxid, Ctime, Mtime, Version, Cversion, Aversion, EphemeralOwner, Pzxid);
}
