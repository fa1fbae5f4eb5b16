using Coord.Protocol.Records;

namespace Coord.Zab;

/// <summary>
/// Atomic broadcast for a quorum of one (standalone mode): a proposal is acknowledged by this server alone, so it
/// commits once it is durable. Without a sink (no txn log) a proposal commits at once. With a sink, proposals are
/// appended as they come and made durable together: one fsync covers every txn proposed since the previous one
/// (group commit), and their commits are then delivered in proposal order.
/// <para>Given a <c>post</c> callback and a sink that can split its commit, the fsync runs on a background thread
/// (as ZooKeeper's SyncRequestProcessor runs on its own thread): <see cref="Flush"/> only starts it, requests keep
/// being served meanwhile, and the completion is posted back to the caller's thread, where the commits are
/// delivered. Proposals made during an fsync form the next batch. Without <c>post</c>, <see cref="Flush"/> syncs
/// inline.</para>
/// </summary>
public sealed class StandaloneBroadcast(ICommitHandler handler, ITxnSink? sink = null, long epoch = 0, long lastZxid = 0,
    Action<Action>? post = null) : IAtomicBroadcast
{
    private long _lastZxid = lastZxid == 0 ? Zxid.Make(epoch, 0) : lastZxid;
    private long _lastCommittedZxid = lastZxid == 0 ? Zxid.Make(epoch, 0) : lastZxid;
    private List<(TxnHeader Header, ITxnRecord? Txn, object? Context)> _pending = [];
    /// <summary>Proposals covered by the fsync in flight (background mode only).</summary>
    private List<(TxnHeader Header, ITxnRecord? Txn, object? Context)>? _syncing;
    private Task? _syncTask;
    /// <summary>Started with the first background fsync; ended by <see cref="Drain"/>.</summary>
    private SyncThread? _syncThread;

    public long LastProposedZxid => _lastZxid;

    public bool CommitsSynchronously => sink is null;

    public int PendingCount => _pending.Count + (_syncing?.Count ?? 0);

    private bool Background => post is not null && sink is ISplitSyncTxnSink;

    public long NextZxid() => ++_lastZxid;

    public void Propose(in TxnHeader header, ITxnRecord? txn, object? context)
    {
        if (sink is null)
        {
            handler.OnCommit(header, txn, context);
            return;
        }
        _pending.Add((header, txn, context));
        try
        {
            sink.Append(header, txn);
        }
        catch (TxnSinkWriteException)
        {
            AbortPending();
        }
    }

    public void Flush()
    {
        if (_pending.Count == 0) return;
        if (Background)
        {
            if (_syncing is null) StartBackgroundSync();
            return;
        }
        try
        {
            sink!.Commit();
        }
        catch (TxnSinkWriteException)
        {
            AbortPending();
            return;
        }
        var batch = _pending;
        _pending = [];
        Deliver(batch);
    }

    private void StartBackgroundSync()
    {
        var split = (ISplitSyncTxnSink)sink!;
        object ticket;
        try
        {
            ticket = split.BeginSync();
        }
        catch (TxnSinkWriteException)
        {
            AbortPending();
            return;
        }
        _syncing = _pending;
        _pending = [];
        _syncThread ??= new SyncThread("txn log fsync");
        _syncTask = _syncThread.Run(() =>
        {
            Exception? error = null;
            try { split.Sync(ticket); }
            catch (Exception e) { error = e; }
            post!(() => OnSynced(split, ticket, error));
        });
    }

    /// <summary>Runs on the caller's thread (posted): an fsync failure is fatal and is rethrown there.</summary>
    private void OnSynced(ISplitSyncTxnSink split, object ticket, Exception? error)
    {
        if (error is not null) throw new IOException("fsync of the txn log failed: " + error.Message, error);
        split.CompleteSync(ticket);
        var batch = _syncing!;
        _syncing = null;
        _syncTask = null;
        Deliver(batch);
        // The next fsync is not started here but by the caller's Flush at the end of its batch: the commits just
        // delivered release requests held behind them (a session's next write), and those should join that fsync
        // rather than wait a whole fsync for the one after (group commit).
    }

    private void Deliver(List<(TxnHeader Header, ITxnRecord? Txn, object? Context)> batch)
    {
        if (batch.Count == 0) return;
        _lastCommittedZxid = batch[^1].Header.Zxid;
        foreach (var (h, t, c) in batch) handler.OnCommit(h, t, c);
    }

    /// <summary>Shutdown: waits for the fsync in flight and makes everything still pending durable, inline.</summary>
    public void Drain()
    {
        _syncTask?.Wait();
        _syncThread?.Dispose();
        _syncThread = null;
        if (sink is null || PendingCount == 0) return;
        sink.Commit();
        var batch = _syncing ?? [];
        batch.AddRange(_pending);
        _syncing = null;
        _pending = [];
        Deliver(batch);
    }

    /// <summary>Nothing proposed since the last durable point became durable: those zxids are handed out again and
    /// the proposals are aborted, in order. Proposals already covered by an fsync in flight are not affected.</summary>
    private void AbortPending()
    {
        var batch = _pending;
        _pending = [];
        _lastZxid = _syncing is { Count: > 0 } ? _syncing[^1].Header.Zxid : _lastCommittedZxid;
        foreach (var (h, t, c) in batch) handler.OnAbort(h, t, c);
    }
}

/// <summary>
/// A txn sink that can split a commit so the fsync runs on another thread: <see cref="BeginSync"/> (caller's thread)
/// hands everything appended so far to the OS and returns a ticket; <see cref="Sync"/> (any thread) makes that ticket
/// durable; <see cref="CompleteSync"/> (caller's thread again) records it. Appends may continue while a sync runs;
/// at most one ticket is in flight.
/// </summary>
public interface ISplitSyncTxnSink : ITxnSink
{
    object BeginSync();
    void Sync(object ticket);
    void CompleteSync(object ticket);
}

/// <summary>Where proposed txns are persisted before they count as acknowledged (the txn log).</summary>
public interface ITxnSink
{
    /// <summary>Buffers a txn for the log; it is not durable until <see cref="Commit"/>.</summary>
    void Append(in TxnHeader header, ITxnRecord? txn);

    /// <summary>Makes everything appended so far durable (flush and fsync).</summary>
    void Commit() { }
}
