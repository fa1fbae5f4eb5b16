using System.Diagnostics;
using Coord.Protocol;
using Coord.Protocol.Records;
using Coord.Server.Data;
using Coord.Server.Persistence;

namespace Coord.Benchmarks;

/// <summary>
/// Not a BenchmarkDotNet benchmark: one pass over a large tree that prints where its memory goes and how long
/// snapshots take, in one process, so the figures do not depend on the network or the load generator.
/// <list type="bullet">
/// <item>Managed heap per znode after a full compacting GC, for a tree built the way the server builds it: through
/// <see cref="DataTree.ProcessTxn"/> with txns shaped like decoded create requests (own path string, own data array,
/// own ACL list with its own "world"/"anyone" strings, as the jute decoder hands them over).</item>
/// <item>Allocation and time of taking a snapshot view (what the tree thread does before a background write), and of
/// a full in-memory copy for comparison.</item>
/// <item>Snapshot write time (view + write + fsync) and size for none/gz/lz4, the streamed load of that file into a
/// fresh tree (<see cref="DataTreeLoader.LoadFile"/>, what a restart does), and decoding alone.</item>
/// </list>
/// Run: <c>dotnet run -c Release --project benchmarks/Coord.Benchmarks -- tree-probe [ZNODES] [REPEATS]</c>
/// (defaults 1,000,000 and 3; paths /bench/pNNNN/nNNNNNN as Coord.LoadGen --populate makes them, 100 B values).
/// </summary>
public static class TreeProbe
{
    private const int ChildrenPerParent = 1_000;
    private const int ValueBytes = 100;

    public static int Run(string[] args)
    {
        int znodes = args.Length > 0 ? int.Parse(args[0]) : 1_000_000;
        int repeats = args.Length > 1 ? int.Parse(args[1]) : 3;
        Console.WriteLine($"tree-probe: {znodes:N0} znodes × {ValueBytes} B, {repeats} repeats");

        long heap0 = CompactedHeap();
        var sw = Stopwatch.StartNew();
        var tree = Build(znodes);
        Console.WriteLine($"build via ProcessTxn: {sw.Elapsed.TotalSeconds:0.00} s");
        long heap1 = CompactedHeap();
        Console.WriteLine($"managed heap of the tree: {(heap1 - heap0) / 1e6:0.0} MB = {(double)(heap1 - heap0) / znodes:0} B/znode " +
                          $"(process RSS {Environment.WorkingSet / 1e6:0} MB)");

        long alloc0 = GC.GetAllocatedBytesForCurrentThread();
        sw.Restart();
        var view = tree.TakeSnapshotView();
        Console.WriteLine($"snapshot view (what the tree thread does before a background write): {sw.Elapsed.TotalMilliseconds:0} ms, " +
                          $"allocated {(GC.GetAllocatedBytesForCurrentThread() - alloc0) / 1e6:0.0} MB");
        view.Complete();
        alloc0 = GC.GetAllocatedBytesForCurrentThread();
        sw.Restart();
        var contents = DataTreeLoader.Capture(tree, [], tree.LastProcessedZxid);
        Console.WriteLine($"full copy in memory (DataTreeLoader.Capture, tests and tools): {sw.Elapsed.TotalMilliseconds:0} ms, " +
                          $"allocated {(GC.GetAllocatedBytesForCurrentThread() - alloc0) / 1e6:0.0} MB");
        GC.KeepAlive(contents);
        contents = null;

        var dir = Directory.CreateTempSubdirectory("coord-tree-probe").FullName;
        try
        {
            foreach (var compression in new[] { SnapshotCompression.None, SnapshotCompression.Gzip, SnapshotCompression.Snappy, SnapshotCompression.Lz4 })
                WriteAndLoad(tree, dir, compression, repeats);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
        return 0;
    }

    private static void WriteAndLoad(DataTree tree, string dir, SnapshotCompression compression, int repeats)
    {
        var writes = new List<double>();
        var reads = new List<double>();
        var loads = new List<double>();
        string path = "";
        for (int i = 0; i < repeats; i++)
        {
            CompactedHeap();
            var sw = Stopwatch.StartNew();
            // As the server does it: a view taken on the tree thread, written (with fsync) from it.
            path = DataTreeLoader.WriteSnapshot(tree.TakeSnapshotView(), [], dir, new SnapshotWriteOptions { Compression = compression });
            writes.Add(sw.Elapsed.TotalSeconds);

            CompactedHeap();
            sw.Restart();
            var loaded = new DataTree();
            DataTreeLoader.LoadFile(loaded, path);
            loads.Add(sw.Elapsed.TotalSeconds);
            if (loaded.TreeDigest != tree.TreeDigest) throw new InvalidOperationException("loaded tree has a different digest");
            loaded = null;
            CompactedHeap();
            sw.Restart();
            GC.KeepAlive(FileSnap.Read(path));
            reads.Add(sw.Elapsed.TotalSeconds);
        }
        Console.WriteLine($"snapshot {compression,-5} {new FileInfo(path).Length / 1e6:0.0} MB: write {Median(writes):0.00} s, " +
                          $"streamed load into a tree {Median(loads):0.00} s (decoding alone, FileSnap.Read: {Median(reads):0.00} s); medians of {repeats}, " +
                          $"all writes {string.Join(" ", writes.Select(x => x.ToString("0.00")))}, all loads {string.Join(" ", loads.Select(x => x.ToString("0.00")))}");
        File.Delete(path);
    }

    private static DataTree Build(int znodes)
    {
        var tree = new DataTree();
        long zxid = 0;
        void Create(string path, byte[] data)
        {
            zxid++;
            // A decoded create request owns its ACL list and the strings in it.
            IReadOnlyList<Acl> acl = [new Acl(Perms.All, new Id(new string("world"), new string("anyone")))];
            var rc = tree.ProcessTxn(new TxnHeader(0x100, 1, zxid, 1_764_000_000_000 + zxid, OpCode.Create), new CreateTxn(path, data, acl, false, -1));
            if (rc.Err != KeeperErrorCode.Ok) throw new InvalidOperationException($"create {path}: {rc.Err}");
        }
        var rnd = new Random(1);
        Create("/bench", []);
        for (int p = 0; p < (znodes + ChildrenPerParent - 1) / ChildrenPerParent; p++) Create($"/bench/p{p:D4}", []);
        for (int i = 0; i < znodes; i++)
        {
            var data = new byte[ValueBytes];
            rnd.NextBytes(data);
            Create($"/bench/p{i / ChildrenPerParent:D4}/n{i:D6}", data);
        }
        return tree;
    }

    private static long CompactedHeap()
    {
        System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        return GC.GetGCMemoryInfo(GCKind.FullBlocking).HeapSizeBytes;
    }

    private static double Median(List<double> xs)
    {
        var s = xs.OrderBy(x => x).ToList();
        return s[s.Count / 2];
    }
}
