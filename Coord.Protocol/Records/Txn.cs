using Coord.Protocol.Jute;

namespace Coord.Protocol.Records;

// module org.apache.zookeeper.txn — what the leader proposes, the log stores and DataTree.ProcessTxn applies.

/// <summary>class TxnHeader { long clientId; int cxid; long zxid; long time; int type; }</summary>
public readonly record struct TxnHeader(long ClientId, int Cxid, long Zxid, long Time, int Type)
{
    public static TxnHeader Read(ref JuteReader r) => new(r.ReadLong(), r.ReadInt(), r.ReadLong(), r.ReadLong(), r.ReadInt());
    public void Write(ref JuteWriter w) { w.WriteLong(ClientId); w.WriteInt(Cxid); w.WriteLong(Zxid); w.WriteLong(Time); w.WriteInt(Type); }
}

/// <summary>class TxnDigest { int version; long treeDigest; }</summary>
public readonly record struct TxnDigest(int Version, long TreeDigest)
{
    public static TxnDigest Read(ref JuteReader r) => new(r.ReadInt(), r.ReadLong());
    public void Write(ref JuteWriter w) { w.WriteInt(Version); w.WriteLong(TreeDigest); }
}

/// <summary>A txn body. Implementations are the jute txn classes; each writes itself in jute order.</summary>
public interface ITxnRecord
{
    void Write(ref JuteWriter w);
}

/// <summary>class CreateTxn { ustring path; buffer data; vector&lt;ACL&gt; acl; boolean ephemeral; int parentCVersion; }</summary>
public sealed record CreateTxn(string Path, byte[]? Data, IReadOnlyList<Acl> AclList, bool Ephemeral, int ParentCVersion) : ITxnRecord
{
    public static CreateTxn Read(ref JuteReader r) =>
        new(r.ReadPath(), r.ReadBuffer(), Acl.ReadList(ref r) ?? [], r.ReadBool(), r.ReadInt());
    public void Write(ref JuteWriter w) { w.WriteString(Path); w.WriteBuffer(Data); Acl.WriteList(ref w, AclList); w.WriteBool(Ephemeral); w.WriteInt(ParentCVersion); }
}

/// <summary>class CreateTTLTxn { ustring path; buffer data; vector&lt;ACL&gt; acl; int parentCVersion; long ttl; }</summary>
public sealed record CreateTtlTxn(string Path, byte[]? Data, IReadOnlyList<Acl> AclList, int ParentCVersion, long Ttl) : ITxnRecord
{
    public static CreateTtlTxn Read(ref JuteReader r) =>
        new(r.ReadPath(), r.ReadBuffer(), Acl.ReadList(ref r) ?? [], r.ReadInt(), r.ReadLong());
    public void Write(ref JuteWriter w) { w.WriteString(Path); w.WriteBuffer(Data); Acl.WriteList(ref w, AclList); w.WriteInt(ParentCVersion); w.WriteLong(Ttl); }
}

/// <summary>class CreateContainerTxn { ustring path; buffer data; vector&lt;ACL&gt; acl; int parentCVersion; }</summary>
public sealed record CreateContainerTxn(string Path, byte[]? Data, IReadOnlyList<Acl> AclList, int ParentCVersion) : ITxnRecord
{
    public static CreateContainerTxn Read(ref JuteReader r) =>
        new(r.ReadPath(), r.ReadBuffer(), Acl.ReadList(ref r) ?? [], r.ReadInt());
    public void Write(ref JuteWriter w) { w.WriteString(Path); w.WriteBuffer(Data); Acl.WriteList(ref w, AclList); w.WriteInt(ParentCVersion); }
}

/// <summary>class DeleteTxn { ustring path; } (also the body of deleteContainer)</summary>
public sealed record DeleteTxn(string Path) : ITxnRecord
{
    public static DeleteTxn Read(ref JuteReader r) => new(r.ReadPath());
    public void Write(ref JuteWriter w) => w.WriteString(Path);
}

/// <summary>class SetDataTxn { ustring path; buffer data; int version; }</summary>
public sealed record SetDataTxn(string Path, byte[]? Data, int Version) : ITxnRecord
{
    public static SetDataTxn Read(ref JuteReader r) => new(r.ReadPath(), r.ReadBuffer(), r.ReadInt());
    public void Write(ref JuteWriter w) { w.WriteString(Path); w.WriteBuffer(Data); w.WriteInt(Version); }
}

/// <summary>class CheckVersionTxn { ustring path; int version; }</summary>
public sealed record CheckVersionTxn(string Path, int Version) : ITxnRecord
{
    public static CheckVersionTxn Read(ref JuteReader r) => new(r.ReadPath(), r.ReadInt());
    public void Write(ref JuteWriter w) { w.WriteString(Path); w.WriteInt(Version); }
}

/// <summary>class SetACLTxn { ustring path; vector&lt;ACL&gt; acl; int version; }</summary>
public sealed record SetAclTxn(string Path, IReadOnlyList<Acl> AclList, int Version) : ITxnRecord
{
    public static SetAclTxn Read(ref JuteReader r) => new(r.ReadPath(), Acl.ReadList(ref r) ?? [], r.ReadInt());
    public void Write(ref JuteWriter w) { w.WriteString(Path); Acl.WriteList(ref w, AclList); w.WriteInt(Version); }
}

/// <summary>class CreateSessionTxn { int timeOut; }</summary>
public sealed record CreateSessionTxn(int TimeOut) : ITxnRecord
{
    public static CreateSessionTxn Read(ref JuteReader r) => new(r.ReadInt());
    public void Write(ref JuteWriter w) => w.WriteInt(TimeOut);
}

/// <summary>class CloseSessionTxn { vector&lt;ustring&gt; paths2Delete; } — ZooKeeper 3.6+ lists the session's ephemerals.</summary>
public sealed record CloseSessionTxn(IReadOnlyList<string> Paths2Delete) : ITxnRecord
{
    public static CloseSessionTxn Read(ref JuteReader r) => new(r.End ? [] : (IReadOnlyList<string>?)r.ReadStringVector() ?? []);
    public void Write(ref JuteWriter w) { w.WriteInt(Paths2Delete.Count); foreach (var p in Paths2Delete) w.WriteString(p); }
}

/// <summary>class ErrorTxn { int err; }</summary>
public sealed record ErrorTxn(int Err) : ITxnRecord
{
    public static ErrorTxn Read(ref JuteReader r) => new(r.ReadInt());
    public void Write(ref JuteWriter w) => w.WriteInt(Err);
}

/// <summary>class MultiTxn { vector&lt;Txn&gt; txns; } with class Txn { int type; buffer data; } — each sub-txn's
/// record is serialised into its own buffer.</summary>
public sealed record MultiTxn(IReadOnlyList<(int Type, ITxnRecord Record)> Txns) : ITxnRecord
{
    public void Write(ref JuteWriter w)
    {
        w.WriteInt(Txns.Count);
        var scratch = new System.Buffers.ArrayBufferWriter<byte>(256);
        foreach (var (type, rec) in Txns)
        {
            scratch.ResetWrittenCount();
            var sw = new JuteWriter(scratch);
            rec.Write(ref sw);
            w.WriteInt(type);
            w.WriteBuffer(scratch.WrittenSpan);
        }
    }

    public static MultiTxn Read(ref JuteReader r)
    {
        int n = r.ReadVectorCount();
        var list = new List<(int, ITxnRecord)>(Math.Max(n, 0));
        for (int i = 0; i < n; i++)
        {
            int type = r.ReadInt();
            var data = r.ReadBuffer() ?? [];
            var sub = new JuteReader(data, r.MaxBufferBytes);
            list.Add((type, TxnCodec.ReadRecord(type, ref sub)));
        }
        return new MultiTxn(list);
    }
}

/// <summary>Maps a txn type to its record class, as ZooKeeper's SerializeUtils.deserializeTxn does.</summary>
public static class TxnCodec
{
    public static ITxnRecord ReadRecord(int type, ref JuteReader r) => type switch
    {
        OpCode.CreateSession => CreateSessionTxn.Read(ref r),
        OpCode.CloseSession => CloseSessionTxn.Read(ref r),
        OpCode.Create or OpCode.Create2 => CreateTxn.Read(ref r),
        OpCode.CreateTtl => CreateTtlTxn.Read(ref r),
        OpCode.CreateContainer => CreateContainerTxn.Read(ref r),
        OpCode.Delete or OpCode.DeleteContainer => DeleteTxn.Read(ref r),
        OpCode.SetData => SetDataTxn.Read(ref r),
        OpCode.SetAcl => SetAclTxn.Read(ref r),
        OpCode.Error => ErrorTxn.Read(ref r),
        OpCode.Multi => MultiTxn.Read(ref r),
        OpCode.Check => CheckVersionTxn.Read(ref r),
        _ => throw new JuteException("unknown txn type " + type),
    };
}
