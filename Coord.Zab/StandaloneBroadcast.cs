using Coord.Protocol.Records;

namespace Coord.Zab;

/// <summary>
/// Atomic broadcast for a quorum of one (standalone mode): a proposal is acknowledged by this server alone, so it
/// commits once it is durable. Without a sink (no txn log) a proposal commits at once. With a sink, proposals are
/// appended as they come and committed together by <see cref="Flush"/>: one fsync covers every txn proposed since the
/// previous flush (group commit), and their commits are then delivered in proposal order.
/// </summary>
public sealed class StandaloneBroadcast(ICommitHandler handler, ITxnSink? sink = null, long epoch = 0, long lastZxid = 0) : IAtomicBroadcast
{
    private long _lastZxid = lastZxid == 0 ? Zxid.Make(epoch, 0) : lastZxid;
    private readonly List<(TxnHeader Header, ITxnRecord? Txn, object? Context)> _pending = [];

    public long LastProposedZxid => _lastZxid;

    public bool CommitsSynchronously => sink is null;

    public int PendingCount => _pending.Count;

    public long NextZxid() => ++_lastZxid;

    public void Propose(in TxnHeader header, ITxnRecord? txn, object? context)
    {
        if (sink is null)
        {
            handler.OnCommit(header, txn, context);
            return;
        }
        sink.Append(header, txn);
        _pending.Add((header, txn, context));
    }

    public void Flush()
    {
        if (_pending.Count == 0) return;
        sink!.Commit();
        // Commits may propose again (a reply path never does today, but keep the delivery order stable).
        var batch = _pending.ToArray();
        _pending.Clear();
        foreach (var (h, t, c) in batch) handler.OnCommit(h, t, c);
    }
}

/// <summary>Where proposed txns are persisted before they count as acknowledged (the txn log).</summary>
public interface ITxnSink
{
    /// <summary>Buffers a txn for the log; it is not durable until <see cref="Commit"/>.</summary>
    void Append(in TxnHeader header, ITxnRecord? txn);

    /// <summary>Makes everything appended so far durable (flush and fsync).</summary>
    void Commit() { }
}
