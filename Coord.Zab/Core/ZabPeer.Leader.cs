namespace Coord.Zab.Core;

// The leader's side (ZooKeeper's Leader + LearnerHandler), quorum-protocol.md §4.4–4.11 and §5:
//
//   discovery   FOLLOWERINFO from a quorum (self included) → newEpoch = max(acceptedEpoch) + 1, persisted as
//               acceptedEpoch → LEADERINFO(newEpoch) to each learner → ACKEPOCH from a quorum → persist currentEpoch
//   sync        per learner: DIFF/TRUNC/SNAP + (PROPOSAL, COMMIT)* + outstanding PROPOSALs + NEWLEADER
//   established a quorum (self included) ACKed NEWLEADER → deliver the whole initial history, serve, UPTODATE
//   broadcast   PROPOSAL to the forwarding set; COMMIT in zxid order once a quorum (self included) has ACKed
public sealed partial class ZabPeer
{
    private readonly Dictionary<int, LearnerHandler> _learners = [];
    /// <summary>−1 until the epoch quorum forms (getEpochToPropose).</summary>
    private long _newEpoch = -1;
    /// <summary>The epoch that will be proposed: max(acceptedEpoch seen) + 1.</summary>
    private long _epochCandidate;
    private readonly HashSet<int> _epochReporters = [];
    private readonly HashSet<int> _epochAckers = [];
    private bool _epochAckQuorum;
    private readonly HashSet<int> _newLeaderAckers = [];
    private bool _established;
    private long _leadStartTick;
    private long _lastProposedZxid;
    /// <summary>Proposed, not yet committed, in zxid order; each with the voters that ACKed it (durably logged it).</summary>
    private readonly List<(Proposal Txn, HashSet<int> Acks)> _outstanding = [];

    /// <summary>Highest counter a zxid may use: at 0xffffffff the leader steps down instead (ZOOKEEPER-1277, §5.3).</summary>
    public const long MaxZxidCounter = 0xfffffffeL;

    /// <summary>The election chose this peer to lead.</summary>
    public void BecomeLeader(List<ZabAction> actions)
    {
        _out = actions;
        if (Role != ZabRole.Looking) StartLooking("re-elected");
        Role = ZabRole.Leading;
        _leadStartTick = _tick;
        _epochCandidate = AcceptedEpoch + 1;
        _epochReporters.Add(Id);
        TryDecideEpoch();
    }

    /// <summary>Proposes a txn (leader only, once established). Returns its zxid, or −1 when this peer cannot propose
    /// (not an established leader, or the zxid counter is exhausted, which makes it step down).</summary>
    public long Propose(byte[] txn, List<ZabAction> actions)
    {
        _out = actions;
        if (Role != ZabRole.Leading || !_established) return -1;
        long counter = Zxid.CounterOf(_lastProposedZxid) + 1;
        if (counter > MaxZxidCounter)
        {
            StartLooking("zxid lower 32 bits have rolled over, forcing re-election, and therefore new epoch start");
            return -1;
        }
        var p = new Proposal(Zxid.Make(_newEpoch, counter), txn);
        _lastProposedZxid = p.Zxid;
        _log.Add(p);
        // The leader's own ACK is counted now: the AppendLog and SyncLog below are carried out before the host gives
        // the core its next input, so before any follower's ACK can be counted with it.
        _outstanding.Add((p, [Id]));
        var message = new ZabMessage(QuorumPacketType.Proposal, p.Zxid, p);
        foreach (var h in _learners.Values)
            if (h.Forwarding) Send(h.Sid, message);
        Emit(new ZabAction(ZabActionKind.AppendLog, Txn: p));
        Emit(new ZabAction(ZabActionKind.SyncLog));
        TryCommit();
        return p.Zxid;
    }

    private void ResetLeaderState()
    {
        _learners.Clear();
        _newEpoch = -1;
        _epochReporters.Clear();
        _epochAckers.Clear();
        _epochAckQuorum = false;
        _newLeaderAckers.Clear();
        _established = false;
        _outstanding.Clear();
    }

    private int VotersIn(HashSet<int> sids)
    {
        int n = 0;
        foreach (var s in sids) if (_config.IsVoter(s)) n++;
        return n;
    }

    private void LeaderReceive(int from, ZabMessage m)
    {
        if (m.Type == QuorumPacketType.FollowerInfo)
        {
            OnFollowerInfo(from, m);
            return;
        }
        if (!_learners.TryGetValue(from, out var h)) return; // the first packet must be FOLLOWERINFO
        h.LastHeardTick = _tick;
        switch (m.Type)
        {
            case QuorumPacketType.AckEpoch when h.Stage == LearnerStage.AwaitingAckEpoch:
                OnAckEpoch(h, m);
                break;
            case QuorumPacketType.Ack when h.Stage == LearnerStage.AwaitingNewLeaderAck && m.Zxid == Zxid.Make(_newEpoch, 0):
                h.Stage = LearnerStage.AwaitingUpToDate;
                _newLeaderAckers.Add(h.Sid);
                if (_established) SendUpToDate(h);
                else TryEstablish();
                break;
            case QuorumPacketType.Ack:
                // An ACK of a proposal; ZOOKEEPER-4685: it may come before the NEWLEADER ACK, so the NEWLEADER ACK is
                // recognised by its zxid above, not by its position.
                OnProposalAck(h.Sid, m.Zxid);
                break;
            case QuorumPacketType.Ping:
                break; // the learner's reply; hearing from it is all that matters here
            case QuorumPacketType.AckEpoch:
            case QuorumPacketType.FollowerInfo:
            default:
                // Out of order for this learner: LearnerHandler closes the connection on a protocol violation.
                DropLearner(h, $"unexpected {m.Type} in stage {h.Stage}");
                break;
        }
    }

    private void OnFollowerInfo(int from, ZabMessage m)
    {
        // A learner reconnecting replaces its earlier handler (a new LearnerHandler on a new socket).
        var h = new LearnerHandler(from, Zxid.EpochOf(m.Zxid), _tick);
        _learners[from] = h;
        if (_newEpoch < 0)
        {
            if (h.AcceptedEpoch >= _epochCandidate) _epochCandidate = h.AcceptedEpoch + 1;
            if (_config.IsVoter(from)) _epochReporters.Add(from);
            TryDecideEpoch();
        }
        else
        {
            SendLeaderInfo(h);
        }
    }

    private void TryDecideEpoch()
    {
        if (_newEpoch >= 0 || !_config.IsQuorum(VotersIn(_epochReporters))) return;
        _newEpoch = _epochCandidate;
        AcceptedEpoch = _newEpoch;
        Emit(new ZabAction(ZabActionKind.PersistAcceptedEpoch, Epoch: _newEpoch));
        _epochAckers.Add(Id);
        foreach (var h in _learners.Values)
            if (h.Stage == LearnerStage.AwaitingEpoch) SendLeaderInfo(h);
        TryEpochAckQuorum();
    }

    private void SendLeaderInfo(LearnerHandler h)
    {
        h.Stage = LearnerStage.AwaitingAckEpoch;
        Send(h.Sid, new ZabMessage(QuorumPacketType.LeaderInfo, Zxid.Make(_newEpoch, 0)));
    }

    private void OnAckEpoch(LearnerHandler h, ZabMessage m)
    {
        h.PeerLastZxid = m.Zxid;
        if (!_epochAckQuorum)
        {
            // Leader.waitForEpochAck: a learner more recent than the leader must not be synced down to it.
            if (m.Epoch != -1 && (m.Epoch > CurrentEpoch || (m.Epoch == CurrentEpoch && m.Zxid > LastLoggedZxid)))
            {
                DropLearner(h, "follower is ahead of the leader");
                return;
            }
            if (m.Epoch != -1 && _config.IsVoter(h.Sid)) _epochAckers.Add(h.Sid);
            h.Stage = LearnerStage.AwaitingSyncStart;
            TryEpochAckQuorum();
        }
        else
        {
            h.Stage = LearnerStage.AwaitingSyncStart;
            SyncLearner(h);
        }
    }

    private void TryEpochAckQuorum()
    {
        if (_epochAckQuorum || !_config.IsQuorum(VotersIn(_epochAckers))) return;
        _epochAckQuorum = true;
        CurrentEpoch = _newEpoch;
        Emit(new ZabAction(ZabActionKind.PersistCurrentEpoch, Epoch: _newEpoch));
        _lastProposedZxid = Zxid.Make(_newEpoch, 0);
        _newLeaderAckers.Add(Id);
        foreach (var h in _learners.Values)
            if (h.Stage == LearnerStage.AwaitingSyncStart) SyncLearner(h);
        TryEstablish();
    }

    /// <summary>LearnerHandler.syncFollower + Leader.startForwarding + NEWLEADER.</summary>
    private void SyncLearner(LearnerHandler h)
    {
        // Before the epoch is established the leader's whole log is its initial history, committed as a whole when a
        // quorum acknowledges NEWLEADER; afterwards only what has been delivered is committed.
        int committed = _established ? _delivered : _log.Count;
        var plan = SyncPlanner.Plan(_log, committed, h.PeerLastZxid, _config.ForceSnapshotSync);
        if (plan.Mode == SyncMode.Snap)
        {
            Send(h.Sid, new ZabMessage(QuorumPacketType.Snap, plan.Zxid, Snapshot: _log.GetRange(0, committed)));
        }
        else
        {
            Send(h.Sid, new ZabMessage(plan.Mode == SyncMode.Diff ? QuorumPacketType.Diff : QuorumPacketType.Trunc, plan.Zxid));
            for (int i = plan.SendFrom; i < committed; i++)
            {
                Send(h.Sid, new ZabMessage(QuorumPacketType.Proposal, _log[i].Zxid, _log[i]));
                Send(h.Sid, new ZabMessage(QuorumPacketType.Commit, _log[i].Zxid));
            }
        }
        foreach (var (txn, _) in _outstanding) Send(h.Sid, new ZabMessage(QuorumPacketType.Proposal, txn.Zxid, txn));
        h.Forwarding = true;
        h.Stage = LearnerStage.AwaitingNewLeaderAck;
        Send(h.Sid, new ZabMessage(QuorumPacketType.NewLeader, Zxid.Make(_newEpoch, 0)));
    }

    private void TryEstablish()
    {
        if (_established || !_epochAckQuorum || !_config.IsQuorum(VotersIn(_newLeaderAckers))) return;
        _established = true;
        Deliver(_log.Count);
        Emit(new ZabAction(ZabActionKind.Serving));
        foreach (var h in _learners.Values)
            if (h.Stage == LearnerStage.AwaitingUpToDate) SendUpToDate(h);
    }

    private void SendUpToDate(LearnerHandler h)
    {
        h.Stage = LearnerStage.Broadcast;
        Send(h.Sid, new ZabMessage(QuorumPacketType.UpToDate, -1));
    }

    private void OnProposalAck(int sid, long zxid)
    {
        // ACKs with counter 0 (NEWLEADER/UPTODATE), for committed or unknown zxids, or from non-voters are ignored.
        if (Zxid.CounterOf(zxid) == 0 || !_config.IsVoter(sid)) return;
        foreach (var (txn, acks) in _outstanding)
        {
            if (txn.Zxid == zxid) { acks.Add(sid); break; }
            if (txn.Zxid > zxid) return;
        }
        TryCommit();
    }

    /// <summary>Commits outstanding proposals strictly in zxid order while the oldest has a quorum of ACKs.</summary>
    private void TryCommit()
    {
        int n = 0;
        while (n < _outstanding.Count && _config.IsQuorum(VotersIn(_outstanding[n].Acks)))
        {
            var txn = _outstanding[n].Txn;
            var commit = new ZabMessage(QuorumPacketType.Commit, txn.Zxid);
            foreach (var h in _learners.Values)
                if (h.Forwarding) Send(h.Sid, commit);
            Deliver(_delivered + 1);
            n++;
        }
        if (n > 0) _outstanding.RemoveRange(0, n);
    }

    private void DropLearner(LearnerHandler h, string why)
    {
        _learners.Remove(h.Sid);
        Emit(new ZabAction(ZabActionKind.Disconnect, Peer: h.Sid, Reason: why));
    }

    private void LeaderTick()
    {
        if (!_established)
        {
            if (_tick - _leadStartTick > _config.InitLimitTicks)
                StartLooking(_newEpoch < 0 ? "timeout while waiting for epoch from quorum" : "timeout waiting for a quorum of followers to sync");
            return;
        }
        List<LearnerHandler>? dead = null;
        int synced = 1;
        foreach (var h in _learners.Values)
        {
            int limit = h.Stage == LearnerStage.Broadcast ? _config.SyncLimitTicks : _config.InitLimitTicks;
            if (_tick - h.LastHeardTick > limit) (dead ??= []).Add(h);
            else
            {
                if (h.Synced && _config.IsVoter(h.Sid)) synced++;
                if (h.Stage == LearnerStage.Broadcast) Send(h.Sid, new ZabMessage(QuorumPacketType.Ping, _lastProposedZxid));
            }
        }
        if (dead is not null)
            foreach (var h in dead) DropLearner(h, "no packet within the limit");
        if (!_config.IsQuorum(synced)) StartLooking("not sufficient followers synced, only synced with a minority");
    }
}
