using System.Buffers;

namespace Coord.Server.Network;

/// <summary>
/// A connection's output: replies written through <see cref="IBufferWriter{T}"/> into an array rented from
/// <see cref="ArrayPool{T}.Shared"/> ("owned" bytes), with large values referenced where they are instead of copied
/// (<see cref="AppendExternal"/>). A 500 KB getData used to be copied from the node into this buffer, and sometimes
/// again from one buffer into the next, before the kernel copied it once more: those user-space copies were 30% of
/// the server's CPU (perf, get of 500 KB, 4 × 4). A node's data array is never written once the node holds it
/// (setData makes a new one), so the reply can point at it until it is sent.
/// <code>
///   content = owned[0, at1) external1 owned[at1, at2) external2 ... owned[atN, owned)
/// </code>
/// Offsets into the content are "logical": owned and external bytes counted in order. Not thread-safe. A closed
/// connection's arrays are left to the GC rather than returned, so no send still in flight can see an array reused.
/// </summary>
public sealed class OutputBuffer : IBufferWriter<byte>
{
    /// <summary>Size of a fresh or trimmed owned array (bytes): most replies and batches fit.</summary>
    public const int InitialBytes = 4096;

    /// <summary>Values at least this long (bytes) are referenced, not copied. Below it a copy costs less than the two
    /// extra send calls a reference adds (about 5 µs for 64 KB).</summary>
    public const int MinExternalBytes = 64 * 1024;

    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(InitialBytes);
    private int _owned;
    /// <summary>External pieces in content order; <c>At</c> is the owned offset they follow.</summary>
    private readonly List<(int At, ReadOnlyMemory<byte> Bytes)> _externals = [];
    private int _externalBytes;

    /// <summary>Logical length: owned plus external bytes.</summary>
    public int WrittenCount => _owned + _externalBytes;
    public int OwnedCount => _owned;
    public int ExternalBytes => _externalBytes;
    public int Capacity => _buffer.Length;

    /// <summary>The owned bytes, writable (for patching a frame's length slot after its body is written).</summary>
    public Span<byte> OwnedSpanForPatch => _buffer.AsSpan(0, _owned);

    public void Advance(int count)
    {
        if ((uint)count > (uint)(_buffer.Length - _owned)) throw new ArgumentOutOfRangeException(nameof(count));
        _owned += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_owned);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_owned);
    }

    /// <summary>Appends <paramref name="bytes"/> by reference. The caller guarantees nobody writes into them until
    /// this buffer has been sent and trimmed.</summary>
    public void AppendExternal(ReadOnlyMemory<byte> bytes)
    {
        if (bytes.IsEmpty) return;
        _externals.Add((_owned, bytes));
        _externalBytes = checked(_externalBytes + bytes.Length);
    }

    /// <summary>Appends everything in <paramref name="other"/>, in order: owned bytes copied, external ones referenced.</summary>
    public void AppendFrom(OutputBuffer other)
    {
        int from = 0;
        foreach (var (at, bytes) in other._externals)
        {
            CopyOwned(other._buffer.AsSpan(from, at - from));
            AppendExternal(bytes);
            from = at;
        }
        CopyOwned(other._buffer.AsSpan(from, other._owned - from));
    }

    private void CopyOwned(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(GetSpan(bytes.Length));
        _owned += bytes.Length;
    }

    /// <summary>The contiguous bytes from logical offset <paramref name="offset"/> to the end of the piece holding it
    /// (empty at the end): what one send call can take.</summary>
    public ReadOnlyMemory<byte> PieceAt(int offset)
    {
        int ownedFrom = 0, logical = 0;
        foreach (var (at, bytes) in _externals)
        {
            int ownedLen = at - ownedFrom;
            if (offset < logical + ownedLen) return _buffer.AsMemory(ownedFrom + (offset - logical), ownedLen - (offset - logical));
            logical += ownedLen;
            if (offset < logical + bytes.Length) return bytes[(offset - logical)..];
            logical += bytes.Length;
            ownedFrom = at;
        }
        return _buffer.AsMemory(ownedFrom + (offset - logical), _owned - ownedFrom - (offset - logical));
    }

    /// <summary>Empties the buffer (dropping its references) and, if its array grew beyond
    /// <paramref name="maxRetainedBytes"/>, returns that array to the pool for a fresh small one.</summary>
    public void Trim(int maxRetainedBytes)
    {
        _owned = 0;
        _externals.Clear();
        _externalBytes = 0;
        if (_buffer.Length <= maxRetainedBytes) return;
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = ArrayPool<byte>.Shared.Rent(InitialBytes);
    }

    private void Ensure(int sizeHint)
    {
        if (sizeHint < 1) sizeHint = 1;
        if (_buffer.Length - _owned >= sizeHint) return;
        int needed = checked(_owned + sizeHint);
        var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, (int)Math.Min(Array.MaxLength, 2L * _buffer.Length)));
        _buffer.AsSpan(0, _owned).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = bigger;
    }
}
