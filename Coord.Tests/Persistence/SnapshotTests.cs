using System.Buffers.Binary;
using System.IO.Compression;
using Coord.Protocol;
using Coord.Protocol.Records;
using Coord.Server.Data;
using Coord.Server.Persistence;
using Coord.Server.Persistence.Snappy;
using NUnit.Framework;

namespace Coord.Tests.Persistence;

/// <summary>Snapshot files: exact layout, round trips through a DataTree, compression, corruption.</summary>
[TestFixture, Category("Persistence")]
public sealed class SnapshotTests
{
    private static TxnScript Workload()
    {
        var s = new TxnScript();
        s.Run(1);
        s.Run(2);
        s.Run(3);
        return s;
    }

    [Test]
    public void RestoreHoldsTheCollectorOffAndPutsItBack()
    {
        var script = Workload();
        using var dir = new TempDir();
        var path = DataTreeLoader.WriteSnapshot(script.Tree, script.Sessions, dir.Path, script.Zxid);
        Assert.That(RestoreGcScope.EstimateAllocatedBytes(dir.Path), Is.GreaterThan(3 * new FileInfo(path).Length), "sized from the newest snapshot");
        var before = System.Runtime.GCSettings.LatencyMode;
        var tree = new DataTree();
        using (var scope = new RestoreGcScope(dir.Path))
        {
            Assert.That(System.Runtime.GCSettings.LatencyMode,
                Is.EqualTo(scope.RegionBytes > 0 ? System.Runtime.GCLatencyMode.NoGCRegion : System.Runtime.GCLatencyMode.LowLatency));
            DataTreeLoader.LoadFile(tree, path);
        }
        Assert.That(System.Runtime.GCSettings.LatencyMode, Is.EqualTo(before));
        Assert.That(tree.TreeDigest, Is.EqualTo(script.Tree.TreeDigest));
    }

    [Test]
    public void TwoRestoresAtOnceInOneProcessLeaveTheCollectorAsTheyFoundIt()
    {
        // Tests start several servers in one process; the no-GC region is the process's.
        using var dir = new TempDir();
        var before = System.Runtime.GCSettings.LatencyMode;
        var outer = new RestoreGcScope(dir.Path);
        var inner = new RestoreGcScope(dir.Path);
        Assert.That(inner.RegionBytes, Is.EqualTo(0), "the second one leaves the first one's region alone");
        inner.Dispose();
        outer.Dispose();
        Assert.That(System.Runtime.GCSettings.LatencyMode, Is.EqualTo(before));
    }

    [Test]
    public void RestoreThatOutgrowsItsNoGcRegionStillEndsCleanly()
    {
        using var dir = new TempDir(); // no snapshot: the region is only the replay allowance
        var before = System.Runtime.GCSettings.LatencyMode;
        long kept = 0;
        using (new RestoreGcScope(dir.Path))
        {
            // More than the allowance: the runtime ends the region by itself, and the scope must not end it again.
            for (int i = 0; i < 160; i++) kept += new byte[1 << 20].Length;
        }
        Assert.That(kept, Is.EqualTo(160L << 20));
        Assert.That(System.Runtime.GCSettings.LatencyMode, Is.EqualTo(before));
    }

    [Test]
    public void QuotasAreFoundAgainAfterALoadAndKeepCounting()
    {
        var tree = new DataTree();
        long zxid = 0;
        void Create(string path, int dataBytes) =>
            tree.ProcessTxn(new TxnHeader(1, 1, ++zxid, 0, OpCode.Create), new CreateTxn(path, new byte[dataBytes], Acl.OpenAclUnsafe, false, -1));
        Create("/a", 1);
        Create("/a/b", 2);
        Create("/zookeeper/quota/a", 0);
        Create("/zookeeper/quota/a/zookeeper_limits", 0);
        Create("/zookeeper/quota/a/zookeeper_stats", 0);
        Create("/other", 5);
        string Stats(DataTree t) => System.Text.Encoding.UTF8.GetString(t.GetNode("/zookeeper/quota/a/zookeeper_stats")!.CopyData()!);
        Assert.That(Stats(tree), Is.EqualTo("count=2,bytes=3"));

        using var dir = new TempDir();
        var path = DataTreeLoader.WriteSnapshot(tree, [], dir.Path, zxid);
        var loaded = new DataTree();
        DataTreeLoader.LoadFile(loaded, path);
        Assert.That(Stats(loaded), Is.EqualTo("count=2,bytes=3"), "recomputed from the loaded subtree");
        loaded.ProcessTxn(new TxnHeader(1, 1, ++zxid, 0, OpCode.Create), new CreateTxn("/a/c", new byte[4], Acl.OpenAclUnsafe, false, -1));
        Assert.That(Stats(loaded), Is.EqualTo("count=3,bytes=7"), "the quota on /a is registered again, so creates under it count");
    }

    [Test]
    public void TreeRoundTripsThroughASnapshot()
    {
        var script = Workload();
        using var dir = new TempDir();
        var path = DataTreeLoader.WriteSnapshot(script.Tree, script.Sessions, dir.Path, script.Zxid);
        Assert.That(Path.GetFileName(path), Is.EqualTo("snapshot." + script.Zxid.ToString("x")));
        Assert.That(Directory.GetFiles(dir.Path), Has.Length.EqualTo(1), "no temporary file left behind");

        var read = FileSnap.Read(path);
        var expected = Kit.Capture(script.Tree, script.Sessions);
        Kit.AssertSameTree(expected, read);
        Assert.That(read.Zxid, Is.EqualTo(script.Zxid));
        Assert.That(read.Digest, Is.EqualTo(new ZxidDigest(script.Zxid, 2, script.Tree.TreeDigest)), "the tree digest at the snapshot's zxid");
        Assert.That(read.Nodes[0].Path, Is.EqualTo(""), "the root is stored as \"\"");
        Assert.That(read.Nodes.Where(n => n.Path is "" or "/zookeeper" or "/zookeeper/quota").Select(n => n.AclId), Is.All.EqualTo(-1L));

        var loaded = new DataTree();
        DataTreeLoader.Load(loaded, read);
        Kit.AssertSameTree(expected, DataTreeLoader.Capture(loaded, read.Sessions, loaded.LastProcessedZxid));
        Assert.That(loaded.LastProcessedZxid, Is.EqualTo(script.Zxid));
        Assert.That(loaded.NodeCount, Is.EqualTo(script.Tree.NodeCount));
        Assert.That(loaded.ApproximateDataSize, Is.EqualTo(script.Tree.ApproximateDataSize));
        Assert.That(loaded.TreeDigest, Is.EqualTo(script.Tree.TreeDigest), "digest of the rebuilt tree");
        Assert.That(loaded.Containers, Is.EquivalentTo(script.Tree.Containers));
        Assert.That(loaded.Ttls, Is.EquivalentTo(script.Tree.Ttls));
        foreach (var owner in script.Tree.Ephemerals.Keys)
            Assert.That(loaded.GetEphemerals(owner), Is.EqualTo(script.Tree.GetEphemerals(owner)), $"ephemerals of 0x{owner:x}");
        foreach (var (p, node) in script.Tree.Nodes)
        {
            var other = loaded.GetNode(p)!;
            Assert.That(other.ChildrenInZooKeeperOrder(), Is.EqualTo(node.ChildrenInZooKeeperOrder()), $"children order of {p}");
            Assert.That(other.ToStat(), Is.EqualTo(node.ToStat()), $"client-visible stat of {p}");
        }
    }

    [Test]
    public void NodesLargerThanTheReadersBufferAndOddNamesLoadAsWritten()
    {
        // The loader copies each node straight out of the reader's 64 KiB buffer; a node that does not fit takes the
        // ordinary path. Values around that size, null and empty data, non-ASCII names and a deep chain must all
        // come back exactly, under either path, and so must the tree's accounting.
        var tree = new DataTree();
        long zxid = 0;
        void Create(string path, byte[]? data, bool ephemeral = false) =>
            Assert.That(tree.ProcessTxn(new TxnHeader(0x77, 1, ++zxid, 1000 + zxid, OpCode.Create),
                new CreateTxn(path, data, Acl.OpenAclUnsafe, ephemeral, -1)).Err, Is.EqualTo(KeeperErrorCode.Ok), path);
        Create("/big", null);
        foreach (int size in new[] { 65_400, 65_536 - 90, 65_536, 70_000, 200_000 })
            Create($"/big/v{size}", Enumerable.Range(0, size).Select(i => (byte)(i * 7)).ToArray());
        Create("/big/empty", []);
        Create("/big/null", null);
        Create("/ünï-cødé", [1, 2, 3]);
        Create("/ünï-cødé/日本語", [4], ephemeral: true);
        var deep = "";
        for (int i = 0; i < 300; i++) Create(deep += "/d" + i, [(byte)i]);
        using var dir = new TempDir();
        var path = DataTreeLoader.WriteSnapshot(tree, [], dir.Path, zxid, new SnapshotWriteOptions { Fsync = false });
        var loaded = new DataTree();
        DataTreeLoader.LoadFile(loaded, path);
        Assert.That(loaded.TreeDigest, Is.EqualTo(tree.TreeDigest));
        Assert.That(loaded.NodeCount, Is.EqualTo(tree.NodeCount));
        Assert.That(loaded.ApproximateDataSize, Is.EqualTo(tree.ApproximateDataSize));
        Assert.That(loaded.GetEphemerals(0x77), Is.EqualTo(new[] { "/ünï-cødé/日本語" }));
        foreach (var (p, node) in tree.Nodes)
        {
            var other = loaded.GetNode(p);
            Assert.That(other, Is.Not.Null, p);
            Assert.That(other!.CopyData(), Is.EqualTo(node.CopyData()), $"data of {p}");
            Assert.That(other.ToStat(), Is.EqualTo(node.ToStat()), $"stat of {p}");
            Assert.That(other.ChildrenInZooKeeperOrder(), Is.EqualTo(node.ChildrenInZooKeeperOrder()), $"children of {p}");
        }
        Assert.That(loaded.GetNode("/big/null")!.HasData, Is.False);
        Assert.That(loaded.GetNode("/big/empty")!.HasData, Is.True);
    }

    [Test]
    public void ANodeLengthOutOfRangeIsReportedAsCorrupt()
    {
        var tree = new DataTree();
        tree.ProcessTxn(new TxnHeader(1, 1, 1, 1, OpCode.Create), new CreateTxn("/victim", [9, 9, 9], Acl.OpenAclUnsafe, false, -1));
        using var dir = new TempDir();
        var path = DataTreeLoader.WriteSnapshot(tree, [], dir.Path, 1, new SnapshotWriteOptions { Fsync = false });
        var bytes = File.ReadAllBytes(path);
        // The data length of /victim: its 4-byte length and "/victim" come first.
        int at = IndexOf(bytes, "/victim"u8.ToArray()) + "/victim".Length;
        Assert.That(BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(at)), Is.EqualTo(3));
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(at), -5);
        File.WriteAllBytes(path, bytes);
        var ex = Assert.Throws<PersistenceCorruptException>(() => DataTreeLoader.LoadFile(new DataTree(), path));
        Assert.That(ex!.Message, Does.Contain("Unreasonable length = -5"));

        static int IndexOf(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle);
    }

    [Test]
    public void LayoutSealsAndDigestAreZooKeepers()
    {
        var script = Workload();
        using var dir = new TempDir();
        var bytes = File.ReadAllBytes(DataTreeLoader.WriteSnapshot(script.Tree, script.Sessions, dir.Path, script.Zxid));
        Assert.That(Convert.ToHexString(bytes, 0, 16), Is.EqualTo("5A4B534E" + "00000002" + "FFFFFFFFFFFFFFFF"));
        Assert.That(BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)), Is.EqualTo(script.Sessions.Count));

        // Tail: seal1 "/" | zxid digestVersion digest | seal2 "/"  = (8+4+1) + (8+4+8) + (8+4+1) bytes.
        int tail = 13 + 20 + 13;
        int seal1 = bytes.Length - tail;
        Assert.That(Convert.ToHexString(bytes, seal1 - 5, 5), Is.EqualTo("000000012F"), "end-of-nodes path \"/\"");
        Assert.That(BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(seal1)), Is.EqualTo(Adler32.Compute(bytes.AsSpan(0, seal1))));
        Assert.That(Convert.ToHexString(bytes, seal1 + 8, 5), Is.EqualTo("000000012F"));
        Assert.That(BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(seal1 + 13)), Is.EqualTo(script.Zxid), "ZxidDigest.zxid");
        Assert.That(BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(seal1 + 21)), Is.EqualTo(2), "ZxidDigest.digestVersion");
        Assert.That(BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(seal1 + 25)), Is.EqualTo(script.Tree.TreeDigest), "ZxidDigest.digest");

        // A snapshot named after another zxid than the tree's carries the empty digest {0, 2, 0}.
        var other = File.ReadAllBytes(DataTreeLoader.WriteSnapshot(script.Tree, script.Sessions, dir.Sub("other"), script.Zxid - 1));
        Assert.That(Convert.ToHexString(other, other.Length - 46 + 13, 20), Is.EqualTo("0000000000000000" + "00000002" + "0000000000000000"));
        int seal2 = seal1 + 33;
        Assert.That(BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(seal2)), Is.EqualTo(Adler32.Compute(bytes.AsSpan(0, seal2))), "second seal covers everything before it");
        Assert.That(Convert.ToHexString(bytes, bytes.Length - 5, 5), Is.EqualTo("000000012F"), "SnapStream.isValidCheckedStream's check");
    }

    [Test]
    public void WritingReadContentsReproducesTheFile()
    {
        var script = Workload();
        using var dir = new TempDir();
        var first = DataTreeLoader.WriteSnapshot(script.Tree, script.Sessions, dir.Sub("a"), script.Zxid);
        var copy = FileSnap.Write(dir.Sub("b"), FileSnap.Read(first));
        Assert.That(File.ReadAllBytes(copy), Is.EqualTo(File.ReadAllBytes(first)));
    }

    [Test]
    public void GzipSnapshotsRoundTripAndSealTheUncompressedBytes()
    {
        var script = Workload();
        using var dir = new TempDir();
        var plain = DataTreeLoader.WriteSnapshot(script.Tree, script.Sessions, dir.Sub("plain"), script.Zxid);
        var gz = DataTreeLoader.WriteSnapshot(script.Tree, script.Sessions, dir.Sub("gz"), script.Zxid,
            new SnapshotWriteOptions { Compression = SnapshotCompression.Gzip });
        Assert.That(gz, Does.EndWith(".gz"));
        var raw = File.ReadAllBytes(gz);
        Assert.That(raw[0] == 0x1f && raw[1] == 0x8b, "gzip magic");
        using (var z = new GZipStream(new MemoryStream(raw), CompressionMode.Decompress))
        using (var ms = new MemoryStream())
        {
            z.CopyTo(ms);
            Assert.That(ms.ToArray(), Is.EqualTo(File.ReadAllBytes(plain)), "gzip of the same bytes");
        }
        Kit.AssertSameTree(FileSnap.Read(plain), FileSnap.Read(gz));
    }

    [Test]
    public void SnappySnapshotsRoundTripSealTheUncompressedBytesAndRefuseDamage()
    {
        var script = Workload();
        // Enough data for several 32 KiB blocks, part compressible, part not.
        var rnd = new Random(7);
        script.Create("/big", []);
        for (int i = 0; i < 40; i++)
        {
            var data = new byte[3000];
            rnd.NextBytes(data.AsSpan(0, 1500));
            script.Create($"/big/n{i}", data);
        }
        using var dir = new TempDir();
        var plain = DataTreeLoader.WriteSnapshot(script.Tree, script.Sessions, dir.Sub("plain"), script.Zxid);
        var snappy = DataTreeLoader.WriteSnapshot(script.Tree, script.Sessions, dir.Sub("snappy"), script.Zxid,
            new SnapshotWriteOptions { Compression = SnapshotCompression.Snappy });
        Assert.That(Path.GetFileName(snappy), Is.EqualTo("snapshot." + script.Zxid.ToString("x") + ".snappy"));
        var raw = File.ReadAllBytes(snappy);
        Assert.That(raw[..8], Is.EqualTo(SnappyFramedStream.Magic.ToArray()), "snappy-java's magic");
        Assert.That(raw[..8], Is.EqualTo(new byte[] { 0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00 }));
        Assert.That(raw.Length, Is.LessThan(File.ReadAllBytes(plain).Length * 3 / 4), "compressed");
        using (var z = new SnappyFramedStream(new MemoryStream(raw), CompressionMode.Decompress))
        using (var ms = new MemoryStream())
        {
            z.CopyTo(ms);
            Assert.That(ms.ToArray(), Is.EqualTo(File.ReadAllBytes(plain)), "snappy framing of the same bytes");
        }
        Kit.AssertSameTree(FileSnap.Read(plain), FileSnap.Read(snappy));

        // Cut short, or a byte flipped inside a compressed block: refused as corrupt, never anything else. A flip can
        // leave the uncompressed bytes as they were (a copy offset moved to an identical stretch, such as another
        // run of zeros); only then may the snapshot still read, and it reads as the original.
        File.WriteAllBytes(snappy, raw[..(raw.Length * 2 / 3)]);
        Assert.That(() => FileSnap.Read(snappy), Throws.InstanceOf<PersistenceCorruptException>(), "truncated");
        var plainBytes = File.ReadAllBytes(plain);
        int refused = 0;
        for (int offset = SnappyFramedStream.HeaderBytes; offset < raw.Length; offset += raw.Length / 50)
        {
            var damaged = (byte[])raw.Clone();
            damaged[offset] ^= 0x5a;
            File.WriteAllBytes(snappy, damaged);
            byte[]? decoded = null;
            try
            {
                using var z = new SnappyFramedStream(new MemoryStream(damaged), CompressionMode.Decompress);
                using var ms = new MemoryStream();
                z.CopyTo(ms);
                decoded = ms.ToArray();
            }
            catch (InvalidDataException)
            {
                // refused by the framing or the block decoder
            }
            if (decoded is not null && decoded.AsSpan().SequenceEqual(plainBytes))
            {
                Kit.AssertSameTree(FileSnap.Read(plain), FileSnap.Read(snappy));
                continue;
            }
            Assert.That(() => FileSnap.Read(snappy), Throws.InstanceOf<PersistenceCorruptException>(), $"byte {offset} flipped");
            refused++;
        }
        Assert.That(refused, Is.GreaterThan(30), "most flips change the content");

        // Recovery passes over a damaged snappy snapshot to the older plain one, as it does for any other.
        using var recoverDir = new TempDir();
        var v2 = PersistenceFormat.VersionDir(recoverDir.Path);
        Directory.CreateDirectory(v2);
        File.Copy(plain, Path.Combine(v2, Path.GetFileName(plain)));
        File.WriteAllBytes(Path.Combine(v2, "snapshot." + (script.Zxid + 1).ToString("x") + ".snappy"), raw[..(raw.Length / 2)]);
        using var snapLog = new TxnSnapLog(recoverDir.Path);
        var result = snapLog.Restore(new DataTree());
        Assert.That(result.SnapshotPath, Is.EqualTo(Path.Combine(v2, Path.GetFileName(plain))));
        Assert.That(result.Warnings, Has.Some.Contains("problem reading snap file").And.Some.Contains(".snappy"));
    }

    [Test]
    public void Lz4SnapshotsRoundTripAndRecover()
    {
        var script = Workload();
        using var dir = new TempDir();
        var plain = DataTreeLoader.WriteSnapshot(script.Tree, script.Sessions, dir.Sub("plain"), script.Zxid);
        var lz4 = DataTreeLoader.WriteSnapshot(script.Tree, script.Sessions, dir.Sub("lz4"), script.Zxid,
            new SnapshotWriteOptions { Compression = SnapshotCompression.Lz4 });
        Assert.That(lz4, Does.EndWith(".lz4"));
        using (var z = K4os.Compression.LZ4.Streams.LZ4Stream.Decode(File.OpenRead(lz4)))
        using (var ms = new MemoryStream())
        {
            z.CopyTo(ms);
            Assert.That(ms.ToArray(), Is.EqualTo(File.ReadAllBytes(plain)), "an LZ4 frame of the same bytes");
        }
        Kit.AssertSameTree(FileSnap.Read(plain), FileSnap.Read(lz4));
        // A snapshot cut short (crash while writing without the temp-file rename) is refused.
        var bytes = File.ReadAllBytes(lz4);
        File.WriteAllBytes(lz4, bytes[..(bytes.Length * 2 / 3)]);
        Assert.That(() => FileSnap.Read(lz4), Throws.InstanceOf<Exception>(), "a truncated LZ4 snapshot is refused");
    }

    [Test]
    public void EveryFlippedByteOfAnLz4SnapshotIsRefusedOrDecodesIdentically()
    {
        // The LZ4 frame carries no checksum of its own (K4os writes none); the Adler-32 seals inside the snapshot check
        // the decompressed bytes. A flip is harmless only when the damaged frame still decompresses to exactly the
        // original bytes (e.g. a match offset now pointing at an identical run, or a frame-header bit the decoder
        // ignores); this checks that every other flip is refused.
        var script = Workload();
        using var dir = new TempDir();
        var plain = File.ReadAllBytes(DataTreeLoader.WriteSnapshot(script.Tree, script.Sessions, dir.Sub("plain"), script.Zxid));
        var lz4 = DataTreeLoader.WriteSnapshot(script.Tree, script.Sessions, dir.Sub("lz4"), script.Zxid,
            new SnapshotWriteOptions { Compression = SnapshotCompression.Lz4 });
        var original = File.ReadAllBytes(lz4);
        int refused = 0, identical = 0, tried = 0;
        // Every byte of the frame header, then every 4th byte (all 1,891 flips were checked once; this keeps CI fast).
        for (int i = 0; i < original.Length; i += i < 32 ? 1 : 4)
        {
            tried++;
            var damaged = (byte[])original.Clone();
            damaged[i] ^= 0x5a;
            File.WriteAllBytes(lz4, damaged);
            try
            {
                FileSnap.Read(lz4);
            }
            catch (Exception)
            {
                refused++;
                continue;
            }
            using var z = K4os.Compression.LZ4.Streams.LZ4Stream.Decode(new MemoryStream(damaged));
            using var ms = new MemoryStream();
            z.CopyTo(ms);
            Assert.That(ms.ToArray(), Is.EqualTo(plain), $"flip at byte {i} of {original.Length} was accepted but decodes differently");
            identical++;
        }
        TestContext.Out.WriteLine($"{tried} single-byte flips of {original.Length}: {refused} refused, {identical} decode to the identical snapshot");
        Assert.That(refused, Is.GreaterThan(tried * 9 / 10));
    }

    [Test]
    public void CorruptionIsDetected()
    {
        var script = Workload();
        using var dir = new TempDir();
        var path = DataTreeLoader.WriteSnapshot(script.Tree, script.Sessions, dir.Path, script.Zxid);
        var good = File.ReadAllBytes(path);

        Kit.FlipByte(path, good.Length / 2);
        Assert.That(() => FileSnap.Read(path), Throws.InstanceOf<PersistenceCorruptException>());

        File.WriteAllBytes(path, good);
        Kit.FlipByte(path, good.Length - 30);
        Assert.That(() => FileSnap.Read(path), Throws.InstanceOf<PersistenceCorruptException>().With.Message.Contains("CRC"), "digest section under the second seal");

        File.WriteAllBytes(path, good[..(good.Length * 2 / 3)]);
        Assert.That(() => FileSnap.Read(path), Throws.InstanceOf<PersistenceCorruptException>());

        File.WriteAllBytes(path, good);
        Kit.FlipByte(path, 0);
        Assert.That(() => FileSnap.Read(path), Throws.InstanceOf<PersistenceCorruptException>().With.Message.Contains("magic"));
    }

    [Test]
    public void DeepChainsAndWideParentsNeedNoRecursion()
    {
        // Run on a 256 KiB stack: code recursing once per level would overflow long before 5,000 levels. (A snapshot
        // stores full paths, so a chain's file grows with the square of its depth: 5,000 levels is already 25 MB.)
        Exception? failure = null;
        var worker = new Thread(() =>
        {
            try
            {
                var script = new TxnScript();
                script.CreateSession(TxnScript.SessionA, 30_000);
                var path = "";
                for (int i = 0; i < 5_000; i++) script.Create(path += "/d", null);
                script.Create("/wide", []);
                for (int i = 0; i < 5_000; i++) script.Create("/wide/c" + i, [(byte)i]);
                using var dir = new TempDir();
                var file = DataTreeLoader.WriteSnapshot(script.Tree, script.Sessions, dir.Path, script.Zxid);
                var read = FileSnap.Read(file);
                Assert.That(read.Nodes, Has.Count.EqualTo(script.Tree.NodeCount - 1));
                var loaded = new DataTree();
                DataTreeLoader.Load(loaded, read);
                Assert.That(loaded.GetNode(path), Is.Not.Null);
                Assert.That(loaded.GetNode("/wide")!.ChildrenInZooKeeperOrder(), Is.EqualTo(script.Tree.GetNode("/wide")!.ChildrenInZooKeeperOrder()));
            }
            catch (Exception e)
            {
                failure = e;
            }
        }, maxStackSize: 256 << 10);
        worker.Start();
        Assert.That(worker.Join(TimeSpan.FromMinutes(2)), Is.True, "finished in time");
        if (failure is not null) throw failure;
    }

    [Test]
    public void StructurallyBadSnapshotsAreRejectedBeforeTouchingTheTree()
    {
        var snap = new SnapshotContents { Zxid = 5 };
        snap.Nodes.Add(new SnapshotNode("", [], -1, default));
        snap.Nodes.Add(new SnapshotNode("/a/b", [], -1, default));
        var tree = new DataTree();
        Assert.That(() => DataTreeLoader.Load(tree, snap), Throws.InstanceOf<PersistenceCorruptException>().With.Message.Contains("parent"));
        snap.Nodes[1] = new SnapshotNode("/a", [], 7, default);
        Assert.That(() => DataTreeLoader.Load(tree, snap), Throws.InstanceOf<PersistenceCorruptException>().With.Message.Contains("ACL id 7"));
        Assert.That(tree.LastProcessedZxid, Is.Zero);
        Assert.That(tree.GetNode("/a"), Is.Null);
    }

    [Test]
    public void SessionsAreWrittenInJavaHashMapOrder()
    {
        // Long.hashCode = (int)(v ^ v >>> 32); HashMap bucket = (h ^ h >>> 16) & (capacity - 1), capacity 4 for 2 entries.
        var ordered = DataTreeLoader.SessionsInJavaOrder([new(0x100000000000003, 1), new(0x100000000000001, 2)]);
        Assert.That(ordered.Select(kv => kv.Key), Is.EqualTo(new long[] { 0x100000000000001, 0x100000000000003 }));
    }
}
