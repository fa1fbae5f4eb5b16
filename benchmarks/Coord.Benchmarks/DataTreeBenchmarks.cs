using System.Buffers;
using BenchmarkDotNet.Attributes;
using Coord.Protocol;
using Coord.Protocol.Jute;
using Coord.Protocol.Records;
using Coord.Server.Auth;
using Coord.Server.Data;

namespace Coord.Benchmarks;

/// <summary>
/// Reads and in-place writes on a 1M-znode tree (<see cref="BigTree"/>), one operation per call, each on a different
/// node taken from 4,096 random paths. GetData is the server's read path without the socket: lookup, READ check,
/// ReplyHeader + data + Stat into a reused buffer. SetData applies a prepared SetDataTxn with ProcessTxn (the txn
/// records are built in setup, as PrepRequestProcessor builds them before the tree sees them).
/// </summary>
[MemoryDiagnoser]
public class DataTreeReadBenchmarks
{
    private const int PathCount = 4096;
    private BigTree _big = null!;
    private string[] _paths = [];
    private string[] _parents = [];
    private SetDataTxn[] _setTxns = [];
    private readonly ArrayBufferWriter<byte> _out = new(64 * 1024);
    private readonly IReadOnlyList<Id> _authInfo = [new Id("ip", "127.0.0.1")];
    private int _i;

    [GlobalSetup]
    public void Setup()
    {
        _big = new BigTree();
        _paths = BigTree.RandomChildPaths(PathCount, 7);
        var rnd = new Random(8);
        _parents = Enumerable.Range(0, PathCount).Select(_ => BigTree.ParentPath(rnd.Next(BigTree.Parents))).ToArray();
        var data = new byte[BigTree.DataBytes];
        _setTxns = _paths.Select(p => new SetDataTxn(p, data, 1)).ToArray();
    }

    [Benchmark]
    public int GetData()
    {
        string path = _paths[_i++ & (PathCount - 1)];
        var n = _big.Tree.GetNode(path)!;
        if (!AclChecker.Allowed(n.Acl, Perms.Read, _authInfo)) return -1;
        _out.ResetWrittenCount();
        var w = new JuteWriter(_out);
        new ReplyHeader(1, _big.Tree.LastProcessedZxid, 0).Write(ref w);
        w.WriteBuffer(n.DataSpan);
        n.ToStat().Write(ref w);
        return _out.WrittenCount;
    }

    /// <summary>getChildren of a parent with 1,000 children, in ZooKeeper's (Java HashSet) order.</summary>
    [Benchmark]
    public int GetChildren() => _big.Tree.GetNode(_parents[_i++ & (PathCount - 1)])!.ChildrenInZooKeeperOrder().Count;

    [Benchmark]
    public KeeperErrorCode SetData()
    {
        var txn = _setTxns[_i++ & (PathCount - 1)];
        return _big.Tree.ProcessTxn(_big.Header(OpCode.SetData), txn).Err;
    }
}

/// <summary>
/// Create and delete on a 1M-znode tree, in batches of 100,000 txns per invocation spread over the 1,000 parents
/// (figures are per txn). The txn records are built in the iteration setup; the iteration cleanup (create) or setup
/// (delete) restores the tree, so every batch starts from the same 1M nodes. One invocation per iteration (the batch
/// is the unit); this applies on top of whatever job is chosen on the command line.
/// </summary>
[MemoryDiagnoser]
[InvocationCount(1, unrollFactor: 1)]
public class DataTreeMutationBenchmarks
{
    public const int Batch = 100_000;
    private BigTree _big = null!;
    private CreateTxn[] _creates = [];
    private DeleteTxn[] _deletes = [];
    private readonly byte[] _data = new byte[BigTree.DataBytes];
    private int _round;

    [GlobalSetup]
    public void Setup() => _big = new BigTree();

    private string BatchPath(int i) => $"{BigTree.ParentPath(i % BigTree.Parents)}/x{_round:D4}-{i:D8}";

    [IterationSetup(Target = nameof(Create))]
    public void PrepareCreates()
    {
        _round++;
        _creates = new CreateTxn[Batch];
        for (int i = 0; i < Batch; i++) _creates[i] = new CreateTxn(BatchPath(i), _data, Acl.OpenAclUnsafe, false, -1);
    }

    [IterationCleanup(Target = nameof(Create))]
    public void UndoCreates()
    {
        foreach (var t in _creates) _big.Delete(t.Path);
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public int Create()
    {
        int errors = 0;
        var tree = _big.Tree;
        foreach (var t in _creates)
            if (tree.ProcessTxn(_big.Header(OpCode.Create), t).Err != KeeperErrorCode.Ok) errors++;
        return errors;
    }

    [IterationSetup(Target = nameof(Delete))]
    public void PrepareDeletes()
    {
        _round++;
        _deletes = new DeleteTxn[Batch];
        for (int i = 0; i < Batch; i++)
        {
            string p = BatchPath(i);
            _big.Create(p, _data);
            _deletes[i] = new DeleteTxn(p);
        }
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public int Delete()
    {
        int errors = 0;
        var tree = _big.Tree;
        foreach (var t in _deletes)
            if (tree.ProcessTxn(_big.Header(OpCode.Delete), t).Err != KeeperErrorCode.Ok) errors++;
        return errors;
    }
}
