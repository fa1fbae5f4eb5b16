using System.Runtime.CompilerServices;
namespace Coord.Server.Data;

/// <summary>
/// A znode's children: an open-addressing hash table (linear probing, power-of-two size) of the child nodes
/// themselves, keyed by each child's name (<see cref="DataNode.NameUtf8"/>, UTF-8 as the node stores it).
/// <para>Why not a Dictionary: the tree has no path → node map (lookups walk from the root through these sets), so
/// a set is the only index of a node. A Dictionary entry costs 24 B plus a 4 B bucket and grows by doubling a prime;
/// a slot here is a node reference and its name's hash (12 B) at a load factor of at most 3/4. Lookups take a span
/// (a name given as UTF-16 is transcoded on the stack), so finding a child allocates nothing.</para>
/// <para>The hash is XXH3 of the UTF-8 name with a seed chosen at random per process, not Java's string hash: a client
/// choosing names cannot make the probes collide. Java's order, which getChildren and snapshots expose, is worked out separately when it is
/// asked for (<see cref="SortInJavaOrder"/>), from Java's hash, the insertion sequence numbers
/// (<see cref="DataNode.ChildSeq"/>) and the largest size reached (which fixes Java's table capacity).</para>
/// </summary>
public sealed class ChildSet(int javaInitialCapacity)
{
    /// <summary>Slots of a new set; most parents have few children.</summary>
    private const int InitialSlots = 4;

    private DataNode?[] _slots = new DataNode?[InitialSlots];
    /// <summary>The name hash of the node in the same slot (meaningless where the slot is empty).</summary>
    private int[] _hashes = new int[InitialSlots];
    private int _count;
    private int _nextSeq;
    private int _maxSize;

    public int Count => _count;

    /// <summary>The child nodes, in no particular order. The set must not change during the enumeration.</summary>
    public IEnumerable<DataNode> Nodes
    {
        get
        {
            foreach (var n in _slots)
                if (n is not null) yield return n;
        }
    }

    /// <summary>Names up to this many UTF-16 code units are transcoded to UTF-8 on the stack for a lookup.</summary>
    private const int StackNameChars = 128;
    private static readonly long HashSeed = Random.Shared.NextInt64();

    private static int HashOf(ReadOnlySpan<byte> nameUtf8) => (int)System.IO.Hashing.XxHash3.HashToUInt64(nameUtf8, HashSeed);

    public bool Contains(string nameOrPath) => Get(NameOf(nameOrPath)) is not null;

    /// <summary>The child called <paramref name="name"/> (a name, not a path), or null.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit]
    public DataNode? Get(ReadOnlySpan<char> name)
    {
        Span<byte> buffer = stackalloc byte[StackNameChars * 3];
        return Get(ToUtf8(name, buffer));
    }

    /// <summary>The child whose UTF-8 name is <paramref name="nameUtf8"/>, or null.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public DataNode? Get(ReadOnlySpan<byte> nameUtf8)
    {
        int slot = Find(nameUtf8, HashOf(nameUtf8));
        return slot >= 0 ? _slots[slot] : null;
    }

    private static ReadOnlySpan<byte> ToUtf8(ReadOnlySpan<char> name, Span<byte> stackBuffer) =>
        name.Length <= StackNameChars
            ? stackBuffer[..System.Text.Encoding.UTF8.GetBytes(name, stackBuffer)]
            : System.Text.Encoding.UTF8.GetBytes(name.ToArray());

    /// <summary>Adds <paramref name="node"/> under its <see cref="DataNode.Name"/>; false (and no change) when a
    /// child of that name is already present.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool Add(DataNode node)
    {
        var name = node.NameUtf8;
        int hash = HashOf(name);
        if (Find(name, hash) >= 0) return false;
        if (_nextSeq == int.MaxValue) Renumber();
        if ((_count + 1) * 4 > _slots.Length * 3) Grow();
        Insert(node, hash);
        _count++;
        node.ChildSeq = _nextSeq++;
        if (_count > _maxSize) _maxSize = _count;
        return true;
    }

    /// <summary>Removes the child named by <paramref name="nameOrPath"/> (its last component); tests and tools, the
    /// tree removes by UTF-8 name.</summary>
    public bool Remove(string nameOrPath) => Remove(System.Text.Encoding.UTF8.GetBytes(NameOf(nameOrPath).ToArray())) is not null;

    /// <summary>Removes the child whose UTF-8 name is <paramref name="nameUtf8"/>; returns it, or null.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public DataNode? Remove(ReadOnlySpan<byte> nameUtf8)
    {
        int hole = Find(nameUtf8, HashOf(nameUtf8));
        if (hole < 0) return null;
        var removed = _slots[hole];
        // Backward-shift deletion: move later members of the probe run into the hole when their home slot allows,
        // so lookups never need tombstones.
        int mask = _slots.Length - 1;
        int j = hole;
        while (true)
        {
            j = (j + 1) & mask;
            if (_slots[j] is null) break;
            int home = _hashes[j] & mask;
            bool staysPut = hole <= j ? hole < home && home <= j : hole < home || home <= j;
            if (staysPut) continue;
            _slots[hole] = _slots[j];
            _hashes[hole] = _hashes[j];
            hole = j;
        }
        _slots[hole] = null;
        _count--;
        return removed;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int Find(ReadOnlySpan<byte> name, int hash)
    {
        var slots = _slots;
        int mask = slots.Length - 1;
        for (int i = hash & mask; ; i = (i + 1) & mask)
        {
            var n = slots[i];
            if (n is null) return -1;
            if (_hashes[i] == hash && n.NameUtf8.SequenceEqual(name)) return i;
        }
    }

    private void Insert(DataNode node, int hash)
    {
        int mask = _slots.Length - 1;
        int i = hash & mask;
        while (_slots[i] is not null) i = (i + 1) & mask;
        _slots[i] = node;
        _hashes[i] = hash;
    }

    private void Grow()
    {
        var oldSlots = _slots;
        var oldHashes = _hashes;
        _slots = new DataNode?[oldSlots.Length * 2];
        _hashes = new int[oldSlots.Length * 2];
        for (int i = 0; i < oldSlots.Length; i++)
            if (oldSlots[i] is { } n) Insert(n, oldHashes[i]);
    }

    /// <summary>After 2^31 - 1 adds to one set: numbers the present children 0..n-1 in their insertion order, which
    /// keeps every order this set exposes and frees the numbers above.</summary>
    private void Renumber()
    {
        var nodes = Nodes.OrderBy(n => n.ChildSeq).ToList();
        for (int i = 0; i < nodes.Count; i++) nodes[i].ChildSeq = i;
        _nextSeq = nodes.Count;
    }

    /// <summary>Tests: continues numbering from <paramref name="next"/> (to reach the renumbering without 2^31 adds).</summary>
    internal void SetNextSeqForTest(int next) => _nextSeq = next;

    /// <summary>The children's names in the order Java's HashSet would iterate them (what getChildren returns).</summary>
    public List<string> NamesInJavaOrder()
    {
        var order = new JavaOrderEntry[_count];
        SortInJavaOrder(order);
        var names = new List<string>(order.Length);
        foreach (var e in order) names.Add(e.Node.Name);
        return names;
    }

    /// <summary>Fills the first <see cref="Count"/> slots of <paramref name="scratch"/> (at least that long) with the
    /// children in Java's order; lets a walk over many parents reuse one buffer.</summary>
    public void SortInJavaOrder(JavaOrderEntry[] scratch)
    {
        int mask = JavaHashOrder.Capacity(javaInitialCapacity, _maxSize) - 1;
        int i = 0;
        foreach (var child in _slots)
        {
            if (child is null) continue;
            scratch[i++] = new JavaOrderEntry(JavaHashOrder.Spread(child.JavaNameHash) & mask, child.ChildSeq, child);
        }
        Array.Sort(scratch, 0, i);
    }

    /// <summary>A child with its Java bucket and insertion sequence; sorts in Java's iteration order.</summary>
    public readonly record struct JavaOrderEntry(int Bucket, int Seq, DataNode Node) : IComparable<JavaOrderEntry>
    {
        public string Name => Node.Name;

        public int CompareTo(JavaOrderEntry other) =>
            Bucket != other.Bucket ? Bucket.CompareTo(other.Bucket) : Seq.CompareTo(other.Seq);
    }

    /// <summary>The part after the last '/' (all of it when there is none).</summary>
    public static ReadOnlySpan<char> NameOf(string nameOrPath) => nameOrPath.AsSpan(nameOrPath.LastIndexOf('/') + 1);
}
