using Coord.Protocol.Jute;

namespace Coord.Protocol.Records;

// module org.apache.zookeeper.data

/// <summary>class Id { ustring scheme; ustring id; }</summary>
public readonly record struct Id(string Scheme, string Ident)
{
    /// <summary>A null scheme reads as "" (ZooKeeper rejects both as InvalidACL). A null id stays null: ZooKeeper's
    /// answer depends on the scheme (AclChecker.FixupAcl), and FixupAcl never lets one into the tree.</summary>
    public static Id Read(ref JuteReader r) => new(r.ReadString() ?? "", r.ReadString()!);
    public void Write(ref JuteWriter w) { w.WriteString(Scheme); w.WriteString(Ident); }

    public static readonly Id Anyone = new("world", "anyone");
    public static readonly Id AuthIds = new("auth", "");
}

/// <summary>class ACL { int perms; Id id; }</summary>
public readonly record struct Acl(int Perms, Id Id)
{
    public static Acl Read(ref JuteReader r) => new(r.ReadInt(), Id.Read(ref r));
    public void Write(ref JuteWriter w) { w.WriteInt(Perms); Id.Write(ref w); }

    public static List<Acl>? ReadList(ref JuteReader r)
    {
        int n = r.ReadVectorCount();
        if (n < 0) return null;
        var list = new List<Acl>(Math.Min(n, 64));
        for (int i = 0; i < n; i++) list.Add(Read(ref r));
        return list;
    }

    public static void WriteList(ref JuteWriter w, IReadOnlyList<Acl>? acls)
    {
        if (acls is null) { w.WriteInt(-1); return; }
        w.WriteInt(acls.Count);
        for (int i = 0; i < acls.Count; i++) acls[i].Write(ref w);
    }

    public static readonly IReadOnlyList<Acl> OpenAclUnsafe = [new(Protocol.Perms.All, Id.Anyone)];
    public static readonly IReadOnlyList<Acl> ReadAclUnsafe = [new(Protocol.Perms.Read, Id.Anyone)];
}

/// <summary>class Stat { long czxid; long mzxid; long ctime; long mtime; int version; int cversion; int aversion;
/// long ephemeralOwner; int dataLength; int numChildren; long pzxid; }</summary>
public record struct Stat(
    long Czxid, long Mzxid, long Ctime, long Mtime, int Version, int Cversion, int Aversion,
    long EphemeralOwner, int DataLength, int NumChildren, long Pzxid)
{
    public static Stat Read(ref JuteReader r) => new(
        r.ReadLong(), r.ReadLong(), r.ReadLong(), r.ReadLong(), r.ReadInt(), r.ReadInt(), r.ReadInt(),
        r.ReadLong(), r.ReadInt(), r.ReadInt(), r.ReadLong());

    public readonly void Write(ref JuteWriter w)
    {
        w.WriteLong(Czxid); w.WriteLong(Mzxid); w.WriteLong(Ctime); w.WriteLong(Mtime);
        w.WriteInt(Version); w.WriteInt(Cversion); w.WriteInt(Aversion);
        w.WriteLong(EphemeralOwner); w.WriteInt(DataLength); w.WriteInt(NumChildren); w.WriteLong(Pzxid);
    }

    public const int SizeBytes = 8 * 4 + 4 * 3 + 8 + 4 * 2 + 8;
}

/// <summary>class StatPersisted { long czxid; long mzxid; long ctime; long mtime; int version; int cversion;
/// int aversion; long ephemeralOwner; long pzxid; } — the on-disk form, without dataLength and numChildren.</summary>
public record struct StatPersisted(
    long Czxid, long Mzxid, long Ctime, long Mtime, int Version, int Cversion, int Aversion,
    long EphemeralOwner, long Pzxid)
{
    public static StatPersisted Read(ref JuteReader r) => new(
        r.ReadLong(), r.ReadLong(), r.ReadLong(), r.ReadLong(), r.ReadInt(), r.ReadInt(), r.ReadInt(),
        r.ReadLong(), r.ReadLong());

    public readonly void Write(ref JuteWriter w)
    {
        w.WriteLong(Czxid); w.WriteLong(Mzxid); w.WriteLong(Ctime); w.WriteLong(Mtime);
        w.WriteInt(Version); w.WriteInt(Cversion); w.WriteInt(Aversion);
        w.WriteLong(EphemeralOwner); w.WriteLong(Pzxid);
    }
}

/// <summary>class ClientInfo { ustring authScheme; ustring user; }</summary>
public readonly record struct ClientInfo(string AuthScheme, string User)
{
    public static ClientInfo Read(ref JuteReader r) => new(r.ReadString() ?? "", r.ReadString() ?? "");
    public void Write(ref JuteWriter w) { w.WriteString(AuthScheme); w.WriteString(User); }
}
