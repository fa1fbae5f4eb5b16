namespace Coord.Zab.Core;

public enum SyncMode { Diff, Trunc, Snap }

/// <summary>How a leader brings one learner in line: the leading packet and which of the leader's committed
/// proposals follow it (each as PROPOSAL then COMMIT). <see cref="SendFrom"/> indexes the history given to
/// <see cref="SyncPlanner.Plan"/>; for SNAP the whole history up to <see cref="Zxid"/> is the snapshot.</summary>
public readonly record struct SyncPlan(SyncMode Mode, long Zxid, int SendFrom);

/// <summary>
/// LearnerHandler.syncFollower's choice between DIFF, TRUNC and SNAP (quorum-protocol.md §4.5), as a pure function of
/// the leader's committed history and the learner's last logged zxid. The leader here keeps its whole history, so
/// ZooKeeper's on-disk txn-log walk (row 5) is the same walk as the in-memory one (row 4). Differences from ZooKeeper,
/// both on the side of safety:
/// <list type="bullet">
/// <item>A learner ahead of the leader (row 3) is truncated only within its own epoch; across epochs it gets SNAP,
///   because it may lack txns below the leader's last zxid (§4.6: "a TRUNC never crosses an epoch").</item>
/// <item>A divergence whose TRUNC point would not be in the history falls back to SNAP.</item>
/// </list>
/// </summary>
public static class SyncPlanner
{
    public static SyncPlan Plan(IReadOnlyList<Proposal> history, int count, long peerLastZxid, bool forceSnapshotSync)
    {
        long maxCommitted = count == 0 ? 0 : history[count - 1].Zxid;
        if (forceSnapshotSync) return new SyncPlan(SyncMode.Snap, maxCommitted, count);
        // Row 2: already in sync: an empty DIFF.
        if (peerLastZxid == maxCommitted) return new SyncPlan(SyncMode.Diff, peerLastZxid, count);
        // Row 3: the learner logged txns the leader never committed.
        if (peerLastZxid > maxCommitted && Zxid.CounterOf(peerLastZxid) != 0)
        {
            bool sameEpoch = Zxid.EpochOf(peerLastZxid) == Zxid.EpochOf(maxCommitted);
            return sameEpoch ? new SyncPlan(SyncMode.Trunc, maxCommitted, count) : new SyncPlan(SyncMode.Snap, maxCommitted, count);
        }
        // Rows 4–5: walk the history (queueCommittedProposals).
        int first = LowerBound(history, count, peerLastZxid);
        if (first == count)
            // Nothing at or above the learner's zxid although it is below the leader's last: only an epoch-boundary
            // zxid (counter 0) can get here; it needs nothing but an empty DIFF.
            return Zxid.CounterOf(peerLastZxid) == 0 ? new SyncPlan(SyncMode.Diff, maxCommitted, count) : new SyncPlan(SyncMode.Snap, maxCommitted, count);
        long at = history[first].Zxid;
        if (at == peerLastZxid) return new SyncPlan(SyncMode.Diff, maxCommitted, first + 1);
        if (Zxid.CounterOf(peerLastZxid) == 0) return new SyncPlan(SyncMode.Diff, maxCommitted, first);
        // The learner has a txn the leader does not: truncate it to the proposal before, within one epoch only.
        if (Zxid.EpochOf(at) != Zxid.EpochOf(peerLastZxid) || first == 0) return new SyncPlan(SyncMode.Snap, maxCommitted, count);
        long truncTo = history[first - 1].Zxid;
        if (Zxid.EpochOf(truncTo) != Zxid.EpochOf(peerLastZxid)) return new SyncPlan(SyncMode.Snap, maxCommitted, count);
        return new SyncPlan(SyncMode.Trunc, truncTo, first);
    }

    /// <summary>Index of the first proposal whose zxid is ≥ <paramref name="zxid"/> (history is in zxid order).</summary>
    internal static int LowerBound(IReadOnlyList<Proposal> history, int count, long zxid)
    {
        int lo = 0, hi = count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (history[mid].Zxid < zxid) lo = mid + 1; else hi = mid;
        }
        return lo;
    }
}
