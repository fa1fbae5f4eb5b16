using System.Buffers.Binary;
using System.Text;

namespace Coord.Zab.Wire;

/// <summary>
/// A Fast Leader Election notification (FastLeaderElection.buildMsg, quorum-protocol.md §3.1), the body of one frame
/// on the election connection (the frame is int length 1 … 524288 + body):
/// <code>
/// int  state          LOOKING 0, FOLLOWING 1, LEADING 2, OBSERVING 3
/// long leader         proposed leader's sid
/// long zxid           proposed leader's last zxid
/// long electionEpoch  sender's logical clock
/// long peerEpoch      proposed leader's epoch
/// int  version        2
/// int  configLength   n
/// byte[n] config      the sender's committed config text, UTF-8
/// </code>
/// </summary>
public readonly record struct Notification(int State, long Leader, long Zxid, long ElectionEpoch, long PeerEpoch, int Version, string Config)
{
    public const int CurrentVersion = 2;
    /// <summary>QuorumCnxManager.PACKETMAXSIZE: a frame longer than this drops the connection (bytes).</summary>
    public const int MaxFrameBytes = 512 * 1024;

    public byte[] ToBody()
    {
        var config = Encoding.UTF8.GetBytes(Config);
        var b = new byte[44 + config.Length];
        BinaryPrimitives.WriteInt32BigEndian(b, State);
        BinaryPrimitives.WriteInt64BigEndian(b.AsSpan(4), Leader);
        BinaryPrimitives.WriteInt64BigEndian(b.AsSpan(12), Zxid);
        BinaryPrimitives.WriteInt64BigEndian(b.AsSpan(20), ElectionEpoch);
        BinaryPrimitives.WriteInt64BigEndian(b.AsSpan(28), PeerEpoch);
        BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(36), Version);
        BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(40), config.Length);
        config.CopyTo(b, 44);
        return b;
    }

    /// <summary>Reads a body as a 3.8 receiver does: shorter than 28 bytes or a state outside 0–3 is ignored (null);
    /// 28 bytes is the oldest form (peerEpoch = zxid's epoch); 40 bytes the 3.4.6 form (version taken as 0, no config);
    /// otherwise version and, for version &gt; 1, a config whose length must fit the body (else ignored).</summary>
    public static Notification? Parse(ReadOnlySpan<byte> b)
    {
        if (b.Length < 28) return null;
        int state = BinaryPrimitives.ReadInt32BigEndian(b);
        if (state is < 0 or > 3) return null;
        long leader = BinaryPrimitives.ReadInt64BigEndian(b[4..]);
        long zxid = BinaryPrimitives.ReadInt64BigEndian(b[12..]);
        long electionEpoch = BinaryPrimitives.ReadInt64BigEndian(b[20..]);
        if (b.Length == 28) return new Notification(state, leader, zxid, electionEpoch, zxid >> 32, 0, "");
        if (b.Length < 36) return null;
        long peerEpoch = BinaryPrimitives.ReadInt64BigEndian(b[28..]);
        if (b.Length <= 40) return new Notification(state, leader, zxid, electionEpoch, peerEpoch, 0, "");
        int version = BinaryPrimitives.ReadInt32BigEndian(b[36..]);
        if (version <= 1) return new Notification(state, leader, zxid, electionEpoch, peerEpoch, version, "");
        if (b.Length < 44) return null;
        int n = BinaryPrimitives.ReadInt32BigEndian(b[40..]);
        if (n < 0 || n > b.Length - 44) return null;
        return new Notification(state, leader, zxid, electionEpoch, peerEpoch, version, Encoding.UTF8.GetString(b.Slice(44, n)));
    }
}
