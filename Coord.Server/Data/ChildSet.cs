using System.Runtime.CompilerServices;
namespace Coord.Server.Data;

/// <summary>
/// A znode's children, remembered by their full paths: the tree's node map already holds each child's path string,
/// so keeping it here costs a reference, where a separate name string would cost ~40 B per znode. Names are the
/// part after the last '/', and everything here (lookups, equality, Java's hash) works on that part, so a name and
/// the full path of the same child are interchangeable as arguments.
/// Also remembers what Java's HashSet needs to iterate identically (insertion sequence numbers and the largest size
/// reached, which fixes the table capacity), since getChildren and snapshots expose that order.
/// Each entry maps to the child's node, so a walk of the tree (a snapshot view) goes parent to child without a lookup
/// in the tree's node map per node; the insertion sequence number lives in the node (<see cref="DataNode.ChildSeq"/>,
/// in what was the object's padding), so neither costs memory.
/// </summary>
public sealed class ChildSet(int initialCapacity)
{
    private readonly Dictionary<string, DataNode> _seq = new(NameComparer.Instance);
    private int _nextSeq;
    private int _maxSize;

    public int Count => _seq.Count;

    /// <summary>Full paths of the children, in no particular order.</summary>
    public IEnumerable<string> Paths => _seq.Keys;

    public bool Contains(string nameOrPath) => _seq.ContainsKey(nameOrPath);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool Add(string childPath, DataNode node)
    {
        if (_nextSeq == int.MaxValue) Renumber();
        if (!_seq.TryAdd(childPath, node)) return false;
        node.ChildSeq = _nextSeq++;
        if (_seq.Count > _maxSize) _maxSize = _seq.Count;
        return true;
    }

    public bool Remove(string nameOrPath) => _seq.Remove(nameOrPath);

    /// <summary>After 2^31 - 1 adds to one set: numbers the present children 0..n-1 in their insertion order, which
    /// keeps every order this set exposes and frees the numbers above.</summary>
    private void Renumber()
    {
        var nodes = _seq.Values.OrderBy(n => n.ChildSeq).ToList();
        for (int i = 0; i < nodes.Count; i++) nodes[i].ChildSeq = i;
        _nextSeq = nodes.Count;
    }

    /// <summary>Tests: continues numbering from <paramref name="next"/> (to reach the renumbering without 2^31 adds).</summary>
    internal void SetNextSeqForTest(int next) => _nextSeq = next;

    /// <summary>The children's full paths in the order Java's HashSet would iterate their names.</summary>
    public string[] PathsInJavaOrder()
    {
        var order = new JavaOrderEntry[_seq.Count];
        SortInJavaOrder(order);
        var paths = new string[order.Length];
        for (int i = 0; i < order.Length; i++) paths[i] = order[i].Path;
        return paths;
    }

    /// <summary>Fills the first <see cref="Count"/> slots of <paramref name="scratch"/> (at least that long) with the
    /// children in Java's order; lets a walk over many parents reuse one buffer.</summary>
    public void SortInJavaOrder(JavaOrderEntry[] scratch)
    {
        int mask = JavaHashOrder.Capacity(initialCapacity, _maxSize) - 1;
        int i = 0;
        foreach (var (path, child) in _seq)
            scratch[i++] = new JavaOrderEntry(JavaHashOrder.Spread(JavaHashOrder.StringHash(NameOf(path))) & mask, child.ChildSeq, path, child);
        Array.Sort(scratch, 0, i);
    }

    /// <summary>A child with its Java bucket and insertion sequence; sorts in Java's iteration order.</summary>
    public readonly record struct JavaOrderEntry(int Bucket, int Seq, string Path, DataNode Node) : IComparable<JavaOrderEntry>
    {
        public int CompareTo(JavaOrderEntry other) =>
            Bucket != other.Bucket ? Bucket.CompareTo(other.Bucket) : Seq.CompareTo(other.Seq);
    }

    /// <summary>The children's names in Java's HashSet order (what getChildren returns).</summary>
    public List<string> NamesInJavaOrder()
    {
        var paths = PathsInJavaOrder();
        var names = new List<string>(paths.Length);
        foreach (var p in paths) names.Add(NameOf(p).ToString());
        return names;
    }

    /// <summary>The part after the last '/' (all of it when there is none).</summary>
    public static ReadOnlySpan<char> NameOf(string nameOrPath) => nameOrPath.AsSpan(nameOrPath.LastIndexOf('/') + 1);

    /// <summary>Compares and hashes strings by their name part only.</summary>
    private sealed class NameComparer : IEqualityComparer<string>
    {
        public static readonly NameComparer Instance = new();

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public bool Equals(string? x, string? y) =>
            ReferenceEquals(x, y) || (x is not null && y is not null && NameOf(x).SequenceEqual(NameOf(y)));

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public int GetHashCode(string s) => string.GetHashCode(NameOf(s));
    }
}
