using System.Buffers;
using Coord.Protocol.Framing;
using NUnit.Framework;

namespace Coord.Tests.Protocol;

/// <summary>Frame parsing over input split at every possible point, including one byte per segment.</summary>
[TestFixture]
public sealed class FrameReaderTests
{
    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> m) => Memory = m;
        public Segment Append(ReadOnlyMemory<byte> m)
        {
            var s = new Segment(m) { RunningIndex = RunningIndex + Memory.Length };
            Next = s;
            return s;
        }
    }

    /// <summary>Builds a sequence with one segment per chunk of <paramref name="chunk"/> bytes, with empty segments between.</summary>
    private static ReadOnlySequence<byte> Segmented(byte[] data, int chunk)
    {
        if (data.Length == 0) return ReadOnlySequence<byte>.Empty;
        var first = new Segment(data.AsMemory(0, Math.Min(chunk, data.Length)));
        var last = first;
        for (int i = chunk; i < data.Length; i += chunk)
        {
            last = last.Append(ReadOnlyMemory<byte>.Empty);
            last = last.Append(data.AsMemory(i, Math.Min(chunk, data.Length - i)));
        }
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private static byte[] Frame(params byte[] body) => [.. BitConverter.GetBytes(System.Net.IPAddress.HostToNetworkOrder(body.Length)), .. body];

    [TestCase(1), TestCase(2), TestCase(3), TestCase(5), TestCase(1000)]
    public void ParsesBackToBackFramesAcrossSegments(int chunk)
    {
        byte[] data = [.. Frame(1, 2, 3), .. Frame(), .. Frame(9, 8, 7, 6, 5, 4, 3, 2, 1)];
        var seq = Segmented(data, chunk);
        var bodies = new List<byte[]>();
        while (true)
        {
            var res = FrameReader.TryReadFrame(ref seq, 0xfffff, out var body, out _);
            if (res != FrameReader.Result.Frame) { Assert.That(res, Is.EqualTo(FrameReader.Result.Incomplete)); break; }
            bodies.Add(body.ToArray());
        }
        Assert.That(bodies.Select(b => b.Length), Is.EqualTo(new[] { 3, 0, 9 }));
        Assert.That(bodies[2], Is.EqualTo(new byte[] { 9, 8, 7, 6, 5, 4, 3, 2, 1 }));
    }

    [Test]
    public void IncompleteFrameConsumesNothing()
    {
        var full = Frame(1, 2, 3, 4);
        for (int cut = 0; cut < full.Length; cut++)
        {
            var seq = Segmented(full[..cut], 1);
            var res = FrameReader.TryReadFrame(ref seq, 0xfffff, out _, out _);
            Assert.That(res, Is.EqualTo(FrameReader.Result.Incomplete), $"cut at {cut}");
            Assert.That(seq.Length, Is.EqualTo(cut));
        }
    }

    [TestCase(-1), TestCase(int.MinValue), TestCase(0x100000), TestCase(int.MaxValue)]
    public void RejectsBadLengthAsSoonAsThePrefixArrives(int len)
    {
        // Only the 4-byte prefix is present: the verdict must not wait for a body.
        var seq = new ReadOnlySequence<byte>(BitConverter.GetBytes(System.Net.IPAddress.HostToNetworkOrder(len)));
        Assert.That(FrameReader.TryReadFrame(ref seq, 0xfffff, out _, out int bad), Is.EqualTo(FrameReader.Result.BadLength));
        Assert.That(bad, Is.EqualTo(len));
    }

    [Test]
    public void AcceptsExactlyJuteMaxBuffer()
    {
        var seq = new ReadOnlySequence<byte>(BitConverter.GetBytes(System.Net.IPAddress.HostToNetworkOrder(0xfffff)));
        Assert.That(FrameReader.TryReadFrame(ref seq, 0xfffff, out _, out _), Is.EqualTo(FrameReader.Result.Incomplete));
    }
}
