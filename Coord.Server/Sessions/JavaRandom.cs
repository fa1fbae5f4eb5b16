namespace Coord.Server.Sessions;

/// <summary>
/// java.util.Random's 48-bit linear congruential generator, bit for bit. ZooKeeper derives a session's password
/// as new Random(sessionId ^ superSecret).nextBytes(16 bytes), so any server of an ensemble can check a password
/// that another server issued; Coord must produce the same bytes to join a mixed ensemble.
/// </summary>
public struct JavaRandom
{
    private const long Multiplier = 0x5DEECE66DL;
    private const long Addend = 0xBL;
    private const long Mask = (1L << 48) - 1;
    private long _seed;

    public JavaRandom(long seed) => _seed = (seed ^ Multiplier) & Mask;

    private int Next(int bits)
    {
        _seed = (_seed * Multiplier + Addend) & Mask;
        return (int)((ulong)_seed >> (48 - bits));
    }

    public int NextInt() => Next(32);

    public void NextBytes(Span<byte> bytes)
    {
        for (int i = 0; i < bytes.Length;)
        {
            for (int rnd = NextInt(), n = Math.Min(bytes.Length - i, 4); n-- > 0; rnd >>= 8)
                bytes[i++] = (byte)rnd;
        }
    }
}
