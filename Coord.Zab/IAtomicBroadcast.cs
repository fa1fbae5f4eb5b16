using Coord.Protocol.Records;

namespace Coord.Zab;

/// <summary>Receives txns once they are committed, in zxid order. Called on the thread that drives the broadcast.</summary>
public interface ICommitHandler
{
    void OnCommit(in TxnHeader header, ITxnRecord? txn, object? context);

    /// <summary>A proposed txn will never commit (its log write failed, e.g. the disk is full). Aborts arrive in
    /// proposal order and always cover every txn proposed after the last commit.</summary>
    void OnAbort(in TxnHeader header, ITxnRecord? txn, object? context) { }
}

/// <summary>Thrown by a txn sink when appended txns could not be written but the log is intact up to the last commit
/// (nothing of the failed batch is durable, the log was cut back): the batch is aborted, later writes may succeed.</summary>
public sealed class TxnSinkWriteException(string message, Exception inner) : IOException(message, inner);

/// <summary>
/// The seam between request processing and replication. The server assigns zxids through <see cref="NextZxid"/>,
/// proposes each txn in zxid order, and applies it to its tree only when <see cref="ICommitHandler.OnCommit"/>
/// reports it committed. A standalone server is a quorum of one; an ensemble member implements the same interface
/// with Zab's leader or follower protocol behind it.
/// </summary>
public interface IAtomicBroadcast
{
    /// <summary>Zxid of the last txn proposed (or recovered).</summary>
    long LastProposedZxid { get; }

    /// <summary>Allocates the next zxid for a txn about to be proposed.</summary>
    long NextZxid();

    /// <summary>Proposes a txn whose header carries a zxid from <see cref="NextZxid"/>; <paramref name="context"/>
    /// is handed back with the commit (the pending client request).</summary>
    void Propose(in TxnHeader header, ITxnRecord? txn, object? context);

    /// <summary>True when <see cref="Propose"/> commits before it returns (standalone without a log).</summary>
    bool CommitsSynchronously { get; }

    /// <summary>Called by the server at the end of each processing batch: makes proposals durable and delivers the
    /// commits that are due. A no-op for a broadcast that commits synchronously.</summary>
    void Flush();

    /// <summary>Shutdown: finishes any fsync in flight and commits everything pending, on the calling thread.</summary>
    void Drain();
}
