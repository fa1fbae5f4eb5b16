// Reads ZooKeeper txn logs (grammar in FileTxnLog.cs):
//
//   LogFile = FileHeader{int 0x5a4b4c47, int 2, long dbid} ( long adler32, int len, byte[len] payload, byte 0x42 )*
//             ZeroPad
//   payload = TxnHeader{long clientId, int cxid, long zxid, long time, int type} record? TxnDigest{int, long}?
//
// Where reading stops, and what it means:
//   EndOfLog           len == 0 (preallocated zeros) or end of file exactly at an entry boundary — clean.
//   TruncatedHeader    the file is shorter than its 16-byte header.
//   BadFileHeader      the magic is not "ZKLG".
//   TruncatedEntry     the file ends inside an entry (or inside the 12-byte entry prefix).
//   MissingEndMarker   the byte after the payload is not 'B'.
//   BadLength          len < 0 or len > maxRecordBytes (jute.maxbuffer + extrasize: 2 × 0xfffff by default).
//   ChecksumMismatch   Adler-32 of the payload differs from the stored value.
//   BadRecord          checksum fine but the payload does not decode (unknown type, short record).
// ZooKeeper 3.8 treats TruncatedEntry and MissingEndMarker as the end of that file and refuses to start on a
// checksum mismatch. Coord reports every case with the offset of the damaged entry — the end of the last good one,
// where a torn tail is cut — and whether any intact entry with a higher zxid still follows the damage in the same
// file (if one does, the damage is not a tail but a hole in the log).
//
// Damage that looks unwritten — inside the damaged entry (or header) a whole 512-byte disk sector is zeros, or zeros
// run from a sector boundary to the entry's end — is what a power cut leaves of writes no fsync had covered yet: the
// kernel writes dirty pages back in any order, so later un-fsynced entries can be intact after such a hole. Nothing
// from the hole on was acknowledged, so recovery may cut it all. Damage with non-zero bytes (a flipped bit) is not.

using System.Buffers.Binary;
using Coord.Protocol;
using Coord.Protocol.Jute;
using Coord.Protocol.Records;

namespace Coord.Server.Persistence;

/// <summary>One txn read back from a log file. <see cref="Offset"/> is where its checksum starts.</summary>
public sealed record TxnLogEntry(TxnHeader Header, ITxnRecord? Txn, TxnDigest? Digest, string File, long Offset, int Length)
{
    /// <summary>Offset just past the entry's 'B' marker.</summary>
    public long End => Offset + 13 + Length;
}

public enum TxnLogStop
{
    EndOfLog,
    TruncatedHeader,
    BadFileHeader,
    TruncatedEntry,
    MissingEndMarker,
    BadLength,
    ChecksumMismatch,
    BadRecord,
}

/// <summary>Where and why reading a log file stopped before its clean end.</summary>
/// <param name="Offset">Start of the damaged entry = end of the last intact one (16 when no entry was intact; 0 when
/// the header itself is damaged). Truncating the file here removes the damage and everything after it.</param>
/// <param name="LastGoodZxid">Zxid of the last intact entry of this file, or -1.</param>
/// <param name="IntactEntryFollows">An intact entry with a zxid above <paramref name="LastGoodZxid"/> lies after the
/// damage in the same file, so the damage is a hole rather than a torn tail.</param>
/// <param name="LooksUnwritten">The damaged entry holds a zeroed disk sector (see the file comment): the signature of
/// a write a power cut kept only part of.</param>
public sealed record TxnLogDamage(string File, TxnLogStop Reason, long Offset, long LastGoodZxid, bool IntactEntryFollows, string Detail, bool LooksUnwritten = false)
{
    public override string ToString() =>
        $"{Path.GetFileName(File)}: {Reason} at offset {Offset} (last good zxid 0x{LastGoodZxid:x}{(IntactEntryFollows ? "; intact entries follow" : "")}{(LooksUnwritten ? "; unwritten sectors" : "")}): {Detail}";
}

/// <summary>Reads the entries of one log file in order, stopping at the first damaged one (see the grammar above).</summary>
public sealed class TxnLogReader : IDisposable
{
    /// <summary>jute.maxbuffer + zookeeper.jute.maxbuffer.extrasize with ZooKeeper's defaults (BinaryInputArchive).</summary>
    public const int DefaultMaxRecordBytes = 2 * JuteLimits.DefaultMaxBufferBytes;

    private readonly FileStream _stream;
    private readonly int _maxRecordBytes;
    private readonly byte[] _prefix = new byte[12];
    /// <summary>Disk sector size assumed by the unwritten-damage check: the unit a power cut keeps or loses whole.</summary>
    private const int SectorBytes = 512;
    private long _position;
    private bool _done;

    public TxnLogReader(string path, int maxRecordBytes = DefaultMaxRecordBytes)
    {
        FilePath = path;
        _maxRecordBytes = maxRecordBytes;
        _stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16, FileOptions.SequentialScan);
        ReadHeader();
    }

    public string FilePath { get; }
    /// <summary>Entries whose zxid is below this are checked (length, marker, checksum) but neither decoded nor
    /// returned.</summary>
    public long SkipBelowZxid { get; init; } = long.MinValue;
    /// <summary>TxnHeader = long clientId, int cxid, long zxid, ...: the zxid starts 12 bytes into the payload.</summary>
    private const int TxnHeaderZxidOffset = 12;
    private const int TxnHeaderBytes = 8 + 4 + 8 + 8 + 4;
    public FileHeader Header { get; private set; }
    public long LastGoodZxid { get; private set; } = -1;

    /// <summary>Set when reading stopped at damage; null after a clean end.</summary>
    public TxnLogDamage? Damage { get; private set; }

    /// <summary>Offset just past the last intact entry (or the header).</summary>
    public long GoodEnd { get; private set; }

    private void ReadHeader()
    {
        var buf = new byte[FileHeader.SizeBytes];
        int n = ReadFully(buf);
        if (n < FileHeader.SizeBytes)
        {
            Stop(TxnLogStop.TruncatedHeader, 0, $"file is {n} bytes, shorter than the 16-byte header");
            return;
        }
        Header = new FileHeader(BinaryPrimitives.ReadInt32BigEndian(buf), BinaryPrimitives.ReadInt32BigEndian(buf.AsSpan(4)), BinaryPrimitives.ReadInt64BigEndian(buf.AsSpan(8)));
        if (Header.Magic != PersistenceFormat.TxnLogMagic)
        {
            Stop(TxnLogStop.BadFileHeader, 0, $"invalid magic number 0x{Header.Magic:x8} != 0x{PersistenceFormat.TxnLogMagic:x8}");
            return;
        }
        GoodEnd = FileHeader.SizeBytes;
    }

    /// <summary>Reads the next intact entry; false at the end of the log or at damage (see <see cref="Damage"/>).</summary>
    public bool TryRead(out TxnLogEntry entry)
    {
        entry = null!;
        while (!_done)
        {
            if (TryReadOne(out entry)) return true;
        }
        return false;
    }

    /// <summary>One entry: true with it; false with <paramref name="entry"/> null when it was skipped
    /// (<see cref="SkipBelowZxid"/>) or when reading stopped (<see cref="_done"/> set).</summary>
    private bool TryReadOne(out TxnLogEntry entry)
    {
        entry = null!;
        long start = _position;
        int n = ReadFully(_prefix);
        if (n == 0) { _done = true; return false; }
        if (n < 12)
        {
            if (_prefix.AsSpan(0, n).ContainsAnyExcept((byte)0)) Stop(TxnLogStop.TruncatedEntry, start, $"only {n} bytes of the 12-byte entry prefix");
            else _done = true;
            return false;
        }
        long crc = BinaryPrimitives.ReadInt64BigEndian(_prefix);
        int len = BinaryPrimitives.ReadInt32BigEndian(_prefix.AsSpan(8));
        if (len == 0) { _done = true; return false; }
        if (len < 0 || len > _maxRecordBytes)
        {
            Stop(TxnLogStop.BadLength, start, $"entry length {len} outside 1..{_maxRecordBytes}");
            return false;
        }
        var payload = new byte[len];
        n = ReadFully(payload);
        if (n < len)
        {
            Stop(TxnLogStop.TruncatedEntry, start, $"file ends {len - n} bytes into a {len}-byte entry", start + 13 + len);
            return false;
        }
        int marker = _stream.ReadByte();
        if (marker < 0)
        {
            Stop(TxnLogStop.TruncatedEntry, start, "file ends before the entry's 'B' marker");
            return false;
        }
        _position++;
        if (marker != 0x42)
        {
            Stop(TxnLogStop.MissingEndMarker, start, $"byte 0x{marker:x2} where 'B' ends the {len}-byte entry", start + 13 + len);
            return false;
        }
        long actual = Adler32.Compute(payload);
        if (actual != crc)
        {
            Stop(TxnLogStop.ChecksumMismatch, start, $"CRC check failed: stored 0x{crc:x}, computed 0x{actual:x}", start + 13 + len);
            return false;
        }
        if (len >= TxnHeaderBytes && BinaryPrimitives.ReadInt64BigEndian(payload.AsSpan(TxnHeaderZxidOffset)) < SkipBelowZxid)
        {
            // Already in the snapshot: checked, not decoded (a restart passes over most of the file holding the
            // snapshot's zxid).
            LastGoodZxid = BinaryPrimitives.ReadInt64BigEndian(payload.AsSpan(TxnHeaderZxidOffset));
            GoodEnd = start + 13 + len;
            return false;
        }
        if (!TryDecode(payload, _maxRecordBytes, out var hdr, out var txn, out var digest, out var error))
        {
            Stop(TxnLogStop.BadRecord, start, error!, start + 13 + len);
            return false;
        }
        entry = new TxnLogEntry(hdr, txn, digest, FilePath, start, len);
        LastGoodZxid = hdr.Zxid;
        GoodEnd = entry.End;
        return true;
    }

    /// <summary>SerializeUtils.deserializeTxn: TxnHeader, the record its type names, then an optional TxnDigest.</summary>
    public static bool TryDecode(byte[] payload, int maxBufferBytes, out TxnHeader header, out ITxnRecord? txn, out TxnDigest? digest, out string? error)
    {
        header = default;
        txn = null;
        digest = null;
        error = null;
        try
        {
            var r = new JuteReader(payload, maxBufferBytes);
            header = TxnHeader.Read(ref r);
            txn = header.Type switch
            {
                // A reconfig txn carries a SetDataTxn for /zookeeper/config (SerializeUtils).
                OpCode.Reconfig => SetDataTxn.Read(ref r),
                OpCode.CloseSession when r.End => new CloseSessionTxn([]),
                _ => TxnCodec.ReadRecord(header.Type, ref r),
            };
            if (r.Remaining >= 12) digest = TxnDigest.Read(ref r);
            return true;
        }
        catch (JuteException e)
        {
            error = $"txn of type {header.Type} does not decode: {e.Message}";
            return false;
        }
        catch (InvalidCastException e)
        {
            error = $"txn of type {header.Type} does not decode: {e.Message}";
            return false;
        }
    }

    private void Stop(TxnLogStop reason, long offset, string detail, long claimedEnd = -1)
    {
        _done = true;
        bool follows = reason != TxnLogStop.EndOfLog && IntactEntryAfter(offset);
        if (claimedEnd < 0) claimedEnd = offset + (offset == 0 ? FileHeader.SizeBytes : 12);
        bool unwritten = reason != TxnLogStop.EndOfLog && HasUnwrittenSector(offset, Math.Min(claimedEnd, _stream.Length));
        Damage = new TxnLogDamage(FilePath, reason, offset, LastGoodZxid, follows, detail, unwritten);
    }

    /// <summary>True when [start, end) holds a whole zero sector, or zeros from a sector boundary (or from start) to
    /// end: bytes that never reached the disk rather than bytes that changed on it.</summary>
    private bool HasUnwrittenSector(long start, long end)
    {
        if (end <= start) return false;
        var bytes = new byte[end - start];
        int n = ReadAt(bytes, start, bytes.Length);
        var span = bytes.AsSpan(0, n);
        for (long z = start; z < start + n; z = (z / SectorBytes + 1) * SectorBytes)
        {
            long sectorEnd = Math.Min((z / SectorBytes + 1) * SectorBytes, start + n);
            bool wholeSector = z % SectorBytes == 0 && sectorEnd - z == SectorBytes;
            bool runToEnd = (z == start || z % SectorBytes == 0) && !span[(int)(z - start)..].ContainsAnyExcept((byte)0);
            if (runToEnd) return true;
            if (wholeSector && !span[(int)(z - start)..(int)(sectorEnd - start)].ContainsAnyExcept((byte)0)) return true;
        }
        return false;
    }

    /// <summary>Scans the rest of the file, byte by byte, for an intact entry (length in range, 'B' after it, checksum
    /// right, zxid above the last good one). Only the part up to the last non-zero byte is examined.</summary>
    private bool IntactEntryAfter(long damageOffset)
    {
        long lastNonZero = LastNonZeroByte(_stream.Length);
        long end = lastNonZero + 1;
        // Windows of Step candidate offsets, each read with room for the longest entry starting in it.
        const int Step = 8 << 20;
        var window = new byte[Step + _maxRecordBytes + 13];
        for (long start = damageOffset + 1; start + 13 + 32 <= end; start += Step)
        {
            int got = ReadAt(window, start, (int)Math.Min(window.Length, end - start));
            var span = window.AsSpan(0, got);
            int candidates = Math.Min(Step, got);
            for (int p = 0; p < candidates && p + 13 + 32 <= got; p++)
            {
                int len = BinaryPrimitives.ReadInt32BigEndian(span[(p + 8)..]);
                if (len < 32 || len > _maxRecordBytes || p + 12 + len >= got) continue;
                if (span[p + 12 + len] != 0x42) continue;
                var payload = span.Slice(p + 12, len);
                if (Adler32.Compute(payload) != BinaryPrimitives.ReadInt64BigEndian(span[p..])) continue;
                long zxid = BinaryPrimitives.ReadInt64BigEndian(payload[12..]);
                if (zxid > LastGoodZxid) return true;
            }
        }
        return false;
    }

    private int ReadAt(byte[] buffer, long offset, int count)
    {
        int total = 0;
        while (total < count)
        {
            int n = RandomAccess.Read(_stream.SafeFileHandle, buffer.AsSpan(total, count - total), offset + total);
            if (n == 0) break;
            total += n;
        }
        return total;
    }

    private long LastNonZeroByte(long length)
    {
        var buf = new byte[1 << 16];
        long end = length;
        while (end > 0)
        {
            long start = Math.Max(0, end - buf.Length);
            int n = ReadAt(buf, start, (int)(end - start));
            int i = buf.AsSpan(0, n).LastIndexOfAnyExcept((byte)0);
            if (i >= 0) return start + i;
            end = start;
        }
        return -1;
    }

    private int ReadFully(Span<byte> buf)
    {
        int total = 0;
        while (total < buf.Length)
        {
            int n = _stream.Read(buf[total..]);
            if (n == 0) break;
            total += n;
        }
        _position += total;
        return total;
    }

    public void Dispose() => _stream.Dispose();
}

/// <summary>
/// Iterates txns across the log files of a version-2 directory, in zxid order, starting at a given zxid (ZooKeeper's
/// FileTxnIterator): it opens the newest file that starts at or before that zxid and every later file, and skips
/// entries below it. It stops at the first damaged entry and reports it in <see cref="Damage"/>, together with
/// whether that file is the newest one (only there can damage be a torn tail).
/// </summary>
public sealed class TxnLogIterator : IDisposable
{
    private readonly List<(string Path, long Zxid)> _files;
    private readonly long _fromZxid;
    private readonly int _maxRecordBytes;
    private int _next;
    private TxnLogReader? _reader;

    public TxnLogIterator(string logDir, long fromZxid = 0, int maxRecordBytes = TxnLogReader.DefaultMaxRecordBytes)
    {
        _fromZxid = fromZxid;
        _maxRecordBytes = maxRecordBytes;
        _files = SelectFiles(PersistenceFormat.ListLogs(logDir), fromZxid);
    }

    /// <summary>FileTxnLog.getLogFiles: the newest file starting at or before <paramref name="zxid"/>, and all later ones.</summary>
    public static List<(string Path, long Zxid)> SelectFiles(List<(string Path, long Zxid)> ascending, long zxid)
    {
        long logZxid = 0;
        foreach (var (_, z) in ascending)
        {
            if (z > zxid) break;
            if (z > logZxid) logZxid = z;
        }
        return ascending.Where(f => f.Zxid >= logZxid).ToList();
    }

    public IReadOnlyList<(string Path, long Zxid)> Files => _files;
    public TxnLogEntry Current { get; private set; } = null!;
    public TxnLogDamage? Damage { get; private set; }

    /// <summary>True when <see cref="Damage"/> is in the newest log file.</summary>
    public bool DamageInLastFile { get; private set; }

    /// <summary>The file after the damaged one, if any (its name gives the zxid it starts at).</summary>
    public (string Path, long Zxid)? FileAfterDamage { get; private set; }

    public bool MoveNext()
    {
        while (true)
        {
            if (_reader is null)
            {
                if (_next >= _files.Count || Damage is not null) return false;
                _reader = new TxnLogReader(_files[_next++].Path, _maxRecordBytes) { SkipBelowZxid = _fromZxid };
            }
            if (_reader.TryRead(out var entry))
            {
                if (entry.Header.Zxid < _fromZxid) continue;
                Current = entry;
                return true;
            }
            var damage = _reader.Damage;
            _reader.Dispose();
            _reader = null;
            if (damage is not null)
            {
                Damage = damage;
                DamageInLastFile = _next >= _files.Count;
                FileAfterDamage = DamageInLastFile ? null : _files[_next];
                return false;
            }
        }
    }

    public void Dispose() => _reader?.Dispose();
}
