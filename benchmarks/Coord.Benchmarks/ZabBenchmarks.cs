using BenchmarkDotNet.Attributes;
using Coord.Zab.Core;

namespace Coord.Benchmarks;

/// <summary>
/// The Zab core (ZabPeer) stepping proposals through a 3-node quorum in one process: the leader proposes, the
/// PROPOSAL reaches both followers, their ACKs come back, the leader commits and both followers deliver the COMMIT.
/// Messages pass through an in-memory FIFO and the log/fsync actions are not carried out, so this is the protocol's
/// own CPU and allocation cost per txn, without I/O. Each iteration starts from a freshly established ensemble
/// (the core keeps its history in memory).
/// </summary>
[MemoryDiagnoser]
public class ZabQuorumBenchmarks
{
    public const int Txns = 10_000;

    private ZabPeer[] _peers = [];
    private readonly Queue<(int From, int To, ZabMessage Message)> _wire = new();
    private readonly List<ZabAction> _actions = [];
    private readonly byte[] _txn = new byte[100];

    [IterationSetup]
    public void Establish()
    {
        var config = new ZabConfig([1, 2, 3]);
        _peers = [new ZabPeer(1, config), new ZabPeer(2, config), new ZabPeer(3, config)];
        _peers[0].BecomeLeader(_actions); Take(1);
        _peers[1].BecomeFollower(1, _actions); Take(2);
        _peers[2].BecomeFollower(1, _actions); Take(3);
        Pump();
        if (!_peers.All(p => p.IsServing)) throw new InvalidOperationException("ensemble not established");
    }

    [IterationCleanup]
    public void Check()
    {
        if (_peers.Any(p => p.DeliveredCount != Txns)) throw new InvalidOperationException("not every txn was delivered everywhere");
    }

    /// <summary>One txn in flight: each proposal is committed and delivered on all three before the next.</summary>
    [Benchmark(OperationsPerInvoke = Txns)]
    public void OneOutstanding()
    {
        for (int i = 0; i < Txns; i++)
        {
            _peers[0].Propose(_txn, _actions);
            Take(1);
            Pump();
        }
    }

    /// <summary>100 txns in flight, as under a pipelined load: proposals, ACKs and COMMITs interleave.</summary>
    [Benchmark(OperationsPerInvoke = Txns)]
    public void HundredOutstanding()
    {
        for (int i = 0; i < Txns; i += 100)
        {
            for (int j = 0; j < 100; j++)
            {
                _peers[0].Propose(_txn, _actions);
                Take(1);
            }
            Pump();
        }
    }

    private void Take(int from)
    {
        foreach (var a in _actions)
            if (a.Kind == ZabActionKind.Send) _wire.Enqueue((from, a.Peer, a.Message!));
        _actions.Clear();
    }

    private void Pump()
    {
        while (_wire.TryDequeue(out var m))
        {
            _peers[m.To - 1].Receive(m.From, m.Message, _actions);
            Take(m.To);
        }
    }
}
