using System.Buffers;

namespace Coord.Benchmarks;

/// <summary>Builds <see cref="ReadOnlySequence{T}"/> inputs: one contiguous segment, or one byte per segment (every
/// multi-segment slow path of the readers is taken, as a socket delivering one byte at a time would force).</summary>
public static class Sequences
{
    public static ReadOnlySequence<byte> Contiguous(byte[] bytes) => new(bytes);

    public static ReadOnlySequence<byte> OneBytePerSegment(byte[] bytes)
    {
        if (bytes.Length == 0) return ReadOnlySequence<byte>.Empty;
        var first = new Segment(bytes.AsMemory(0, 1), 0);
        var last = first;
        for (int i = 1; i < bytes.Length; i++) last = last.Append(bytes.AsMemory(i, 1));
        return new ReadOnlySequence<byte>(first, 0, last, 1);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
