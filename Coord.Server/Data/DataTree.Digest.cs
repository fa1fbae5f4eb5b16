using System.Runtime.CompilerServices;
using System.Text;

namespace Coord.Server.Data;

/// <summary>
/// ZooKeeper's tree digest (digest.enabled, on by default since 3.6): every node's digest is
/// CRC32(path UTF-8 bytes, data bytes, czxid mzxid pzxid ctime mtime [8 bytes each, big-endian] version cversion aversion
/// [4 each] ephemeralOwner [8]) over its persisted stat (DigestCalculator, version 2); the root counts once under the
/// path "", nodes below /zookeeper/ count 0 (/zookeeper itself counts). The tree digest is the wrapping sum of node digests, kept up to date on each
/// change. After every txn whose zxid is a multiple of 128 the pair (zxid, digest) is logged, last 1024 kept, which is
/// what the hash four-letter word prints. Replicas that applied the same txns have the same digest.
/// </summary>
public sealed partial class DataTree
{
    public const int DigestVersion = 2;
    /// <summary>Digests are logged for zxids that are multiples of this (DataTree.DIGEST_LOG_INTERVAL).</summary>
    public const int DigestLogInterval = 128;
    /// <summary>Logged digests kept (DataTree.DIGEST_LOG_LIMIT).</summary>
    public const int DigestLogLimit = 1024;

    private readonly Queue<(long Zxid, long Digest)> _digestLog = new();

    /// <summary>Sum of all node digests.</summary>
    public long TreeDigest { get; private set; }

    public IReadOnlyCollection<(long Zxid, long Digest)> DigestLog => _digestLog;

    /// <summary>Reused by <see cref="NodeDigest"/> on each thread; ThreadStatic because NodeDigest is static and
    /// may run off the processing thread (tools, tests).</summary>
    [ThreadStatic] private static System.IO.Hashing.Crc32? t_crc;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static long NodeDigest(string path, DataNode n)
    {
        int max = Encoding.UTF8.GetMaxByteCount(path.Length);
        Span<byte> utf8 = max <= 512 ? stackalloc byte[max] : new byte[max];
        return NodeDigest(utf8[..Encoding.UTF8.GetBytes(path, utf8)], n);
    }

    /// <summary>As <see cref="NodeDigest(string, DataNode)"/>, the path given as UTF-8 ("" or "/" for the root).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static long NodeDigest(ReadOnlySpan<byte> pathUtf8, DataNode n)
    {
        // ZooKeeper leaves the nodes below /zookeeper/ out (quota stats change locally); /zookeeper itself counts.
        if (pathUtf8.StartsWith("/zookeeper/"u8)) return 0;
        if (pathUtf8.SequenceEqual("/"u8)) pathUtf8 = [];
        Span<byte> stat = stackalloc byte[60];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(stat, n.Czxid);
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(stat[8..], n.Mzxid);
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(stat[16..], n.Pzxid);
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(stat[24..], n.Ctime);
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(stat[32..], n.Mtime);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(stat[40..], n.Version);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(stat[44..], n.Cversion);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(stat[48..], n.Aversion);
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(stat[52..], n.EphemeralOwner);
        // System.IO.Hashing.Crc32 is the IEEE polynomial of java.util.zip.CRC32, vectorised. One instance per thread is
        // reset and reused: every write txn digests two nodes, and a snapshot load digests every node.
        var crc = t_crc ??= new System.IO.Hashing.Crc32();
        crc.Reset();
        crc.Append(pathUtf8);
        crc.Append(n.DataSpan);
        crc.Append(stat);
        return crc.GetCurrentHashAsUInt32();
    }

    private void DigestRemove(string path, DataNode n) => TreeDigest -= NodeDigest(path, n);
    private void DigestAdd(string path, DataNode n) => TreeDigest += NodeDigest(path, n);

    private void LogDigest(long zxid)
    {
        if (zxid % DigestLogInterval != 0) return;
        _digestLog.Enqueue((zxid, TreeDigest));
        if (_digestLog.Count > DigestLogLimit) _digestLog.Dequeue();
    }
}
