using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Coord.Protocol.Jute;

/// <summary>
/// Reads jute's binary encoding (BinaryInputArchive): big-endian int/long, boolean as one byte,
/// ustring and buffer as a 4-byte length (-1 means null) followed by the bytes, vectors as a count
/// (-1 means null) followed by the elements. Every length is checked against <see cref="MaxBufferBytes"/>
/// before anything is allocated, like BinaryInputArchive.checkLength.
/// </summary>
public ref struct JuteReader
{
    private SequenceReader<byte> _reader;

    /// <summary>jute.maxbuffer in bytes; a string, buffer or vector length above it is rejected.</summary>
    public int MaxBufferBytes { get; }

    public JuteReader(ReadOnlySequence<byte> input, int maxBufferBytes = JuteLimits.DefaultMaxBufferBytes)
    {
        _reader = new SequenceReader<byte>(input);
        MaxBufferBytes = maxBufferBytes;
    }

    public JuteReader(ReadOnlyMemory<byte> input, int maxBufferBytes = JuteLimits.DefaultMaxBufferBytes)
        : this(new ReadOnlySequence<byte>(input), maxBufferBytes) { }

    public readonly long Remaining => _reader.Remaining;
    public readonly bool End => _reader.End;
    public readonly long Consumed => _reader.Consumed;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int ReadInt()
    {
        if (!_reader.TryReadBigEndian(out int v)) JuteException.ThrowTruncated();
        return v;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long ReadLong()
    {
        if (!_reader.TryReadBigEndian(out long v)) JuteException.ThrowTruncated();
        return v;
    }

    public bool ReadBool()
    {
        if (!_reader.TryRead(out byte b)) JuteException.ThrowTruncated();
        return b != 0;
    }

    public byte ReadByte()
    {
        if (!_reader.TryRead(out byte b)) JuteException.ThrowTruncated();
        return b;
    }

    /// <summary>Reads a ustring; null when the length is -1.</summary>
    public string? ReadString()
    {
        int len = ReadLength();
        if (len < 0) return null;
        if (_reader.Remaining < len) JuteException.ThrowTruncated();
        // Decoded as ZooKeeper's new String(bytes, UTF_8) does, malformed input included (JavaUtf8).
        string s = _reader.UnreadSpan.Length >= len
            ? JavaUtf8.GetString(_reader.UnreadSpan[..len])
            : JavaUtf8.GetString(_reader.UnreadSequence.Slice(0, len).ToArray());
        _reader.Advance(len);
        return s;
    }

    /// <summary>Reads a ustring that must be present: a null path fails to decode, which ZooKeeper answers with
    /// MarshallingError.</summary>
    public string ReadPath() => ReadString() ?? throw new JuteException("null path");

    /// <summary>Reads a buffer; null when the length is -1.</summary>
    public byte[]? ReadBuffer()
    {
        int len = ReadLength();
        if (len < 0) return null;
        if (_reader.Remaining < len) JuteException.ThrowTruncated();
        var bytes = len == 0 ? Array.Empty<byte>() : new byte[len];
        _reader.TryCopyTo(bytes);
        _reader.Advance(len);
        return bytes;
    }

    /// <summary>Reads a vector count as BinaryInputArchive.startVector does: -1 means null (returned as -1), and any
    /// other negative count is an empty vector (0), since Java's element loop runs while the count is above 0 and
    /// parsing goes on after it. A count above MaxBufferBytes fails at once, where Java would read elements until the
    /// input ran out and fail then.</summary>
    public int ReadVectorCount()
    {
        int count = ReadInt();
        if (count < -1) return 0;
        if (count > MaxBufferBytes) JuteException.ThrowBadLength(count, MaxBufferBytes);
        return count;
    }

    public List<string>? ReadStringVector()
    {
        int n = ReadVectorCount();
        if (n < 0) return null;
        var list = new List<string>(Math.Min(n, 1024));
        for (int i = 0; i < n; i++) list.Add(ReadString() ?? string.Empty);
        return list;
    }

    public void Skip(int count)
    {
        if (_reader.Remaining < count) JuteException.ThrowTruncated();
        _reader.Advance(count);
    }

    private int ReadLength()
    {
        int len = ReadInt();
        if (len < -1 || len > MaxBufferBytes) JuteException.ThrowBadLength(len, MaxBufferBytes);
        return len;
    }
}

public static class JuteLimits
{
    /// <summary>jute.maxbuffer default: 0xfffff bytes (1 MiB - 1), as in ZooKeeper.</summary>
    public const int DefaultMaxBufferBytes = 0xfffff;
}
