using Coord.Protocol.Jute;
using Coord.Protocol.Records;

namespace Coord.Zab.Wire;

/// <summary>
/// The record every message on the quorum port is (zookeeper.jute, module org.apache.zookeeper.server.quorum), written
/// back to back with no outer length prefix (quorum-protocol.md §4.1–4.2):
/// <code>
/// QuorumPacket = int type, long zxid, buffer data (int length, −1 = null), vector&lt;Id&gt; authinfo (int count, −1 = null)
/// Id           = ustring scheme, ustring id
/// </code>
/// A packet with null data and null authinfo is 20 bytes. Only REQUEST carries authinfo.
/// </summary>
public readonly record struct QuorumPacket(int Type, long Zxid, byte[]? Data = null, List<Id>? AuthInfo = null)
{
    public void Write(ref JuteWriter w)
    {
        w.WriteInt(Type);
        w.WriteLong(Zxid);
        w.WriteBuffer(Data);
        if (AuthInfo is null) w.WriteInt(-1);
        else
        {
            w.WriteInt(AuthInfo.Count);
            foreach (var id in AuthInfo) id.Write(ref w);
        }
    }

    /// <summary>Reads one packet; buffer and string lengths are checked against the reader's limit (jute.maxbuffer
    /// plus its extra size on the quorum port), as ZooKeeper's BinaryInputArchive checks them.</summary>
    public static QuorumPacket Read(ref JuteReader r)
    {
        int type = r.ReadInt();
        long zxid = r.ReadLong();
        var data = r.ReadBuffer();
        int n = r.ReadVectorCount();
        List<Id>? auth = null;
        if (n >= 0)
        {
            auth = new List<Id>(Math.Min(n, 16));
            for (int i = 0; i < n; i++) auth.Add(Id.Read(ref r));
        }
        return new QuorumPacket(type, zxid, data, auth);
    }
}
