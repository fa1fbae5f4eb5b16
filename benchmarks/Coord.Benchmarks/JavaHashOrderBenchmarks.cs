using BenchmarkDotNet.Attributes;
using Coord.Protocol.Records;
using Coord.Server.Data;

namespace Coord.Benchmarks;

/// <summary>
/// getChildren's listing for N children named like sequential nodes (lock-0000000000 …): in ZooKeeper's Java HashSet
/// iteration order, which Coord reproduces, against the plain unordered copy of the names as the baseline.
/// </summary>
[MemoryDiagnoser]
public class JavaHashOrderBenchmarks
{
    [Params(10, 1_000, 100_000)]
    public int Children;

    private DataNode _node = null!;

    [GlobalSetup]
    public void Setup()
    {
        _node = new DataNode("locks", [], Acl.OpenAclUnsafe, 1, 1, 0);
        for (int i = 0; i < Children; i++) _node.AddChild(new DataNode($"lock-{i:D10}", [], Acl.OpenAclUnsafe, 1, 1, 0));
    }

    [Benchmark(Baseline = true)]
    public List<string> UnorderedCopy() => new(_node.Children.Select(c => c.Name));

    [Benchmark]
    public List<string> JavaHashOrder() => _node.ChildrenInZooKeeperOrder();
}
