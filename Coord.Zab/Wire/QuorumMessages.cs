using System.Buffers.Binary;
using System.Text;
using Coord.Zab.Core;

namespace Coord.Zab.Wire;

/// <summary>
/// How the core's <see cref="ZabMessage"/>s travel as <see cref="QuorumPacket"/>s (quorum-protocol.md §4.3–4.12).
/// The data of each type, big-endian raw fields:
/// <code>
/// FOLLOWERINFO  zxid = acceptedEpoch &lt;&lt; 32; data = LearnerInfo { long serverid, int protocolVersion = 0x10000, long configVersion }
/// LEADERINFO    zxid = newEpoch &lt;&lt; 32;      data = int protocolVersion (0x10000)
/// ACKEPOCH      zxid = last logged zxid;      data = int currentEpoch, or −1 when the epoch was already accepted
/// PROPOSAL      zxid = the txn's;             data = the serialized txn (TxnHeader + record [+ TxnDigest])
/// NEWLEADER     zxid = newEpoch &lt;&lt; 32;      data = the leader's config text, UTF-8
/// PING          leader: zxid = last proposed, data null; learner's reply: zxid echoed, data = the session touch
///               table {long sessionId, int timeoutMs}*, never null (a null buffer makes a 3.8.0 leader drop the learner)
/// ACK, COMMIT, DIFF, TRUNC, SNAP, UPTODATE: zxid only, data null (UPTODATE's zxid is −1)
/// </code>
/// SNAP is followed on the stream by the snapshot itself, which is not part of this mapping.
/// </summary>
public static class QuorumMessages
{
    /// <summary>The Zab protocol version both ends announce (LearnerInfo, LEADERINFO): 0x10000.</summary>
    public const int ProtocolVersion = 0x10000;
    /// <summary>LearnerInfo's size with all three fields (bytes); shorter ones come from older learners.</summary>
    public const int LearnerInfoBytes = 20;

    public static QuorumPacket ToPacket(ZabMessage m, long senderSid, string configText = "")
    {
        int type = (int)m.Type;
        switch (m.Type)
        {
            case QuorumPacketType.FollowerInfo:
            {
                var data = new byte[LearnerInfoBytes];
                BinaryPrimitives.WriteInt64BigEndian(data, senderSid);
                BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(8), ProtocolVersion);
                BinaryPrimitives.WriteInt64BigEndian(data.AsSpan(12), 0); // configVersion: no dynamic reconfig
                return new QuorumPacket(type, m.Zxid, data);
            }
            case QuorumPacketType.LeaderInfo:
                return new QuorumPacket(type, m.Zxid, Int(ProtocolVersion));
            case QuorumPacketType.AckEpoch:
                return new QuorumPacket(type, m.Zxid, Int(m.Epoch));
            case QuorumPacketType.Proposal:
                return new QuorumPacket(type, m.Zxid, m.Txn!.Data);
            case QuorumPacketType.NewLeader:
                return new QuorumPacket(type, m.Zxid, Encoding.UTF8.GetBytes(configText));
            default:
                return new QuorumPacket(type, m.Zxid);
        }
    }

    /// <summary>A learner's PING reply: the zxid echoed, the touch table as data (empty, never null).</summary>
    public static QuorumPacket PingReply(long zxid, IReadOnlyList<(long SessionId, int TimeoutMs)> touched)
    {
        var data = new byte[touched.Count * 12];
        for (int i = 0; i < touched.Count; i++)
        {
            BinaryPrimitives.WriteInt64BigEndian(data.AsSpan(i * 12), touched[i].SessionId);
            BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(i * 12 + 8), touched[i].TimeoutMs);
        }
        return new QuorumPacket((int)QuorumPacketType.Ping, zxid, data);
    }

    /// <summary>The core's view of a received packet; null for a type the core does not take (REQUEST, REVALIDATE,
    /// SYNC, INFORM, the reconfig variants), which the server handles itself. Malformed data throws
    /// <see cref="FormatException"/>: the connection is then closed, as LearnerHandler closes it.</summary>
    public static ZabMessage? FromPacket(in QuorumPacket p, out long learnerSid)
    {
        learnerSid = -1;
        var type = (QuorumPacketType)p.Type;
        switch (type)
        {
            case QuorumPacketType.FollowerInfo:
                // LearnerInfo is read by length (LearnerHandler): ≥ 8 bytes the sid, ≥ 12 the protocol version, ≥ 20 the
                // config version; null data is a pre-3.4 learner, which gets no LEADERINFO and is not supported here.
                if (p.Data is null || p.Data.Length < 8) throw new FormatException("FOLLOWERINFO without a LearnerInfo");
                learnerSid = BinaryPrimitives.ReadInt64BigEndian(p.Data);
                if (p.Data.Length >= 12 && BinaryPrimitives.ReadInt32BigEndian(p.Data.AsSpan(8)) < ProtocolVersion)
                    throw new FormatException("learner protocol version older than 0x10000");
                return new ZabMessage(type, p.Zxid);
            case QuorumPacketType.LeaderInfo:
                return new ZabMessage(type, p.Zxid);
            case QuorumPacketType.AckEpoch:
                if (p.Data is not { Length: 4 }) throw new FormatException("ACKEPOCH data is not one int");
                return new ZabMessage(type, p.Zxid, Epoch: BinaryPrimitives.ReadInt32BigEndian(p.Data));
            case QuorumPacketType.Proposal:
                if (p.Data is null) throw new FormatException("PROPOSAL without a txn");
                return new ZabMessage(type, p.Zxid, new Proposal(p.Zxid, p.Data));
            case QuorumPacketType.Ack or QuorumPacketType.Commit or QuorumPacketType.Diff or QuorumPacketType.Trunc
                or QuorumPacketType.NewLeader or QuorumPacketType.UpToDate or QuorumPacketType.Ping:
                return new ZabMessage(type, p.Zxid);
            default:
                return null;
        }
    }

    private static byte[] Int(int v)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(b, v);
        return b;
    }
}
