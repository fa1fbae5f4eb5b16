using BenchmarkDotNet.Attributes;
using Coord.Protocol;
using Coord.Protocol.Records;
using Coord.Server.Data;
using Coord.Server.Persistence;

namespace Coord.Benchmarks;

/// <summary>
/// Whole-snapshot serialisation and deserialisation of a 100,000-znode tree (100 parents × 1,000 children, 100 B of
/// random data each, so the data itself does not compress; paths and stats do) for each compression method.
/// Serialise = DataTreeLoader.WriteSnapshot to a file without fsync (the snapshot's CPU and write cost; the fsync is
/// one per snapshot and measured by the txn log benchmarks). Deserialise = FileSnap.Read of that file (seals checked)
/// plus DataTreeLoader.Load into a fresh tree, i.e. what recovery does. The file size per method is printed by
/// GlobalSetup ("snapshot size:" in the log).
/// </summary>
[MemoryDiagnoser]
public class SnapshotBenchmarks
{
    public const int Parents = 100;
    public const int ChildrenPerParent = 1_000;
    public const int DataBytes = 100;

    [Params(SnapshotCompression.None, SnapshotCompression.Gzip, SnapshotCompression.Snappy, SnapshotCompression.Lz4)]
    public SnapshotCompression Compression { get; set; }

    private DataTree _tree = null!;
    private string _dir = "";
    private string _file = "";
    private SnapshotWriteOptions _options = null!;

    [GlobalSetup]
    public void Setup()
    {
        _tree = BuildTree();
        _dir = Path.Combine(Directory.GetCurrentDirectory(), "snap-bench-" + Guid.NewGuid().ToString("N"));
        _options = new SnapshotWriteOptions { Compression = Compression, Fsync = false };
        _file = Serialise();
        Console.WriteLine($"// snapshot size: {Compression} {new FileInfo(_file).Length:N0} bytes for {_tree.NodeCount:N0} nodes");
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_dir, recursive: true);

    [Benchmark]
    public string Serialise() => DataTreeLoader.WriteSnapshot(_tree, [], _dir, _tree.LastProcessedZxid, _options);

    [Benchmark]
    public int Deserialise()
    {
        var tree = new DataTree();
        DataTreeLoader.Load(tree, FileSnap.Read(_file));
        return tree.NodeCount;
    }

    /// <summary>Built through ProcessTxn, as <see cref="BigTree"/> builds its tree.</summary>
    private static DataTree BuildTree()
    {
        var tree = new DataTree();
        long zxid = 0;
        var rnd = new Random(1);
        void Create(string path, byte[] data)
        {
            zxid++;
            var rc = tree.ProcessTxn(new TxnHeader(0x100, 1, zxid, 1_764_000_000_000 + zxid, OpCode.Create),
                new CreateTxn(path, data, Acl.OpenAclUnsafe, false, -1));
            if (rc.Err != KeeperErrorCode.Ok) throw new InvalidOperationException($"create {path}: {rc.Err}");
        }
        Create("/bench", []);
        for (int p = 0; p < Parents; p++)
        {
            Create($"/bench/p{p:D5}", []);
            for (int c = 0; c < ChildrenPerParent; c++)
            {
                var data = new byte[DataBytes];
                rnd.NextBytes(data);
                Create($"/bench/p{p:D5}/n{c:D8}", data);
            }
        }
        return tree;
    }
}
