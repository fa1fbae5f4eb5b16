// Pieces shared by ZooKeeper's txn-log and snapshot files (all integers big-endian, jute encoding):
//
//   FileHeader  = int magic, int version, long dbid                      (org.apache.zookeeper.server.persistence)
//                 txn log:  magic "ZKLG" = 0x5a4b4c47, version 2, dbid 0
//                 snapshot: magic "ZKSN" = 0x5a4b534e, version 2, dbid -1
//   ZxidDigest  = long zxid, int digestVersion, digest                   (DataTree.ZxidDigest, snapshots since 3.6)
//                 digest is a long for digestVersion >= 2, a ustring of hex digits for older versions
//
// Layout on disk: <dataDir>/version-2/snapshot.<zxid hex>[.gz|.snappy|.lz4] and <dataLogDir>/version-2/log.<zxid hex>,
// where <zxid hex> is Long.toHexString (lower case, no padding, no 0x) of the first txn in the log or the last txn
// applied before the snapshot. Temporary files end in ".tmp".

using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Coord.Server.Persistence;

/// <summary>class FileHeader { int magic; int version; long dbid; } — the first 16 bytes of logs and snapshots.</summary>
public readonly record struct FileHeader(int Magic, int Version, long DbId)
{
    public const int SizeBytes = 16;
}

/// <summary>The tree digest a snapshot carries after its first seal (3.6+). Zxid 0 means "no digest": ZooKeeper
/// then skips the comparison when it loads the snapshot.</summary>
public readonly record struct ZxidDigest(long Zxid, int DigestVersion, long Digest)
{
    /// <summary>DigestCalculator.DIGEST_VERSION in ZooKeeper 3.6–3.9.</summary>
    public const int CurrentVersion = 2;

    /// <summary>What ZooKeeper writes when it has no digest for the snapshot (new ZxidDigest()).</summary>
    public static readonly ZxidDigest Empty = new(0, CurrentVersion, 0);
}

/// <summary>File names, magics and the version-2 directory convention.</summary>
public static class PersistenceFormat
{
    public const int TxnLogMagic = 0x5a4b4c47;   // "ZKLG"
    public const int SnapshotMagic = 0x5a4b534e; // "ZKSN"
    public const int FormatVersion = 2;
    public const long TxnLogDbId = 0;
    public const long SnapshotDbId = -1;
    public const string LogPrefix = "log";
    public const string SnapshotPrefix = "snapshot";
    public const string VersionDirName = "version-2";
    public const string TmpSuffix = ".tmp";

    /// <summary>&lt;dir&gt;/version-2, where ZooKeeper keeps its files under dataDir and dataLogDir.</summary>
    public static string VersionDir(string dir) => Path.Combine(dir, VersionDirName);

    public static string LogName(long zxid) => LogPrefix + "." + zxid.ToString("x", CultureInfo.InvariantCulture);

    public static string SnapshotName(long zxid, SnapshotCompression compression = SnapshotCompression.None) =>
        SnapshotPrefix + "." + zxid.ToString("x", CultureInfo.InvariantCulture) + compression switch
        {
            SnapshotCompression.Gzip => ".gz",
            SnapshotCompression.Snappy => ".snappy",
            SnapshotCompression.Lz4 => ".lz4",
            _ => "",
        };

    /// <summary>Util.getZxidFromName: the hex field after "&lt;prefix&gt;."; -1 when the name does not have that shape.</summary>
    public static long ZxidFromName(string fileName, string prefix)
    {
        var parts = fileName.Split('.');
        if (parts.Length < 2 || parts[0] != prefix) return -1;
        return long.TryParse(parts[1], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out long z) ? z : -1;
    }

    /// <summary>SnapStream.getStreamMode: the last dotted suffix names the compression; anything else is uncompressed.</summary>
    public static SnapshotCompression CompressionFromName(string fileName)
    {
        var parts = fileName.Split('.');
        if (parts.Length < 2) return SnapshotCompression.None;
        return parts[^1].ToLowerInvariant() switch
        {
            "gz" => SnapshotCompression.Gzip,
            "snappy" => SnapshotCompression.Snappy,
            "lz4" => SnapshotCompression.Lz4,
            _ => SnapshotCompression.None,
        };
    }

    /// <summary>Log files in a version-2 directory, oldest first (by the zxid in the name).</summary>
    public static List<(string Path, long Zxid)> ListLogs(string logDir) => List(logDir, LogPrefix);

    /// <summary>Snapshot files in a version-2 directory, newest first; temporary files are left out.</summary>
    public static List<(string Path, long Zxid)> ListSnapshots(string snapDir)
    {
        var list = List(snapDir, SnapshotPrefix);
        list.Reverse();
        return list;
    }

    private static List<(string, long)> List(string dir, string prefix)
    {
        var result = new List<(string, long)>();
        if (!Directory.Exists(dir)) return result;
        foreach (var path in Directory.EnumerateFiles(dir, prefix + ".*"))
        {
            var name = Path.GetFileName(path);
            if (name.EndsWith(TmpSuffix, StringComparison.Ordinal)) continue;
            long zxid = ZxidFromName(name, prefix);
            if (zxid >= 0) result.Add((path, zxid));
        }
        result.Sort((x, y) => x.Item2.CompareTo(y.Item2));
        return result;
    }
}

public enum SnapshotCompression
{
    /// <summary>"" — SnapStream's CHECKED mode: plain buffered bytes.</summary>
    None,
    /// <summary>"gz" — a gzip stream; the Adler-32 seals cover the uncompressed bytes.</summary>
    Gzip,
    /// <summary>"lz4" — Coord's fast option: an LZ4 frame stream (K4os). ZooKeeper cannot read these; use gz or none
    /// where Apache ZooKeeper must be able to start on the data directory.</summary>
    Lz4,
    /// <summary>"snappy" — snappy-java's SnappyOutputStream framing (Snappy/SnappyFramedStream.cs); Coord and ZooKeeper
    /// 3.8 read and write it.</summary>
    Snappy,
}

/// <summary>A log or snapshot that cannot be trusted: bad magic, checksum mismatch, malformed record, or a gap.</summary>
public sealed class PersistenceCorruptException(string message, Exception? inner = null) : IOException(message, inner);

/// <summary>Durability primitives: fdatasync for file data, fsync for directories (so a new or renamed file's name
/// survives a crash; .NET has no API for this, dotnet/runtime#28169).</summary>
public static partial class DurableIo
{
    private static readonly bool IsUnix = OperatingSystem.IsLinux() || OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD();

    /// <summary>Flushes a file's data to stable storage (fdatasync on Linux, full fsync elsewhere). Throws on failure;
    /// a failed sync must be treated as fatal, since the kernel may already have dropped the dirty pages. Bytes still
    /// in <paramref name="stream"/>'s own buffer are not covered: flush the stream first.</summary>
    public static void FlushData(FileStream stream)
    {
        long journalId = DurabilityJournal.Enabled ? DurabilityJournal.SyncStarting(stream.Name, stream.Length) : 0;
        if (OperatingSystem.IsLinux())
        {
            int fd = (int)stream.SafeFileHandle.DangerousGetHandle();
            if (Fdatasync(fd) != 0) throw new IOException($"fdatasync failed: errno {Marshal.GetLastPInvokeError()}");
        }
        else
        {
            stream.Flush(flushToDisk: true);
        }
        DurabilityJournal.SyncCompleted(journalId);
    }

    /// <summary>fsync of a directory, so entries created, renamed or removed in it are durable. No-op off Unix.</summary>
    public static void SyncDirectory(string dir)
    {
        if (!IsUnix) return;
        long journalId = DurabilityJournal.SyncStarting(dir, -1);
        int fd = Open(dir, 0 /* O_RDONLY */);
        if (fd < 0) throw new IOException($"open({dir}) for fsync failed: errno {Marshal.GetLastPInvokeError()}");
        try
        {
            if (Fsync(fd) != 0) throw new IOException($"fsync({dir}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
        finally
        {
            _ = Close(fd);
        }
        DurabilityJournal.SyncCompleted(journalId);
    }

    [LibraryImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    private static partial int Fdatasync(int fd);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
