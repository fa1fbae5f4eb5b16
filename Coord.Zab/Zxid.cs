namespace Coord.Zab;

/// <summary>A ZooKeeper transaction id: the leader epoch in the high 32 bits, a counter in the low 32 bits.</summary>
public static class Zxid
{
    public static long Make(long epoch, long counter) => (epoch << 32) | (counter & 0xffffffffL);
    public static long EpochOf(long zxid) => zxid >> 32;
    public static long CounterOf(long zxid) => zxid & 0xffffffffL;
    public static string ToHex(long zxid) => "0x" + zxid.ToString("x");
}
