namespace Coord.Zab.Core;

/// <summary>
/// One ensemble member's Zab protocol (discovery, synchronization, broadcast) as a pure, deterministic state machine:
/// no sockets, clocks, threads or randomness. Inputs are method calls (<see cref="BecomeLeader"/>,
/// <see cref="BecomeFollower"/>, <see cref="Receive"/>, <see cref="Disconnected"/>, <see cref="Tick"/>,
/// <see cref="Propose"/>); every effect is appended to the caller's action list (<see cref="ZabAction"/>), which the
/// host carries out in order before giving the next input. Production maps actions to the quorum port, the txn log
/// and the epoch files; the simulator in Coord.Tests maps them to a seeded event queue with crashes, partitions and
/// connection drops, and checks Zab's invariants after every step.
/// <para>The election is not part of this class: Fast Leader Election (or the simulator's stand-in for it) decides
/// who leads and calls <see cref="BecomeLeader"/> / <see cref="BecomeFollower"/>; the vote it needs is
/// (<see cref="CurrentEpoch"/>, <see cref="LastLoggedZxid"/>, <see cref="Id"/>).</para>
/// <para>The protocol is ZooKeeper 3.8's as written down in quorum-protocol.md §4–5 (packet names, epoch rules,
/// DIFF/TRUNC/SNAP, NEWLEADER/UPTODATE), with the learner persisting in 3.8.5's order (§4.9: txns durable, then
/// currentEpoch, then the NEWLEADER ACK).</para>
/// <para>The history is kept whole in memory (<see cref="Log"/>); bounding it (ZooKeeper's committedLog of 500 plus
/// the on-disk log, SNAP beyond) is for when the core drives the server's ZKDatabase.</para>
/// </summary>
public sealed partial class ZabPeer
{
    private readonly ZabConfig _config;
    private readonly List<Proposal> _log;
    /// <summary>How many txns of <see cref="_log"/> this incarnation has delivered (applied); always a prefix.</summary>
    private int _delivered;
    private long _tick;
    private List<ZabAction> _out = null!;

    /// <param name="log">The txn log as recovered from disk (zxid order).</param>
    public ZabPeer(int id, ZabConfig config, long acceptedEpoch = 0, long currentEpoch = 0, IEnumerable<Proposal>? log = null)
    {
        if (acceptedEpoch < currentEpoch)
            throw new ArgumentException($"acceptedEpoch {acceptedEpoch} is less than currentEpoch {currentEpoch}", nameof(acceptedEpoch));
        Id = id;
        _config = config;
        AcceptedEpoch = acceptedEpoch;
        CurrentEpoch = currentEpoch;
        _log = log is null ? [] : [.. log];
        for (int i = 1; i < _log.Count; i++)
            if (_log[i].Zxid <= _log[i - 1].Zxid) throw new ArgumentException($"log not in zxid order at {i}", nameof(log));
    }

    public int Id { get; }
    public ZabRole Role { get; private set; } = ZabRole.Looking;
    /// <summary>The epoch this peer last promised to follow (acceptedEpoch file).</summary>
    public long AcceptedEpoch { get; private set; }
    /// <summary>The epoch this peer last synced with (currentEpoch file); the election votes with it.</summary>
    public long CurrentEpoch { get; private set; }
    public long LastLoggedZxid => _log.Count == 0 ? 0 : _log[^1].Zxid;
    public long LastDeliveredZxid => _delivered == 0 ? 0 : _log[_delivered - 1].Zxid;
    public int DeliveredCount => _delivered;
    public IReadOnlyList<Proposal> Log => _log;
    /// <summary>Leading with an established epoch, or following after UPTODATE: client requests can be served.</summary>
    public bool IsServing => Role == ZabRole.Leading ? _established : Role == ZabRole.Following && _followStage == FollowStage.Broadcast;
    /// <summary>The leader this peer follows (or itself when leading); 0 when looking.</summary>
    public int LeaderId => Role == ZabRole.Leading ? Id : Role == ZabRole.Following ? _leaderId : 0;

    /// <summary>A message from <paramref name="from"/> on the current connection with it.</summary>
    public void Receive(int from, ZabMessage message, List<ZabAction> actions)
    {
        _out = actions;
        if (Role == ZabRole.Leading) LeaderReceive(from, message);
        else if (Role == ZabRole.Following && from == _leaderId) FollowerReceive(message);
    }

    /// <summary>The connection with <paramref name="peer"/> closed (or the host gave up dialling it).</summary>
    public void Disconnected(int peer, List<ZabAction> actions)
    {
        _out = actions;
        if (Role == ZabRole.Leading) _learners.Remove(peer);
        else if (Role == ZabRole.Following && peer == _leaderId) StartLooking("connection to the leader closed");
    }

    /// <summary>One tickTime passed.</summary>
    public void Tick(List<ZabAction> actions)
    {
        _out = actions;
        _tick++;
        if (Role == ZabRole.Leading) LeaderTick();
        else if (Role == ZabRole.Following) FollowerTick();
    }

    /// <summary>Leaves the current role (the host's shutdown, or the election restarting).</summary>
    public void Stop(string reason, List<ZabAction> actions)
    {
        _out = actions;
        if (Role != ZabRole.Looking) StartLooking(reason);
    }

    private void StartLooking(string reason)
    {
        if (Role == ZabRole.Leading)
        {
            foreach (var h in _learners.Values) Emit(new ZabAction(ZabActionKind.Disconnect, Peer: h.Sid));
            ResetLeaderState();
        }
        else if (Role == ZabRole.Following)
        {
            Emit(new ZabAction(ZabActionKind.Disconnect, Peer: _leaderId));
            ResetFollowerState();
        }
        Role = ZabRole.Looking;
        Emit(new ZabAction(ZabActionKind.StartLooking, Reason: reason));
    }

    private void Emit(in ZabAction action) => _out.Add(action);

    private void Send(int peer, ZabMessage message) => _out.Add(new ZabAction(ZabActionKind.Send, Peer: peer, Message: message));

    private void Deliver(int upTo)
    {
        for (; _delivered < upTo; _delivered++) Emit(new ZabAction(ZabActionKind.Deliver, Txn: _log[_delivered]));
    }

    /// <summary>Index of the txn with this zxid in the log, or −1.</summary>
    private int IndexOf(long zxid)
    {
        int i = SyncPlanner.LowerBound(_log, _log.Count, zxid);
        return i < _log.Count && _log[i].Zxid == zxid ? i : -1;
    }
}
