using System.Diagnostics.CodeAnalysis;

namespace Coord.Protocol.Jute;

/// <summary>A record could not be decoded: truncated input, a length outside jute.maxbuffer, or malformed UTF-8.
/// ZooKeeper closes the connection on these (it cannot resynchronise the stream), and so does Coord.</summary>
public sealed class JuteException(string message) : Exception(message)
{
    [DoesNotReturn]
    public static void ThrowTruncated() => throw new JuteException("record truncated");

    [DoesNotReturn]
    public static void ThrowBadLength(int len, int max) =>
        throw new JuteException($"Unreasonable length = {len}, max = {max}");
}
