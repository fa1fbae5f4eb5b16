namespace Coord.Zab.Core;

/// <summary>What the host must do for the core. <see cref="ZabPeer"/> emits these in order and the host carries
/// them out in that order: in particular a <see cref="ZabActionKind.Send"/> emitted after a
/// <see cref="ZabActionKind.SyncLog"/> or a Persist* action leaves only once that write is durable, and the core's next
/// input is given only after every action of the previous one has been carried out. That ordering is what makes
/// "persist, then acknowledge" hold (reliability.md §2: ZOOKEEPER-3911 and its relatives).</summary>
public enum ZabActionKind
{
    /// <summary>Queue <see cref="ZabAction.Message"/> on the connection to <see cref="ZabAction.Peer"/>.</summary>
    Send,
    /// <summary>Open a new connection to <see cref="ZabAction.Peer"/> (a learner dialling its leader), replacing any
    /// earlier one: nothing sent on the old connection arrives after this.</summary>
    Connect,
    /// <summary>Close the connection to <see cref="ZabAction.Peer"/> (a learner dropped by the leader, with
    /// <see cref="ZabAction.Reason"/> for the log, or the leader left by a learner).</summary>
    Disconnect,
    /// <summary>Append <see cref="ZabAction.Txn"/> to the txn log (not yet durable).</summary>
    AppendLog,
    /// <summary>Drop every logged txn after <see cref="ZabAction.Zxid"/> (TRUNC).</summary>
    TruncateLog,
    /// <summary>Replace the whole state with <see cref="ZabAction.Snapshot"/> (SNAP); durable at the next
    /// <see cref="SyncLog"/>.</summary>
    ReplaceLog,
    /// <summary>Make every log change so far durable (fsync).</summary>
    SyncLog,
    /// <summary>Write the acceptedEpoch file (atomically and durably) with <see cref="ZabAction.Epoch"/>.</summary>
    PersistAcceptedEpoch,
    /// <summary>Write the currentEpoch file (atomically and durably) with <see cref="ZabAction.Epoch"/>.</summary>
    PersistCurrentEpoch,
    /// <summary><see cref="ZabAction.Txn"/> is committed: apply it to the tree (in zxid order, each once per
    /// incarnation of the server).</summary>
    Deliver,
    /// <summary>The peer left its role and is LOOKING again; <see cref="ZabAction.Reason"/> says why. The election
    /// decides its next role.</summary>
    StartLooking,
    /// <summary>The leader has a quorum synced with its new epoch and starts serving (Leader.startZkServer);
    /// a follower received UPTODATE.</summary>
    Serving,
}

public readonly record struct ZabAction(ZabActionKind Kind, int Peer = 0, ZabMessage? Message = null,
    Proposal? Txn = null, long Zxid = 0, long Epoch = 0, IReadOnlyList<Proposal>? Snapshot = null,
    string? Reason = null)
{
    public override string ToString() => Kind switch
    {
        ZabActionKind.Send => $"send {Peer} {Message}",
        ZabActionKind.Disconnect => $"disconnect {Peer}",
        ZabActionKind.AppendLog or ZabActionKind.Deliver => $"{Kind} {Txn}",
        ZabActionKind.TruncateLog => $"truncate after {Coord.Zab.Zxid.ToHex(Zxid)}",
        ZabActionKind.PersistAcceptedEpoch or ZabActionKind.PersistCurrentEpoch => $"{Kind} {Epoch}",
        ZabActionKind.StartLooking => $"looking: {Reason}",
        _ => Kind.ToString(),
    };
}
