using BenchmarkDotNet.Attributes;
using Coord.Protocol;
using Coord.Protocol.Records;
using Coord.Server.Data;
using Coord.Server.Watches;

namespace Coord.Benchmarks;

/// <summary>
/// One setData on a node watched by 10,000 watchers (distinct connections), applied with ProcessTxn so the events
/// are fired from the tree as in the server. Figures are per delivered event. One-shot watches are removed when they
/// fire, so that case re-registers all 10,000 first (the cost of a herd re-arming its watches is part of it).
/// The recursive case watches the parent and changes a child, so the trigger walks up the path.
/// </summary>
[MemoryDiagnoser]
public class WatchFanOutBenchmarks
{
    public const int Watchers = 10_000;

    public sealed class CountingWatcher : IWatcher
    {
        public long Events;
        public void Process(EventType type, string path, IReadOnlyList<Acl>? nodeAcl) => Events++;
    }

    private DataTree _tree = null!;
    private CountingWatcher[] _watchers = [];
    private SetDataTxn _setWatched = null!;
    private long _zxid;

    private void Build(string watchedPath, Action<DataTree, CountingWatcher> register)
    {
        _tree = new DataTree();
        _tree.ProcessTxn(Header(OpCode.Create), new CreateTxn("/w", [], Acl.OpenAclUnsafe, false, -1));
        _tree.ProcessTxn(Header(OpCode.Create), new CreateTxn("/w/child", [], Acl.OpenAclUnsafe, false, -1));
        _watchers = new CountingWatcher[Watchers];
        for (int i = 0; i < Watchers; i++) register(_tree, _watchers[i] = new CountingWatcher());
        _setWatched = new SetDataTxn(watchedPath, [1, 2, 3], 1);
        // Sanity check: one change reaches every watcher exactly once.
        Fire();
        if (_watchers.Any(w => w.Events != 1)) throw new InvalidOperationException("fan-out did not reach every watcher once");
    }

    private TxnHeader Header(int type) { long z = ++_zxid; return new TxnHeader(0x100, 1, z, z, type); }

    private void Fire() => _tree.ProcessTxn(Header(OpCode.SetData), _setWatched);

    [GlobalSetup(Target = nameof(OneShot_RearmAndFire))]
    public void SetupOneShot() => Build("/w", (t, w) => t.AddDataWatch("/w", w));

    [GlobalSetup(Target = nameof(Persistent_Fire))]
    public void SetupPersistent() => Build("/w", (t, w) => t.AddPersistentWatch("/w", w, recursive: false));

    [GlobalSetup(Target = nameof(PersistentRecursive_FireOnChild))]
    public void SetupRecursive() => Build("/w/child", (t, w) => t.AddPersistentWatch("/w", w, recursive: true));

    [Benchmark(OperationsPerInvoke = Watchers)]
    public void OneShot_RearmAndFire()
    {
        foreach (var w in _watchers) _tree.AddDataWatch("/w", w);
        Fire();
    }

    [Benchmark(OperationsPerInvoke = Watchers)]
    public void Persistent_Fire() => Fire();

    [Benchmark(OperationsPerInvoke = Watchers)]
    public void PersistentRecursive_FireOnChild() => Fire();
}
