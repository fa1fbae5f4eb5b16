using Coord.Protocol.Jute;
using Coord.Protocol.Records;
using Coord.Zab;
using Coord.Zab.Core;
using Coord.Zab.Wire;
using Coord.Server.Network;
using NUnit.Framework;

namespace Coord.Tests.Zab;

/// <summary>Quorum-port and election-port encodings against the bytes ZooKeeper 3.8.0 servers put on the wire
/// (the [wire] captures of quorum-protocol.md §2–4).</summary>
[TestFixture]
public class QuorumWireTests
{
    private static byte[] Hex(string s) => Convert.FromHexString(s.Replace(" ", ""));

    private static byte[] Encode(QuorumPacket p)
    {
        var buf = new PooledBufferWriter();
        var w = new JuteWriter(buf);
        p.Write(ref w);
        return buf.WrittenSpan.ToArray();
    }

    private static QuorumPacket Decode(byte[] bytes)
    {
        var r = new JuteReader(bytes);
        var p = QuorumPacket.Read(ref r);
        Assert.That(r.Remaining, Is.Zero);
        return p;
    }

    private static ZabMessage? Core(string hex, out long sid) => QuorumMessages.FromPacket(Decode(Hex(hex)), out sid);

    [TestCase("00000003 0000000100000000 ffffffff ffffffff", QuorumPacketType.Ack, 0x100000000L)]
    [TestCase("00000005 000000010000000f ffffffff ffffffff", QuorumPacketType.Ping, 0x10000000fL)]
    public void PacketsWithoutDataAreTwentyBytes(string hex, QuorumPacketType type, long zxid)
    {
        var bytes = Hex(hex);
        Assert.That(bytes, Has.Length.EqualTo(20));
        Assert.That(Encode(QuorumMessages.ToPacket(new ZabMessage(type, zxid), senderSid: 1)), Is.EqualTo(bytes));
        Assert.That(Core(hex, out _), Is.EqualTo(new ZabMessage(type, zxid)));
    }

    [Test]
    public void FollowerInfoCarriesLearnerInfo()
    {
        const string hex = "0000000b 0000000100000000 00000014 0000000000000003 00010000 0000000000000000 ffffffff";
        var m = new ZabMessage(QuorumPacketType.FollowerInfo, Zxid.Make(1, 0));
        Assert.That(Encode(QuorumMessages.ToPacket(m, senderSid: 3)), Is.EqualTo(Hex(hex)));
        Assert.That(Core(hex, out long sid), Is.EqualTo(m));
        Assert.That(sid, Is.EqualTo(3));
        // An older learner's 12-byte LearnerInfo (no config version) is read by length.
        Assert.That(Core("0000000b 0000000100000000 0000000c 0000000000000007 00010000 ffffffff", out sid), Is.EqualTo(m));
        Assert.That(sid, Is.EqualTo(7));
    }

    [Test]
    public void LeaderInfoAndAckEpoch()
    {
        var leaderInfo = new ZabMessage(QuorumPacketType.LeaderInfo, Zxid.Make(1, 0));
        Assert.That(Encode(QuorumMessages.ToPacket(leaderInfo, 1)), Is.EqualTo(Hex("00000011 0000000100000000 00000004 00010000 ffffffff")));
        // A learner that had already accepted the epoch sends −1; a fresh one its currentEpoch (0).
        var again = new ZabMessage(QuorumPacketType.AckEpoch, 0x100000008, Epoch: -1);
        Assert.That(Encode(QuorumMessages.ToPacket(again, 3)), Is.EqualTo(Hex("00000012 0000000100000008 00000004 ffffffff ffffffff")));
        var fresh = new ZabMessage(QuorumPacketType.AckEpoch, 0, Epoch: 0);
        Assert.That(Encode(QuorumMessages.ToPacket(fresh, 3)), Is.EqualTo(Hex("00000012 0000000000000000 00000004 00000000 ffffffff")));
        Assert.That(Core("00000012 0000000100000008 00000004 ffffffff ffffffff", out _), Is.EqualTo(again));
    }

    [Test]
    public void LearnersPingReplyAlwaysCarriesABuffer()
    {
        Assert.That(Encode(QuorumMessages.PingReply(0x10000000f, [])), Is.EqualTo(Hex("00000005 000000010000000f 00000000 ffffffff")));
        Assert.That(Encode(QuorumMessages.PingReply(0x100000011, [(0x0300112233440000, 30000)])),
            Is.EqualTo(Hex("00000005 0000000100000011 0000000c 0300112233440000 00007530 ffffffff")));
    }

    [Test]
    public void RequestCarriesAuthInfoAndRevalidateItsSession()
    {
        // [wire] a learner forwarding createSession (authinfo null) and revalidating a session.
        var create = Decode(Hex("00000001 ffffffffffffffff 00000014 0300112233440000 00000000 fffffff6 00007530 ffffffff"));
        Assert.That((create.Type, create.Zxid, create.Data!.Length, create.AuthInfo), Is.EqualTo((1, -1L, 20, (List<Id>?)null)));
        var withAuth = new QuorumPacket(1, -1, [1], [new Id("ip", "127.0.0.1")]);
        Assert.That(Decode(Encode(withAuth)).AuthInfo, Is.EqualTo(new[] { new Id("ip", "127.0.0.1") }));
        Assert.That(QuorumMessages.FromPacket(create, out _), Is.Null, "REQUEST is the server's, not the core's");
        var revalidate = Decode(Hex("00000006 ffffffffffffffff 0000000c 0300112233440000 00007530 ffffffff"));
        Assert.That((revalidate.Type, revalidate.Data!.Length), Is.EqualTo((6, 12)));
    }

    [Test]
    public void ProposalDataIsTheSerializedTxn()
    {
        // [wire] createSession PROPOSAL data (48 bytes): TxnHeader | CreateSessionTxn | TxnDigest.
        var data = Hex("0300112233440000 00000000 0000000100000010 000001a2163b81d2 fffffff6 00007530 00000002 00000002ad7e510f");
        var m = new ZabMessage(QuorumPacketType.Proposal, 0x100000010, new Proposal(0x100000010, data));
        var bytes = Encode(QuorumMessages.ToPacket(m, 1));
        Assert.That(bytes.AsSpan(0, 16).ToArray(), Is.EqualTo(Hex("00000002 0000000100000010 00000030")));
        var back = QuorumMessages.FromPacket(Decode(bytes), out _)!;
        Assert.That(back.Txn!.Data, Is.EqualTo(data));
    }

    [Test]
    public void MalformedPacketsAreRejected()
    {
        Assert.Throws<FormatException>(() => Core("00000012 0000000100000008 00000002 ffff ffffffff", out _), "ACKEPOCH with 2 bytes");
        Assert.Throws<FormatException>(() => Core("0000000b 0000000100000000 ffffffff ffffffff", out _), "FOLLOWERINFO without LearnerInfo");
        Assert.Throws<FormatException>(() => Core("00000002 0000000100000001 ffffffff ffffffff", out _), "PROPOSAL without a txn");
        Assert.Throws<JuteException>(() => Decode(Hex("00000002 0000000100000001 7fffffff")), "a buffer longer than jute.maxbuffer");
    }

    [Test]
    public void ElectionInitialMessage()
    {
        var bytes = Hex("ffffffffffff0000 0000000000000003 0000000e 3132372e302e302e313a33393833");
        Assert.That(new InitialMessage(3, "127.0.0.1:3983").ToBytes(), Is.EqualTo(bytes));
        Assert.That(InitialMessage.Parse(bytes), Is.EqualTo(new InitialMessage(3, "127.0.0.1:3983")));
        Assert.That(InitialMessage.Parse(Hex("0000000000000005")), Is.EqualTo(new InitialMessage(5, "")), "pre-3.5: the sid alone");
        Assert.Throws<FormatException>(() => InitialMessage.Parse(Hex("ffffffffffff0007 0000000000000003 00000001 31")), "unknown version");
        Assert.Throws<FormatException>(() => InitialMessage.Parse(Hex("ffffffffffff0000 0000000000000003 00000801")), "address longer than 2048");
        Assert.Throws<FormatException>(() => InitialMessage.Parse(Hex("ffffffffffff0000 0000000000000003 00000004 61626364")), "not host:port");
    }

    [Test]
    public void FastLeaderElectionNotification()
    {
        // [wire] a 3.8.0 follower's answer to a LOOKING peer: FOLLOWING, leader 2, zxid 0, electionEpoch 1, peerEpoch 1.
        const string config = "server.1=127.0.0.1:2981:3981:participant\nserver.2=127.0.0.1:2982:3982:participant\nserver.3=127.0.0.1:2983:3983:participant\nversion=0";
        var n = new Notification(1, 2, 0, 1, 1, Notification.CurrentVersion, config);
        var body = n.ToBody();
        Assert.That(body, Has.Length.EqualTo(176));
        Assert.That(body.AsSpan(0, 44).ToArray(), Is.EqualTo(Hex("00000001 0000000000000002 0000000000000000 0000000000000001 0000000000000001 00000002 00000084")));
        Assert.That(Notification.Parse(body), Is.EqualTo(n));
        // The older forms a 3.8 receiver still reads, and what it ignores.
        Assert.That(Notification.Parse(body.AsSpan(0, 28)), Is.EqualTo(new Notification(1, 2, 0, 1, 0, 0, "")));
        Assert.That(Notification.Parse(body.AsSpan(0, 27)), Is.Null);
        var badState = (byte[])body.Clone(); badState[3] = 9;
        Assert.That(Notification.Parse(badState), Is.Null);
        var badLength = (byte[])body.Clone(); badLength[43] = 0xff;
        Assert.That(Notification.Parse(badLength), Is.Null);
    }
}
