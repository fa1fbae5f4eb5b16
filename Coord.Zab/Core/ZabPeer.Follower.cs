namespace Coord.Zab.Core;

// The follower's side (ZooKeeper's Learner.registerWithLeader / syncWithLeader / Follower.processPacket),
// quorum-protocol.md §4.4–4.11, persisting in 3.8.5's order (§4.9):
//
//   connect     FOLLOWERINFO(acceptedEpoch)
//   LEADERINFO  newEpoch > acceptedEpoch: persist acceptedEpoch, ACKEPOCH(currentEpoch); equal: ACKEPOCH(−1);
//               smaller: back to LOOKING
//   sync        DIFF / TRUNC / SNAP, then PROPOSALs (buffered) and COMMITs (remembered)
//   NEWLEADER   append the buffered txns, fsync, persist currentEpoch, then ACK(newEpoch << 32)
//   UPTODATE    ACK(newEpoch << 32), ACK the txns logged at NEWLEADER, log + ACK those received since, deliver
//               everything up to the last remembered commit, serve
//   broadcast   PROPOSAL: log, fsync, ACK. COMMIT: must name the oldest undelivered txn; deliver it.
public sealed partial class ZabPeer
{
    private enum FollowStage { Registering, Syncing, AwaitingUpToDate, Broadcast }

    private int _leaderId;
    private FollowStage _followStage;
    private long _lastHeardTick;
    /// <summary>The epoch LEADERINFO announced.</summary>
    private long _syncEpoch;
    /// <summary>Highest zxid known committed during sync: DIFF/TRUNC/SNAP's zxid and every COMMIT.</summary>
    private long _syncCommittedZxid;
    /// <summary>PROPOSALs received during sync, logged at NEWLEADER (before) or UPTODATE (after).</summary>
    private readonly List<Proposal> _syncBuffer = [];
    /// <summary>Txns logged at NEWLEADER, ACKed after UPTODATE.</summary>
    private readonly List<long> _ackAfterUpToDate = [];

    /// <summary>The election chose <paramref name="leader"/>: dial it and register.</summary>
    public void BecomeFollower(int leader, List<ZabAction> actions)
    {
        _out = actions;
        if (leader == Id) throw new ArgumentException("a peer cannot follow itself", nameof(leader));
        if (Role != ZabRole.Looking) StartLooking("re-elected");
        Role = ZabRole.Following;
        _leaderId = leader;
        _followStage = FollowStage.Registering;
        _lastHeardTick = _tick;
        Emit(new ZabAction(ZabActionKind.Connect, Peer: leader));
        Send(leader, new ZabMessage(QuorumPacketType.FollowerInfo, Zxid.Make(AcceptedEpoch, 0)));
    }

    private void ResetFollowerState()
    {
        _leaderId = 0;
        _syncBuffer.Clear();
        _ackAfterUpToDate.Clear();
        _syncCommittedZxid = 0;
    }

    private void FollowerReceive(ZabMessage m)
    {
        _lastHeardTick = _tick;
        switch (_followStage)
        {
            case FollowStage.Registering:
                if (m.Type != QuorumPacketType.LeaderInfo) { StartLooking($"expected LEADERINFO, got {m.Type}"); return; }
                OnLeaderInfo(m);
                return;
            case FollowStage.Syncing:
            case FollowStage.AwaitingUpToDate:
                OnSyncPacket(m);
                return;
            default:
                OnBroadcastPacket(m);
                return;
        }
    }

    private void OnLeaderInfo(ZabMessage m)
    {
        long newEpoch = Zxid.EpochOf(m.Zxid);
        int epochField;
        if (newEpoch > AcceptedEpoch)
        {
            AcceptedEpoch = newEpoch;
            Emit(new ZabAction(ZabActionKind.PersistAcceptedEpoch, Epoch: newEpoch));
            epochField = (int)CurrentEpoch;
        }
        else if (newEpoch == AcceptedEpoch) epochField = -1;
        else
        {
            StartLooking($"leader's epoch {newEpoch} is less than our accepted epoch {AcceptedEpoch}");
            return;
        }
        _syncEpoch = newEpoch;
        _followStage = FollowStage.Syncing;
        Send(_leaderId, new ZabMessage(QuorumPacketType.AckEpoch, LastLoggedZxid, Epoch: epochField));
    }

    private void OnSyncPacket(ZabMessage m)
    {
        switch (m.Type)
        {
            case QuorumPacketType.Diff when _followStage == FollowStage.Syncing:
                // ZOOKEEPER-2355: DIFF's zxid is not adopted as our last zxid; we reach it by logging what follows.
                _syncCommittedZxid = Math.Max(_syncCommittedZxid, m.Zxid);
                return;
            case QuorumPacketType.Trunc when _followStage == FollowStage.Syncing:
                if (m.Zxid != 0 && IndexOf(m.Zxid) < 0) { StartLooking($"TRUNC to {Zxid.ToHex(m.Zxid)}, which is not in our log"); return; }
                int keep = m.Zxid == 0 ? 0 : IndexOf(m.Zxid) + 1;
                if (keep < _delivered)
                    throw new ZabInvariantException($"peer {Id}: TRUNC to {Zxid.ToHex(m.Zxid)} would remove delivered txn {_log[keep]}");
                _log.RemoveRange(keep, _log.Count - keep);
                Emit(new ZabAction(ZabActionKind.TruncateLog, Zxid: m.Zxid));
                _syncCommittedZxid = Math.Max(_syncCommittedZxid, m.Zxid);
                return;
            case QuorumPacketType.Snap when _followStage == FollowStage.Syncing && m.Snapshot is not null:
                for (int i = 0; i < _delivered; i++)
                    if (i >= m.Snapshot.Count || m.Snapshot[i] != _log[i])
                        throw new ZabInvariantException($"peer {Id}: SNAP up to {Zxid.ToHex(m.Zxid)} lacks delivered txn {_log[i]}");
                _log.Clear();
                _log.AddRange(m.Snapshot);
                Emit(new ZabAction(ZabActionKind.ReplaceLog, Zxid: m.Zxid, Snapshot: m.Snapshot));
                _syncCommittedZxid = Math.Max(_syncCommittedZxid, m.Zxid);
                return;
            case QuorumPacketType.Proposal when m.Txn is not null:
                long last = _syncBuffer.Count > 0 ? _syncBuffer[^1].Zxid : LastLoggedZxid;
                if (m.Txn.Zxid <= last) { StartLooking($"proposal {m.Txn} is not after {Zxid.ToHex(last)}"); return; }
                _syncBuffer.Add(m.Txn);
                return;
            case QuorumPacketType.Commit:
                _syncCommittedZxid = Math.Max(_syncCommittedZxid, m.Zxid);
                return;
            case QuorumPacketType.NewLeader when _followStage == FollowStage.Syncing:
                if (Zxid.EpochOf(m.Zxid) != _syncEpoch) { StartLooking("NEWLEADER for another epoch"); return; }
                foreach (var p in _syncBuffer) _ackAfterUpToDate.Add(p.Zxid);
                LogSyncBuffer();
                Emit(new ZabAction(ZabActionKind.SyncLog));
                CurrentEpoch = _syncEpoch;
                Emit(new ZabAction(ZabActionKind.PersistCurrentEpoch, Epoch: _syncEpoch));
                Send(_leaderId, new ZabMessage(QuorumPacketType.Ack, m.Zxid));
                _followStage = FollowStage.AwaitingUpToDate;
                return;
            case QuorumPacketType.UpToDate when _followStage == FollowStage.AwaitingUpToDate:
                OnUpToDate();
                return;
            case QuorumPacketType.Ping:
                return; // never answered before UPTODATE (§8: Java learners ignore them)
            default:
                StartLooking($"unexpected {m.Type} while syncing");
                return;
        }
    }

    private void LogSyncBuffer()
    {
        foreach (var p in _syncBuffer)
        {
            _log.Add(p);
            Emit(new ZabAction(ZabActionKind.AppendLog, Txn: p));
        }
        _syncBuffer.Clear();
    }

    private void OnUpToDate()
    {
        var ackZxid = Zxid.Make(_syncEpoch, 0);
        Send(_leaderId, new ZabMessage(QuorumPacketType.Ack, ackZxid));
        foreach (var z in _ackAfterUpToDate) Send(_leaderId, new ZabMessage(QuorumPacketType.Ack, z));
        _ackAfterUpToDate.Clear();
        if (_syncBuffer.Count > 0)
        {
            var late = _syncBuffer.ToArray();
            LogSyncBuffer();
            Emit(new ZabAction(ZabActionKind.SyncLog));
            foreach (var p in late) Send(_leaderId, new ZabMessage(QuorumPacketType.Ack, p.Zxid));
        }
        _followStage = FollowStage.Broadcast;
        int upTo = SyncPlanner.LowerBound(_log, _log.Count, _syncCommittedZxid + 1);
        Deliver(upTo);
        Emit(new ZabAction(ZabActionKind.Serving));
    }

    private void OnBroadcastPacket(ZabMessage m)
    {
        switch (m.Type)
        {
            case QuorumPacketType.Proposal when m.Txn is not null:
                if (m.Txn.Zxid <= LastLoggedZxid) { StartLooking($"proposal {m.Txn} is not after {Zxid.ToHex(LastLoggedZxid)}"); return; }
                _log.Add(m.Txn);
                Emit(new ZabAction(ZabActionKind.AppendLog, Txn: m.Txn));
                Emit(new ZabAction(ZabActionKind.SyncLog));
                Send(_leaderId, new ZabMessage(QuorumPacketType.Ack, m.Txn.Zxid));
                return;
            case QuorumPacketType.Commit:
                if (m.Zxid <= LastDeliveredZxid) return; // nothing pending for it: logged and ignored by ZooKeeper
                if (_delivered >= _log.Count || _log[_delivered].Zxid != m.Zxid)
                {
                    // FollowerZooKeeperServer exits the process (UNMATCHED_TXN_COMMIT); a correct leader never does this.
                    throw new ZabInvariantException($"peer {Id}: COMMIT {Zxid.ToHex(m.Zxid)} does not match the oldest pending txn " +
                        (_delivered < _log.Count ? _log[_delivered].ToString() : "(none)"));
                }
                Deliver(_delivered + 1);
                return;
            case QuorumPacketType.Ping:
                Send(_leaderId, new ZabMessage(QuorumPacketType.Ping, m.Zxid));
                return;
            default:
                return;
        }
    }

    private void FollowerTick()
    {
        int limit = _followStage == FollowStage.Broadcast ? _config.SyncLimitTicks : _config.InitLimitTicks;
        if (_tick - _lastHeardTick > limit) StartLooking("no packet from the leader within the limit");
    }
}

/// <summary>A Zab safety property would be broken (a delivered txn lost, a commit out of order). In production this is
/// fatal for the process, as ZooKeeper exits on UNMATCHED_TXN_COMMIT; the simulator reports it with its seed.</summary>
public sealed class ZabInvariantException(string message) : Exception(message);
