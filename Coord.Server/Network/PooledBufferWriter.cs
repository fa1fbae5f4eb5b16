using System.Buffers;

namespace Coord.Server.Network;

/// <summary>
/// An <see cref="IBufferWriter{T}"/> over arrays rented from <see cref="ArrayPool{T}.Shared"/>: a connection that
/// sends a 500 KB reply grows its buffer by renting, not by allocating (and later collecting) large-object-heap arrays,
/// and gives the big array back with <see cref="Trim"/> so idle connections hold only a small one. Not thread-safe.
/// A closed connection's arrays are left to the GC rather than returned, so no send still in flight can see an array
/// reused by someone else.
/// </summary>
public sealed class PooledBufferWriter : IBufferWriter<byte>
{
    /// <summary>Size of a fresh or trimmed buffer (bytes): most replies and batches fit.</summary>
    public const int InitialBytes = 4096;

    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(InitialBytes);
    private int _written;

    public int WrittenCount => _written;
    public int Capacity => _buffer.Length;
    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _written);
    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _written);

    /// <summary>The written bytes, writable (for patching a frame's length slot after its body is written).</summary>
    public Span<byte> WrittenSpanForPatch => _buffer.AsSpan(0, _written);

    public void Advance(int count)
    {
        if ((uint)count > (uint)(_buffer.Length - _written)) throw new ArgumentOutOfRangeException(nameof(count));
        _written += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_written);
    }

    public void Write(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(GetSpan(bytes.Length));
        _written += bytes.Length;
    }

    public void ResetWrittenCount() => _written = 0;

    /// <summary>Empties the writer and, if its buffer grew beyond <paramref name="maxRetainedBytes"/>, returns that
    /// buffer to the pool for a fresh small one.</summary>
    public void Trim(int maxRetainedBytes)
    {
        _written = 0;
        if (_buffer.Length <= maxRetainedBytes) return;
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = ArrayPool<byte>.Shared.Rent(InitialBytes);
    }

    private void Ensure(int sizeHint)
    {
        if (sizeHint < 1) sizeHint = 1;
        if (_buffer.Length - _written >= sizeHint) return;
        int needed = checked(_written + sizeHint);
        var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, (int)Math.Min(Array.MaxLength, 2L * _buffer.Length)));
        _buffer.AsSpan(0, _written).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = bigger;
    }
}
