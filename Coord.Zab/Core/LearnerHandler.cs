namespace Coord.Zab.Core;

/// <summary>Where one learner stands with the leader (ZooKeeper's LearnerHandler, as state instead of a thread).</summary>
internal enum LearnerStage
{
    /// <summary>FOLLOWERINFO received; the new epoch is not decided yet.</summary>
    AwaitingEpoch,
    /// <summary>LEADERINFO sent; waiting for ACKEPOCH.</summary>
    AwaitingAckEpoch,
    /// <summary>ACKEPOCH received; waiting for the leader's epoch-ack quorum before syncing.</summary>
    AwaitingSyncStart,
    /// <summary>Sync packets and NEWLEADER sent; waiting for the NEWLEADER ACK.</summary>
    AwaitingNewLeaderAck,
    /// <summary>NEWLEADER acknowledged; waiting for the leader to be established to send UPTODATE.</summary>
    AwaitingUpToDate,
    /// <summary>UPTODATE sent: in broadcast.</summary>
    Broadcast,
}

internal sealed class LearnerHandler(int sid, long acceptedEpoch, long lastHeardTick)
{
    public readonly int Sid = sid;
    public readonly long AcceptedEpoch = acceptedEpoch;
    public LearnerStage Stage = LearnerStage.AwaitingEpoch;
    public long PeerLastZxid;
    /// <summary>Last tick at which anything arrived from the learner (its ack deadline starts here).</summary>
    public long LastHeardTick = lastHeardTick;
    /// <summary>In the forwarding set: receives every new PROPOSAL and COMMIT (Leader.startForwarding).</summary>
    public bool Forwarding;

    /// <summary>Synced with the new epoch: counts toward the leader's quorum check.</summary>
    public bool Synced => Stage >= LearnerStage.AwaitingUpToDate;
}
