using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Coord.Protocol.Records;

namespace Coord.Server.Data;

/// <summary>
/// One shared instance per distinct ACL list, with a count of the znodes using it, so a list no znode uses any more
/// is dropped (ZooKeeper's ReferenceCountedACLCache does the same with long ids). Every decoded create request carries
/// its own list object and its own scheme and id strings, about 150 B for the usual single "world:anyone" entry;
/// without sharing, each znode would keep that copy for its whole life. Nodes hold the shared list itself, not an
/// id, so an ACL check on a read costs no lookup. Single-threaded, like the tree.
/// </summary>
public sealed class AclCache
{
    private sealed class Entry(IReadOnlyList<Acl> shared)
    {
        public readonly IReadOnlyList<Acl> Shared = shared;
        public int Users;
    }

    private readonly Dictionary<IReadOnlyList<Acl>, Entry> _entries = new(AclListComparer.Instance);
    // The entry last handed out. A snapshot load passes the same shared instance for node after node; recognising it
    // by reference skips hashing the list (its scheme and id strings) for each of them.
    private Entry? _last;

    /// <summary>Distinct lists in use.</summary>
    public int Count => _entries.Count;

    /// <summary>Registers one more user of <paramref name="acl"/>; returns the shared instance to store in the node.
    /// The shared instance is a copy, so later changes to the caller's list cannot reach the tree.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public IReadOnlyList<Acl> Acquire(IReadOnlyList<Acl> acl)
    {
        if (_last is not null && ReferenceEquals(acl, _last.Shared))
        {
            _last.Users++;
            return _last.Shared;
        }
        ref var entry = ref CollectionsMarshal.GetValueRefOrAddDefault(_entries, acl, out bool exists);
        if (!exists) entry = new Entry(acl.ToArray());
        entry!.Users++;
        _last = entry;
        return entry.Shared;
    }

    /// <summary>One user of <paramref name="acl"/> is gone; the list is forgotten when it was the last.</summary>
    public void Release(IReadOnlyList<Acl> acl)
    {
        var entry = _last is not null && ReferenceEquals(acl, _last.Shared) ? _last : _entries.GetValueOrDefault(acl);
        if (entry is null || --entry.Users > 0) return;
        _entries.Remove(acl);
        if (ReferenceEquals(entry, _last)) _last = null;
    }

    /// <summary>The shared lists in use, each with the number of znodes using it.</summary>
    public IEnumerable<(IReadOnlyList<Acl> List, int Users)> InUse => _entries.Values.Select(e => (e.Shared, e.Users));

    /// <summary>Number of znodes using <paramref name="acl"/> (0 when unknown).</summary>
    public int UsersOf(IReadOnlyList<Acl> acl) => _entries.TryGetValue(acl, out var e) ? e.Users : 0;

    public void Clear()
    {
        _entries.Clear();
        _last = null;
    }
}
