using Coord.Protocol;
using Coord.Protocol.Records;
using Coord.Server.Data;

namespace Coord.Benchmarks;

/// <summary>
/// A data tree of 1,000 parents × 1,000 children (1,001,001 znodes besides the system nodes) with 100 B of data per
/// child, paths /bench/pNNNNN/nNNNNNNNN (~24 chars) as in the reference's DataTree measurement. Built only through
/// <see cref="DataTree.ProcessTxn"/>, the way the server applies committed txns.
/// </summary>
public sealed class BigTree
{
    public const int Parents = 1_000;
    public const int ChildrenPerParent = 1_000;
    public const int DataBytes = 100;

    public DataTree Tree { get; } = new();
    private long _zxid;

    public static string ParentPath(int p) => $"/bench/p{p:D5}";
    public static string ChildPath(int p, int c) => $"/bench/p{p:D5}/n{c:D8}";

    public BigTree()
    {
        Create("/bench", []);
        var rnd = new Random(1);
        for (int p = 0; p < Parents; p++)
        {
            Create(ParentPath(p), []);
            for (int c = 0; c < ChildrenPerParent; c++)
            {
                var data = new byte[DataBytes];
                rnd.NextBytes(data);
                Create(ChildPath(p, c), data);
            }
        }
    }

    public long NextZxid() => ++_zxid;

    public TxnHeader Header(int type) { long z = NextZxid(); return new TxnHeader(0x100, 1, z, 1_764_000_000_000 + z, type); }

    public void Create(string path, byte[] data)
    {
        var rc = Tree.ProcessTxn(Header(OpCode.Create), new CreateTxn(path, data, Acl.OpenAclUnsafe, false, -1));
        if (rc.Err != KeeperErrorCode.Ok) throw new InvalidOperationException($"create {path}: {rc.Err}");
    }

    public void Delete(string path)
    {
        var rc = Tree.ProcessTxn(Header(OpCode.Delete), new DeleteTxn(path));
        if (rc.Err != KeeperErrorCode.Ok) throw new InvalidOperationException($"delete {path}: {rc.Err}");
    }

    /// <summary>Existing child paths in a fixed random order, so successive reads land far apart in the tree.</summary>
    public static string[] RandomChildPaths(int count, int seed)
    {
        var rnd = new Random(seed);
        var paths = new string[count];
        for (int i = 0; i < count; i++) paths[i] = ChildPath(rnd.Next(Parents), rnd.Next(ChildrenPerParent));
        return paths;
    }
}
