using Coord.Protocol.Records;

namespace Coord.Zab;

/// <summary>
/// Atomic broadcast for a quorum of one (standalone mode): a proposal is acknowledged by this server alone, so it
/// commits as soon as it is logged. Txns are handed to <see cref="ITxnSink"/> first (the durable log, when there is
/// one), then committed in proposal order.
/// </summary>
public sealed class StandaloneBroadcast(ICommitHandler handler, ITxnSink? sink = null, long epoch = 0, long lastZxid = 0) : IAtomicBroadcast
{
    private long _lastZxid = lastZxid == 0 ? Zxid.Make(epoch, 0) : lastZxid;

    public long LastProposedZxid => _lastZxid;

    public long NextZxid() => ++_lastZxid;

    public void Propose(in TxnHeader header, ITxnRecord? txn, object? context)
    {
        sink?.Append(header, txn);
        handler.OnCommit(header, txn, context);
    }
}

/// <summary>Where proposed txns are persisted before they count as acknowledged (the txn log).</summary>
public interface ITxnSink
{
    void Append(in TxnHeader header, ITxnRecord? txn);
}
