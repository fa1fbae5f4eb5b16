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
/// Offsets into the content are "logical": owned and external bytes counted in order. Not thread-safe. The owned
/// bytes live in a <see cref="PooledBufferWriter"/> (see there why a closed connection's arrays go to the GC).
/// </summary>
public sealed class OutputBuffer : IBufferWriter<byte>
{
    /// <summary>Values at least this long (bytes) are referenced, not copied. Below it a copy costs less than the two
    /// extra send calls a reference adds (about 5 µs for 64 KB).</summary>
    public const int MinExternalBytes = 64 * 1024;

    /// <summary>The owned bytes (pooled array, grown by renting).</summary>
    private readonly PooledBufferWriter _owned = new();
    /// <summary>External pieces in content order; <c>At</c> is the owned offset they follow.</summary>
    private readonly List<(int At, ReadOnlyMemory<byte> Bytes)> _externals = [];
    private int _externalBytes;

    /// <summary>Logical length: owned plus external bytes.</summary>
    public int WrittenCount => _owned.WrittenCount + _externalBytes;
    public int OwnedCount => _owned.WrittenCount;
    public int ExternalBytes => _externalBytes;

    /// <summary>The owned bytes, writable (for patching a frame's length slot after its body is written).</summary>
    public Span<byte> OwnedSpanForPatch => _owned.WrittenSpanForPatch;

    public void Advance(int count) => _owned.Advance(count);
    public Memory<byte> GetMemory(int sizeHint = 0) => _owned.GetMemory(sizeHint);
    public Span<byte> GetSpan(int sizeHint = 0) => _owned.GetSpan(sizeHint);

    /// <summary>Appends <paramref name="bytes"/> by reference. The caller guarantees nobody writes into them until
    /// this buffer has been sent and trimmed.</summary>
    public void AppendExternal(ReadOnlyMemory<byte> bytes)
    {
        if (bytes.IsEmpty) return;
        _externals.Add((_owned.WrittenCount, bytes));
        _externalBytes = checked(_externalBytes + bytes.Length);
    }

    /// <summary>Appends everything in <paramref name="other"/>, in order: owned bytes copied, external ones referenced.</summary>
    public void AppendFrom(OutputBuffer other)
    {
        var owned = other._owned.WrittenSpan;
        int from = 0;
        foreach (var (at, bytes) in other._externals)
        {
            _owned.Write(owned[from..at]);
            AppendExternal(bytes);
            from = at;
        }
        _owned.Write(owned[from..]);
    }

    /// <summary>The contiguous bytes from logical offset <paramref name="offset"/> to the end of the piece holding it
    /// (empty at the end): what one send call can take.</summary>
    public ReadOnlyMemory<byte> PieceAt(int offset)
    {
        var owned = _owned.WrittenMemory;
        int ownedFrom = 0, logical = 0;
        foreach (var (at, bytes) in _externals)
        {
            int ownedLen = at - ownedFrom;
            if (offset < logical + ownedLen) return owned[(ownedFrom + offset - logical)..at];
            logical += ownedLen;
            if (offset < logical + bytes.Length) return bytes[(offset - logical)..];
            logical += bytes.Length;
            ownedFrom = at;
        }
        return owned[(ownedFrom + offset - logical)..];
    }

    /// <summary>Empties the buffer (dropping its references) and, if its array grew beyond
    /// <paramref name="maxRetainedBytes"/>, returns that array to the pool for a fresh small one.</summary>
    public void Trim(int maxRetainedBytes)
    {
        _owned.Trim(maxRetainedBytes);
        _externals.Clear();
        _externalBytes = 0;
    }
}
