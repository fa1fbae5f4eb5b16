using Coord.Zab;
using Coord.Zab.Core;
using NUnit.Framework;

namespace Coord.Tests.Zab;

/// <summary>ZabPeer driven by hand, message by message: the packet sequence of ZooKeeper's learner protocol
/// (quorum-protocol.md §4.4–4.11) and its persistence order.</summary>
[TestFixture]
public class ZabPeerTests
{
    private static readonly ZabConfig Three = new([1, 2, 3]);

    /// <summary>Carries messages between peers until none is left, in FIFO order; returns every action per peer.</summary>
    private sealed class Wire(params ZabPeer[] peers)
    {
        private readonly Queue<(int From, int To, ZabMessage M)> _q = new();
        public readonly Dictionary<int, List<ZabAction>> Done = peers.ToDictionary(p => p.Id, _ => new List<ZabAction>());
        public readonly List<string> Packets = [];

        public void Take(ZabPeer from, List<ZabAction> actions)
        {
            Done[from.Id].AddRange(actions);
            foreach (var a in actions)
                if (a.Kind == ZabActionKind.Send) _q.Enqueue((from.Id, a.Peer, a.Message!));
            actions.Clear();
        }

        public void Run()
        {
            var actions = new List<ZabAction>();
            while (_q.TryDequeue(out var m))
            {
                Packets.Add($"{m.From}->{m.To} {m.M}");
                var to = peers.Single(p => p.Id == m.To);
                to.Receive(m.From, m.M, actions);
                Take(to, actions);
            }
        }
    }

    [Test]
    public void FreshEnsembleEstablishesEpochOneThenCommitsAProposal()
    {
        var (p1, p2, p3) = (new ZabPeer(1, Three), new ZabPeer(2, Three), new ZabPeer(3, Three));
        var wire = new Wire(p1, p2, p3);
        var a = new List<ZabAction>();
        p3.BecomeLeader(a); wire.Take(p3, a);
        p1.BecomeFollower(3, a); wire.Take(p1, a);
        p2.BecomeFollower(3, a); wire.Take(p2, a);
        wire.Run();

        Assert.That(p3.IsServing && p1.IsServing && p2.IsServing, Is.True);
        Assert.That((p3.AcceptedEpoch, p3.CurrentEpoch, p1.CurrentEpoch, p2.CurrentEpoch), Is.EqualTo((1L, 1L, 1L, 1L)));
        Assert.That(wire.Packets.Where(p => p.StartsWith("1->3") || p.StartsWith("3->1")), Is.EqualTo(new[]
        {
            "1->3 FOLLOWERINFO 0x0",
            "3->1 LEADERINFO 0x100000000",
            "1->3 ACKEPOCH 0x0 epoch=0", // [wire]: ACKEPOCH zxid 0, epoch 0 from a fresh learner
            "3->1 DIFF 0x0",
            "3->1 NEWLEADER 0x100000000",
            "1->3 ACK 0x100000000",
            "3->1 UPTODATE 0xffffffffffffffff",
            "1->3 ACK 0x100000000",
        }));

        wire.Packets.Clear();
        Assert.That(p3.Propose([42], a), Is.EqualTo(0x100000001));
        wire.Take(p3, a);
        wire.Run();
        Assert.That(new[] { p1, p2, p3 }.Select(p => p.LastDeliveredZxid), Is.All.EqualTo(0x100000001));
        Assert.That(wire.Packets, Does.Contain("3->1 PROPOSAL 0x100000001(1 B)").And.Contain("1->3 ACK 0x100000001").And.Contain("3->1 COMMIT 0x100000001"));
    }

    [Test]
    public void FollowerMakesSyncTxnsDurableAndWritesCurrentEpochBeforeAckingNewLeader()
    {
        // ZOOKEEPER-3911 and relatives: append + fsync the txns received in sync, then currentEpoch, then the ACK.
        var leaderLog = new[] { new Proposal(0x100000001, [1]), new Proposal(0x100000002, [2]) };
        var leader = new ZabPeer(1, Three, 1, 1, leaderLog);
        var follower = new ZabPeer(2, Three, 1, 1, leaderLog.Take(1));
        var wire = new Wire(leader, follower);
        var a = new List<ZabAction>();
        leader.BecomeLeader(a); wire.Take(leader, a);
        follower.BecomeFollower(1, a); wire.Take(follower, a);
        wire.Run();

        var kinds = wire.Done[2].Select(x => x.Kind == ZabActionKind.Send ? "Send " + x.Message!.Type : x.Kind.ToString()).ToList();
        int append = kinds.IndexOf("AppendLog"), sync = kinds.IndexOf("SyncLog"), epoch = kinds.IndexOf("PersistCurrentEpoch");
        int ack = kinds.IndexOf("Send Ack");
        Assert.That(append, Is.GreaterThanOrEqualTo(0));
        Assert.That(append < sync && sync < epoch && epoch < ack, Is.True, string.Join(", ", kinds));
        Assert.That(kinds.IndexOf("PersistAcceptedEpoch"), Is.LessThan(kinds.IndexOf("Send AckEpoch")), "acceptedEpoch is written before ACKEPOCH");
        Assert.That(follower.LastDeliveredZxid, Is.EqualTo(0x100000002));
        Assert.That(follower.CurrentEpoch, Is.EqualTo(2));
    }

    [Test]
    public void LeaderDropsALearnerThatIsAheadOfItWhileEstablishing()
    {
        var leader = new ZabPeer(1, Three, 1, 1, [new Proposal(0x100000001, [1])]);
        var a = new List<ZabAction>();
        leader.BecomeLeader(a);
        leader.Receive(2, new ZabMessage(QuorumPacketType.FollowerInfo, Zxid.Make(1, 0)), a);
        Assert.That(a.Any(x => x.Kind == ZabActionKind.Send && x.Message!.Type == QuorumPacketType.LeaderInfo), Is.True);
        a.Clear();
        leader.Receive(2, new ZabMessage(QuorumPacketType.AckEpoch, 0x100000005, Epoch: 1), a);
        Assert.That(a, Has.Exactly(1).Matches<ZabAction>(x => x.Kind == ZabActionKind.Disconnect && x.Peer == 2));
    }

    [Test]
    public void FollowerRejectsALeaderWithAnOlderEpochThanItAccepted()
    {
        var f = new ZabPeer(2, Three, acceptedEpoch: 5, currentEpoch: 4);
        var a = new List<ZabAction>();
        f.BecomeFollower(1, a);
        a.Clear();
        f.Receive(1, new ZabMessage(QuorumPacketType.LeaderInfo, Zxid.Make(3, 0)), a);
        Assert.That(f.Role, Is.EqualTo(ZabRole.Looking));
        Assert.That(a.Any(x => x.Kind == ZabActionKind.PersistAcceptedEpoch), Is.False);
    }

    [Test]
    public void LeaderStepsDownInsteadOfRollingTheZxidCounterOver()
    {
        var leader = new ZabPeer(1, new ZabConfig([1]));
        var a = new List<ZabAction>();
        leader.BecomeLeader(a);
        Assert.That(leader.IsServing, Is.True);
        var field = typeof(ZabPeer).GetField("_lastProposedZxid", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!;
        field.SetValue(leader, Zxid.Make(1, ZabPeer.MaxZxidCounter - 1));
        Assert.That(leader.Propose([1], a), Is.EqualTo(Zxid.Make(1, ZabPeer.MaxZxidCounter)));
        Assert.That(leader.Propose([2], a), Is.EqualTo(-1));
        Assert.That(leader.Role, Is.EqualTo(ZabRole.Looking));
    }

    [Test]
    public void CommitThatDoesNotMatchThePendingTxnIsAnInvariantViolation()
    {
        var f = new ZabPeer(2, Three);
        var leader = new ZabPeer(1, Three);
        var wire = new Wire(leader, f);
        var a = new List<ZabAction>();
        leader.BecomeLeader(a); wire.Take(leader, a);
        f.BecomeFollower(1, a); wire.Take(f, a);
        wire.Run();
        f.Receive(1, new ZabMessage(QuorumPacketType.Proposal, 0x200000001, new Proposal(0x200000001, [1])), a);
        Assert.Throws<ZabInvariantException>(() => f.Receive(1, new ZabMessage(QuorumPacketType.Commit, 0x200000002), a));
    }
}
