using System.Buffers.Binary;
using Coord.Protocol;
using Coord.Protocol.Records;
using Coord.Server.Persistence;
using Coord.Zab;
using NUnit.Framework;

namespace Coord.Tests.Persistence;

/// <summary>The txn log writer and reader on their own: layout, preallocation, group commit, rolling, truncation and
/// the diagnosis of torn or corrupt entries.</summary>
[TestFixture, Category("Persistence")]
public sealed class TxnLogTests
{
    private static FileTxnLogOptions Small(long prealloc = 64 << 10) => new() { PreAllocBytes = prealloc };

    private static (TempDir Dir, TxnScript Script) WriteLog(FileTxnLogOptions options, params int[] parts)
    {
        var dir = new TempDir();
        using var log = new FileTxnLog(dir.Path, options);
        var script = new TxnScript((h, t) => log.Append(h, t));
        foreach (var p in parts) script.Run(p);
        log.Commit();
        return (dir, script);
    }

    [Test]
    public void EveryTxnTypeRoundTrips()
    {
        var (dir, script) = WriteLog(Small(), 1, 2, 3);
        using var _ = dir;
        var read = Kit.ReadAll(dir.Path);
        Assert.That(read, Has.Count.EqualTo(script.Txns.Count));
        for (int i = 0; i < read.Count; i++)
        {
            Assert.That(read[i].Header, Is.EqualTo(script.Txns[i].Header));
            Assert.That(Kit.Serialize(read[i].Txn), Is.EqualTo(Kit.Serialize(script.Txns[i].Txn)), $"record of txn {i}");
            Assert.That(read[i].Digest, Is.Null, "Coord writes no TxnDigest");
        }
        var types = read.Select(e => e.Header.Type).ToHashSet();
        Assert.That(types, Is.SupersetOf(new[] { OpCode.CreateSession, OpCode.CloseSession, OpCode.Create, OpCode.CreateContainer,
            OpCode.CreateTtl, OpCode.SetData, OpCode.SetAcl, OpCode.Delete, OpCode.DeleteContainer, OpCode.Error, OpCode.Multi }));
    }

    [Test]
    public void FileLayoutIsZooKeepers()
    {
        var dir = new TempDir();
        using var _ = dir;
        using (var log = new FileTxnLog(dir.Path))
        {
            log.Append(new TxnHeader(0x1234, 7, 0x500000001, 1_700_000_000_000, OpCode.CreateSession), new CreateSessionTxn(30000));
            log.Append(new TxnHeader(0x1234, 8, 0x500000002, 1_700_000_000_001, OpCode.Create),
                new CreateTxn("/a", [1, 2, 3], Acl.OpenAclUnsafe, false, 1), new TxnDigest(2, 0x1122334455667788));
            log.Commit();
        }
        var path = Path.Combine(dir.Path, "log.500000001");
        Assert.That(File.Exists(path), "named after the first zxid in lower-case hex");
        var bytes = File.ReadAllBytes(path);
        Assert.That(bytes, Has.Length.EqualTo(16 + (64 << 20)), "header + one 64 MiB preallocation step, as ZooKeeper's log.1 files");
        Assert.That(Convert.ToHexString(bytes, 0, 16), Is.EqualTo("5A4B4C47" + "00000002" + "0000000000000000"));

        int len = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(24));
        Assert.That(len, Is.EqualTo(32 + 4), "TxnHeader + CreateSessionTxn");
        var payload = bytes.AsSpan(28, len);
        Assert.That(BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(16)), Is.EqualTo(Adler32.Compute(payload)), "checksum covers the payload only");
        Assert.That(BinaryPrimitives.ReadInt64BigEndian(payload[12..]), Is.EqualTo(0x500000001), "zxid inside the TxnHeader");
        Assert.That(bytes[28 + len], Is.EqualTo(0x42), "'B' ends the entry");

        int second = 28 + len + 1;
        int len2 = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(second + 8));
        Assert.That(Convert.ToHexString(bytes, second + 12 + len2 - 12, 12), Is.EqualTo("00000002" + "1122334455667788"), "TxnDigest last in the payload");
        Assert.That(bytes.AsSpan(second + 13 + len2).ContainsAnyExcept((byte)0), Is.False, "zero padding after the last entry");

        var read = Kit.ReadAll(dir.Path);
        Assert.That(read[1].Digest, Is.EqualTo(new TxnDigest(2, 0x1122334455667788)));
    }

    [Test]
    public void Adler32MatchesKnownValues()
    {
        Assert.That(Adler32.Compute([]), Is.EqualTo(1));
        Assert.That(Adler32.Compute("Wikipedia"u8), Is.EqualTo(0x11E60398));
        var big = new byte[100_000];
        new Random(5).NextBytes(big);
        var inc = new Adler32();
        inc.Update(big.AsSpan(0, 33_333));
        inc.Update(big.AsSpan(33_333));
        Assert.That(inc.Value, Is.EqualTo(Adler32.Compute(big)));
        // Reference value from zlib.adler32 over the same bytes, computed the slow way (mod after every byte).
        uint a = 1, b = 0;
        foreach (var x in big) { a = (a + x) % 65521; b = (b + a) % 65521; }
        Assert.That(Adler32.Compute(big), Is.EqualTo((long)((b << 16) | a)));
    }

    [Test]
    public void Adler32VectorPathMatchesTheScalarLoop()
    {
        // All-0xFF bytes are the worst case for the unreduced sums; random pieces cover every length around the
        // 32-byte step and the 128-step round, from running (not fresh) states.
        var rnd = new Random(11);
        foreach (var fill in new byte?[] { 0xFF, null })
        {
            var buf = new byte[70_000];
            if (fill is byte f) Array.Fill(buf, f); else rnd.NextBytes(buf);
            var fast = new Adler32();
            var slow = new Adler32();
            int at = 0;
            foreach (int len in new[] { 0, 1, 31, 32, 33, 63, 64, 4095, 4096, 4097, 4128, 5552, 5553, 20_000, 31 })
            {
                fast.Update(buf.AsSpan(at, len));
                slow.UpdateScalar(buf.AsSpan(at, len));
                Assert.That(fast.Value, Is.EqualTo(slow.Value), $"after {len} more bytes (fill {fill})");
                at += len;
            }
            for (int i = 0; i < 200; i++)
            {
                int start = rnd.Next(buf.Length), len = rnd.Next(Math.Min(9000, buf.Length - start));
                fast.Update(buf.AsSpan(start, len));
                slow.UpdateScalar(buf.AsSpan(start, len));
                Assert.That(fast.Value, Is.EqualTo(slow.Value));
            }
        }
    }

    [Test]
    public void PreallocationFollowsZooKeepersPaddingRule()
    {
        Assert.That(FileTxnLog.CalculateFileSizeWithPadding(16, 16, 65536), Is.EqualTo(16 + 65536));
        Assert.That(FileTxnLog.CalculateFileSizeWithPadding(1000, 65552, 65536), Is.EqualTo(65552), "far from the end: unchanged");
        Assert.That(FileTxnLog.CalculateFileSizeWithPadding(62000, 65552, 65536), Is.EqualTo(65552 + 65536), "within 4 KiB: one more step");
        Assert.That(FileTxnLog.CalculateFileSizeWithPadding(200_000, 65552, 65536), Is.EqualTo(262144), "past the end: next multiple");
        Assert.That(FileTxnLog.CalculateFileSizeWithPadding(200_000, 65552, 0), Is.EqualTo(65552), "off");

        var dir = new TempDir();
        using var _ = dir;
        var sizes = new List<long>();
        using (var log = new FileTxnLog(dir.Path, Small(8192)))
        {
            for (int i = 1; i <= 60; i++)
            {
                log.Append(new TxnHeader(1, i, i, i, OpCode.SetData), new SetDataTxn("/x", new byte[500], i));
                log.Commit();
                sizes.Add(new FileInfo(log.CurrentLogPath!).Length);
            }
        }
        Assert.That(sizes, Is.Ordered, "the file only grows");
        Assert.That(sizes.Distinct().Count(), Is.GreaterThan(2), "grown in several steps");
        Assert.That(sizes.All(s => s == 16 + 8192 || s % 8192 == 0 || (s - 16) % 8192 == 0), Is.True, string.Join(",", sizes.Distinct()));
        Assert.That(Kit.ReadAll(dir.Path), Has.Count.EqualTo(60));
    }

    [Test]
    public void GroupCommitWritesOnCommitWithOneFsync()
    {
        var dir = new TempDir();
        using var _ = dir;
        using var log = new FileTxnLog(dir.Path, Small());
        for (int i = 1; i <= 100; i++) log.Append(new TxnHeader(1, i, i, i, OpCode.Delete), new DeleteTxn("/n" + i));
        Assert.That(log.UncommittedCount, Is.EqualTo(100));
        using (var it = new TxnLogIterator(dir.Path))
        {
            Assert.That(it.MoveNext(), Is.False, "nothing reaches the file before Commit");
            Assert.That(it.Damage, Is.Null);
        }
        long syncs = log.SyncCount;
        log.Commit();
        Assert.That(log.SyncCount - syncs, Is.EqualTo(1), "one fsync for the whole batch");
        Assert.That(log.UncommittedCount, Is.Zero);
        Assert.That(Kit.ReadAll(dir.Path), Has.Count.EqualTo(100));
        log.Commit();
        Assert.That(log.SyncCount - syncs, Is.EqualTo(1), "a commit with nothing new does not fsync");
    }

    private sealed class RecordingHandler : ICommitHandler
    {
        public readonly List<long> Committed = [];
        public void OnCommit(in TxnHeader header, ITxnRecord? txn, object? context) => Committed.Add(header.Zxid);
    }

    [Test]
    public void IsTheSinkOfStandaloneBroadcastWithGroupCommit()
    {
        var dir = new TempDir();
        using var _ = dir;
        using var log = new FileTxnLog(dir.Path, Small());
        var handler = new RecordingHandler();
        var zab = new StandaloneBroadcast(handler, log, epoch: 0, lastZxid: 41);
        Assert.That(zab.CommitsSynchronously, Is.False);
        for (int i = 0; i < 3; i++)
        {
            long zxid = zab.NextZxid();
            zab.Propose(new TxnHeader(1, i, zxid, i, OpCode.Delete), new DeleteTxn("/n" + i), null);
        }
        Assert.That(handler.Committed, Is.Empty, "nothing commits before the batch is durable");
        Assert.That(log.SyncCount, Is.Zero);
        zab.Flush();
        Assert.That(log.SyncCount, Is.EqualTo(1), "ITxnSink.Commit is FileTxnLog.Commit: one fsync for the batch");
        Assert.That(handler.Committed, Is.EqualTo(new long[] { 42, 43, 44 }));
        Assert.That(Kit.ReadAll(dir.Path).Select(e => e.Header.Zxid), Is.EqualTo(new long[] { 42, 43, 44 }));
        Assert.That(Path.GetFileName(log.CurrentLogPath), Is.EqualTo("log.2a"));
    }

    [Test]
    public void RollStartsFilesNamedByTheirFirstZxidAndReadingStartsAnywhere()
    {
        var dir = new TempDir();
        using var _ = dir;
        using (var log = new FileTxnLog(dir.Path, Small()))
        {
            for (int i = 1; i <= 30; i++)
            {
                log.Append(new TxnHeader(1, i, i, i, OpCode.Delete), new DeleteTxn("/n" + i));
                if (i % 10 == 0) { log.Commit(); log.RollLog(); }
            }
            log.Commit();
        }
        Assert.That(PersistenceFormat.ListLogs(dir.Path).Select(f => Path.GetFileName(f.Path)), Is.EqualTo(new[] { "log.1", "log.b", "log.15" }));
        Assert.That(Kit.ReadAll(dir.Path).Select(e => e.Header.Zxid), Is.EqualTo(Enumerable.Range(1, 30).Select(i => (long)i)));
        Assert.That(Kit.ReadAll(dir.Path, 15).Select(e => e.Header.Zxid), Is.EqualTo(Enumerable.Range(15, 16).Select(i => (long)i)));
        using var it = new TxnLogIterator(dir.Path, 15);
        Assert.That(it.Files.Select(f => Path.GetFileName(f.Path)), Is.EqualTo(new[] { "log.b", "log.15" }), "the file holding 15 and later ones");
    }

    [Test]
    public void SizeLimitRollsAfterCommit()
    {
        var dir = new TempDir();
        using var _ = dir;
        using (var log = new FileTxnLog(dir.Path, new FileTxnLogOptions { PreAllocBytes = 4096, SizeLimitBytes = 2000 }))
        {
            for (int i = 1; i <= 20; i++)
            {
                log.Append(new TxnHeader(1, i, i, i, OpCode.SetData), new SetDataTxn("/x", new byte[300], i));
                log.Commit();
            }
        }
        Assert.That(PersistenceFormat.ListLogs(dir.Path), Has.Count.GreaterThan(2));
        Assert.That(Kit.ReadAll(dir.Path), Has.Count.EqualTo(20));
    }

    [Test]
    public void TruncateKeepsTxnsUpToZxid()
    {
        var dir = new TempDir();
        using var _ = dir;
        using (var log = new FileTxnLog(dir.Path, Small()))
        {
            for (int i = 1; i <= 30; i++)
            {
                log.Append(new TxnHeader(1, i, i, i, OpCode.Delete), new DeleteTxn("/n" + i));
                if (i % 10 == 0) { log.Commit(); log.RollLog(); }
            }
            log.Commit();
        }
        FileTxnLog.Truncate(dir.Path, 14);
        Assert.That(PersistenceFormat.ListLogs(dir.Path).Select(f => Path.GetFileName(f.Path)), Is.EqualTo(new[] { "log.1", "log.b" }));
        var left = Kit.ReadAll(dir.Path);
        Assert.That(left.Select(e => e.Header.Zxid), Is.EqualTo(Enumerable.Range(1, 14).Select(i => (long)i)));
        Assert.That(new FileInfo(Path.Combine(dir.Path, "log.b")).Length, Is.EqualTo(left[^1].End), "cut right after zxid 14");
    }

    [Test]
    public void FailedWriteIsRejectedAndTheLogRecovers()
    {
        // A write failure (here the directory vanished; in production ENOSPC) rejects the uncommitted txns but leaves
        // the log usable: nothing of the failed batch is on disk, and later batches succeed once the cause is gone.
        var dir = new TempDir();
        using var _ = dir;
        var logDir = dir.Sub("gone");
        using var log = new FileTxnLog(logDir, Small());
        Directory.Delete(logDir);
        Assert.That(() => log.Append(new TxnHeader(1, 1, 1, 1, OpCode.Delete), new DeleteTxn("/a")), Throws.InstanceOf<Coord.Zab.TxnSinkWriteException>());
        Assert.That(log.IsFailed, Is.False);
        Directory.CreateDirectory(logDir);
        log.Append(new TxnHeader(1, 2, 1, 2, OpCode.Delete), new DeleteTxn("/b"));
        log.Commit();
        var entries = Kit.ReadAll(logDir);
        Assert.That(entries.Select(e => ((DeleteTxn)e.Txn!).Path), Is.EqualTo(new[] { "/b" }));
    }

    // ---- (d) torn and corrupt entries -------------------------------------------------------------------------------

    private static (TempDir Dir, List<TxnLogEntry> Entries, string File) TenEntries()
    {
        var dir = new TempDir();
        using (var log = new FileTxnLog(dir.Path, Small()))
        {
            for (int i = 1; i <= 10; i++) log.Append(new TxnHeader(1, i, i, i, OpCode.SetData), new SetDataTxn("/x", new byte[40 + i], i));
            log.Commit();
        }
        var entries = Kit.ReadAll(dir.Path);
        return (dir, entries, entries[0].File);
    }

    private static TxnLogDamage? ReadUntilStop(string dir, out List<long> zxids)
    {
        using var it = new TxnLogIterator(dir);
        zxids = [];
        while (it.MoveNext()) zxids.Add(it.Current.Header.Zxid);
        if (it.Damage is not null) Assert.That(it.DamageInLastFile, Is.True);
        return it.Damage;
    }

    [TestCase(6, TxnLogStop.TruncatedEntry, Description = "cut inside the 12-byte prefix (the checksum's high 4 bytes are always zero)")]
    [TestCase(20, TxnLogStop.TruncatedEntry, Description = "cut inside the payload")]
    [TestCase(-1, TxnLogStop.TruncatedEntry, Description = "cut just before the 'B' marker")]
    public void TruncatedLastEntryIsATornTailAtItsStart(int cutInto, TxnLogStop expected)
    {
        var (dir, entries, file) = TenEntries();
        using var _ = dir;
        var last = entries[^1];
        long cut = cutInto >= 0 ? last.Offset + cutInto : last.End - 1;
        Kit.SetLength(file, cut);
        var damage = ReadUntilStop(dir.Path, out var zxids);
        Assert.That(zxids, Is.EqualTo(Enumerable.Range(1, 9).Select(i => (long)i)));
        Assert.That(damage, Is.Not.Null);
        Assert.That(damage!.Reason, Is.EqualTo(expected));
        Assert.That(damage.Offset, Is.EqualTo(last.Offset), "position of the torn entry = end of the last good one");
        Assert.That(damage.LastGoodZxid, Is.EqualTo(9));
        Assert.That(damage.IntactEntryFollows, Is.False);
    }

    [Test]
    public void CutExactlyAtAnEntryBoundaryIsACleanEnd()
    {
        var (dir, entries, file) = TenEntries();
        using var _ = dir;
        Kit.SetLength(file, entries[^1].Offset);
        Assert.That(ReadUntilStop(dir.Path, out var zxids), Is.Null);
        Assert.That(zxids, Has.Count.EqualTo(9));
    }

    [Test]
    public void ZeroedPayloadInPreallocatedSpaceIsMissingItsEndMarker()
    {
        // A crash that persisted the entry's first sector but not the rest leaves zeros where the payload ended.
        var (dir, entries, file) = TenEntries();
        using var _ = dir;
        var last = entries[^1];
        Kit.Zero(file, last.Offset + 30, last.End - (last.Offset + 30));
        var damage = ReadUntilStop(dir.Path, out var zxids);
        Assert.That(zxids, Has.Count.EqualTo(9));
        Assert.That(damage!.Reason, Is.EqualTo(TxnLogStop.MissingEndMarker));
        Assert.That(damage.Offset, Is.EqualTo(last.Offset));
    }

    [Test]
    public void FlippedByteInLastEntryIsAChecksumMismatchAtItsStart()
    {
        var (dir, entries, file) = TenEntries();
        using var _ = dir;
        var last = entries[^1];
        Kit.FlipByte(file, last.Offset + 12 + 20);
        var damage = ReadUntilStop(dir.Path, out var zxids);
        Assert.That(zxids, Has.Count.EqualTo(9));
        Assert.That(damage!.Reason, Is.EqualTo(TxnLogStop.ChecksumMismatch));
        Assert.That(damage.Offset, Is.EqualTo(last.Offset));
        Assert.That(damage.LastGoodZxid, Is.EqualTo(9));
        Assert.That(damage.IntactEntryFollows, Is.False, "nothing after it: a torn tail");
    }

    [TestCase(12 + 20, TxnLogStop.ChecksumMismatch, Description = "payload byte")]
    [TestCase(2, TxnLogStop.ChecksumMismatch, Description = "checksum byte")]
    [TestCase(9, TxnLogStop.BadLength, Description = "length byte")]
    public void DamageInTheMiddleIsReportedWithTheIntactEntriesAfterIt(int byteInEntry, TxnLogStop expected)
    {
        var (dir, entries, file) = TenEntries();
        using var _ = dir;
        var victim = entries[4];
        Kit.FlipByte(file, victim.Offset + byteInEntry);
        var damage = ReadUntilStop(dir.Path, out var zxids);
        Assert.That(zxids, Is.EqualTo(new long[] { 1, 2, 3, 4 }));
        Assert.That(damage!.Reason, Is.EqualTo(expected));
        Assert.That(damage.Offset, Is.EqualTo(victim.Offset));
        Assert.That(damage.IntactEntryFollows, Is.True, "entries 6..10 are intact: a hole, not a tail");
    }

    [Test]
    public void EntriesSkippedBelowTheStartZxidAreStillChecked()
    {
        var (dir, entries, file) = TenEntries();
        using var _ = dir;
        using (var it = new TxnLogIterator(dir.Path, 7))
        {
            var zxids = new List<long>();
            while (it.MoveNext()) zxids.Add(it.Current.Header.Zxid);
            Assert.That(zxids, Is.EqualTo(new long[] { 7, 8, 9, 10 }), "entries below 7 are passed over, not returned");
            Assert.That(it.Damage, Is.Null);
        }
        // A restart skips, without decoding, the txns its snapshot already holds; their checksums still count.
        Kit.FlipByte(file, entries[2].Offset + 12 + 20);
        using (var it = new TxnLogIterator(dir.Path, 7))
        {
            Assert.That(it.MoveNext(), Is.False);
            Assert.That(it.Damage!.Reason, Is.EqualTo(TxnLogStop.ChecksumMismatch));
            Assert.That(it.Damage.Offset, Is.EqualTo(entries[2].Offset));
            Assert.That(it.Damage.LastGoodZxid, Is.EqualTo(2), "the skipped entries before the damage were intact");
            Assert.That(it.Damage.IntactEntryFollows, Is.True);
        }
    }

    [Test]
    public void IntactEntryFarBehindTheDamageIsStillFound()
    {
        var (dir, entries, file) = TenEntries();
        using var _ = dir;
        using var other = new TempDir();
        using (var log = new FileTxnLog(other.Path, Small()))
        {
            log.Append(new TxnHeader(1, 20, 20, 20, OpCode.Delete), new DeleteTxn("/far"));
            log.Commit();
        }
        var far = Kit.ReadAll(other.Path)[0];
        var farBytes = File.ReadAllBytes(far.File).AsSpan((int)far.Offset, 13 + far.Length).ToArray();
        Kit.FlipByte(file, entries[8].Offset + 12 + 3);
        Kit.SetLength(file, entries[^1].End);
        using (var fs = new FileStream(file, FileMode.Append, FileAccess.Write))
        {
            fs.Write(new byte[9 << 20]); // a zero hole wider than one scan window
            fs.Write(farBytes);
        }
        var damage = ReadUntilStop(dir.Path, out var zxids);
        Assert.That(zxids, Has.Count.EqualTo(8));
        Assert.That(damage!.Offset, Is.EqualTo(entries[8].Offset));
        Assert.That(damage.IntactEntryFollows, Is.True);
    }

    [Test]
    public void WrongMagicAndShortHeaderAreReported()
    {
        var (dir, _, file) = TenEntries();
        using var __ = dir;
        Kit.FlipByte(file, 1);
        Assert.That(ReadUntilStop(dir.Path, out _)!.Reason, Is.EqualTo(TxnLogStop.BadFileHeader));
        Kit.SetLength(file, 9);
        var damage = ReadUntilStop(dir.Path, out _);
        Assert.That(damage!.Reason, Is.EqualTo(TxnLogStop.TruncatedHeader));
        Assert.That(damage.Offset, Is.Zero);
    }
}
