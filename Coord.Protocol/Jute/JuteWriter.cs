using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;

namespace Coord.Protocol.Jute;

/// <summary>
/// Writes jute's binary encoding (BinaryOutputArchive) into an <see cref="IBufferWriter{T}"/>.
/// Grammar: int = 4 bytes BE; long = 8 bytes BE; boolean = 1 byte; ustring/buffer = int length (-1 = null) + bytes;
/// vector = int count (-1 = null) + elements.
/// </summary>
public ref struct JuteWriter
{
    private readonly IBufferWriter<byte> _output;
    private long _written;

    public JuteWriter(IBufferWriter<byte> output)
    {
        _output = output;
        _written = 0;
    }

    public readonly long Written => _written;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteInt(int v)
    {
        BinaryPrimitives.WriteInt32BigEndian(_output.GetSpan(4), v);
        _output.Advance(4);
        _written += 4;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteLong(long v)
    {
        BinaryPrimitives.WriteInt64BigEndian(_output.GetSpan(8), v);
        _output.Advance(8);
        _written += 8;
    }

    public void WriteBool(bool v) => WriteByte(v ? (byte)1 : (byte)0);

    public void WriteByte(byte v)
    {
        _output.GetSpan(1)[0] = v;
        _output.Advance(1);
        _written += 1;
    }

    public void WriteString(string? s)
    {
        if (s is null) { WriteInt(-1); return; }
        WriteStringSpan(s);
    }

    /// <summary>A ustring from characters that are not a string of their own (a slice of a longer one). Encoded as
    /// ZooKeeper's writeString encodes (<see cref="JavaUtf8.Encode"/>).</summary>
    public void WriteStringSpan(ReadOnlySpan<char> s)
    {
        var span = _output.GetSpan(4 + JavaUtf8.MaxByteCount(s.Length));
        int n = JavaUtf8.Encode(s, span[4..]);
        BinaryPrimitives.WriteInt32BigEndian(span, n);
        _output.Advance(4 + n);
        _written += 4 + n;
    }

    public void WriteBuffer(ReadOnlySpan<byte> data)
    {
        WriteInt(data.Length);
        WriteRaw(data);
    }

    public void WriteBuffer(byte[]? data)
    {
        if (data is null) { WriteInt(-1); return; }
        WriteBuffer(data.AsSpan());
    }

    public void WriteRaw(ReadOnlySpan<byte> data)
    {
        if (data.Length == 0) return;
        var span = _output.GetSpan(data.Length);
        data.CopyTo(span);
        _output.Advance(data.Length);
        _written += data.Length;
    }

    public void WriteStringVector(IReadOnlyCollection<string>? items)
    {
        if (items is null) { WriteInt(-1); return; }
        WriteInt(items.Count);
        foreach (var s in items) WriteString(s);
    }
}
