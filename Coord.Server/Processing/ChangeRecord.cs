using Coord.Protocol.Records;

namespace Coord.Server.Processing;

/// <summary>
/// The state a node will have once every txn proposed so far is applied (ZooKeeper's ChangeRecord). Prep reads
/// through these so that a txn validated before earlier ones commit (inside a multi, or with an asynchronous commit)
/// sees their effects. A null <see cref="Stat"/> means the pending txns delete the node.
/// </summary>
public sealed class ChangeRecord(long zxid, string path, StatPersisted? stat, int childCount, IReadOnlyList<Acl> acl)
{
    public long Zxid { get; } = zxid;
    public string Path { get; } = path;
    public StatPersisted? Stat = stat;
    public int ChildCount = childCount;
    public IReadOnlyList<Acl> Acl = acl;

    public ChangeRecord Duplicate(long zxid) => new(zxid, Path, Stat, ChildCount, Acl);
}
