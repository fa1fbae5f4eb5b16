// ZooKeeper's snapshot file, byte for byte (FileSnap, SnapStream, SerializeUtils, DataTree, ReferenceCountedACLCache;
// 3.8). All integers big-endian (jute); ustring/buffer = int length (-1 = null) + bytes; vector = int count + items.
//
//   Snapshot   = FileHeader Sessions AclCache Node* EndPath Seal [ ZxidDigest Seal [ long lastProcessedZxid Seal ] ]
//   FileHeader = int magic 0x5a4b534e ("ZKSN"), int version 2, long dbid -1
//   Sessions   = int count, ( long sessionId, int timeoutMs ){count}           (a Java HashMap copy, in its order)
//   AclCache   = int count, ( long aclId, int n, ACL{int perms, ustring scheme, ustring id}{n} ){count}
//                ids count up from 1 as ACL lists are first used; -1 is OPEN_ACL_UNSAFE and is never listed (the
//                root, /zookeeper and /zookeeper/quota use it)
//   Node       = ustring path, buffer data, long aclId,
//                StatPersisted{long czxid, long mzxid, long ctime, long mtime, int version, int cversion,
//                              int aversion, long ephemeralOwner, long pzxid}
//                pre-order depth-first from the root, whose path is "" (not "/"); children in the iteration order of
//                the parent's Java HashSet; a child's path is parent + "/" + name
//   EndPath    = ustring "/"
//   Seal       = long adler32, ustring "/" — the Adler-32 of every uncompressed byte before the seal, running from
//                the start of the file (so the second seal also covers the first seal and the digest)
//   ZxidDigest = long zxid, int digestVersion, long digest (digestVersion >= 2; hex ustring before) — since 3.6;
//                zxid 0 = no digest ({0, 2, 0}, what ZooKeeper writes when it has none); Coord writes its tree digest
//   lastProcessedZxid + third seal: 3.9 only; read when present, never written (3.8 would ignore it anyway).
//
// Compression (SnapStream): by file suffix — none, ".gz" (gzip of the whole stream above), ".snappy" (snappy-java's
// SnappyOutputStream framing, 32 KiB blocks; Snappy/SnappyFramedStream.cs) or ".lz4" (Coord only: an LZ4 frame
// stream). In every case the seals are computed on the uncompressed bytes. A snapshot is written to "<name>.tmp",
// fsynced, renamed into place and the directory fsynced.

using System.Runtime.CompilerServices;
using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Coord.Protocol.Jute;
using Coord.Protocol.Records;
using Coord.Server.Persistence.Snappy;

namespace Coord.Server.Persistence;

/// <summary>One node as a snapshot stores it. The root's path is "" in the file.</summary>
public sealed record SnapshotNode(string Path, byte[]? Data, long AclId, StatPersisted Stat);

/// <summary>Receives a snapshot's body, in file order, as <see cref="FileSnap.ReadInto"/> decodes it, so a caller can
/// build its own structures without an intermediate copy of every node.</summary>
public interface ISnapshotSink
{
    void OnSession(long sessionId, int timeoutMs);
    void OnAcl(long id, IReadOnlyList<Acl> acl);
    /// <summary>One node; <paramref name="path"/> is "" for the root, as in the file.</summary>
    void OnNode(string path, byte[]? data, long aclId, in StatPersisted stat);
}

/// <summary>A sink that takes each node as spans of the reader's buffer, valid only during the call, so that it can
/// copy them into its own layout without a path string and a data array per node. The reader falls back to
/// <see cref="ISnapshotSink.OnNode"/> for a node that does not fit its buffer.</summary>
public interface ISnapshotSpanSink : ISnapshotSink
{
    /// <summary>One node; <paramref name="pathUtf8"/> is empty for the root, as in the file.</summary>
    void OnNode(ReadOnlySpan<byte> pathUtf8, ReadOnlySpan<byte> data, bool dataIsNull, long aclId, in StatPersisted stat);
}

/// <summary>What a snapshot file says besides its body.</summary>
/// <param name="Zxid">From the file name.</param>
/// <param name="Digest">Null for a pre-3.6 snapshot without a digest section.</param>
/// <param name="LastProcessedZxid">3.9's third section; null when absent.</param>
public sealed record SnapshotInfo(long Zxid, FileHeader Header, ZxidDigest? Digest, long? LastProcessedZxid, int NodeCount);

/// <summary>The whole content of a snapshot file.</summary>
public sealed class SnapshotContents : ISnapshotSink
{
    /// <summary>ReferenceCountedACLCache.OPEN_UNSAFE_ACL_ID.</summary>
    public const long OpenAclUnsafeId = -1;

    /// <summary>Zxid from the file name: the last txn applied when the snapshot started (it may be fuzzy).</summary>
    public long Zxid { get; set; }
    public FileHeader Header { get; set; } = new(PersistenceFormat.SnapshotMagic, PersistenceFormat.FormatVersion, PersistenceFormat.SnapshotDbId);
    /// <summary>Session id → timeout (ms), in file order.</summary>
    public List<KeyValuePair<long, int>> Sessions { get; } = [];
    /// <summary>ACL cache: id → list, in file order.</summary>
    public List<KeyValuePair<long, IReadOnlyList<Acl>>> Acls { get; } = [];
    /// <summary>Nodes in file order (parents before children).</summary>
    public List<SnapshotNode> Nodes { get; } = [];
    /// <summary>Null for a pre-3.6 snapshot without a digest section.</summary>
    public ZxidDigest? Digest { get; set; }
    /// <summary>3.9's third section; null when absent.</summary>
    public long? LastProcessedZxid { get; set; }

    private Dictionary<long, IReadOnlyList<Acl>>? _aclIndex;

    void ISnapshotSink.OnSession(long sessionId, int timeoutMs) => Sessions.Add(new(sessionId, timeoutMs));
    void ISnapshotSink.OnAcl(long id, IReadOnlyList<Acl> acl) => Acls.Add(new(id, acl));
    void ISnapshotSink.OnNode(string path, byte[]? data, long aclId, in StatPersisted stat) => Nodes.Add(new SnapshotNode(path, data, aclId, stat));

    /// <summary>ReferenceCountedACLCache.convertLong: -1 is OPEN_ACL_UNSAFE; an id missing from the cache is an error.</summary>
    public IReadOnlyList<Acl> ResolveAcl(long id)
    {
        if (id == OpenAclUnsafeId) return Acl.OpenAclUnsafe;
        _aclIndex ??= Acls.ToDictionary(kv => kv.Key, kv => kv.Value);
        return _aclIndex.TryGetValue(id, out var acl) ? acl : throw new PersistenceCorruptException($"snapshot node refers to ACL id {id}, which is not in the ACL cache");
    }
}

public sealed class SnapshotWriteOptions
{
    public SnapshotCompression Compression { get; init; } = SnapshotCompression.None;
    /// <summary>fsync the file and its directory (ZooKeeper's AtomicFileOutputStream when syncSnap is on).</summary>
    public bool Fsync { get; init; } = true;
    /// <summary>The digest section; <see cref="ZxidDigest.Empty"/> tells readers there is nothing to compare. Null: the
    /// writer's default (DataTreeLoader uses the tree's digest; FileSnap.Write(SnapshotContents) the contents').</summary>
    public ZxidDigest? Digest { get; init; }

    public SnapshotWriteOptions WithDigest(ZxidDigest digest) => new() { Compression = Compression, Fsync = Fsync, Digest = digest };
}

/// <summary>Reads and writes ZooKeeper 3.8 snapshot files (grammar above).</summary>
public static class FileSnap
{
    /// <summary>FileStream buffer for reading and writing snapshots (bytes): large sequential transfers, few syscalls.</summary>
    private const int ReadBufferBytes = 1 << 20;
    private const int WriteBufferBytes = 1 << 20;
    /// <summary>A snapshot being written is synced every this many bytes of file (see PacedSyncStream).</summary>
    private const long SyncEveryBytes = 16L << 20;

    /// <summary>Reads and validates a snapshot: magic, structure, both seals. Throws
    /// <see cref="PersistenceCorruptException"/> when anything is off.</summary>
    public static SnapshotContents Read(string path, int maxBufferBytes = TxnLogReader.DefaultMaxRecordBytes)
    {
        var snap = new SnapshotContents();
        var info = ReadInto(path, snap, maxBufferBytes);
        snap.Zxid = info.Zxid;
        snap.Header = info.Header;
        snap.Digest = info.Digest;
        snap.LastProcessedZxid = info.LastProcessedZxid;
        return snap;
    }

    /// <summary>Reads a snapshot and hands its body to <paramref name="sink"/> as it goes; checks magic, structure and
    /// both seals. The seals are checked after the last node, so a sink sees a damaged file's nodes before
    /// <see cref="PersistenceCorruptException"/> is thrown and must be ready to throw its work away.</summary>
    public static SnapshotInfo ReadInto(string path, ISnapshotSink sink, int maxBufferBytes = TxnLogReader.DefaultMaxRecordBytes)
    {
        var name = Path.GetFileName(path);
        var compression = PersistenceFormat.CompressionFromName(name);
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, ReadBufferBytes, FileOptions.SequentialScan);
            using Stream source = compression switch
            {
                SnapshotCompression.Gzip => new GZipStream(file, CompressionMode.Decompress),
                SnapshotCompression.Snappy => new SnappyFramedStream(file, CompressionMode.Decompress, leaveOpen: true),
                SnapshotCompression.Lz4 => K4os.Compression.LZ4.Streams.LZ4Stream.Decode(file, leaveOpen: true),
                _ => file,
            };
            var r = new CheckedReader(source, maxBufferBytes);
            return ReadBody(r, sink, PersistenceFormat.ZxidFromName(name, PersistenceFormat.SnapshotPrefix));
        }
        catch (EndOfStreamException e)
        {
            throw new PersistenceCorruptException($"{name}: snapshot ends early ({e.Message})", e);
        }
        catch (InvalidDataException e)
        {
            throw new PersistenceCorruptException($"{name}: {e.Message}", e);
        }
        catch (PersistenceCorruptException e)
        {
            throw new PersistenceCorruptException($"{name}: {e.Message}", e);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static SnapshotInfo ReadBody(CheckedReader r, ISnapshotSink sink, long zxidFromName)
    {
        var header = new FileHeader(r.ReadInt(), r.ReadInt(), r.ReadLong());
        if (header.Magic != PersistenceFormat.SnapshotMagic)
            throw new PersistenceCorruptException($"mismatching magic headers 0x{header.Magic:x8} != 0x{PersistenceFormat.SnapshotMagic:x8}");

        int sessions = r.ReadInt();
        if (sessions < 0) throw new PersistenceCorruptException($"negative session count {sessions}");
        for (int i = 0; i < sessions; i++) sink.OnSession(r.ReadLong(), r.ReadInt());

        int acls = r.ReadInt();
        if (acls < 0) throw new PersistenceCorruptException($"negative ACL cache size {acls}");
        for (int i = 0; i < acls; i++)
        {
            long id = r.ReadLong();
            int n = r.ReadInt();
            if (n < 0 || n > r.MaxBufferBytes) throw new PersistenceCorruptException($"ACL list {id} has bad length {n}");
            var list = new List<Acl>(Math.Min(n, 64));
            for (int j = 0; j < n; j++) list.Add(new Acl(r.ReadInt(), new Id(r.ReadString() ?? "", r.ReadString() ?? "")));
            sink.OnAcl(id, list);
        }

        int nodes = 0;
        var spanSink = sink as ISnapshotSpanSink;
        while (true)
        {
            if (spanSink is not null)
            {
                var result = r.TryReadNodeInPlace(spanSink);
                if (result == CheckedReader.InPlace.End) break;
                if (result == CheckedReader.InPlace.Read)
                {
                    nodes++;
                    continue;
                }
            }
            var path = r.ReadString() ?? throw new PersistenceCorruptException("null node path");
            if (path == "/") break;
            var data = r.ReadBuffer();
            long aclId = r.ReadLong();
            var stat = new StatPersisted(r.ReadLong(), r.ReadLong(), r.ReadLong(), r.ReadLong(), r.ReadInt(), r.ReadInt(), r.ReadInt(), r.ReadLong(), r.ReadLong());
            sink.OnNode(path, data, aclId, stat);
            nodes++;
        }
        CheckSeal(r, "first");

        // 3.6+: the digest and a second seal. Older snapshots end after the first seal.
        if (r.AtEnd()) return new SnapshotInfo(zxidFromName, header, null, null, nodes);
        long zxid = r.ReadLong();
        int version = r.ReadInt();
        long digest;
        if (version < 2)
        {
            var hex = r.ReadString();
            digest = hex is null ? 0 : Convert.ToInt64(hex, 16);
        }
        else
        {
            digest = r.ReadLong();
        }
        var zxidDigest = new ZxidDigest(zxid, version, digest);
        CheckSeal(r, "second");

        // 3.9: lastProcessedZxid and a third seal.
        if (r.AtEnd()) return new SnapshotInfo(zxidFromName, header, zxidDigest, null, nodes);
        long lastProcessed = r.ReadLong();
        CheckSeal(r, "third");
        return new SnapshotInfo(zxidFromName, header, zxidDigest, lastProcessed, nodes);
    }

    private static void CheckSeal(CheckedReader r, string which)
    {
        long computed = r.Checksum;
        long stored = r.ReadLong();
        var slash = r.ReadString();
        if (stored != computed) throw new PersistenceCorruptException($"CRC corruption: {which} seal stores 0x{stored:x}, content sums to 0x{computed:x}");
        if (slash != "/") throw new PersistenceCorruptException($"{which} seal not followed by \"/\"");
    }

    /// <summary>Writes <paramref name="snap"/> as &lt;snapDir&gt;/snapshot.&lt;zxid&gt;[.gz|.snappy|.lz4] atomically; returns the path.</summary>
    public static string Write(string snapDir, SnapshotContents snap, SnapshotWriteOptions? options = null)
    {
        options ??= new SnapshotWriteOptions();
        if (options.Digest is null) options = options.WithDigest(snap.Digest ?? ZxidDigest.Empty);
        return Write(snapDir, snap.Zxid, options, w =>
        {
            w.WriteSessions(snap.Sessions);
            w.WriteAcls(snap.Acls);
            foreach (var n in snap.Nodes) w.WriteNode(n.Path, n.Data, n.AclId, n.Stat);
        });
    }

    /// <summary>Writes a snapshot whose body (sessions, ACL cache, nodes, in that order) comes from
    /// <paramref name="body"/>; the header, end marker, seals and digest are added here.</summary>
    public static string Write(string snapDir, long zxid, SnapshotWriteOptions options, Action<SnapshotWriter> body)
    {
        Directory.CreateDirectory(snapDir);
        var final = Path.Combine(snapDir, PersistenceFormat.SnapshotName(zxid, options.Compression));
        var tmp = final + PersistenceFormat.TmpSuffix;
        try
        {
            DurabilityJournal.Created(tmp);
            using (var file = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, WriteBufferBytes))
            {
                var paced = new PacedSyncStream(file, options.Fsync ? SyncEveryBytes : 0);
                using (Stream sink = options.Compression switch
                       {
                           SnapshotCompression.Gzip => new GZipStream(paced, CompressionLevel.Fastest, leaveOpen: true),
                           SnapshotCompression.Snappy => new SnappyFramedStream(paced, CompressionMode.Compress, leaveOpen: true),
                           SnapshotCompression.Lz4 => K4os.Compression.LZ4.Streams.LZ4Stream.Encode(paced, K4os.Compression.LZ4.LZ4Level.L00_FAST, leaveOpen: true),
                           _ => paced,
                       })
                {
                    var w = new SnapshotWriter(sink);
                    w.WriteHeader();
                    body(w);
                    w.Finish(options.Digest ?? ZxidDigest.Empty);
                }
                file.Flush();
                if (options.Fsync) DurableIo.FlushData(file);
            }
            DurabilityJournal.Renaming(tmp, final);
            File.Move(tmp, final, overwrite: true);
            if (options.Fsync) DurableIo.SyncDirectory(snapDir);
            return final;
        }
        catch
        {
            try { DurabilityJournal.Deleting(tmp); File.Delete(tmp); } catch (IOException) { /* leave it; readers skip .tmp files */ }
            throw;
        }
    }

    /// <summary>
    /// The snapshot file as the writer sees it: syncs the data written so far every <c>syncEveryBytes</c> (0 = never),
    /// and its Dispose only flushes, so the file under it can still be fsynced whole. Why pace: a snapshot left
    /// entirely to the final fsync sits in the page cache as one large dirty burst (180 MB for 1M znodes), and the txn
    /// log's fsyncs meanwhile wait behind its writeback (ext4 commits in order); in steps, a log fsync waits for at
    /// most one step's worth.
    /// </summary>
    private sealed class PacedSyncStream(FileStream file, long syncEveryBytes) : Stream
    {
        private long _sinceSync;

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() => file.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            file.Write(buffer);
            _sinceSync += buffer.Length;
            if (syncEveryBytes > 0 && _sinceSync >= syncEveryBytes)
            {
                file.Flush();
                DurableIo.FlushData(file);
                _sinceSync = 0;
            }
        }

        protected override void Dispose(bool disposing) { if (disposing) file.Flush(); }
    }
}

/// <summary>
/// Streams the body of a snapshot: call <see cref="WriteSessions"/>, <see cref="WriteAcls"/>, then
/// <see cref="WriteNode"/> for each node in order. Keeps the running Adler-32 of everything written.
/// </summary>
public sealed class SnapshotWriter
{
    private readonly Stream _out;
    private readonly byte[] _buf = new byte[1 << 16];
    private int _used;
    private Adler32 _crc = new();
    private Section _section;

    private enum Section { Header, Sessions, Acls, Nodes }

    internal SnapshotWriter(Stream output) => _out = output;

    internal void WriteHeader()
    {
        WriteInt(PersistenceFormat.SnapshotMagic);
        WriteInt(PersistenceFormat.FormatVersion);
        WriteLong(PersistenceFormat.SnapshotDbId);
    }

    /// <summary>Session map entries, in the order given.</summary>
    public void WriteSessions(IReadOnlyCollection<KeyValuePair<long, int>> sessions)
    {
        Enter(Section.Sessions);
        WriteInt(sessions.Count);
        foreach (var (id, timeout) in sessions) { WriteLong(id); WriteInt(timeout); }
    }

    /// <summary>The ACL cache; ids must be unique and must not include -1.</summary>
    public void WriteAcls(IReadOnlyCollection<KeyValuePair<long, IReadOnlyList<Acl>>> acls)
    {
        Enter(Section.Acls);
        WriteInt(acls.Count);
        foreach (var (id, list) in acls)
        {
            WriteLong(id);
            WriteInt(list.Count);
            foreach (var a in list) { WriteInt(a.Perms); WriteString(a.Id.Scheme); WriteString(a.Id.Ident); }
        }
    }

    public void WriteNode(string path, byte[]? data, long aclId, in StatPersisted s) => WriteNode(path, data, data is null, aclId, s);

    public void WriteNode(string path, ReadOnlySpan<byte> data, bool dataIsNull, long aclId, in StatPersisted s)
    {
        int max = Encoding.UTF8.GetMaxByteCount(path.Length);
        Span<byte> utf8 = max <= 1024 ? stackalloc byte[max] : new byte[max];
        WriteNode(utf8[..Encoding.UTF8.GetBytes(path, utf8)], data, dataIsNull, aclId, s);
    }

    /// <summary>One node; the root is written with path "".</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void WriteNode(ReadOnlySpan<byte> pathUtf8, ReadOnlySpan<byte> data, bool dataIsNull, long aclId, in StatPersisted s)
    {
        Enter(Section.Nodes);
        if (pathUtf8.SequenceEqual("/"u8)) throw new ArgumentException("the root is written with path \"\"; \"/\" ends the node list", nameof(pathUtf8));
        WriteInt(pathUtf8.Length);
        WriteBytes(pathUtf8);
        if (dataIsNull) WriteInt(-1);
        else { WriteInt(data.Length); WriteBytes(data); }
        WriteLong(aclId);
        WriteLong(s.Czxid); WriteLong(s.Mzxid); WriteLong(s.Ctime); WriteLong(s.Mtime);
        WriteInt(s.Version); WriteInt(s.Cversion); WriteInt(s.Aversion);
        WriteLong(s.EphemeralOwner); WriteLong(s.Pzxid);
    }

    internal void Finish(ZxidDigest digest)
    {
        if (_section < Section.Acls) throw new InvalidOperationException("a snapshot needs its session map and ACL cache before the end marker");
        WriteString("/");
        Seal();
        WriteLong(digest.Zxid);
        WriteInt(digest.DigestVersion);
        WriteLong(digest.Digest);
        Seal();
        FlushBuffer();
        _out.Flush();
    }

    private void Enter(Section next)
    {
        bool ok = next == _section + 1 || (next == Section.Nodes && _section == Section.Nodes);
        if (!ok) throw new InvalidOperationException("snapshot sections go: sessions once, ACL cache once, then nodes");
        _section = next;
    }

    private void Seal()
    {
        FlushBuffer();
        WriteLong(_crc.Value);
        WriteString("/");
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void FlushBuffer()
    {
        if (_used == 0) return;
        _crc.Update(_buf.AsSpan(0, _used));
        _out.Write(_buf, 0, _used);
        _used = 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private Span<byte> Reserve(int n)
    {
        if (_buf.Length - _used < n) FlushBuffer();
        var span = _buf.AsSpan(_used, n);
        _used += n;
        return span;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void WriteInt(int v) => BinaryPrimitives.WriteInt32BigEndian(Reserve(4), v);
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void WriteLong(long v) => BinaryPrimitives.WriteInt64BigEndian(Reserve(8), v);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void WriteBytes(ReadOnlySpan<byte> data)
    {
        if (data.Length <= _buf.Length)
        {
            data.CopyTo(Reserve(data.Length));
            return;
        }
        FlushBuffer();
        _crc.Update(data);
        _out.Write(data);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void WriteString(string? s)
    {
        if (s is null) WriteInt(-1);
        else WriteString(s.AsSpan());
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void WriteString(ReadOnlySpan<char> s)
    {
        // As jute writes strings (JavaUtf8.Encode: ACL ids outside the BMP come out as ZooKeeper writes them).
        int n = JavaUtf8.GetByteCount(s);
        WriteInt(n);
        if (n <= _buf.Length)
        {
            JavaUtf8.Encode(s, Reserve(n));
            return;
        }
        var bytes = new byte[n];
        JavaUtf8.Encode(s, bytes);
        WriteBytes(bytes);
    }
}

/// <summary>Big-endian jute primitives over a stream, with the running Adler-32 of the bytes consumed so far.</summary>
internal sealed class CheckedReader(Stream input, int maxBufferBytes)
{
    private readonly byte[] _buf = new byte[1 << 16];
    private int _start, _end, _summed;
    private Adler32 _crc = new();

    public int MaxBufferBytes { get; } = maxBufferBytes;

    /// <summary>Adler-32 of every byte consumed so far.</summary>
    public long Checksum
    {
        get
        {
            SumConsumed();
            return _crc.Value;
        }
    }

    public bool AtEnd() => _start == _end && !Fill(1);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int ReadInt() => BinaryPrimitives.ReadInt32BigEndian(Take(4));
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public long ReadLong() => BinaryPrimitives.ReadInt64BigEndian(Take(8));

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public string? ReadString()
    {
        int len = ReadLength();
        if (len < 0) return null;
        if (len <= _buf.Length) return Encoding.UTF8.GetString(Take(len));
        return Encoding.UTF8.GetString(TakeLarge(len));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public byte[]? ReadBuffer()
    {
        int len = ReadLength();
        if (len < 0) return null;
        if (len == 0) return [];
        if (len <= _buf.Length) return Take(len).ToArray();
        return TakeLarge(len);
    }

    public enum InPlace { Read, End, TooLarge }

    /// <summary>Bytes of a node record after its path and data: aclId (8) and StatPersisted (60).</summary>
    private const int NodeTailBytes = 8 + 60;

    /// <summary>Reads the next node record (or the "/" that ends the list) straight out of the buffer and hands it to
    /// <paramref name="sink"/> as spans. Consumes nothing and returns <see cref="InPlace.TooLarge"/> when the record
    /// does not fit the buffer, for the caller to read it the ordinary way. Lengths are checked as the ordinary way
    /// checks them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public InPlace TryReadNodeInPlace(ISnapshotSpanSink sink)
    {
        if (!Available(4)) return InPlace.TooLarge;
        int pathLength = BinaryPrimitives.ReadInt32BigEndian(_buf.AsSpan(_start));
        if (pathLength == -1) throw new PersistenceCorruptException("null node path");
        CheckLength(pathLength);
        if (!Available(4 + pathLength)) return InPlace.TooLarge;
        if (pathLength == 1 && _buf[_start + 4] == (byte)'/')
        {
            _start += 5;
            return InPlace.End;
        }
        if (!Available(4 + pathLength + 4)) return InPlace.TooLarge;
        int dataLength = BinaryPrimitives.ReadInt32BigEndian(_buf.AsSpan(_start + 4 + pathLength));
        CheckLength(dataLength);
        int total = 4 + pathLength + 4 + Math.Max(dataLength, 0) + NodeTailBytes;
        if (!Available(total)) return InPlace.TooLarge;
        var record = _buf.AsSpan(_start, total);
        _start += total;
        var path = record.Slice(4, pathLength);
        var data = record.Slice(8 + pathLength, Math.Max(dataLength, 0));
        var tail = record[(8 + pathLength + Math.Max(dataLength, 0))..];
        long aclId = BinaryPrimitives.ReadInt64BigEndian(tail);
        var stat = new StatPersisted(
            BinaryPrimitives.ReadInt64BigEndian(tail[8..]), BinaryPrimitives.ReadInt64BigEndian(tail[16..]),
            BinaryPrimitives.ReadInt64BigEndian(tail[24..]), BinaryPrimitives.ReadInt64BigEndian(tail[32..]),
            BinaryPrimitives.ReadInt32BigEndian(tail[40..]), BinaryPrimitives.ReadInt32BigEndian(tail[44..]),
            BinaryPrimitives.ReadInt32BigEndian(tail[48..]), BinaryPrimitives.ReadInt64BigEndian(tail[52..]),
            BinaryPrimitives.ReadInt64BigEndian(tail[60..]));
        sink.OnNode(path, data, dataLength < 0, aclId, stat);
        return InPlace.Read;
    }

    /// <summary>True when <paramref name="n"/> unread bytes are (or can be made) contiguous in the buffer.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool Available(int n) => _end - _start >= n || (n <= _buf.Length && Fill(n));

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void CheckLength(int len)
    {
        if (len < -1 || len > MaxBufferBytes) throw new PersistenceCorruptException($"Unreasonable length = {len}");
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int ReadLength()
    {
        int len = ReadInt();
        if (len < -1 || len > MaxBufferBytes) throw new PersistenceCorruptException($"Unreasonable length = {len}");
        return len;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private ReadOnlySpan<byte> Take(int n)
    {
        if (_end - _start < n && !Fill(n)) throw new EndOfStreamException($"needed {n} bytes, {_end - _start} left");
        var span = _buf.AsSpan(_start, n);
        _start += n;
        return span;
    }

    private byte[] TakeLarge(int n)
    {
        var result = new byte[n];
        int have = _end - _start;
        _buf.AsSpan(_start, have).CopyTo(result);
        _start = _end;
        SumConsumed();
        _start = _end = _summed = 0;
        int got = have;
        while (got < n)
        {
            int r = input.Read(result, got, n - got);
            if (r == 0) throw new EndOfStreamException($"needed {n} bytes, {got} available");
            got += r;
        }
        _crc.Update(result.AsSpan(have));
        return result;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void SumConsumed()
    {
        if (_start > _summed)
        {
            _crc.Update(_buf.AsSpan(_summed, _start - _summed));
            _summed = _start;
        }
    }

    /// <summary>Makes at least <paramref name="n"/> unread bytes available; false at end of stream.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool Fill(int n)
    {
        SumConsumed();
        if (_start > 0)
        {
            int have = _end - _start;
            _buf.AsSpan(_start, have).CopyTo(_buf);
            _start = 0;
            _end = have;
            _summed = 0;
        }
        while (_end < n)
        {
            int r = input.Read(_buf, _end, _buf.Length - _end);
            if (r == 0) return false;
            _end += r;
        }
        return true;
    }
}
