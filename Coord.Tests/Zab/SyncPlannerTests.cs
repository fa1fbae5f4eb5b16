using Coord.Zab;
using Coord.Zab.Core;
using NUnit.Framework;

namespace Coord.Tests.Zab;

/// <summary>The leader's DIFF / TRUNC / SNAP choice (quorum-protocol.md §4.5), including the three [wire] cases
/// captured from ZooKeeper 3.8.0 ensembles.</summary>
[TestFixture]
public class SyncPlannerTests
{
    private static List<Proposal> History(params (long Epoch, long From, long To)[] ranges)
    {
        var h = new List<Proposal>();
        foreach (var (e, from, to) in ranges)
            for (long c = from; c <= to; c++) h.Add(new Proposal(Zxid.Make(e, c), [(byte)c]));
        return h;
    }

    private static SyncPlan Plan(List<Proposal> h, long peer, bool forceSnap = false) => SyncPlanner.Plan(h, h.Count, peer, forceSnap);

    [Test]
    public void PeerBehindInTheSameEpochGetsDiffOfTheLeadersLastZxidAndTheTxnsAfterItsOwn()
    {
        // [wire] peer at 0x100000008, leader committed up to 0x10000000f → DIFF 0x10000000f, then 0x…09 … 0x…0f.
        var h = History((1, 1, 0xf));
        var plan = Plan(h, 0x100000008);
        Assert.That(plan, Is.EqualTo(new SyncPlan(SyncMode.Diff, 0x10000000f, 8)));
        Assert.That(h[plan.SendFrom].Zxid, Is.EqualTo(0x100000009));
    }

    [Test]
    public void PeerAheadInTheSameEpochIsTruncatedToTheLeadersLastZxid()
    {
        // [wire] peer claiming 0x100000030 while the leader was at 0x100000016 → TRUNC 0x100000016, nothing else.
        var h = History((1, 1, 0x16));
        Assert.That(Plan(h, 0x100000030), Is.EqualTo(new SyncPlan(SyncMode.Trunc, 0x100000016, h.Count)));
    }

    [Test]
    public void EmptyPeerGetsEveryTxn()
    {
        // ZooKeeper answers SNAP here when its committedLog no longer reaches back to 0 ([wire]); a leader that keeps its
        // whole history sends it all after a DIFF instead.
        var h = History((1, 1, 5));
        Assert.That(Plan(h, 0), Is.EqualTo(new SyncPlan(SyncMode.Diff, 0x100000005, 0)));
    }

    [Test]
    public void PeerInSyncGetsAnEmptyDiffOfItsOwnZxid()
    {
        var h = History((1, 1, 5), (2, 1, 3));
        Assert.That(Plan(h, 0x200000003), Is.EqualTo(new SyncPlan(SyncMode.Diff, 0x200000003, h.Count)));
    }

    [Test]
    public void PeerWithTxnsOfAnEpochTheLeaderNeverCommittedGetsSnapNotATruncAcrossEpochs()
    {
        // The peer logged 0x100000006 and 0x100000007 (never committed); the leader went on in epoch 2.
        var h = History((1, 1, 5), (2, 1, 3));
        Assert.That(Plan(h, 0x100000007).Mode, Is.EqualTo(SyncMode.Snap));
        // Ahead of the leader in a later epoch than the leader's last txn: TRUNC would cross epochs too.
        Assert.That(Plan(History((1, 1, 5)), 0x200000002).Mode, Is.EqualTo(SyncMode.Snap));
    }

    [Test]
    public void PeerBehindAcrossAnEpochBoundaryGetsDiff()
    {
        var h = History((1, 1, 5), (2, 1, 3));
        var plan = Plan(h, 0x100000005);
        Assert.That(plan, Is.EqualTo(new SyncPlan(SyncMode.Diff, 0x200000003, 5)));
    }

    [Test]
    public void ForceSnapshotSyncAlwaysSnaps() =>
        Assert.That(Plan(History((1, 1, 5)), 0x100000005, forceSnap: true), Is.EqualTo(new SyncPlan(SyncMode.Snap, 0x100000005, 5)));

    [Test]
    public void LeaderWithoutHistoryGivesAnEmptyPeerAnEmptyDiff() =>
        Assert.That(Plan([], 0), Is.EqualTo(new SyncPlan(SyncMode.Diff, 0, 0)));
}
