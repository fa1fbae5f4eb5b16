namespace Coord.Zab.Core;

/// <summary>QuorumPacket types of ZooKeeper's learner protocol (Leader.java; the same values in 3.8.0 and 3.9), so a
/// transport can put a <see cref="ZabMessage"/> on the quorum port as a jute QuorumPacket unchanged.</summary>
public enum QuorumPacketType
{
    Request = 1,
    Proposal = 2,
    Ack = 3,
    Commit = 4,
    Ping = 5,
    Revalidate = 6,
    Sync = 7,
    Inform = 8,
    CommitAndActivate = 9,
    NewLeader = 10,
    FollowerInfo = 11,
    UpToDate = 12,
    Diff = 13,
    Trunc = 14,
    Snap = 15,
    ObserverInfo = 16,
    LeaderInfo = 17,
    AckEpoch = 18,
    InformAndActivate = 19,
}
