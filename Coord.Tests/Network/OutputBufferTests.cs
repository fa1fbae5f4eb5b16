using Coord.Server.Network;
using NUnit.Framework;

namespace Coord.Tests.Network;

/// <summary>A connection's output buffer: owned bytes and referenced values come out in the order they went in,
/// whether read piece by piece from any offset or appended to another buffer.</summary>
[TestFixture]
public sealed class OutputBufferTests
{
    private static byte[] Bytes(int n, byte seed) => Enumerable.Range(0, n).Select(i => (byte)(seed + i)).ToArray();

    private static void Owned(OutputBuffer b, byte[] bytes)
    {
        bytes.CopyTo(b.GetSpan(bytes.Length));
        b.Advance(bytes.Length);
    }

    /// <summary>Everything from <paramref name="offset"/> on, gathered the way the sender does: one piece per call.</summary>
    private static byte[] ReadFrom(OutputBuffer b, int offset)
    {
        var all = new List<byte>();
        while (offset < b.WrittenCount)
        {
            var piece = b.PieceAt(offset);
            Assert.That(piece.Length, Is.GreaterThan(0), $"empty piece at {offset} of {b.WrittenCount}");
            // Take part of it only, as a short send would.
            int take = Math.Max(1, piece.Length / 2);
            all.AddRange(piece.Span[..take].ToArray());
            offset += take;
        }
        Assert.That(b.PieceAt(b.WrittenCount).Length, Is.Zero);
        return [.. all];
    }

    [Test]
    public void PiecesComeOutInOrderFromAnyOffset()
    {
        var b = new OutputBuffer();
        byte[] a = Bytes(10, 1), x = Bytes(100, 50), c = Bytes(3, 200), y = Bytes(7, 90), z = Bytes(5, 120), d = Bytes(4, 30);
        Owned(b, a);
        b.AppendExternal(x);
        Owned(b, c);
        b.AppendExternal(y);
        b.AppendExternal(z);   // two references in a row
        Owned(b, d);
        var expected = a.Concat(x).Concat(c).Concat(y).Concat(z).Concat(d).ToArray();
        Assert.That(b.WrittenCount, Is.EqualTo(expected.Length));
        Assert.That(b.ExternalBytes, Is.EqualTo(112));
        for (int off = 0; off <= expected.Length; off++)
            Assert.That(ReadFrom(b, off), Is.EqualTo(expected[off..]), $"from {off}");
    }

    [Test]
    public void AppendFromKeepsOrderAndReferences()
    {
        var first = new OutputBuffer();
        var second = new OutputBuffer();
        byte[] a = Bytes(6, 1), x = Bytes(70_000, 7), c = Bytes(9, 3);
        Owned(first, a);
        Owned(second, c);
        second.AppendExternal(x);
        Owned(second, a);
        first.AppendFrom(second);
        Assert.That(ReadFrom(first, 0), Is.EqualTo(a.Concat(c).Concat(x).Concat(a).ToArray()));
        Assert.That(first.ExternalBytes, Is.EqualTo(x.Length), "the value is referenced, not copied");
        first.Trim(1 << 20);
        Assert.That((first.WrittenCount, first.ExternalBytes), Is.EqualTo((0, 0)));
    }
}
