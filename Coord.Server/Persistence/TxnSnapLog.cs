// The data directory as ZooKeeper lays it out, and recovery from it (FileTxnSnapLog + ZKDatabase.loadDataBase +
// the dead-session cleanup of ZooKeeperServer.loadData, 3.8):
//
//   <dataDir>/version-2/snapshot.<zxid>[.gz]     grammar in FileSnap.cs
//   <dataLogDir>/version-2/log.<zxid>            grammar in FileTxnLog.cs (dataLogDir defaults to dataDir)
//
// Restore = newest snapshot that reads cleanly (older ones are tried if it does not), then every logged txn with a
// higher zxid, in order, applied to the tree; session timeouts come from the snapshot's session map and the
// createSession/closeSession txns replayed. Zxids continue without gaps (next = previous + 1, or counter 1 of a
// later epoch), except where a zxid was numbered without a txn (ZooKeeper burns one on a multi with a null path): such
// a gap is accepted inside a file, and where a file's name is below its first zxid; a gap at a file named for its
// first zxid is a lost tail (below). A damaged tail of the newest log file with no intact entry after it — a write cut short by a crash —
// is cut off, and so is damage that looks unwritten (zeroed disk sectors: a power cut before the fsync, see
// TxnLogReader) together with everything after it; any other damage stops recovery with PersistenceCorruptException
// (fail-stop: the node needs repair or a resync, never a silent skip).

using Coord.Protocol;
using Coord.Protocol.Records;
using Coord.Server.Data;
using Coord.Zab;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Coord.Server.Persistence;

public sealed class TxnSnapLogOptions
{
    public FileTxnLogOptions Log { get; init; } = new();
    public SnapshotCompression SnapshotCompression { get; init; } = SnapshotCompression.None;
    /// <summary>zookeeper.snapCount: a snapshot after snapCount/2 + random(snapCount/2) txns. Default 100000.</summary>
    public int SnapCount { get; init; } = 100_000;
    /// <summary>zookeeper.snapSizeLimitInKb × 1024: also snapshot once the log since the last one passes half of this
    /// plus a random share. Default 4 GiB; 0 or less turns it off.</summary>
    public long SnapSizeLimitBytes { get; init; } = 4L << 30;
    /// <summary>Entry, string and buffer length limit when reading (jute.maxbuffer + extrasize).</summary>
    public int MaxRecordBytes { get; init; } = TxnLogReader.DefaultMaxRecordBytes;
    /// <summary>Cut a torn tail off the newest log file (damage with nothing intact after it). When false, any damage
    /// stops recovery.</summary>
    public bool TruncateTornTail { get; init; } = true;
    /// <summary>zookeeper.snapshot.trust.empty: accept log files when no snapshot exists.</summary>
    public bool TrustEmptySnapshot { get; init; }
    /// <summary>Refuse a log whose zxids jump (other than to counter 1 of a later epoch).</summary>
    public bool RequireContiguousZxids { get; init; } = true;
    /// <summary>Snapshots tried, newest first, before giving up (ZooKeeper tries 100).</summary>
    public int MaxSnapshotsToTry { get; init; } = 100;
    /// <summary>Randomises the snapshot interval as ZooKeeper does; seed it for reproducible tests.</summary>
    public Random Random { get; init; } = new();
}

/// <summary>What recovery found.</summary>
/// <param name="LastZxid">Highest zxid in the restored state (the snapshot's, or the last replayed txn's); 0 when the
/// directory was empty. Continue numbering after it.</param>
/// <param name="Sessions">Live sessions with their timeouts (ms), to re-register in the session tracker.</param>
/// <param name="TornTail">The damage that was cut off the newest log file, if any.</param>
/// <param name="DeadSessions">Sessions that owned ephemerals but had no session entry; their ephemerals were removed.</param>
/// <param name="DigestsChecked">Replayed txns that carried a TxnDigest (ZooKeeper 3.6+ writes one on every txn but
/// error txns) whose version matched, so the tree digest after applying them was compared.</param>
/// <param name="DigestMismatches">Of those, how many disagreed (ZooKeeper logs "Digests are not matching" and goes on;
/// so does Coord, with a warning for the first ones).</param>
/// <summary>A snapshot taken on the tree thread, to be written on another (<see cref="TxnSnapLog.WriteCapturedSnapshot"/>).</summary>
public sealed record CapturedSnapshot(TreeSnapshot View, List<KeyValuePair<long, int>> Sessions)
{
    public long Zxid => View.Zxid;
}

public sealed record RestoreResult(
    long LastZxid,
    long SnapshotZxid,
    string? SnapshotPath,
    IReadOnlyDictionary<long, int> Sessions,
    int TxnsReplayed,
    TxnLogDamage? TornTail,
    IReadOnlyList<long> DeadSessions,
    IReadOnlyList<string> Warnings,
    int DigestsChecked = 0,
    int DigestMismatches = 0);

/// <summary>
/// Snapshots plus txn log for one server: recovery at start (<see cref="Restore"/>), the log to append to
/// (<see cref="Log"/>, an <see cref="ITxnSink"/>), and snapshots with ZooKeeper's cadence (<see cref="ShouldSnapshot"/>,
/// <see cref="TakeSnapshot"/>). Single-threaded, like the tree it persists.
/// </summary>
public sealed class TxnSnapLog : IDisposable
{
    private readonly TxnSnapLogOptions _options;
    private readonly ILogger _log;
    private long _appendedAtSnapshot;
    private int _randRoll;
    private long _randSize;

    /// <param name="dataDir">zoo.cfg dataDir (snapshots go to dataDir/version-2).</param>
    /// <param name="dataLogDir">zoo.cfg dataLogDir (logs go to dataLogDir/version-2); null = dataDir.</param>
    public TxnSnapLog(string dataDir, string? dataLogDir = null, TxnSnapLogOptions? options = null, ILogger? log = null)
    {
        _options = options ?? new TxnSnapLogOptions();
        _log = log ?? NullLogger.Instance;
        SnapDir = PersistenceFormat.VersionDir(dataDir);
        LogDir = PersistenceFormat.VersionDir(dataLogDir ?? dataDir);
        Directory.CreateDirectory(SnapDir);
        Log = new FileTxnLog(LogDir, _options.Log, _log);
        ResetSnapshotCadence();
    }

    public string SnapDir { get; }
    public string LogDir { get; }
    public FileTxnLog Log { get; }

    /// <summary>
    /// Rebuilds <paramref name="tree"/> (which must be fresh) from disk. Throws <see cref="PersistenceCorruptException"/>
    /// when the files cannot be trusted; cuts off a torn log tail (see the file comment).
    /// </summary>
    /// <summary>How often a long log replay logs its progress (ms).</summary>
    private const long ReplayProgressIntervalMs = 5000;

    public RestoreResult Restore(DataTree tree)
    {
        var warnings = new List<string>();
        void Warn(string message)
        {
            warnings.Add(message);
            _log.LogWarning("{Message}", message);
        }

        // 1. The newest snapshot that reads cleanly, streamed into the tree; a damaged one is thrown away (the tree is
        // emptied again) and the next older one tried.
        SnapshotInfo? snap = null;
        string? snapPath = null;
        List<KeyValuePair<long, int>> snapSessions = [];
        var snapshots = PersistenceFormat.ListSnapshots(SnapDir);
        var loadTime = System.Diagnostics.Stopwatch.StartNew();
        var gcPause0 = GC.GetTotalPauseDuration();
        int gen0Count = GC.CollectionCount(0), gen2Count = GC.CollectionCount(2);
        long allocated0 = GC.GetTotalAllocatedBytes();
        foreach (var (path, _) in snapshots.Take(_options.MaxSnapshotsToTry))
        {
            try
            {
                _log.LogInformation("Reading snapshot {Path} into the tree", path);
                (snap, snapSessions) = DataTreeLoader.LoadFile(tree, path, _options.MaxRecordBytes);
                snapPath = path;
                break;
            }
            catch (Exception e) when (e is IOException or NotSupportedException or InvalidDataException)
            {
                Warn($"problem reading snap file {path}: {e.Message}");
                tree.BeginRestore();
            }
        }
        if (snap is null && snapshots.Count > 0)
            throw new PersistenceCorruptException($"Not able to find valid snapshots in {SnapDir}");

        var sessions = new Dictionary<long, int>();
        long snapZxid = 0;
        int digestsChecked = 0, digestMismatches = 0;
        if (snap is not null)
        {
            foreach (var (id, timeout) in snapSessions) sessions[id] = timeout;
            snapZxid = Math.Max(snap.Zxid, 0);
            // FileSnap.deserialize → compareSnapshotDigests: a digest taken exactly at the snapshot's zxid must match.
            if (snap.Digest is { Zxid: > 0 } sd && sd.Zxid == snapZxid && sd.DigestVersion == DataTree.DigestVersion && sd.Digest != tree.TreeDigest)
            {
                digestMismatches++;
                Warn($"Digests are not matching for snapshot {Path.GetFileName(snapPath)}: file has {sd.Digest}, tree has {tree.TreeDigest}");
            }
            // The GC figures say how much of a large load was the collector's (promoting a million new objects).
            _log.LogInformation("Loaded snapshot {Path}: {Nodes} nodes, {Sessions} sessions in {Ms} ms (allocated {AllocMb} MB; GC: {Gen0} collections, {Gen2} of gen2, paused {PauseMs:0} ms)",
                snapPath, snap.NodeCount, snapSessions.Count, loadTime.ElapsedMilliseconds, (GC.GetTotalAllocatedBytes() - allocated0) >> 20, GC.CollectionCount(0) - gen0Count,
                GC.CollectionCount(2) - gen2Count, (GC.GetTotalPauseDuration() - gcPause0).TotalMilliseconds);
        }
        else if (PersistenceFormat.ListLogs(LogDir).Count > 0 && !_options.TrustEmptySnapshot)
        {
            throw new PersistenceCorruptException($"No snapshot found in {SnapDir}, but there are log entries in {LogDir}. Something is broken!");
        }

        // 2. The txns after it. A ZooKeeper snapshot is fuzzy: written while txns kept applying, it is consistent only
        // once replay reaches the zxid of its digest; digests are compared from there on.
        long fuzzyUntil = snap?.Digest is { Zxid: > 0 } fd && fd.Zxid > snapZxid && fd.DigestVersion == DataTree.DigestVersion ? fd.Zxid : 0;
        long highest = snapZxid;
        int replayed = 0;
        TxnLogDamage? tornTail = null;
        bool first = true;
        bool gapCut = false;
        long from = snap is null ? 0 : snapZxid + 1;
        // A long replay reports its progress every few seconds, so an operator can tell a slow start from a hung one.
        var progress = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            using var it = new TxnLogIterator(LogDir, from, _options.MaxRecordBytes);
            while (it.MoveNext())
            {
                var e = it.Current;
                long z = e.Header.Zxid;
                if (z <= highest && !(first && snap is null))
                {
                    Warn($"{Path.GetFileName(e.File)}: txn 0x{z:x} is not above 0x{highest:x}; skipped");
                    continue;
                }
                bool startsFile = PersistenceFormat.ZxidFromName(Path.GetFileName(e.File), PersistenceFormat.LogPrefix) == z;
                if (!(first && snap is null) && !Follows(highest, z) && !startsFile)
                {
                    // A gap inside a file (or after a file named for the first zxid after the previous file's end,
                    // see FileTxnLog.Append): entries are written in order, so nothing between them was lost. The
                    // zxids were numbered without a txn, which ZooKeeper does for a multi whose op has a null path.
                    Warn($"{Path.GetFileName(e.File)}: no txn for zxids 0x{highest + 1:x}..0x{z - 1:x} (numbered without a txn)");
                }
                else if (_options.RequireContiguousZxids && !(first && snap is null) && !Follows(highest, z))
                {
                    // A gap where a new file starts (its name is its first zxid), after a file that ended cleanly: its tail was
                    // written but lost before its fsync (a power cut keeps or drops unsynced writes of different files
                    // independently), while part of the next file survived. Nothing from the gap on was acknowledged:
                    // a txn is acknowledged only after everything logged before it, in every file, is durable. So it
                    // is cut like an unwritten tail. Inside one file a gap is damage and stops the start.
                    if (_options.TruncateTornTail)
                    {
                        tornTail = new TxnLogDamage(e.File, TxnLogStop.EndOfLog, 0, highest, IntactEntryFollows: false,
                            $"0x{z:x} starts this file but the log before it ends at 0x{highest:x}", LooksUnwritten: true);
                        Warn($"cutting the txn log after 0x{highest:x}: the txns up to 0x{z - 1:x} were lost before their fsync (power loss): {tornTail}");
                        FileTxnLog.Truncate(LogDir, highest, _options.MaxRecordBytes);
                        gapCut = true;
                        break;
                    }
                    throw new PersistenceCorruptException($"gap in the txn log: 0x{z:x} in {Path.GetFileName(e.File)} follows 0x{highest:x}");
                }
                Apply(tree, sessions, e);
                // Inside a fuzzy snapshot's window no digest applies (DataTree.compareDigest); at its end the
                // snapshot's digest does; after it, each txn's own.
                long? expected = z == fuzzyUntil ? snap!.Digest!.Value.Digest
                    : z > fuzzyUntil && e.Digest is { } d && d.Version == DataTree.DigestVersion ? d.TreeDigest : null;
                if (expected is long want)
                {
                    digestsChecked++;
                    if (want != tree.TreeDigest && ++digestMismatches <= 10)
                        Warn($"Digests are not matching at zxid 0x{z:x}: expected {want}, tree has {tree.TreeDigest}");
                }
                highest = z;
                first = false;
                replayed++;
                if (progress.ElapsedMilliseconds >= ReplayProgressIntervalMs)
                {
                    _log.LogInformation("Replaying the txn log: {Count} txns so far, at zxid 0x{Zxid:x} in {File}", replayed, z, Path.GetFileName(e.File));
                    progress.Restart();
                }
            }
            var damage = it.Damage;
            if (damage is null || gapCut) break;
            if (damage.LooksUnwritten && _options.TruncateTornTail && (damage.IntactEntryFollows || !it.DamageInLastFile))
            {
                // A power cut before the fsync (see TxnLogReader): everything from the hole on, in this file and any
                // later one, was never acknowledged.
                Warn($"cutting the txn log after 0x{highest:x} at sectors that were never written (power loss before fsync): {damage}");
                FileTxnLog.Truncate(LogDir, highest, _options.MaxRecordBytes);
                tornTail = damage;
                break;
            }
            if (it.DamageInLastFile)
            {
                if (damage.IntactEntryFollows || !_options.TruncateTornTail)
                    throw new PersistenceCorruptException($"txn log damaged: {damage}");
                Warn($"cutting torn tail off the txn log: {damage}");
                FileTxnLog.TruncateFile(damage.File, damage.Offset);
                tornTail = damage;
                break;
            }
            // Damage in an older file is tolerable only as a leftover tail: the next file carries on right after it.
            var next = it.FileAfterDamage!.Value;
            if (damage.IntactEntryFollows || !(next.Zxid == highest + 1 || Follows(highest, next.Zxid)))
                throw new PersistenceCorruptException($"txn log damaged: {damage}; the next file starts at 0x{next.Zxid:x}");
            Warn($"cutting stale tail off an older txn log: {damage}");
            FileTxnLog.TruncateFile(damage.File, damage.Offset);
            from = highest + 1;
        }

        // 3. Ephemerals whose session is gone (ZooKeeperServer.loadData kills them without logging a txn).
        var dead = tree.Ephemerals.Keys.Where(owner => !sessions.ContainsKey(owner)).ToList();
        foreach (var owner in dead)
            tree.ProcessTxn(new TxnHeader(owner, 0, highest, 0, OpCode.CloseSession), new CloseSessionTxn([]));

        Log.LastZxidSeen = highest;
        _log.LogInformation("{Count} txns loaded from {LogDir}; highest zxid is 0x{Zxid:x}", replayed, LogDir, highest);
        return new RestoreResult(highest, snapZxid, snapPath, sessions, replayed, tornTail, dead, warnings, digestsChecked, digestMismatches);
    }

    /// <summary>True when <paramref name="next"/> may follow <paramref name="prev"/> in a log: the next counter, or
    /// the first txn of a later epoch.</summary>
    public static bool Follows(long prev, long next) =>
        next == prev + 1 || (Zxid.EpochOf(next) > Zxid.EpochOf(prev) && Zxid.CounterOf(next) == 1);

    private static void Apply(DataTree tree, Dictionary<long, int> sessions, TxnLogEntry e)
    {
        var hdr = e.Header;
        switch (hdr.Type)
        {
            case OpCode.CreateSession:
                sessions[hdr.ClientId] = ((CreateSessionTxn)e.Txn!).TimeOut;
                break;
            case OpCode.CloseSession:
                sessions.Remove(hdr.ClientId);
                break;
        }
        tree.ProcessTxn(hdr, e.Txn);
    }

    /// <summary>SyncRequestProcessor.shouldSnapshot: more than snapCount/2 + a random share of it appended since the
    /// last snapshot, or the log since then past snapSizeLimit/2 + a random share.</summary>
    public bool ShouldSnapshot()
    {
        long count = Log.AppendedCount - _appendedAtSnapshot;
        return count > _options.SnapCount / 2 + _randRoll ||
               (_options.SnapSizeLimitBytes > 0 && Log.CurrentLogSize > _options.SnapSizeLimitBytes / 2 + _randSize);
    }

    /// <summary>
    /// Commits and rolls the log, then writes snapshot.&lt;tree.LastProcessedZxid&gt; of the tree and sessions. Call it on
    /// the thread that owns the tree, after the txns applied to it have been committed (the snapshot must not hold
    /// state the log could lose).
    /// </summary>
    public string TakeSnapshot(DataTree tree, IEnumerable<KeyValuePair<long, int>> sessions)
    {
        if (Log.UncommittedCount > 0) Log.Commit();
        Log.RollLog();
        long zxid = tree.LastProcessedZxid;
        var path = DataTreeLoader.WriteSnapshot(tree, sessions, SnapDir, zxid,
            new SnapshotWriteOptions { Compression = _options.SnapshotCompression, Fsync = _options.Log.ForceSync });
        _log.LogInformation("Snapshotting: 0x{Zxid:x} to {Path}", zxid, path);
        ResetSnapshotCadence();
        return path;
    }

    /// <summary>
    /// First half of a snapshot that does not stall the tree's thread for the write: on that thread, rolls the log
    /// and takes a copy-on-change view of the tree (<see cref="TreeSnapshot"/>: a walk that lists the nodes; later
    /// txns preserve the old state of what they change). Everything in the view has been applied, and nothing is
    /// applied before it is durable, so the snapshot never holds state the log could lose. Hand the result to
    /// <see cref="WriteCapturedSnapshot"/> on any thread; until it returns, the view keeps the old state of every node
    /// changed since.
    /// </summary>
    public CapturedSnapshot CaptureSnapshot(DataTree tree, IEnumerable<KeyValuePair<long, int>> sessions)
    {
        Log.RollLog();
        var captured = new CapturedSnapshot(tree.TakeSnapshotView(), DataTreeLoader.SessionsInJavaOrder(sessions));
        ResetSnapshotCadence();
        return captured;
    }

    /// <summary>Second half: writes (temp file, fsync, rename, directory fsync) a captured snapshot, then releases its
    /// view. Thread-safe with respect to the log and the tree; returns the snapshot's path.</summary>
    public string WriteCapturedSnapshot(CapturedSnapshot snap)
    {
        var time = System.Diagnostics.Stopwatch.StartNew();
        var path = DataTreeLoader.WriteSnapshot(snap.View, snap.Sessions, SnapDir,
            new SnapshotWriteOptions { Compression = _options.SnapshotCompression, Fsync = _options.Log.ForceSync });
        _log.LogInformation("Snapshotting: 0x{Zxid:x} to {Path} took {Ms} ms", snap.Zxid, path, time.ElapsedMilliseconds);
        return path;
    }

    private void ResetSnapshotCadence()
    {
        _appendedAtSnapshot = Log.AppendedCount;
        _randRoll = _options.SnapCount / 2 > 0 ? _options.Random.Next(_options.SnapCount / 2) : 0;
        _randSize = _options.SnapSizeLimitBytes / 2 > 0 ? _options.Random.NextInt64(_options.SnapSizeLimitBytes / 2) : 0;
    }

    /// <summary>
    /// PurgeTxnLog: keeps the <paramref name="retainCount"/> newest snapshots and the log files needed to replay from
    /// the oldest of them; deletes older snapshots and logs. Returns the deleted paths.
    /// </summary>
    public List<string> Purge(int retainCount)
    {
        if (retainCount < 1) throw new ArgumentOutOfRangeException(nameof(retainCount), "at least one snapshot must be kept");
        var deleted = new List<string>();
        var snapshots = PersistenceFormat.ListSnapshots(SnapDir);
        if (snapshots.Count <= retainCount) return deleted;
        long oldestKept = snapshots[retainCount - 1].Zxid;
        var logs = PersistenceFormat.ListLogs(LogDir);
        var needed = TxnLogIterator.SelectFiles(logs, oldestKept);
        long firstNeeded = needed.Count > 0 ? needed[0].Zxid : long.MaxValue;
        foreach (var (path, zxid) in logs)
        {
            if (zxid >= firstNeeded || path == Log.CurrentLogPath) continue;
            DurabilityJournal.Deleting(path);
            File.Delete(path);
            deleted.Add(path);
        }
        foreach (var (path, _) in snapshots.Skip(retainCount))
        {
            DurabilityJournal.Deleting(path);
            File.Delete(path);
            deleted.Add(path);
        }
        return deleted;
    }

    public void Dispose() => Log.Dispose();
}
