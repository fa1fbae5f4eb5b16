using Coord.Protocol;
using Coord.Protocol.Records;
using Coord.Server.Data;
using Coord.Server.Persistence;
using NUnit.Framework;

namespace Coord.Tests.Persistence;

/// <summary>TxnSnapLog: restore = snapshot + log replay, torn-tail cutting, fail-stop on corruption, snapshot cadence.</summary>
[TestFixture, Category("Persistence")]
public sealed class RecoveryTests
{
    private static TxnSnapLogOptions Options(bool truncate = true) => new()
    {
        Log = new FileTxnLogOptions { PreAllocBytes = 64 << 10 },
        TruncateTornTail = truncate,
        Random = new Random(1),
    };

    private static TxnScript WriteHistory(string dataDir, bool snapshotFirst = true) => Kit.WriteHistory(dataDir, Options(), snapshotFirst);

    private static (DataTree Tree, RestoreResult Result) Restore(string dataDir, TxnSnapLogOptions? options = null)
    {
        using var snapLog = new TxnSnapLog(dataDir, null, options ?? Options());
        var tree = new DataTree();
        var result = snapLog.Restore(tree);
        return (tree, result);
    }

    [Test]
    public void RestoreRebuildsTheTreeAndSessionsFromSnapshotPlusLog()
    {
        using var dir = new TempDir();
        var script = WriteHistory(dir.Path);
        var (tree, result) = Restore(dir.Path);
        Assert.That(result.LastZxid, Is.EqualTo(script.Zxid));
        Assert.That(result.SnapshotPath, Does.EndWith("snapshot." + result.SnapshotZxid.ToString("x")));
        Assert.That(result.SnapshotZxid, Is.GreaterThan(0).And.LessThan(script.Zxid));
        Assert.That(result.TxnsReplayed, Is.EqualTo(script.Zxid - result.SnapshotZxid));
        Assert.That(result.TornTail, Is.Null);
        Assert.That(result.Sessions, Is.EquivalentTo(script.Sessions));
        Assert.That(result.DeadSessions, Is.Empty);
        Assert.That(tree.LastProcessedZxid, Is.EqualTo(script.Zxid));
        Kit.AssertSameTree(Kit.Capture(script.Tree, script.Sessions), Kit.Capture(tree, result.Sessions));
        foreach (var owner in script.Tree.Ephemerals.Keys)
            Assert.That(tree.GetEphemerals(owner), Is.EqualTo(script.Tree.GetEphemerals(owner)));
    }

    [Test]
    public void RestoreFromTheFirstSnapshotReplaysEverything()
    {
        using var dir = new TempDir();
        var script = WriteHistory(dir.Path);
        foreach (var (path, zxid) in PersistenceFormat.ListSnapshots(PersistenceFormat.VersionDir(dir.Path)))
            if (zxid != 0) File.Delete(path);
        var (tree, result) = Restore(dir.Path);
        Assert.That(result.SnapshotZxid, Is.Zero);
        Assert.That(result.TxnsReplayed, Is.EqualTo(script.Zxid));
        Kit.AssertSameTree(Kit.Capture(script.Tree, script.Sessions), Kit.Capture(tree, result.Sessions));
    }

    [Test]
    public void EmptyDirectoryRestoresNothing()
    {
        using var dir = new TempDir();
        var (tree, result) = Restore(dir.Path);
        Assert.That(result.LastZxid, Is.Zero);
        Assert.That(result.SnapshotPath, Is.Null);
        Assert.That(tree.NodeCount, Is.EqualTo(new DataTree().NodeCount));
    }

    [Test]
    public void LogsWithoutAnySnapshotAreRefusedUnlessTrusted()
    {
        using var dir = new TempDir();
        var script = WriteHistory(dir.Path, snapshotFirst: false);
        foreach (var (path, _) in PersistenceFormat.ListSnapshots(PersistenceFormat.VersionDir(dir.Path))) File.Delete(path);
        Assert.That(() => Restore(dir.Path), Throws.InstanceOf<PersistenceCorruptException>().With.Message.Contains("No snapshot"));
        var (tree, result) = Restore(dir.Path, new TxnSnapLogOptions { TrustEmptySnapshot = true });
        Assert.That(result.LastZxid, Is.EqualTo(script.Zxid));
        Kit.AssertSameTree(Kit.Capture(script.Tree, script.Sessions), Kit.Capture(tree, result.Sessions));
    }

    [Test]
    public void TornTailIsCutAndTheLogContinuesAfterIt()
    {
        using var dir = new TempDir();
        var script = WriteHistory(dir.Path);
        var logDir = PersistenceFormat.VersionDir(dir.Path);
        var entries = Kit.ReadAll(logDir);
        var last = entries[^1];
        Kit.SetLength(last.File, last.Offset + 20);

        using (var snapLog = new TxnSnapLog(dir.Path, null, Options()))
        {
            var tree = new DataTree();
            var result = snapLog.Restore(tree);
            Assert.That(result.TornTail, Is.Not.Null);
            Assert.That(result.TornTail!.Offset, Is.EqualTo(last.Offset));
            Assert.That(result.LastZxid, Is.EqualTo(script.Zxid - 1));
            Assert.That(new FileInfo(last.File).Length, Is.EqualTo(last.Offset), "cut at the end of the last good entry");
            Assert.That(result.Warnings, Has.Some.Contains("torn tail"));

            // The server goes on numbering after the last good txn; the next append starts a new file.
            var hdr = new TxnHeader(TxnScript.SessionA, 1, result.LastZxid + 1, 1, OpCode.Create);
            snapLog.Log.Append(hdr, new CreateTxn("/after", [], Acl.OpenAclUnsafe, false, tree.GetNode("/")!.Cversion + 1));
            snapLog.Log.Commit();
            Assert.That(Path.GetFileName(snapLog.Log.CurrentLogPath), Is.EqualTo("log." + (result.LastZxid + 1).ToString("x")));
        }
        var again = Kit.ReadAll(logDir);
        Assert.That(again.Select(e => e.Header.Zxid), Is.EqualTo(Enumerable.Range(1, (int)script.Zxid).Select(i => (long)i)));
        var (tree2, result2) = Restore(dir.Path);
        Assert.That(result2.TornTail, Is.Null);
        Assert.That(tree2.GetNode("/after"), Is.Not.Null);
    }

    [Test]
    public void FlippedByteInTheLastEntryIsCutAsATornTail()
    {
        using var dir = new TempDir();
        var script = WriteHistory(dir.Path);
        var last = Kit.ReadAll(PersistenceFormat.VersionDir(dir.Path))[^1];
        Kit.FlipByte(last.File, last.Offset + 12 + 16);
        var (_, result) = Restore(dir.Path);
        Assert.That(result.TornTail!.Reason, Is.EqualTo(TxnLogStop.ChecksumMismatch));
        Assert.That(result.LastZxid, Is.EqualTo(script.Zxid - 1));
    }

    [Test]
    public void TornTailIsRefusedWhenTruncationIsOff()
    {
        using var dir = new TempDir();
        WriteHistory(dir.Path);
        var last = Kit.ReadAll(PersistenceFormat.VersionDir(dir.Path))[^1];
        Kit.SetLength(last.File, last.End - 1);
        Assert.That(() => Restore(dir.Path, Options(truncate: false)), Throws.InstanceOf<PersistenceCorruptException>());
        Assert.That(new FileInfo(last.File).Length, Is.EqualTo(last.End - 1), "nothing cut");
    }

    [Test]
    public void CorruptionBeforeIntactEntriesStopsRecovery()
    {
        using var dir = new TempDir();
        WriteHistory(dir.Path);
        var entries = Kit.ReadAll(PersistenceFormat.VersionDir(dir.Path));
        var victim = entries[^3];
        Assert.That(victim.File, Is.EqualTo(entries[^1].File), "same file as the entries after it");
        long length = new FileInfo(victim.File).Length;
        Kit.FlipByte(victim.File, victim.Offset + 12 + 3);
        Assert.That(() => Restore(dir.Path), Throws.InstanceOf<PersistenceCorruptException>().With.Message.Contains("ChecksumMismatch"));
        Assert.That(new FileInfo(victim.File).Length, Is.EqualTo(length), "nothing cut");
    }

    [Test]
    public void UnwrittenSectorBeforeIntactEntriesIsCutAsPowerLoss()
    {
        // A power cut keeps un-fsynced pages in any order: a zeroed sector with intact entries after it is a write that
        // never reached the disk, not corruption, and nothing from it on was acknowledged.
        using var dir = new TempDir();
        WriteHistory(dir.Path);
        using (var snapLog = new TxnSnapLog(dir.Path, null, Options()))
        {
            // Entries larger than a sector, so that sector boundaries fall inside them.
            var tree = new DataTree();
            long zxid = snapLog.Restore(tree).LastZxid;
            for (int i = 0; i < 20; i++)
            {
                var hdr = new TxnHeader(TxnScript.SessionA, 100 + i, ++zxid, 1, OpCode.Create);
                snapLog.Log.Append(hdr, new CreateTxn($"/power{i}", Enumerable.Repeat((byte)7, 300 + i).ToArray(), Acl.OpenAclUnsafe, false, i + 1));
            }
            snapLog.Log.Commit();
        }
        var logDir = PersistenceFormat.VersionDir(dir.Path);
        var entries = Kit.ReadAll(logDir);
        var lastFile = entries[^1].File;
        var inFile = entries.Where(e => e.File == lastFile).ToList();
        // The first sector boundary strictly inside an entry, with whole entries after that sector.
        long sector = -1;
        TxnLogEntry? victim = null;
        foreach (var e in inFile)
        {
            long boundary = (e.Offset / 512 + 1) * 512;
            if (boundary < e.End && inFile[^1].Offset > boundary + 512) { sector = boundary; victim = e; break; }
        }
        Assume.That(victim, Is.Not.Null, "the last log file needs a sector boundary inside an entry");
        Kit.Zero(lastFile, sector, 512);

        var (_, result) = Restore(dir.Path);
        Assert.That(result.TornTail, Is.Not.Null);
        Assert.That(result.TornTail!.LooksUnwritten, Is.True, result.TornTail.ToString());
        Assert.That(result.TornTail.IntactEntryFollows, Is.True);
        var before = entries.TakeWhile(e => e != victim).ToList();
        Assert.That(result.LastZxid, Is.EqualTo(before[^1].Header.Zxid));
        Assert.That(result.Warnings, Has.Some.Contains("never written"));
        Assert.That(new FileInfo(lastFile).Length, Is.EqualTo(victim!.Offset), "cut where the unwritten entry starts");
        var (_, again) = Restore(dir.Path);
        Assert.That(again.TornTail, Is.Null, "the cut is clean");
        Assert.That(again.LastZxid, Is.EqualTo(result.LastZxid));
    }

    [Test]
    public void ZeroedLogHeaderOfANewerFileIsCutAsPowerLoss()
    {
        // The newest file was created and written but no fsync covered it: its header page may be zeros while a later
        // page made it to disk.
        using var dir = new TempDir();
        WriteHistory(dir.Path);
        var logDir = PersistenceFormat.VersionDir(dir.Path);
        var files = PersistenceFormat.ListLogs(logDir);
        var entries = Kit.ReadAll(logDir);
        var lastOlder = entries.Last(e => e.File != files[^1].Path);
        Kit.Zero(files[^1].Path, 0, FileHeader.SizeBytes);

        var (_, result) = Restore(dir.Path);
        Assert.That(result.TornTail!.Reason, Is.EqualTo(TxnLogStop.BadFileHeader));
        Assert.That(result.TornTail.LooksUnwritten, Is.True);
        Assert.That(result.LastZxid, Is.EqualTo(lastOlder.Header.Zxid));
        Assert.That(File.Exists(files[^1].Path), Is.False, "the file holds nothing durable");
    }

    [Test]
    public void NonZeroDamageBeforeIntactEntriesIsStillRefused()
    {
        using var dir = new TempDir();
        WriteHistory(dir.Path);
        var entries = Kit.ReadAll(PersistenceFormat.VersionDir(dir.Path));
        var victim = entries[^3];
        Kit.FlipByte(victim.File, victim.Offset + 12 + 3);
        var ex = Assert.Throws<PersistenceCorruptException>(() => Restore(dir.Path));
        Assert.That(ex!.Message, Does.Not.Contain("unwritten"));
    }

    [Test]
    public void DamageInAnOlderFileStopsRecoveryUnlessTheNextFileContinues()
    {
        using var dir = new TempDir();
        WriteHistory(dir.Path);
        var logDir = PersistenceFormat.VersionDir(dir.Path);
        var files = PersistenceFormat.ListLogs(logDir);
        Assert.That(files, Has.Count.GreaterThanOrEqualTo(2));
        var older = Kit.ReadAll(logDir).Where(e => e.File == files[^2].Path).ToList();

        // Garbage after the older file's last entry (a tail ZooKeeper itself would have left): tolerated and cleaned.
        using (var fs = new FileStream(older[^1].File, FileMode.Open, FileAccess.Write))
        {
            fs.Position = older[^1].End;
            fs.Write([0, 0, 0, 0, 0x12, 0x34, 0x56, 0x78, 0, 0, 0, 99, 1, 2, 3]);
        }
        var (_, ok) = Restore(dir.Path);
        Assert.That(ok.Warnings, Has.Some.Contains("older txn log"));
        Assert.That(new FileInfo(older[^1].File).Length, Is.EqualTo(older[^1].End));

        // A hole inside the older file, with entries of that file after it: refused.
        Kit.FlipByte(older[^3].File, older[^3].Offset + 12 + 5);
        Assert.That(() => Restore(dir.Path), Throws.InstanceOf<PersistenceCorruptException>());
    }

    /// <summary>An empty snapshot, then one log file per group: a createSession txn per zxid (session id = zxid),
    /// each group committed.</summary>
    private static void WriteSessionLogs(string dataDir, params long[][] files)
    {
        using var snapLog = new TxnSnapLog(dataDir, null, Options());
        var script = new TxnScript();
        snapLog.TakeSnapshot(script.Tree, script.Sessions);
        foreach (var zxids in files)
        {
            // As if the writer had logged everything up to the group's first zxid (a power cut lost what is missing),
            // so the file is named for that zxid.
            snapLog.Log.LastZxidSeen = zxids[0] - 1;
            foreach (long z in zxids) snapLog.Log.Append(new TxnHeader(z, 1, z, 1, OpCode.CreateSession), new CreateSessionTxn(1000));
            snapLog.Log.Commit();
            snapLog.Log.RollLog();
        }
    }

    [Test]
    public void GapInsideAFileIsAZxidNumberedWithoutATxn()
    {
        // ZooKeeper takes a zxid for a multi with a null path and logs nothing under it; entries of one file are
        // written in order, so a gap between two intact ones lost nothing.
        using var dir = new TempDir();
        WriteSessionLogs(dir.Path, [1, 3]);
        var (_, result) = Restore(dir.Path);
        Assert.That(result.LastZxid, Is.EqualTo(3));
        Assert.That(result.Sessions.Keys, Is.EquivalentTo(new long[] { 1, 3 }));
        Assert.That(result.Warnings, Has.Some.Contains("no txn for zxids 0x2..0x2"));
        Assert.That(TxnSnapLog.Follows(0x100000005, 0x200000001), Is.True, "first txn of a later epoch");
        Assert.That(TxnSnapLog.Follows(0x100000005, 0x200000002), Is.False);
    }

    [Test]
    public void AFileStartedAfterAZxidWithoutATxnIsNamedForThatZxid()
    {
        using var dir = new TempDir();
        var logDir = PersistenceFormat.VersionDir(dir.Path);
        using (var snapLog = new TxnSnapLog(dir.Path, null, Options()))
        {
            var script = new TxnScript();
            snapLog.TakeSnapshot(script.Tree, script.Sessions);
            foreach (long z in new long[] { 1, 2 }) snapLog.Log.Append(new TxnHeader(z, 1, z, 1, OpCode.CreateSession), new CreateSessionTxn(1000));
            snapLog.Log.Commit();
            snapLog.Log.RollLog();
            // zxid 3 was numbered without a txn; 4 starts the next file.
            snapLog.Log.Append(new TxnHeader(4, 1, 4, 1, OpCode.CreateSession), new CreateSessionTxn(1000));
            snapLog.Log.Commit();
        }
        Assert.That(PersistenceFormat.ListLogs(logDir).Select(l => l.Zxid), Is.EquivalentTo(new long[] { 1, 3 }));
        var (_, result) = Restore(dir.Path);
        Assert.That(result.LastZxid, Is.EqualTo(4), "not cut as a lost tail");
        Assert.That(result.TornTail, Is.Null);
        Assert.That(FileTxnLog.NewFileZxid(0x100000005, 0x200000001), Is.EqualTo(0x200000001), "a new epoch starts at its own zxid");
        Assert.That(FileTxnLog.NewFileZxid(0, 7), Is.EqualTo(7));
    }

    [Test]
    public void GapWhereANewFileStartsIsCutAsALostUnsyncedTail()
    {
        // A power cut can keep a newer log file's unsynced entries while dropping the older file's unsynced tail
        // (seen in AcknowledgedWritesSurvivePowerLoss): nothing from the gap on was ever acknowledged.
        using var dir = new TempDir();
        var logDir = PersistenceFormat.VersionDir(dir.Path);
        WriteSessionLogs(dir.Path, [1, 2], [5, 6]);
        Assert.That(PersistenceFormat.ListLogs(logDir).Select(l => l.Zxid), Is.EquivalentTo(new long[] { 1, 5 }));
        var (_, result) = Restore(dir.Path);
        Assert.That(result.LastZxid, Is.EqualTo(2));
        Assert.That(result.Sessions.Keys, Is.EquivalentTo(new long[] { 1, 2 }));
        Assert.That(result.TornTail, Is.Not.Null);
        Assert.That(result.Warnings, Has.Some.Contains("lost before their fsync"));
        Assert.That(PersistenceFormat.ListLogs(logDir).Select(l => l.Zxid), Is.EquivalentTo(new long[] { 1 }), "the file after the gap is deleted");
        Assert.That(Restore(dir.Path).Result.LastZxid, Is.EqualTo(2), "and the next start is clean");
    }

    [Test]
    public void NewestSnapshotUnreadableFallsBackToAnOlderOne()
    {
        using var dir = new TempDir();
        var script = WriteHistory(dir.Path);
        var newest = PersistenceFormat.ListSnapshots(PersistenceFormat.VersionDir(dir.Path))[0];
        Kit.FlipByte(newest.Path, new FileInfo(newest.Path).Length / 2);
        var (tree, result) = Restore(dir.Path);
        Assert.That(result.SnapshotZxid, Is.LessThan(newest.Zxid));
        Assert.That(result.Warnings, Has.Some.Contains("problem reading snap file"));
        Kit.AssertSameTree(Kit.Capture(script.Tree, script.Sessions), Kit.Capture(tree, result.Sessions));
    }

    [Test]
    public void EphemeralsOfSessionsWithoutEntryAreRemoved()
    {
        using var dir = new TempDir();
        using (var snapLog = new TxnSnapLog(dir.Path, null, Options()))
        {
            var script = new TxnScript((h, t) => snapLog.Log.Append(h, t));
            snapLog.TakeSnapshot(script.Tree, script.Sessions);
            script.CreateSession(TxnScript.SessionA, 30_000);
            script.Create("/e", [], ephemeralOwner: TxnScript.SessionA);
            snapLog.Log.Commit();
            // A snapshot whose session map lost the owner.
            snapLog.TakeSnapshot(script.Tree, []);
        }
        var (tree, result) = Restore(dir.Path);
        Assert.That(result.DeadSessions, Is.EqualTo(new[] { TxnScript.SessionA }));
        Assert.That(tree.GetNode("/e"), Is.Null);
    }

    [Test]
    public void SnapshotCadenceFollowsSnapCount()
    {
        using var dir = new TempDir();
        using var snapLog = new TxnSnapLog(dir.Path, null, new TxnSnapLogOptions
        {
            Log = new FileTxnLogOptions { PreAllocBytes = 64 << 10 }, SnapCount = 100, Random = new Random(3),
        });
        var script = new TxnScript((h, t) => snapLog.Log.Append(h, t));
        script.CreateSession(TxnScript.SessionA, 30_000);
        var at = new List<long>();
        for (int i = 0; i < 400; i++)
        {
            script.Create("/n" + i, []);
            snapLog.Log.Commit();
            if (snapLog.ShouldSnapshot())
            {
                snapLog.TakeSnapshot(script.Tree, script.Sessions);
                at.Add(script.Zxid);
            }
        }
        var gaps = at.Zip(at.Skip(1), (a, b) => b - a).ToList();
        Assert.That(at, Has.Count.GreaterThanOrEqualTo(3));
        Assert.That(gaps, Is.All.InRange(51, 100), "snapCount/2 < interval <= snapCount");
        Assert.That(PersistenceFormat.ListLogs(snapLog.LogDir).Select(f => f.Zxid), Is.SupersetOf(at.Where(z => z < script.Zxid).Select(z => z + 1)), "each snapshot rolls the log");

        var deleted = snapLog.Purge(retainCount: 2);
        var snaps = PersistenceFormat.ListSnapshots(snapLog.SnapDir);
        Assert.That(snaps, Has.Count.EqualTo(2));
        Assert.That(deleted, Is.Not.Empty);
        var tree = new DataTree();
        using var reopened = new TxnSnapLog(dir.Path, null, Options());
        Assert.That(reopened.Restore(tree).LastZxid, Is.EqualTo(script.Zxid), "what purge keeps still restores everything");
    }
}
