using System.Runtime.CompilerServices;
using Coord.Protocol.Records;

namespace Coord.Server.Data;

/// <summary>A node's persisted state at one moment: what a snapshot stores for it.</summary>
public readonly record struct NodeState(DataNode.Payload Payload, IReadOnlyList<Acl> Acl, StatPersisted Stat)
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static NodeState Of(DataNode n) => new(n.CurrentPayload, n.Acl, n.ToStatPersisted());
}

/// <summary>
/// The tree as it was at one zxid, readable from another thread while the tree thread goes on applying txns: the
/// server writes its snapshots from one of these (<see cref="DataTree.TakeSnapshotView"/>).
/// <para>Taking the view lists the nodes in snapshot order as a node reference and a depth each (12 B per node; a
/// node's name never changes, and <see cref="PathComposer"/> rebuilds the paths from names and depths) instead of copying every node's state (~180 B). Afterwards, the first time
/// the tree is about to change one of the nodes, it hands the node to <see cref="Preserve"/>, which keeps the state
/// from before the change; <see cref="StateAt"/> returns that preserved state when there is one, else the node's
/// current (unchanged) state. Payloads (name and data) are replaced, never written into, so sharing them is safe.</para>
/// <para>Threads: <see cref="Preserve"/> runs on the tree thread, <see cref="StateAt"/> on the writer's. Both hold
/// one lock, so the writer never reads a node between the moment the tree decided to change it and the moment its
/// old state is preserved. After <see cref="Complete"/> the view keeps nothing and the tree stops preserving.</para>
/// </summary>
public sealed class TreeSnapshot
{
    private DataNode[] _nodes;
    private int[] _depths;
    private readonly Dictionary<DataNode, NodeState> _before = new(ReferenceEqualityComparer.Instance);
    private volatile bool _complete;

    internal TreeSnapshot(DataNode[] nodes, int[] depths, IReadOnlyList<IReadOnlyList<Acl>> aclLists, long zxid, long treeDigest)
    {
        _nodes = nodes;
        _depths = depths;
        AclLists = aclLists;
        Zxid = zxid;
        TreeDigest = treeDigest;
    }

    /// <summary>The distinct ACL lists the snapshot numbers (<see cref="DataTree.AclListsForSnapshot"/>), as they were
    /// when the view was taken.</summary>
    public IReadOnlyList<IReadOnlyList<Acl>> AclLists { get; }

    /// <summary>The tree's LastProcessedZxid when the view was taken.</summary>
    public long Zxid { get; }
    /// <summary>The tree digest at <see cref="Zxid"/>.</summary>
    public long TreeDigest { get; }
    public int Count => _nodes.Length;
    public bool IsComplete => _complete;

    /// <summary>Node <paramref name="i"/>'s path, in snapshot order, when the nodes are visited in order from 0
    /// with one <paramref name="paths"/> (the root is "").</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public ReadOnlySpan<byte> PathAt(int i, PathComposer paths) => paths.Next(_depths[i], _nodes[i].NameUtf8);

    /// <summary>Node <paramref name="i"/>'s state when the view was taken.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public NodeState StateAt(int i)
    {
        var node = _nodes[i];
        lock (_before)
        {
            return _before.TryGetValue(node, out var state) ? state : NodeState.Of(node);
        }
    }

    /// <summary>Nodes preserved so far (changed since the view was taken).</summary>
    public int PreservedCount { get { lock (_before) return _before.Count; } }

    /// <summary>Called by the tree before it changes <paramref name="node"/>.</summary>
    internal void Preserve(DataNode node)
    {
        lock (_before)
        {
            if (!_complete) _before.TryAdd(node, NodeState.Of(node));
        }
    }

    /// <summary>The reader is done: drop the preserved states; the tree forgets the view at its next change.</summary>
    public void Complete()
    {
        lock (_before)
        {
            _complete = true;
            _before.Clear();
            // The tree keeps its last view until its next change; the arrays (12 B per znode) need not wait for that.
            _nodes = [];
            _depths = [];
        }
    }
}
