// ZooKeeper's transaction log, byte for byte (FileTxnLog.java, 3.8). All integers big-endian (jute).
//
//   LogFile   = FileHeader Entry* ZeroPad
//   FileHeader= int magic 0x5a4b4c47 ("ZKLG"), int version 2, long dbid 0                   16 bytes
//   Entry     = long checksum, int length, byte[length] payload, byte 0x42 ('B')          13 + length bytes
//   checksum  = Adler-32 of the payload only (not of length or 'B'), stored in the low 32 bits of the long
//   payload   = TxnHeader{long clientId, int cxid, long zxid, long time, int type}             32 bytes
//               [txn record for that type]   (absent for types without one; closeSession has CloseSessionTxn)
//               [TxnDigest{int version, long treeDigest}]   (3.6+ with digest.enabled; never on error txns)
//   ZeroPad   = zeros to the end of the file. The file is grown in preAllocSize steps (64 MiB by default), so a
//               fresh log is 16 + 64 MiB long. A length of 0 where an entry would start marks the end of the log;
//               so does the end of the file. An entry cut short, or one whose last byte is not 'B', is a partial
//               write (ZooKeeper stops reading that file there); a checksum mismatch is corruption.
//
// File name: log.<zxid of the first entry, lower-case hex>, in <dataLogDir>/version-2. Entries are in zxid order;
// a new file is started on request (rollLog, before each snapshot) or past txnLogSizeLimitInKb.
//
// Coord writes no TxnDigest (Append accepts one): the digest after a txn is only known once the txn is applied, which
// happens after the log commit. An entry without one is what ZooKeeper reads when digest.enabled is off; it then skips
// the comparison for that txn. Readers accept entries with and without a digest.

using System.Buffers;
using System.Buffers.Binary;
using Coord.Protocol.Jute;
using Coord.Protocol.Records;
using Coord.Zab;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Coord.Server.Persistence;

public sealed class FileTxnLogOptions
{
    /// <summary>ZooKeeper's default preAllocSize: 65536 KiB. zoo.cfg gives preAllocSize in KiB; this is in bytes.
    /// 0 or less turns preallocation off.</summary>
    public const long DefaultPreAllocBytes = 64L << 20;

    public long PreAllocBytes { get; init; } = DefaultPreAllocBytes;

    /// <summary>zookeeper.forceSync: fsync on every commit. Off only in tests.</summary>
    public bool ForceSync { get; init; } = true;

    /// <summary>fsync.warningthresholdms: an fsync slower than this (ms) is logged, as ZooKeeper logs it.</summary>
    public long FsyncWarningThresholdMs { get; init; } = 1000;

    /// <summary>zookeeper.txnLogSizeLimitInKb × 1024: roll to a new file after a commit leaves the current file larger
    /// than this. -1 (the default) means no limit.</summary>
    public long SizeLimitBytes { get; init; } = -1;

    /// <summary>Appended bytes kept in memory before they are handed to the OS (without fsync), bounding the memory a
    /// large batch uses.</summary>
    public int WriteThroughBytes { get; init; } = 1 << 20;
}

/// <summary>
/// Appends txns to ZooKeeper-format log files. <see cref="Append(in TxnHeader, ITxnRecord?, TxnDigest?)"/> only
/// stages the entry; <see cref="Commit"/> writes everything staged and fsyncs it, so one fsync covers a whole batch
/// (group commit). Nothing appended may be acknowledged before the Commit that follows it returns.
/// <para>Single-threaded: the caller serialises Append, Commit and RollLog. Any I/O failure leaves the log failed:
/// every later call throws, because after a failed write or fsync the file's durable contents are unknown
/// (fsyncgate); the server must stop and recover from disk.</para>
/// </summary>
public sealed class FileTxnLog : ISplitSyncTxnSink, IDisposable
{
    private sealed class LogFile(string path, FileStream stream)
    {
        public string Path { get; } = path;
        public FileStream Stream { get; } = stream;
        /// <summary>Bytes handed to the OS.</summary>
        public long Written;
        /// <summary>Bytes appended, staged ones included.</summary>
        public long Position;
        /// <summary>Length the file has been grown to by preallocation.</summary>
        public long PaddedSize;
        public bool Unsynced;
        public bool NameSynced;
        /// <summary>End of the last committed entry: where the file is cut back to when a write fails.</summary>
        public long CommittedPosition;
        /// <summary>True until a commit has covered this file; such a file is removed when its first batch fails.</summary>
        public bool NeverCommitted = true;
        /// <summary>An fsync on another thread covers this file: it must stay open.</summary>
        public bool InFlight;
        /// <summary>Bytes the in-flight fsync covers.</summary>
        public long InFlightPosition;
    }

    /// <summary>What one background fsync covers (see <see cref="ISplitSyncTxnSink"/>).</summary>
    private sealed class SyncTicket
    {
        public readonly List<LogFile> Files = [];
        public bool SyncDir;
        public long UpToZxid;
    }

    private SyncTicket? _inFlight;

    private readonly FileTxnLogOptions _options;
    private readonly ILogger _log;
    private readonly ArrayBufferWriter<byte> _payload = new(512);
    private readonly ArrayBufferWriter<byte> _staged = new(64 << 10);
    private readonly List<LogFile> _toSync = [];
    private LogFile? _current;
    private bool _failed;
    private bool _disposed;

    /// <param name="logDir">The version-2 directory (see <see cref="PersistenceFormat.VersionDir"/>); created if missing.</param>
    public FileTxnLog(string logDir, FileTxnLogOptions? options = null, ILogger? log = null)
    {
        LogDir = logDir;
        _options = options ?? new FileTxnLogOptions();
        _log = log ?? NullLogger.Instance;
        Directory.CreateDirectory(logDir);
    }

    public string LogDir { get; }

    /// <summary>Highest zxid appended (or set by recovery).</summary>
    public long LastZxidSeen { get; set; }

    /// <summary>The file being appended to; null until the first append after opening or rolling.</summary>
    public string? CurrentLogPath => _current?.Path;

    /// <summary>Logical size of the current file (header plus entries, without the zero padding).</summary>
    public long CurrentLogSize => _current?.Position ?? 0;

    /// <summary>Txns appended since this log was opened.</summary>
    public long AppendedCount { get; private set; }

    /// <summary>Txns appended since the last <see cref="Commit"/>.</summary>
    public int UncommittedCount { get; private set; }

    /// <summary>fsyncs performed (file data syncs; directory syncs not counted).</summary>
    public long SyncCount { get; private set; }

    public bool IsFailed => _failed;

    private long _lastCommittedZxid;

    /// <summary>
    /// A write (not an fsync) failed, typically ENOSPC: every entry since the last commit is dropped and the current
    /// file is cut back to its last committed entry (or removed if no commit ever covered it), so the log holds
    /// exactly what was acknowledged and later appends can go on once space returns. An fsync failure stays fatal:
    /// after it, what the disk holds is unknown.
    /// </summary>
    private TxnSinkWriteException DiscardUncommitted(Exception cause)
    {
        _staged.ResetWrittenCount();
        UncommittedCount = 0;
        LastZxidSeen = _inFlight?.UpToZxid ?? _lastCommittedZxid;
        var f = _current;
        if (f is not null)
        {
            try
            {
                if (f.InFlight)
                {
                    // Entries up to the in-flight fsync stay: they are about to be acknowledged.
                    DurabilityJournal.SettingLength(f.Path, f.InFlightPosition);
                    f.Stream.SetLength(f.InFlightPosition);
                    f.Written = f.Position = f.PaddedSize = f.InFlightPosition;
                }
                else if (f.NeverCommitted)
                {
                    f.Stream.Dispose();
                    DurabilityJournal.Deleting(f.Path);
                    File.Delete(f.Path);
                    _toSync.Remove(f);
                    _current = null;
                }
                else
                {
                    DurabilityJournal.SettingLength(f.Path, f.CommittedPosition);
                    f.Stream.SetLength(f.CommittedPosition);
                    f.Written = f.Position = f.PaddedSize = f.CommittedPosition;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _failed = true;
                _log.LogError(e, "Could not cut the txn log back after a failed write; the log is unusable until restart");
            }
        }
        _log.LogError(cause, "Writing the txn log failed ({Reason}); the uncommitted txns are rejected", cause.Message);
        return new TxnSinkWriteException("txn log write failed: " + cause.Message, cause);
    }

    void ITxnSink.Append(in TxnHeader header, ITxnRecord? txn) => Append(header, txn, null);

    /// <summary>Stages one entry. The first append after opening or rolling creates log.&lt;zxid&gt;.</summary>
    public void Append(in TxnHeader header, ITxnRecord? txn, TxnDigest? digest = null)
    {
        ThrowIfUnusable();
        long previous = LastZxidSeen;
        if (header.Zxid <= LastZxidSeen)
            _log.LogWarning("Current zxid 0x{Zxid:x} is <= 0x{Last:x} for {Type}", header.Zxid, LastZxidSeen, header.Type);
        else
            LastZxidSeen = header.Zxid;
        try
        {
            var file = _current ?? OpenNewFile(NewFileZxid(previous, header.Zxid));

            long newSize = CalculateFileSizeWithPadding(file.Position, file.PaddedSize, _options.PreAllocBytes);
            if (newSize != file.PaddedSize)
            {
                // Growing the file with zeros now keeps later fdatasyncs from having to persist a size change.
                DurabilityJournal.SettingLength(file.Path, Math.Max(newSize, file.Written));
                file.Stream.SetLength(Math.Max(newSize, file.Written));
                file.PaddedSize = newSize;
            }

            _payload.ResetWrittenCount();
            var w = new JuteWriter(_payload);
            header.Write(ref w);
            txn?.Write(ref w);
            digest?.Write(ref w);
            var payload = _payload.WrittenSpan;

            var frame = _staged.GetSpan(12 + payload.Length + 1);
            BinaryPrimitives.WriteInt64BigEndian(frame, Adler32.Compute(payload));
            BinaryPrimitives.WriteInt32BigEndian(frame[8..], payload.Length);
            payload.CopyTo(frame[12..]);
            frame[12 + payload.Length] = 0x42;
            _staged.Advance(13 + payload.Length);
            file.Position += 13 + payload.Length;
            AppendedCount++;
            UncommittedCount++;

            if (_staged.WrittenCount >= _options.WriteThroughBytes) WriteStaged();
        }
        catch (IOException e)
        {
            throw DiscardUncommitted(e);
        }
        catch
        {
            _failed = true;
            throw;
        }
    }

    /// <summary>Duration of the most recent fsync (ms), for mntr's fsync figures.</summary>
    public long LastSyncMs { get; private set; }

    /// <summary>Writes every staged entry and, with forceSync, fsyncs every file written since the last commit (and
    /// the directory entry of any new file). Returns once all appended txns are durable.</summary>
    public void Commit()
    {
        ThrowIfUnusable();
        try
        {
            WriteStaged();
        }
        catch (IOException e)
        {
            throw DiscardUncommitted(e);
        }
        try
        {
            foreach (var f in _toSync)
            {
                if (_options.ForceSync && f.Unsynced)
                {
                    long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
                    DurableIo.FlushData(f.Stream);
                    SyncCount++;
                    long ms = (long)System.Diagnostics.Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                    LastSyncMs = ms;
                    if (ms > _options.FsyncWarningThresholdMs)
                        _log.LogWarning("fsync-ing the write ahead log took {Ms}ms which will adversely effect operation latency. File size is {Bytes} bytes. See the ZooKeeper troubleshooting guide",
                            ms, f.Stream.Length);
                }
                if (_options.ForceSync && !f.NameSynced)
                {
                    DurableIo.SyncDirectory(LogDir);
                    f.NameSynced = true;
                }
                f.Unsynced = false;
            }
            for (int i = _toSync.Count - 1; i >= 0; i--)
            {
                if (!ReferenceEquals(_toSync[i], _current) && !_toSync[i].InFlight)
                {
                    _toSync[i].Stream.Dispose();
                    _toSync.RemoveAt(i);
                }
            }
            UncommittedCount = 0;
            _lastCommittedZxid = LastZxidSeen;
            if (_current is not null)
            {
                _current.CommittedPosition = _current.Position;
                _current.NeverCommitted = false;
            }
        }
        catch
        {
            _failed = true;
            throw;
        }
        if (_options.SizeLimitBytes > 0 && _current is not null && _current.Position > _options.SizeLimitBytes) RollLog();
    }

    /// <summary>Caller's thread: hands every staged entry to the OS and returns what the next fsync must cover.
    /// A write failure cuts the log back (see <see cref="DiscardUncommitted"/>) and throws TxnSinkWriteException.</summary>
    public object BeginSync()
    {
        ThrowIfUnusable();
        if (_inFlight is not null) throw new InvalidOperationException("an fsync is already in flight");
        try
        {
            WriteStaged();
        }
        catch (IOException e)
        {
            throw DiscardUncommitted(e);
        }
        var t = new SyncTicket { UpToZxid = LastZxidSeen };
        foreach (var f in _toSync)
        {
            if (!f.Unsynced && (f.NameSynced || !_options.ForceSync)) continue;
            t.Files.Add(f);
            f.InFlight = true;
            f.InFlightPosition = f.Written;
            f.Unsynced = false;
            if (!f.NameSynced) t.SyncDir = true;
        }
        _inFlight = t;
        return t;
    }

    /// <summary>Any thread: the fsync itself (fdatasync of each file, and of the directory for new files).</summary>
    public void Sync(object ticket)
    {
        var t = (SyncTicket)ticket;
        if (!_options.ForceSync) return;
        foreach (var f in t.Files)
        {
            long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
            DurableIo.FlushData(f.Stream);
            long ms = (long)System.Diagnostics.Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            LastSyncMs = ms;
            if (ms > _options.FsyncWarningThresholdMs)
                _log.LogWarning("fsync-ing the write ahead log took {Ms}ms which will adversely effect operation latency. File size is {Bytes} bytes. See the ZooKeeper troubleshooting guide",
                    ms, f.InFlightPosition);
        }
        if (t.SyncDir) DurableIo.SyncDirectory(LogDir);
    }

    /// <summary>Caller's thread: the ticket's entries are durable.</summary>
    public void CompleteSync(object ticket)
    {
        var t = (SyncTicket)ticket;
        _inFlight = null;
        foreach (var f in t.Files)
        {
            f.InFlight = false;
            if (_options.ForceSync) f.NameSynced = true;
            f.CommittedPosition = Math.Max(f.CommittedPosition, f.InFlightPosition);
            f.NeverCommitted = false;
            SyncCount++;
        }
        _lastCommittedZxid = t.UpToZxid;
        UncommittedCount = 0;
        for (int i = _toSync.Count - 1; i >= 0; i--)
        {
            var f = _toSync[i];
            if (!ReferenceEquals(f, _current) && !f.Unsynced && !f.InFlight)
            {
                f.Stream.Dispose();
                _toSync.RemoveAt(i);
            }
        }
        if (_options.SizeLimitBytes > 0 && _current is not null && _current.Position > _options.SizeLimitBytes) RollLog();
    }

    /// <summary>Ends the current file: the next append starts log.&lt;its zxid&gt;. Staged entries are written to the
    /// old file and made durable by the next <see cref="Commit"/>, as in ZooKeeper's rollLog.</summary>
    public void RollLog()
    {
        ThrowIfUnusable();
        if (_current is null) return;
        try
        {
            WriteStaged();
            if (!_current.Unsynced && !_current.InFlight && (_current.NameSynced || !_options.ForceSync))
            {
                _toSync.Remove(_current);
                _current.Stream.Dispose();
            }
            _current = null;
        }
        catch
        {
            _failed = true;
            throw;
        }
    }

    /// <summary>Closes the files. Staged entries are written but not fsynced: call <see cref="Commit"/> first for
    /// durability.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        try
        {
            if (!_failed) WriteStaged();
        }
        catch (IOException e)
        {
            _log.LogError(e, "Writing staged txn log entries on close failed");
        }
        finally
        {
            foreach (var f in _toSync) f.Stream.Dispose();
            if (_current is not null && !_toSync.Contains(_current)) _current.Stream.Dispose();
            _toSync.Clear();
            _current = null;
        }
    }

    /// <summary>FilePadding.calculateFileSizeWithPadding: within 4 KiB of the padded end, grow by one preAllocSize step
    /// (or, if already past it, to the next multiple of preAllocSize above the position).</summary>
    public static long CalculateFileSizeWithPadding(long position, long fileSize, long preAllocSize)
    {
        if (preAllocSize > 0 && position + 4096 >= fileSize)
        {
            if (position > fileSize)
            {
                fileSize = position + preAllocSize;
                fileSize -= fileSize % preAllocSize;
            }
            else
            {
                fileSize += preAllocSize;
            }
        }
        return fileSize;
    }

    /// <summary>The zxid a new file is named for: its first txn's, unless zxids after the previous txn were numbered
    /// without a txn (ZooKeeper burns one on a multi with a null path); then the first of those, so that a restore
    /// can tell the gap from the tail of the previous file lost in a power cut (TxnSnapLog: a gap at a file named for
    /// its first zxid is such a loss). ZooKeeper's readers pick files by name ≤ the zxid they look for, which this
    /// keeps correct.</summary>
    internal static long NewFileZxid(long previous, long first) =>
        previous > 0 && first > previous + 1 && Zxid.EpochOf(previous) == Zxid.EpochOf(first) ? previous + 1 : first;

    private LogFile OpenNewFile(long zxid)
    {
        var path = Path.Combine(LogDir, PersistenceFormat.LogName(zxid));
        if (File.Exists(path)) _log.LogWarning("Overwriting existing txn log {Path}", path);
        DurabilityJournal.Created(path);
        var stream = new FileStream(path, FileMode.Create, FileAccess.ReadWrite, FileShare.Read, bufferSize: 0, FileOptions.None);
        var file = new LogFile(path, stream) { Unsynced = true };
        Span<byte> header = stackalloc byte[FileHeader.SizeBytes];
        BinaryPrimitives.WriteInt32BigEndian(header, PersistenceFormat.TxnLogMagic);
        BinaryPrimitives.WriteInt32BigEndian(header[4..], PersistenceFormat.FormatVersion);
        BinaryPrimitives.WriteInt64BigEndian(header[8..], PersistenceFormat.TxnLogDbId);
        DurabilityJournal.Writing(path, 0, header.Length);
        RandomAccess.Write(stream.SafeFileHandle, header, 0);
        file.Written = file.Position = file.PaddedSize = file.CommittedPosition = FileHeader.SizeBytes;
        _current = file;
        _toSync.Add(file);
        return file;
    }

    private void WriteStaged()
    {
        if (_staged.WrittenCount == 0 || _current is null) return;
        DurabilityJournal.Writing(_current.Path, _current.Written, _staged.WrittenCount);
        RandomAccess.Write(_current.Stream.SafeFileHandle, _staged.WrittenSpan, _current.Written);
        _current.Written += _staged.WrittenCount;
        _current.Unsynced = true;
        _staged.ResetWrittenCount();
        if (_staged.Capacity > 4 * _options.WriteThroughBytes) _staged.Clear();
    }

    private void ThrowIfUnusable()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_failed) throw new InvalidOperationException("the txn log failed an earlier write or fsync; restart and recover from disk");
    }

    /// <summary>
    /// Removes every txn with a zxid above <paramref name="zxid"/> (a Zab TRUNC, or cutting a torn tail): later files
    /// are deleted and the file holding the last kept txn is cut right after it. Must not run while a
    /// <see cref="FileTxnLog"/> is appending to the directory.
    /// </summary>
    public static void Truncate(string logDir, long zxid, int maxRecordBytes = TxnLogReader.DefaultMaxRecordBytes)
    {
        var logs = PersistenceFormat.ListLogs(logDir);
        for (int i = logs.Count - 1; i >= 0; i--)
        {
            var (path, first) = logs[i];
            if (first > zxid)
            {
                DurabilityJournal.Deleting(path);
                File.Delete(path);
                continue;
            }
            long keepEnd = FileHeader.SizeBytes;
            using (var reader = new TxnLogReader(path, maxRecordBytes))
            {
                while (reader.TryRead(out var entry) && entry.Header.Zxid <= zxid) keepEnd = entry.End;
            }
            using (var fs = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.Read))
            {
                DurabilityJournal.SettingLength(path, keepEnd);
                fs.SetLength(keepEnd);
                DurableIo.FlushData(fs);
            }
            break;
        }
        DurableIo.SyncDirectory(logDir);
    }

    /// <summary>Cuts one log file at <paramref name="length"/> bytes (recovery of a torn tail); a file left without a
    /// complete header is deleted.</summary>
    public static void TruncateFile(string path, long length)
    {
        if (length < FileHeader.SizeBytes)
        {
            DurabilityJournal.Deleting(path);
            File.Delete(path);
        }
        else
        {
            using var fs = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.Read);
            DurabilityJournal.SettingLength(path, length);
            fs.SetLength(length);
            DurableIo.FlushData(fs);
        }
        DurableIo.SyncDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
    }
}
