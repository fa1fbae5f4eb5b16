namespace Coord.Zab.Core;

/// <summary>The ensemble as the core sees it: the voting members and the limits of zoo.cfg, in ticks.</summary>
public sealed record ZabConfig(IReadOnlyList<int> Voters)
{
    /// <summary>initLimit: ticks a leader may take to establish its epoch with a quorum, and a learner to sync.</summary>
    public int InitLimitTicks { get; init; } = 10;

    /// <summary>syncLimit: ticks of silence after which a leader drops a learner and a learner leaves its leader.</summary>
    public int SyncLimitTicks { get; init; } = 5;

    /// <summary>zookeeper.forceSnapshotSync (testing): the leader syncs every learner with SNAP.</summary>
    public bool ForceSnapshotSync { get; init; }

    public bool IsVoter(int sid)
    {
        foreach (var v in Voters) if (v == sid) return true;
        return false;
    }

    /// <summary>QuorumMaj: more than half of the voters.</summary>
    public bool IsQuorum(int votersInSet) => votersInSet > Voters.Count / 2;
}
