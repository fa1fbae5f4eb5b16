using Coord.Zab;
using Coord.Zab.Core;

namespace Coord.Tests.Zab.Simulation;

/// <summary>The faults one seed enables (swarm testing: each seed draws its own mix and intensities).</summary>
public sealed record SimOptions(int Nodes, bool Crashes, bool CrashMidStep, bool Partitions, double DropPerMessage,
    bool ForceSnapshotSync, int ChaosMs, int QuietMs)
{
    public static SimOptions ForSeed(ulong seed)
    {
        var r = new SimRandom(seed ^ 0x5EED5EED5EED5EEDUL);
        return new SimOptions(
            Nodes: r.Chance(0.7) ? 3 : 5,
            Crashes: r.Chance(0.7),
            CrashMidStep: r.Chance(0.5),
            Partitions: r.Chance(0.6),
            DropPerMessage: r.Chance(0.5) ? 0 : r.Chance(0.5) ? 0.001 : 0.01,
            ForceSnapshotSync: r.Chance(0.2),
            ChaosMs: r.Between(5_000, 20_000),
            QuietMs: 20_000);
    }

    public override string ToString() =>
        $"nodes={Nodes} crashes={Crashes} crashMidStep={CrashMidStep} partitions={Partitions} drop={DropPerMessage} " +
        $"forceSnap={ForceSnapshotSync} chaos={ChaosMs}ms quiet={QuietMs}ms";
}

/// <summary>
/// A seeded discrete-event simulation of a Zab ensemble built from <see cref="ZabPeer"/> cores: virtual time in ms,
/// one tick per peer every <see cref="TickMs"/>, FIFO connections with random delays that die whole (a dropped message
/// kills its connection and everything after it, as TCP does), partitions as groups of nodes, crashes that keep each
/// node's durable state plus a random prefix of its unsynced log tail, and an election that elects, within a group,
/// the best vote (currentEpoch, last logged zxid, sid) among a quorum of LOOKING peers, or has a LOOKING peer join
/// the group's serving leader — the outcome Fast Leader Election produces.
/// <para>Checked after every delivery: all servers deliver one sequence (PrefixConsistency, Agreement, TotalOrder),
/// zxids increase, every delivered txn was proposed by a leader (Integrity), at most one leader is established per
/// epoch (Leadership). Checked at the end, after a quiet phase with every node up and connected: a leader serves,
/// writes commit again (liveness), every node delivered and durably logged the whole sequence, and logs are contiguous
/// within each epoch (ZOOKEEPER-4925).</para>
/// </summary>
public sealed class ZabSimulator
{
    public const int TickMs = 100;
    private const int ElectionDelayMs = 200;
    private const int ConnectTimeoutMs = 50;

    private sealed class Node(int id)
    {
        public readonly int Id = id;
        public ZabPeer? Peer;
        public int Incarnation;
        public long AcceptedEpoch, CurrentEpoch;
        public List<Proposal> Durable = [];
        public List<Proposal> Volatile = [];
        public int Group;
        public long LookingSince;
        public int Delivered;
        public bool Up => Peer is not null;
    }

    private sealed class Conn(long id, int a, int b, bool alive)
    {
        public readonly long Id = id;
        public readonly int A = a, B = b;
        public bool Alive = alive;
        /// <summary>Closed by an endpoint (close() or its process dying): what it sent before still arrives, then the
        /// end of the stream. A cut (partition, dropped message) loses what was in flight instead.</summary>
        public bool Flushing;
        public long LastArrivalAtA, LastArrivalAtB;
    }

    private readonly ulong _seed;
    private readonly SimOptions _o;
    private readonly SimRandom _r;
    private readonly ZabConfig _config;
    private readonly Node[] _nodes;
    private readonly Dictionary<(int, int), Conn> _conns = [];
    private readonly PriorityQueue<Action, (long, long)> _events = new();
    private readonly List<ZabAction> _actions = [];
    private readonly List<Proposal> _committed = []; // G: the one delivered sequence
    private readonly HashSet<Proposal> _proposed = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<long, int> _leaderOfEpoch = [];
    private readonly List<string>? _trace;
    private long _now, _seq, _nextConnId = 1;
    private int _writeCounter;
    private bool _chaos = true;
    private int _committedAtHeal;

    public ZabSimulator(ulong seed, SimOptions? options = null, bool trace = false)
    {
        _seed = seed;
        _o = options ?? SimOptions.ForSeed(seed);
        _r = new SimRandom(seed);
        _config = new ZabConfig([.. Enumerable.Range(1, _o.Nodes)]) { ForceSnapshotSync = _o.ForceSnapshotSync };
        _nodes = [.. Enumerable.Range(1, _o.Nodes).Select(i => new Node(i))];
        _trace = trace ? [] : null;
    }

    public SimOptions Options => _o;
    public int CommittedCount => _committed.Count;
    public long EventsRun { get; private set; }
    public IReadOnlyList<string> Trace => _trace ?? [];
    /// <summary>How often each notable thing happened (message types received, crashes, elections), so tests can show
    /// the seeds reached the paths they are meant to exercise.</summary>
    public Dictionary<string, int> Stats { get; } = [];

    private void Count(string what) => Stats[what] = Stats.GetValueOrDefault(what) + 1;

    /// <summary>Runs the whole scenario; throws <see cref="SimulationFailure"/> when an invariant breaks.</summary>
    public void Run()
    {
        foreach (var n in _nodes) Start(n);
        At(_r.Between(0, TickMs), Elect);
        At(_r.Between(0, 50), ClientWrite);
        if (_o.Crashes || _o.Partitions || _o.DropPerMessage > 0) At(_r.Between(500, 2000), Fault);
        At(_o.ChaosMs, Heal);
        long end = (long)_o.ChaosMs + _o.QuietMs;
        while (_events.TryDequeue(out var e, out var key) && key.Item1 <= end)
        {
            _now = key.Item1;
            EventsRun++;
            try { e(); }
            catch (ZabInvariantException ex) { Fail(ex.Message); }
            catch (Exception ex) when (ex is not SimulationFailure) { Fail($"{ex.GetType().Name}: {ex.Message}\n{ex.StackTrace}"); }
        }
        CheckFinalState();
    }

    private void At(long delayMs, Action e) => _events.Enqueue(e, (_now + delayMs, _seq++));

    private void Log(string line)
    {
        if (_trace is null) return;
        _trace.Add($"{_now,7} {line}");
        if (_trace.Count > 400) _trace.RemoveRange(0, 100);
    }

    private void Fail(string what) => throw new SimulationFailure(_seed, _o, what, _now);

    // ---- nodes --------------------------------------------------------------------------------------------

    private void Start(Node n)
    {
        n.Volatile = [.. n.Durable];
        n.Peer = new ZabPeer(n.Id, _config, n.AcceptedEpoch, n.CurrentEpoch, n.Durable);
        n.Incarnation++;
        n.Delivered = 0;
        n.LookingSince = _now;
        Log($"start {n.Id} (inc {n.Incarnation}) epochs {n.AcceptedEpoch}/{n.CurrentEpoch} log {Zxid.ToHex(n.Peer.LastLoggedZxid)}");
        int inc = n.Incarnation;
        At(_r.Between(1, TickMs), () => TickNode(n, inc));
    }

    private void TickNode(Node n, int inc)
    {
        if (n.Incarnation != inc || !n.Up) return;
        Step(n, () => n.Peer!.Tick(_actions));
        if (n.Incarnation == inc && n.Up) At(TickMs, () => TickNode(n, inc));
    }

    private void Crash(Node n)
    {
        Log($"crash {n.Id}");
        Count("crash");
        n.Peer = null;
        foreach (var c in _conns.Values.Where(c => c.Alive && (c.A == n.Id || c.B == n.Id)).ToList())
            Close(c, notify: c.A == n.Id ? c.B : c.A);
        // The disk keeps what was synced, plus possibly part of an unsynced tail that extends it.
        bool extends = n.Volatile.Count >= n.Durable.Count;
        for (int i = 0; extends && i < n.Durable.Count; i++) extends = ReferenceEquals(n.Volatile[i], n.Durable[i]);
        if (extends && n.Volatile.Count > n.Durable.Count)
            n.Durable = [.. n.Volatile.Take(n.Durable.Count + _r.Between(0, n.Volatile.Count - n.Durable.Count))];
    }

    /// <summary>Gives one input to a node's core and carries out its actions in order (maybe crashing midway).</summary>
    private void Step(Node n, Action input)
    {
        _actions.Clear();
        input();
        int crashAfter = _chaos && _o.CrashMidStep && _actions.Count > 0 && _r.Chance(0.002) ? _r.Next(_actions.Count) : -1;
        var actions = _actions.ToArray();
        for (int i = 0; i < actions.Length; i++)
        {
            if (i == crashAfter) { Count("crash mid-step"); Log($"crash {n.Id} after {i} of {actions.Length} actions"); Crash(n); ScheduleRestart(n); return; }
            Carry(n, actions[i]);
        }
    }

    private void Carry(Node n, ZabAction a)
    {
        switch (a.Kind)
        {
            case ZabActionKind.Send: SendMessage(n.Id, a.Peer, a.Message!); break;
            case ZabActionKind.Connect: Connect(n.Id, a.Peer); break;
            case ZabActionKind.Disconnect:
                if (_conns.TryGetValue(Key(n.Id, a.Peer), out var c) && c.Alive) Close(c, notify: a.Peer);
                break;
            case ZabActionKind.AppendLog:
                if (n.Volatile.Count > 0 && a.Txn!.Zxid <= n.Volatile[^1].Zxid)
                    Fail($"node {n.Id} appended {a.Txn} after {n.Volatile[^1]}");
                n.Volatile.Add(a.Txn!);
                break;
            case ZabActionKind.TruncateLog:
                n.Volatile.RemoveAll(p => p.Zxid > a.Zxid);
                break;
            case ZabActionKind.ReplaceLog: n.Volatile = [.. a.Snapshot!]; break;
            case ZabActionKind.SyncLog: n.Durable = [.. n.Volatile]; break;
            case ZabActionKind.PersistAcceptedEpoch: n.AcceptedEpoch = a.Epoch; break;
            case ZabActionKind.PersistCurrentEpoch: n.CurrentEpoch = a.Epoch; break;
            case ZabActionKind.Deliver: Delivered(n, a.Txn!); break;
            case ZabActionKind.StartLooking:
                n.LookingSince = _now;
                Log($"{n.Id} looking: {a.Reason}");
                Count("looking: " + a.Reason);
                break;
            case ZabActionKind.Serving:
                if (n.Peer!.Role == ZabRole.Leading)
                {
                    long epoch = n.Peer.CurrentEpoch;
                    if (_leaderOfEpoch.TryGetValue(epoch, out var other) && other != n.Id)
                        Fail($"Leadership: epoch {epoch} established by both {other} and {n.Id}");
                    _leaderOfEpoch[epoch] = n.Id;
                }
                Log($"{n.Id} serving as {n.Peer.Role} (epoch {n.Peer.CurrentEpoch}, delivered {Zxid.ToHex(n.Peer.LastDeliveredZxid)})");
                break;
        }
    }

    private void Delivered(Node n, Proposal p)
    {
        if (!_proposed.Contains(p)) Fail($"Integrity: node {n.Id} delivered {p}, which no leader proposed");
        int k = n.Delivered++;
        if (k < _committed.Count)
        {
            if (!ReferenceEquals(_committed[k], p))
                Fail($"PrefixConsistency: node {n.Id} delivered {p} as txn #{k}, others delivered {_committed[k]}");
        }
        else
        {
            if (_committed.Count > 0 && p.Zxid <= _committed[^1].Zxid)
                Fail($"TotalOrder: {p} delivered after {_committed[^1]}");
            _committed.Add(p);
        }
    }

    // ---- connections --------------------------------------------------------------------------------------

    private static (int, int) Key(int a, int b) => a < b ? (a, b) : (b, a);

    private bool Reachable(int a, int b) => _nodes[a - 1].Up && _nodes[b - 1].Up && _nodes[a - 1].Group == _nodes[b - 1].Group;

    private void Connect(int from, int to)
    {
        var key = Key(from, to);
        if (_conns.TryGetValue(key, out var old) && old.Alive) Close(old, notify: to);
        var c = new Conn(_nextConnId++, from, to, Reachable(from, to));
        _conns[key] = c;
        if (!c.Alive) Notify(c, from, ConnectTimeoutMs);
    }

    /// <summary>An endpoint closes <paramref name="c"/>: the other end, <paramref name="notify"/>, receives whatever
    /// was already sent to it and then learns the connection closed.</summary>
    private void Close(Conn c, int notify)
    {
        c.Alive = false;
        c.Flushing = true;
        long lastArrival = notify == c.A ? c.LastArrivalAtA : c.LastArrivalAtB;
        Notify(c, notify, (int)Math.Max(0, lastArrival - _now) + _r.Between(1, 20));
    }

    /// <summary>Tells <paramref name="who"/> that connection <paramref name="c"/> closed, unless a newer connection
    /// with the same peer replaced it meanwhile (a socket's end reaches only the handler that owned it).</summary>
    private void Notify(Conn c, int who, int delayMs)
    {
        var n = _nodes[who - 1];
        int inc = n.Incarnation;
        int other = c.A == who ? c.B : c.A;
        At(delayMs, () =>
        {
            if (!n.Up || n.Incarnation != inc) return;
            if (_conns.TryGetValue(Key(who, other), out var current) && current != c && current.Alive) return;
            Step(n, () => n.Peer!.Disconnected(other, _actions));
        });
    }

    private void SendMessage(int from, int to, ZabMessage m)
    {
        if (!_conns.TryGetValue(Key(from, to), out var c) || !c.Alive) return;
        if (_chaos && _o.DropPerMessage > 0 && _r.Chance(_o.DropPerMessage))
        {
            Log($"drop {from}->{to} {m}: connection killed");
            c.Alive = false;
            Notify(c, from, _r.Between(1, 20));
            Notify(c, to, _r.Between(1, 20));
            return;
        }
        long arrival = _now + _r.Between(1, 10);
        if (to == c.A) { arrival = Math.Max(arrival, c.LastArrivalAtA); c.LastArrivalAtA = arrival; }
        else { arrival = Math.Max(arrival, c.LastArrivalAtB); c.LastArrivalAtB = arrival; }
        var target = _nodes[to - 1];
        At(arrival - _now, () =>
        {
            if (!(c.Alive || c.Flushing) || !target.Up) return;
            Log($"{from}->{to} {m}");
            Count(m.Type.ToString());
            Step(target, () => target.Peer!.Receive(from, m, _actions));
        });
    }

    // ---- election, workload and faults ---------------------------------------------------------------------

    private void Elect()
    {
        At(TickMs, Elect);
        foreach (var group in _nodes.Where(n => n.Up).GroupBy(n => n.Group))
        {
            var lookers = group.Where(n => n.Peer!.Role == ZabRole.Looking && _now - n.LookingSince >= ElectionDelayMs).ToList();
            if (lookers.Count == 0) continue;
            var leader = group.FirstOrDefault(n => n.Peer!.Role == ZabRole.Leading && n.Peer.IsServing);
            if (leader is not null)
            {
                foreach (var n in lookers) Follow(n, leader);
                continue;
            }
            if (!_config.IsQuorum(lookers.Count)) continue;
            var best = lookers.MaxBy(n => (n.Peer!.CurrentEpoch, n.Peer.LastLoggedZxid, n.Id))!;
            Count("election");
            Log($"elected {best.Id} by {string.Join(",", lookers.Select(n => n.Id))}");
            Step(best, () => best.Peer!.BecomeLeader(_actions));
            foreach (var n in lookers) if (n != best && n.Up) Follow(n, best);
        }
    }

    private void Follow(Node n, Node leader)
    {
        if (!n.Up) return;
        Step(n, () => n.Peer!.BecomeFollower(leader.Id, _actions));
    }

    private void ClientWrite()
    {
        At(_r.Between(2, 30), ClientWrite);
        if (_now > _o.ChaosMs + _o.QuietMs / 2) return; // the end of the quiet phase lets the last writes commit
        var leaders = _nodes.Where(n => n.Up && n.Peer!.Role == ZabRole.Leading && n.Peer.IsServing).ToList();
        if (leaders.Count == 0) return;
        var l = leaders[_r.Next(leaders.Count)];
        var data = BitConverter.GetBytes(++_writeCounter);
        Step(l, () =>
        {
            long zxid = l.Peer!.Propose(data, _actions);
            if (zxid > 0) _proposed.Add(l.Peer.Log[^1]);
        });
    }

    private void Fault()
    {
        if (!_chaos) return;
        At(_r.Between(200, 2500), Fault);
        int kind = _r.Next(3);
        if (kind == 0 && _o.Crashes)
        {
            var up = _nodes.Where(n => n.Up).ToList();
            if (up.Count == 0) return;
            // Prefer the leader now and then: leader crashes are where recovery is exercised.
            var victim = _r.Chance(0.5) ? up.FirstOrDefault(n => n.Peer!.Role == ZabRole.Leading) ?? up[_r.Next(up.Count)] : up[_r.Next(up.Count)];
            Crash(victim);
            ScheduleRestart(victim);
        }
        else if (kind == 1 && _o.Partitions)
        {
            foreach (var n in _nodes) n.Group = _r.Next(2);
            Log($"partition: {string.Join(" ", _nodes.Select(n => $"{n.Id}:{n.Group}"))}");
            CutAcrossGroups();
        }
        else if (kind == 2 && _o.Partitions)
        {
            foreach (var n in _nodes) n.Group = 0;
            Log("partition healed");
        }
    }

    private void ScheduleRestart(Node n) => At(_r.Between(100, 3000), () => { if (!n.Up) Start(n); });

    private void CutAcrossGroups()
    {
        foreach (var c in _conns.Values.Where(c => c.Alive && _nodes[c.A - 1].Group != _nodes[c.B - 1].Group).ToList())
        {
            c.Alive = false;
            Notify(c, c.A, _r.Between(1, 20));
            Notify(c, c.B, _r.Between(1, 20));
        }
    }

    private void Heal()
    {
        _chaos = false;
        _committedAtHeal = _committed.Count;
        Log("heal: faults stop, every node up and connected");
        foreach (var n in _nodes) n.Group = 0;
        foreach (var n in _nodes) if (!n.Up) Start(n);
    }

    // ---- final checks ---------------------------------------------------------------------------------------

    private void CheckFinalState()
    {
        var leaders = _nodes.Where(n => n.Up && n.Peer!.Role == ZabRole.Leading && n.Peer.IsServing).ToList();
        if (leaders.Count != 1) Fail($"liveness: {leaders.Count} serving leaders after the quiet phase");
        foreach (var n in _nodes)
        {
            var p = n.Peer!;
            if (!p.IsServing) Fail($"liveness: node {n.Id} is not serving after the quiet phase ({p.Role})");
            if (n.Delivered != _committed.Count)
                Fail($"convergence: node {n.Id} delivered {n.Delivered} txns, the ensemble {_committed.Count}");
            if (n.Durable.Count != _committed.Count)
                Fail($"durability: node {n.Id} has {n.Durable.Count} txns durably logged, the ensemble delivered {_committed.Count}");
            for (int i = 0; i < _committed.Count; i++)
                if (!ReferenceEquals(n.Durable[i], _committed[i])) Fail($"node {n.Id}'s log differs at #{i}: {n.Durable[i]} vs {_committed[i]}");
        }
        for (int i = 1; i < _committed.Count; i++)
        {
            long a = _committed[i - 1].Zxid, b = _committed[i].Zxid;
            bool contiguous = Zxid.EpochOf(a) == Zxid.EpochOf(b) ? Zxid.CounterOf(b) == Zxid.CounterOf(a) + 1 : Zxid.CounterOf(b) == 1;
            if (!contiguous) Fail($"contiguity: {Zxid.ToHex(b)} follows {Zxid.ToHex(a)}");
        }
        if (_committed.Count > 0 && Zxid.CounterOf(_committed[0].Zxid) != 1) Fail($"contiguity: history starts at {_committed[0]}");
        if (_committed.Count <= _committedAtHeal) Fail("liveness: no write committed after the faults stopped");
    }

}

public sealed class SimulationFailure(ulong seed, SimOptions options, string what, long atMs)
    : Exception($"{what}\n  at {atMs} ms of seed {seed} ({options})\n  replay: SIM_SEED={seed} dotnet test Coord.Tests -c Release --filter \"FullyQualifiedName~ZabSimulationTests.ReplaySeed\"")
{
    public ulong Seed { get; } = seed;
}
