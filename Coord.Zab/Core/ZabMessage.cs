namespace Coord.Zab.Core;

/// <summary>
/// One packet on a leader–learner connection, in ZooKeeper's QuorumPacket vocabulary (quorum-protocol.md §4.3):
/// <list type="table">
/// <item><term>FOLLOWERINFO</term><description>Zxid = acceptedEpoch &lt;&lt; 32.</description></item>
/// <item><term>LEADERINFO</term><description>Zxid = newEpoch &lt;&lt; 32.</description></item>
/// <item><term>ACKEPOCH</term><description>Zxid = the learner's last logged zxid; <see cref="Epoch"/> = its
///   currentEpoch, or −1 when it had already accepted this epoch.</description></item>
/// <item><term>DIFF / TRUNC</term><description>Zxid as in §4.5–4.6.</description></item>
/// <item><term>SNAP</term><description>Zxid = the leader's last zxid in <see cref="Snapshot"/>, the state the learner
///   takes whole (on the wire: the snapshot stream that follows the packet).</description></item>
/// <item><term>PROPOSAL</term><description><see cref="Txn"/> set; Zxid = its zxid.</description></item>
/// <item><term>ACK / COMMIT</term><description>Zxid of the proposal (NEWLEADER's ACK: newEpoch &lt;&lt; 32).</description></item>
/// <item><term>NEWLEADER</term><description>Zxid = newEpoch &lt;&lt; 32. UPTODATE: Zxid −1.</description></item>
/// <item><term>PING</term><description>Zxid = the leader's last proposed zxid, echoed by the learner.</description></item>
/// </list>
/// </summary>
public sealed record ZabMessage(QuorumPacketType Type, long Zxid, Proposal? Txn = null, int Epoch = 0,
    IReadOnlyList<Proposal>? Snapshot = null)
{
    public override string ToString() => Type switch
    {
        QuorumPacketType.Proposal => $"PROPOSAL {Txn}",
        QuorumPacketType.AckEpoch => $"ACKEPOCH {Coord.Zab.Zxid.ToHex(Zxid)} epoch={Epoch}",
        QuorumPacketType.Snap => $"SNAP {Coord.Zab.Zxid.ToHex(Zxid)} ({Snapshot?.Count} txns)",
        _ => $"{Type.ToString().ToUpperInvariant()} {Coord.Zab.Zxid.ToHex(Zxid)}",
    };
}
