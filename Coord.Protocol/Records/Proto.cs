using Coord.Protocol.Jute;

namespace Coord.Protocol.Records;

// module org.apache.zookeeper.proto — one record per jute class, fields in jute order.

/// <summary>class ConnectRequest { int protocolVersion; long lastZxidSeen; int timeOut; long sessionId; buffer passwd; boolean readOnly; }
/// The trailing readOnly byte is absent from clients older than 3.4 (44-byte request instead of 45).</summary>
public sealed record ConnectRequest(int ProtocolVersion, long LastZxidSeen, int TimeOut, long SessionId, byte[] Passwd, bool ReadOnly, bool HasReadOnlyByte)
{
    public static ConnectRequest Read(ref JuteReader r)
    {
        int pv = r.ReadInt();
        long last = r.ReadLong();
        int to = r.ReadInt();
        long sid = r.ReadLong();
        byte[] pw = r.ReadBuffer() ?? [];
        bool hasRo = !r.End;
        bool ro = hasRo && r.ReadBool();
        return new ConnectRequest(pv, last, to, sid, pw, ro, hasRo);
    }

    public void Write(ref JuteWriter w)
    {
        w.WriteInt(ProtocolVersion); w.WriteLong(LastZxidSeen); w.WriteInt(TimeOut); w.WriteLong(SessionId); w.WriteBuffer(Passwd);
        if (HasReadOnlyByte) w.WriteBool(ReadOnly);
    }
}

/// <summary>class ConnectResponse { int protocolVersion; int timeOut; long sessionId; buffer passwd; boolean readOnly; }</summary>
public sealed record ConnectResponse(int ProtocolVersion, int TimeOut, long SessionId, byte[] Passwd, bool ReadOnly)
{
    public static ConnectResponse Read(ref JuteReader r)
    {
        int pv = r.ReadInt(); int to = r.ReadInt(); long sid = r.ReadLong(); byte[] pw = r.ReadBuffer() ?? [];
        bool ro = !r.End && r.ReadBool();
        return new ConnectResponse(pv, to, sid, pw, ro);
    }

    public void Write(ref JuteWriter w, bool withReadOnlyByte = true)
    {
        w.WriteInt(ProtocolVersion); w.WriteInt(TimeOut); w.WriteLong(SessionId); w.WriteBuffer(Passwd);
        if (withReadOnlyByte) w.WriteBool(ReadOnly);
    }
}

/// <summary>class RequestHeader { int xid; int type; }</summary>
public readonly record struct RequestHeader(int Xid, int Type)
{
    public static RequestHeader Read(ref JuteReader r) => new(r.ReadInt(), r.ReadInt());
    public void Write(ref JuteWriter w) { w.WriteInt(Xid); w.WriteInt(Type); }
}

/// <summary>class ReplyHeader { int xid; long zxid; int err; }</summary>
public readonly record struct ReplyHeader(int Xid, long Zxid, int Err)
{
    public const int SizeBytes = 16;
    public static ReplyHeader Read(ref JuteReader r) => new(r.ReadInt(), r.ReadLong(), r.ReadInt());
    public void Write(ref JuteWriter w) { w.WriteInt(Xid); w.WriteLong(Zxid); w.WriteInt(Err); }
}

/// <summary>class MultiHeader { int type; boolean done; int err; }</summary>
public readonly record struct MultiHeader(int Type, bool Done, int Err)
{
    public static MultiHeader Read(ref JuteReader r) => new(r.ReadInt(), r.ReadBool(), r.ReadInt());
    public void Write(ref JuteWriter w) { w.WriteInt(Type); w.WriteBool(Done); w.WriteInt(Err); }
    public static readonly MultiHeader End = new(-1, true, -1);
}

/// <summary>class AuthPacket { int type; ustring scheme; buffer auth; }. A null auth buffer is kept: ZooKeeper's
/// digest provider fails on it (AuthFailed) where an empty one authenticates the user "".</summary>
public sealed record AuthPacket(int Type, string Scheme, byte[]? Auth)
{
    public static AuthPacket Read(ref JuteReader r) => new(r.ReadInt(), r.ReadString() ?? "", r.ReadBuffer());
    public void Write(ref JuteWriter w) { w.WriteInt(Type); w.WriteString(Scheme); w.WriteBuffer(Auth); }
}

/// <summary>Requests of the shape { ustring path; boolean watch; }: GetDataRequest, ExistsRequest,
/// GetChildrenRequest, GetChildren2Request.</summary>
public readonly record struct PathWatchRequest(string Path, bool Watch)
{
    public static PathWatchRequest Read(ref JuteReader r) => new(r.ReadPath(), r.ReadBool());
    public void Write(ref JuteWriter w) { w.WriteString(Path); w.WriteBool(Watch); }
}

/// <summary>Requests of the shape { ustring path; }: SyncRequest, GetACLRequest, GetAllChildrenNumberRequest,
/// GetEphemeralsRequest (prefixPath), GetMaxChildrenRequest; and SyncResponse, CreateResponse.</summary>
public readonly record struct PathRequest(string Path)
{
    public static PathRequest Read(ref JuteReader r) => new(r.ReadPath());
    public void Write(ref JuteWriter w) => w.WriteString(Path);
}

/// <summary>class SyncRequest { ustring path; }. Unlike other paths, a null one is served: ZooKeeper echoes it back
/// (SyncResponse(null)) without looking it up.</summary>
public readonly record struct SyncRequest(string? Path)
{
    public static SyncRequest Read(ref JuteReader r) => new(r.ReadString());
    public void Write(ref JuteWriter w) => w.WriteString(Path);
}

/// <summary>class SetDataRequest { ustring path; buffer data; int version; }</summary>
public sealed record SetDataRequest(string Path, byte[]? Data, int Version)
{
    public static SetDataRequest Read(ref JuteReader r) => new(r.ReadPath(), r.ReadBuffer(), r.ReadInt());
    public void Write(ref JuteWriter w) { w.WriteString(Path); w.WriteBuffer(Data); w.WriteInt(Version); }
}

/// <summary>class CreateRequest { ustring path; buffer data; vector&lt;ACL&gt; acl; int flags; } and
/// class CreateTTLRequest { ...; long ttl; } (Ttl is -1 for the plain form, as ZooKeeper's CreateOptions).</summary>
public sealed record CreateRequest(string Path, byte[]? Data, List<Acl>? AclList, int Flags, long Ttl = -1)
{
    public static CreateRequest Read(ref JuteReader r, bool withTtl)
    {
        var path = r.ReadPath(); var data = r.ReadBuffer(); var acl = Acl.ReadList(ref r); int flags = r.ReadInt();
        long ttl = withTtl ? r.ReadLong() : -1;
        return new CreateRequest(path, data, acl, flags, ttl);
    }

    public void Write(ref JuteWriter w, bool withTtl)
    {
        w.WriteString(Path); w.WriteBuffer(Data); Acl.WriteList(ref w, AclList); w.WriteInt(Flags);
        if (withTtl) w.WriteLong(Ttl);
    }
}

/// <summary>Requests of the shape { ustring path; int version; }: DeleteRequest, CheckVersionRequest.</summary>
public readonly record struct PathVersionRequest(string Path, int Version)
{
    public static PathVersionRequest Read(ref JuteReader r) => new(r.ReadPath(), r.ReadInt());
    public void Write(ref JuteWriter w) { w.WriteString(Path); w.WriteInt(Version); }
}

/// <summary>class SetACLRequest { ustring path; vector&lt;ACL&gt; acl; int version; }</summary>
public sealed record SetAclRequest(string Path, List<Acl>? AclList, int Version)
{
    public static SetAclRequest Read(ref JuteReader r) => new(r.ReadPath(), Acl.ReadList(ref r), r.ReadInt());
    public void Write(ref JuteWriter w) { w.WriteString(Path); Acl.WriteList(ref w, AclList); w.WriteInt(Version); }
}

/// <summary>Requests of the shape { ustring path; int type/mode; }: CheckWatchesRequest, RemoveWatchesRequest, AddWatchRequest.</summary>
public readonly record struct PathTypeRequest(string? Path, int Type)
{
    /// <summary>A null path is kept: ZooKeeper fails on it only where the path is used (removeWatches finds no
    /// watcher, addWatch registers under it, checkWatches throws).</summary>
    public static PathTypeRequest Read(ref JuteReader r) => new(r.ReadString(), r.ReadInt());
    public void Write(ref JuteWriter w) { w.WriteString(Path); w.WriteInt(Type); }
}

/// <summary>class ReconfigRequest { ustring joiningServers; ustring leavingServers; ustring newMembers; long curConfigId; }</summary>
public sealed record ReconfigRequest(string? JoiningServers, string? LeavingServers, string? NewMembers, long CurConfigId)
{
    public static ReconfigRequest Read(ref JuteReader r) => new(r.ReadString(), r.ReadString(), r.ReadString(), r.ReadLong());
    public void Write(ref JuteWriter w) { w.WriteString(JoiningServers); w.WriteString(LeavingServers); w.WriteString(NewMembers); w.WriteLong(CurConfigId); }
}

/// <summary>class SetWatches { long relativeZxid; vector dataWatches; existWatches; childWatches; } and
/// class SetWatches2 { ...; vector persistentWatches; vector persistentRecursiveWatches; }</summary>
public sealed record SetWatchesRequest(long RelativeZxid, List<string> DataWatches, List<string> ExistWatches, List<string> ChildWatches,
    List<string> PersistentWatches, List<string> PersistentRecursiveWatches)
{
    /// <summary>Where ZooKeeper's DataTree.setWatches fails, or null. It walks the lists in wire order (0 data,
    /// 1 exist, 2 child, 3 persistent, 4 persistentRecursive), setting or firing each watch, and throws on a null list
    /// or on a null path in the first three (a node lookup), answering MarshallingError after the watches before that
    /// point. A null path in the persistent lists is registered without a lookup, and never fires: it is dropped here.
    /// <c>Index</c> is the position in list <c>List</c> where processing stops (0 for a null list).</summary>
    public (int List, int Index)? StopAt { get; init; }

    public static SetWatchesRequest Read(ref JuteReader r, bool v2)
    {
        long z = r.ReadLong();
        (int, int)? stopAt = null;
        var lists = new List<string>[v2 ? 5 : 3];
        for (int i = 0; i < lists.Length; i++)
        {
            int n = r.ReadVectorCount();
            var list = lists[i] = new List<string>(Math.Clamp(n, 0, 1024));
            if (n < 0) stopAt ??= (i, 0);
            for (int k = 0; k < n; k++)
            {
                var path = r.ReadString();
                if (path is not null) list.Add(path);
                else if (i < 3) { stopAt ??= (i, list.Count); list.Add(""); }
            }
        }
        return new SetWatchesRequest(z, lists[0], lists[1], lists[2], v2 ? lists[3] : [], v2 ? lists[4] : []) { StopAt = stopAt };
    }

    public void Write(ref JuteWriter w, bool v2)
    {
        w.WriteLong(RelativeZxid); w.WriteStringVector(DataWatches); w.WriteStringVector(ExistWatches); w.WriteStringVector(ChildWatches);
        if (v2) { w.WriteStringVector(PersistentWatches); w.WriteStringVector(PersistentRecursiveWatches); }
    }
}

/// <summary>class WatcherEvent { int type; int state; ustring path; }</summary>
public readonly record struct WatcherEvent(int Type, int State, string Path)
{
    public static WatcherEvent Read(ref JuteReader r) => new(r.ReadInt(), r.ReadInt(), r.ReadString() ?? "");
    public void Write(ref JuteWriter w) { w.WriteInt(Type); w.WriteInt(State); w.WriteString(Path); }
}

/// <summary>class GetSASLRequest { buffer token; } / class SetSASLResponse { buffer token; }</summary>
public sealed record SaslToken(byte[]? Token)
{
    public static SaslToken Read(ref JuteReader r) => new(r.ReadBuffer());
    public void Write(ref JuteWriter w) => w.WriteBuffer(Token);
}
