using Coord.Protocol.Records;

namespace Coord.Server.Data;

/// <summary>Structural equality of ACL lists (same entries, same order).</summary>
public sealed class AclListComparer : IEqualityComparer<IReadOnlyList<Acl>>
{
    public static readonly AclListComparer Instance = new();

    public bool Equals(IReadOnlyList<Acl>? x, IReadOnlyList<Acl>? y)
    {
        if (ReferenceEquals(x, y)) return true;
        if (x is null || y is null || x.Count != y.Count) return false;
        for (int i = 0; i < x.Count; i++) if (x[i] != y[i]) return false;
        return true;
    }

    public int GetHashCode(IReadOnlyList<Acl> obj)
    {
        var h = new HashCode();
        foreach (var a in obj) h.Add(a);
        return h.ToHashCode();
    }
}
