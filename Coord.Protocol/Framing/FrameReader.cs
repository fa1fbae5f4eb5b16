using System.Buffers;
using System.Buffers.Binary;

namespace Coord.Protocol.Framing;

/// <summary>
/// ZooKeeper's client framing: a 4-byte big-endian length followed by that many bytes of jute body.
/// The length is validated as soon as its four bytes arrive (NIOServerCnxn.readLength): a length below 0
/// or above jute.maxbuffer is rejected without waiting for the body.
/// </summary>
public static class FrameReader
{
    public const int LengthPrefixBytes = 4;

    public enum Result { Incomplete, Frame, BadLength }

    /// <summary>Tries to slice one frame body off the front of <paramref name="buffer"/>.</summary>
    /// <param name="length">On BadLength, the offending length; on Frame, the body length.</param>
    public static Result TryReadFrame(ref ReadOnlySequence<byte> buffer, int maxBufferBytes, out ReadOnlySequence<byte> body, out int length)
    {
        body = default;
        length = 0;
        if (buffer.Length < LengthPrefixBytes) return Result.Incomplete;
        length = ReadLength(buffer);
        if (length < 0 || length > maxBufferBytes) return Result.BadLength;
        if (buffer.Length - LengthPrefixBytes < length) return Result.Incomplete;
        body = buffer.Slice(LengthPrefixBytes, length);
        buffer = buffer.Slice(body.End);
        return Result.Frame;
    }

    /// <summary>The first four bytes as a big-endian int (also how a four-letter word is recognised).</summary>
    public static int ReadLength(in ReadOnlySequence<byte> buffer)
    {
        Span<byte> prefix = stackalloc byte[LengthPrefixBytes];
        buffer.Slice(0, LengthPrefixBytes).CopyTo(prefix);
        return BinaryPrimitives.ReadInt32BigEndian(prefix);
    }
}
