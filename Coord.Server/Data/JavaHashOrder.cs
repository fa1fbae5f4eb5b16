using System.Numerics;

namespace Coord.Server.Data;

/// <summary>
/// Reproduces the iteration order of Java's HashSet/HashMap, which ZooKeeper exposes to clients in getChildren,
/// getEphemerals, whoAmI and the order in which a closed session's ephemerals are deleted. Java iterates the
/// bucket table in index order, bucket = (h ^ h&gt;&gt;&gt;16) &amp; (capacity − 1), and within a bucket in insertion
/// order (resizes split buckets without reordering). The capacity starts at the set's initial capacity and doubles
/// whenever the size exceeds 0.75 × capacity; it never shrinks.
/// </summary>
public static class JavaHashOrder
{
    /// <summary>java.lang.String.hashCode over UTF-16 code units.</summary>
    public static int StringHash(ReadOnlySpan<char> s)
    {
        int h = 0;
        foreach (char c in s) h = unchecked(31 * h + c);
        return h;
    }

    /// <summary>java.lang.String.hashCode of a name stored as UTF-8 (decoded to UTF-16 code units first, unless it
    /// is ASCII, where each byte is its code unit).</summary>
    public static int StringHash(ReadOnlySpan<byte> utf8)
    {
        if (System.Text.Ascii.IsValid(utf8))
        {
            int h = 0;
            foreach (byte b in utf8) h = unchecked(31 * h + b);
            return h;
        }
        return StringHash(System.Text.Encoding.UTF8.GetString(utf8));
    }

    public static int Spread(int h) => h ^ (int)((uint)h >> 16);

    /// <summary>Capacity of a HashMap created with <paramref name="initialCapacity"/> after it has held
    /// <paramref name="maxSize"/> entries at once.</summary>
    public static int Capacity(int initialCapacity, int maxSize)
    {
        int cap = initialCapacity;
        while (maxSize > cap * 3 / 4) cap <<= 1;
        return cap;
    }

    /// <summary>HashMap.tableSizeFor: the smallest power of two ≥ n (at least 1).</summary>
    public static int TableSizeFor(int n) => n <= 1 ? 1 : (int)BitOperations.RoundUpToPowerOf2((uint)n);

    /// <summary>Capacity a HashSet copy (clone or copy constructor via putMapEntries) of <paramref name="size"/> entries gets.</summary>
    public static int CopyCapacity(int size) => size == 0 ? 0 : TableSizeFor((int)(size / 0.75f + 1.0f));

    /// <summary>Orders items as Java iterates them: by bucket for the given capacity, then by the given prior order.</summary>
    public static List<T> Order<T>(IEnumerable<(T Item, int Hash, long Seq)> items, int capacity)
    {
        var list = items.ToList();
        int mask = capacity - 1;
        list.Sort((a, b) =>
        {
            int ba = Spread(a.Hash) & mask, bb = Spread(b.Hash) & mask;
            return ba != bb ? ba.CompareTo(bb) : a.Seq.CompareTo(b.Seq);
        });
        return list.ConvertAll(x => x.Item);
    }

    /// <summary>Re-orders an iteration sequence as a copy of the set would iterate (HashMap.putMapEntries re-inserts
    /// in the source's order into a table sized for the copy).</summary>
    public static List<string> AsCopied(IReadOnlyList<string> iterationOrder)
    {
        int cap = CopyCapacity(iterationOrder.Count);
        if (cap == 0) return [];
        var items = new List<(string, int, long)>(iterationOrder.Count);
        for (int i = 0; i < iterationOrder.Count; i++) items.Add((iterationOrder[i], StringHash(iterationOrder[i]), i));
        return Order(items, cap);
    }
}

/// <summary>
/// A set of strings that remembers what Java's HashSet needs to iterate identically: insertion sequence numbers
/// and the largest size reached (which fixes the table capacity).
/// </summary>
public sealed class JavaOrderedStringSet(int initialCapacity)
{
    private readonly Dictionary<string, long> _seq = new(StringComparer.Ordinal);
    private long _nextSeq;
    private int _maxSize;

    public int Count => _seq.Count;
    public bool Contains(string s) => _seq.ContainsKey(s);
    public IEnumerable<string> Items => _seq.Keys;

    public bool Add(string s)
    {
        if (!_seq.TryAdd(s, _nextSeq)) return false;
        _nextSeq++;
        if (_seq.Count > _maxSize) _maxSize = _seq.Count;
        return true;
    }

    public bool Remove(string s) => _seq.Remove(s);

    /// <summary>The order Java's HashSet would iterate this set in.</summary>
    public List<string> JavaOrder()
    {
        if (_seq.Count <= 1) return [.. _seq.Keys];
        return JavaHashOrder.Order(_seq.Select(kv => (kv.Key, JavaHashOrder.StringHash(kv.Key), kv.Value)), JavaHashOrder.Capacity(initialCapacity, _maxSize));
    }
}
