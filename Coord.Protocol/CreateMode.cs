namespace Coord.Protocol;

/// <summary>CreateMode flag values as sent in CreateRequest.flags.</summary>
public enum CreateMode
{
    Persistent = 0,
    Ephemeral = 1,
    PersistentSequential = 2,
    EphemeralSequential = 3,
    Container = 4,
    PersistentWithTtl = 5,
    PersistentSequentialWithTtl = 6,
}

public static class CreateModes
{
    public static bool TryFromFlag(int flag, out CreateMode mode)
    {
        mode = (CreateMode)flag;
        return flag is >= 0 and <= 6;
    }

    public static bool IsEphemeral(this CreateMode m) => m is CreateMode.Ephemeral or CreateMode.EphemeralSequential;
    public static bool IsSequential(this CreateMode m) =>
        m is CreateMode.PersistentSequential or CreateMode.EphemeralSequential or CreateMode.PersistentSequentialWithTtl;
    public static bool IsContainer(this CreateMode m) => m == CreateMode.Container;
    public static bool IsTtl(this CreateMode m) => m is CreateMode.PersistentWithTtl or CreateMode.PersistentSequentialWithTtl;
}

/// <summary>
/// ZooKeeper's EphemeralType encoding of the ephemeralOwner field, as stored in the tree and on disk:
/// containers use Long.MIN_VALUE; TTL nodes set the high byte to 0xFF, the next two bytes 0, and the
/// low 40 bits to the TTL in milliseconds (EphemeralType.TTL, extended types enabled).
/// </summary>
public static class EphemeralType
{
    public const long ContainerOwner = long.MinValue;
    public const long TtlMask = unchecked((long)0xFF00000000000000UL);
    /// <summary>Largest TTL in milliseconds that fits the 40-bit field (EphemeralType.MAX_EXTENDED_SERVER_ID path).</summary>
    public const long MaxTtlMs = 0x000000FFFFFFFFFFL;

    public static bool IsContainer(long owner) => owner == ContainerOwner;
    public static bool IsTtl(long owner) => owner != ContainerOwner && (owner & TtlMask) == TtlMask;
    public static long TtlOf(long owner) => IsTtl(owner) ? owner & MaxTtlMs : 0;
    public static long EncodeTtl(long ttlMs) => TtlMask | ttlMs;
    /// <summary>The session that owns an ephemeral node, or 0 for persistent, container and TTL nodes.</summary>
    public static long SessionOf(long owner) => owner == ContainerOwner || IsTtl(owner) ? 0 : owner;
}
