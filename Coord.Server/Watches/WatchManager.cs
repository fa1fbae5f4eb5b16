using Coord.Protocol;

namespace Coord.Server.Watches;

/// <summary>Something that receives watch events: a client connection (ZooKeeper's ServerCnxn is its Watcher).</summary>
public interface IWatcher
{
    /// <summary>Delivers an event. <paramref name="nodeAcl"/> is the ACL of the node the event is about; a watcher
    /// without READ on it is not told (3.8 filters watch delivery by the node's ACL). Null skips the check.</summary>
    void Process(EventType type, string path, IReadOnlyList<Coord.Protocol.Records.Acl>? nodeAcl);
}

public enum WatcherMode : byte { Standard, Persistent, PersistentRecursive }

/// <summary>
/// One watch table (ZooKeeper keeps two: data watches and child watches). Follows ZooKeeper 3.8's WatchManager:
/// a watcher has exactly one mode per path (the last registration wins), one-shot watches are removed when they
/// fire, persistent ones stay, and recursive ones fire for every descendant except NodeChildrenChanged.
/// A trigger delivers at most one event per watcher. Runs only on the request-processing thread.
/// </summary>
public sealed class WatchManager
{
    private readonly Dictionary<string, Dictionary<IWatcher, WatcherMode>> _watchTable = new(StringComparer.Ordinal);
    private readonly Dictionary<IWatcher, HashSet<string>> _watch2Paths = new(ReferenceEqualityComparer.Instance);
    private int _recursiveCount;
    // Reused across triggers; the processing thread is the only caller.
    private readonly HashSet<IWatcher> _fired = new(ReferenceEqualityComparer.Instance);
    private readonly List<IWatcher> _firedOrder = [];

    public int Count { get; private set; }
    public int PathCount => _watchTable.Count;

    public void AddWatch(string path, IWatcher watcher, WatcherMode mode = WatcherMode.Standard)
    {
        if (!_watchTable.TryGetValue(path, out var watchers))
        {
            watchers = new Dictionary<IWatcher, WatcherMode>(ReferenceEqualityComparer.Instance);
            _watchTable[path] = watchers;
        }
        if (watchers.TryGetValue(watcher, out var old))
        {
            if (old == WatcherMode.PersistentRecursive) _recursiveCount--;
        }
        else
        {
            Count++;
        }
        watchers[watcher] = mode;
        if (mode == WatcherMode.PersistentRecursive) _recursiveCount++;
        if (!_watch2Paths.TryGetValue(watcher, out var paths))
        {
            paths = new HashSet<string>(StringComparer.Ordinal);
            _watch2Paths[watcher] = paths;
        }
        paths.Add(path);
    }

    /// <summary>checkWatches as 3.8 answers it: true when any client has a watch on exactly this path
    /// (WatchManager.containsWatcher matches "all watcher types at the leaf node").</summary>
    public bool ContainsWatcher(string path, IWatcher watcher) =>
        _watchTable.TryGetValue(path, out var w) && w.Count > 0;

    public bool RemoveWatcher(string path, IWatcher watcher)
    {
        if (!_watchTable.TryGetValue(path, out var watchers) || !watchers.Remove(watcher, out var mode)) return false;
        Count--;
        if (mode == WatcherMode.PersistentRecursive) _recursiveCount--;
        if (watchers.Count == 0) _watchTable.Remove(path);
        if (_watch2Paths.TryGetValue(watcher, out var paths))
        {
            paths.Remove(path);
            if (paths.Count == 0) _watch2Paths.Remove(watcher);
        }
        return true;
    }

    /// <summary>Drops every watch of a closed connection.</summary>
    public void RemoveWatcher(IWatcher watcher)
    {
        if (!_watch2Paths.Remove(watcher, out var paths)) return;
        foreach (var p in paths)
        {
            if (!_watchTable.TryGetValue(p, out var watchers) || !watchers.Remove(watcher, out var mode)) continue;
            Count--;
            if (mode == WatcherMode.PersistentRecursive) _recursiveCount--;
            if (watchers.Count == 0) _watchTable.Remove(p);
        }
    }

    /// <summary>Fires the watches an event on <paramref name="path"/> triggers; returns the watchers that got it
    /// (valid until the next trigger). Watchers in <paramref name="suppress"/> are matched but not notified.</summary>
    public IReadOnlyCollection<IWatcher> Trigger(string path, EventType type, IReadOnlyList<Coord.Protocol.Records.Acl>? nodeAcl = null, IReadOnlyCollection<IWatcher>? suppress = null)
    {
        _fired.Clear();
        _firedOrder.Clear();
        if (_watchTable.Count == 0) return _firedOrder;
        bool atParent = false;
        string? local = path;
        while (local is not null)
        {
            if (_watchTable.TryGetValue(local, out var watchers))
            {
                List<IWatcher>? toRemove = null;
                foreach (var (w, mode) in watchers)
                {
                    if (mode == WatcherMode.PersistentRecursive)
                    {
                        if (type != EventType.NodeChildrenChanged && _fired.Add(w)) _firedOrder.Add(w);
                    }
                    else if (!atParent)
                    {
                        if (_fired.Add(w)) _firedOrder.Add(w);
                        if (mode == WatcherMode.Standard) (toRemove ??= []).Add(w);
                    }
                }
                if (toRemove is not null)
                {
                    foreach (var w in toRemove)
                    {
                        watchers.Remove(w);
                        Count--;
                        if (_watch2Paths.TryGetValue(w, out var paths))
                        {
                            paths.Remove(local);
                            if (paths.Count == 0) _watch2Paths.Remove(w);
                        }
                    }
                    if (watchers.Count == 0) _watchTable.Remove(local);
                }
            }
            if (_recursiveCount == 0) break;
            local = ParentOf(local);
            atParent = true;
        }
        foreach (var w in _firedOrder)
        {
            if (suppress is not null && Contains(suppress, w)) continue;
            w.Process(type, path, nodeAcl);
        }
        return _firedOrder;
    }

    private static bool Contains(IReadOnlyCollection<IWatcher> set, IWatcher w)
    {
        foreach (var x in set) if (ReferenceEquals(x, w)) return true;
        return false;
    }

    private static string? ParentOf(string path)
    {
        if (path == "/") return null;
        int i = path.LastIndexOf('/');
        return i <= 0 ? "/" : path[..i];
    }

    /// <summary>For the wchc/wchp four-letter words: watcher → paths and path → watchers.</summary>
    public IEnumerable<(IWatcher Watcher, IReadOnlyCollection<string> Paths)> ByWatcher() =>
        _watch2Paths.Select(kv => (kv.Key, (IReadOnlyCollection<string>)kv.Value));

    public IEnumerable<(string Path, IReadOnlyCollection<IWatcher> Watchers)> ByPath() =>
        _watchTable.Select(kv => (kv.Key, (IReadOnlyCollection<IWatcher>)kv.Value.Keys));
}
