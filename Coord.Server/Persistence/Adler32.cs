// Adler-32 (RFC 1950 §8.2), the checksum ZooKeeper puts on every txn-log entry and seals snapshots with
// (java.util.zip.Adler32):
//   a = 1 + sum of bytes (mod 65521); b = sum of the running a values (mod 65521); value = b << 16 | a.
// ZooKeeper writes the value as a jute long (8 bytes, big-endian, high 32 bits zero).

namespace Coord.Server.Persistence;

/// <summary>Incremental Adler-32. Create with <c>new Adler32()</c> (the empty checksum is 1).</summary>
public struct Adler32
{
    private const uint Mod = 65521;
    /// <summary>Largest n such that 255·n·(n+1)/2 + (n+1)·(Mod−1) fits in 32 bits: sums can run that long unreduced.</summary>
    private const int NMax = 5552;

    private uint _a;
    private uint _b;

    public Adler32()
    {
        _a = 1;
        _b = 0;
    }

    public readonly long Value => (long)((_b << 16) | _a);

    public void Update(ReadOnlySpan<byte> data)
    {
        uint a = _a, b = _b;
        while (data.Length > 0)
        {
            int n = Math.Min(data.Length, NMax);
            var chunk = data[..n];
            int i = 0;
            for (; i + 4 <= n; i += 4)
            {
                a += chunk[i]; b += a;
                a += chunk[i + 1]; b += a;
                a += chunk[i + 2]; b += a;
                a += chunk[i + 3]; b += a;
            }
            for (; i < n; i++) { a += chunk[i]; b += a; }
            a %= Mod;
            b %= Mod;
            data = data[n..];
        }
        _a = a;
        _b = b;
    }

    public static long Compute(ReadOnlySpan<byte> data)
    {
        var c = new Adler32();
        c.Update(data);
        return c.Value;
    }
}
