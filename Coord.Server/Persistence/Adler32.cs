// Adler-32 (RFC 1950 §8.2), the checksum ZooKeeper puts on every txn-log entry and seals snapshots with
// (java.util.zip.Adler32):
//   a = 1 + sum of bytes (mod 65521); b = sum of the running a values (mod 65521); value = b << 16 | a.
// ZooKeeper writes the value as a jute long (8 bytes, big-endian, high 32 bits zero).

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

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

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Update(ReadOnlySpan<byte> data)
    {
        if (Avx2.IsSupported && data.Length >= VectorBytes) data = UpdateAvx2(data);
        UpdateScalar(data);
    }

    /// <summary>The byte-at-a-time loop (and the reference the vector path is tested against).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal void UpdateScalar(ReadOnlySpan<byte> data)
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

    /// <summary>Bytes per vector step.</summary>
    private const int VectorBytes = 32;
    /// <summary>Vector steps between reductions: keeps every 64-bit lane sum and the final combination far from
    /// overflow (see <see cref="UpdateAvx2"/>).</summary>
    private const int VectorStepsPerRound = 128;

    /// <summary>
    /// 32 bytes per step. Over a round of k steps (n = 32k bytes) starting from (a, b):
    /// a' = a + Σ x_i and b' = b + n·a + Σ (n − i)·x_i. Writing i = 32j + t, (n − i) = (32 − t) + 32·(k − 1 − j): the
    /// first part is a fixed weight per byte position (multiply-add against 32..1), the second counts each step's
    /// byte sum once for every step after it, which is the running sum of the byte sums (<c>prefix</c>). Returns the
    /// bytes left over (fewer than 32).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private ReadOnlySpan<byte> UpdateAvx2(ReadOnlySpan<byte> data)
    {
        var weights = Vector256.Create((sbyte)32, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17,
                                       16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1);
        var ones = Vector256.Create((short)1);
        uint a = _a, b = _b;
        while (data.Length >= VectorBytes)
        {
            int steps = Math.Min(data.Length / VectorBytes, VectorStepsPerRound);
            var sums = Vector256<ulong>.Zero;     // byte sums so far, 4 lanes
            var prefix = Vector256<ulong>.Zero;   // Σ over steps of the byte sums before that step
            var weighted = Vector256<int>.Zero;   // Σ (32 − t)·x, 8 lanes
            for (int j = 0; j < steps; j++)
            {
                var v = Vector256.Create(data.Slice(j * VectorBytes, VectorBytes));
                prefix += sums;
                sums += Avx2.SumAbsoluteDifferences(v, Vector256<byte>.Zero).AsUInt64();
                weighted += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(v, weights), ones);
            }
            int n = steps * VectorBytes;
            ulong newB = b + (ulong)n * a + 32UL * Vector256.Sum(prefix) + (ulong)Vector256.Sum(weighted);
            ulong newA = a + Vector256.Sum(sums);
            a = (uint)(newA % Mod);
            b = (uint)(newB % Mod);
            data = data[n..];
        }
        _a = a;
        _b = b;
        return data;
    }

    public static long Compute(ReadOnlySpan<byte> data)
    {
        var c = new Adler32();
        c.Update(data);
        return c.Value;
    }
}
