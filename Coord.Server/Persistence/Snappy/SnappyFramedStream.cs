// The stream format of snappy-java's SnappyOutputStream / SnappyInputStream (xerial snappy-java 1.1.x), which
// ZooKeeper's SnapStream uses for "snapshot.<zxid>.snappy" files. All integers are big-endian.
//
//   Stream  = Header Chunk*                       (Stream Stream… also reads: concatenated streams)
//   Header  = byte[8] magic 0x82 'S' 'N' 'A' 'P' 'P' 'Y' 0x00, int version 1, int compatibleVersion 1
//   Chunk   = int compressedLength, byte[compressedLength] SnappyBlock (see SnappyBlock.cs)
//
// SnappyOutputStream cuts its input into blocks of 32 KiB (DEFAULT_BLOCK_SIZE; ZooKeeper keeps the default) and
// writes a block early only on flush(). It writes the header on its first flush or block, so even an empty stream is
// the 16 header bytes. SnappyInputStream rejects a header whose version is below 1 and ignores compatibleVersion; a
// chunk length equal to the first 4 magic bytes starts the header of a concatenated stream.
//
// Where Coord is stricter than SnappyInputStream, for files that only damage produces: SnappyInputStream decodes an
// input without the magic header as one raw Snappy block and treats an incomplete chunk length or a bad header in
// the middle of the stream as a clean end. Coord rejects all three with InvalidDataException (ZooKeeper's own
// SnapStream.isValidSnapshot refuses .snappy files without the magic as well). Chunks are also capped
// (MaxBlockBytes uncompressed), where SnappyInputStream allocates whatever a length field says.

using System.Buffers.Binary;
using System.IO.Compression;

namespace Coord.Server.Persistence.Snappy;

/// <summary>
/// A read-only or write-only stream in snappy-java's SnappyOutputStream format (grammar above), used like
/// <see cref="GZipStream"/>: <see cref="CompressionMode.Compress"/> writes, <see cref="CompressionMode.Decompress"/>
/// reads. Not thread-safe.
/// </summary>
public sealed class SnappyFramedStream : Stream
{
    /// <summary>SnappyCodec.MAGIC_HEADER.</summary>
    public static ReadOnlySpan<byte> Magic => [0x82, (byte)'S', (byte)'N', (byte)'A', (byte)'P', (byte)'P', (byte)'Y', 0];

    /// <summary>SnappyCodec.DEFAULT_VERSION and MINIMUM_COMPATIBLE_VERSION.</summary>
    public const int Version = 1, CompatibleVersion = 1;

    public const int HeaderBytes = 16;

    /// <summary>SnappyOutputStream.DEFAULT_BLOCK_SIZE, the block size ZooKeeper writes with.</summary>
    public const int DefaultBlockBytes = 32 * 1024;

    /// <summary>The largest uncompressed block this reader accepts. snappy-java writers choose their block size
    /// (32 KiB by default, 4 MiB in old versions); 64 MiB leaves room for any sensible choice while bounding what a
    /// damaged length field can make the reader allocate.</summary>
    public const int MaxBlockBytes = 64 * 1024 * 1024;

    /// <summary>The first 4 magic bytes as an int: a chunk length with this value begins a concatenated stream's header.</summary>
    private const int MagicHead = unchecked((int)0x82534e41);

    private readonly Stream _inner;
    private readonly bool _leaveOpen;
    private readonly CompressionMode _mode;
    private readonly int _blockBytes;
    private bool _disposed;

    // Writing: uncompressed bytes waiting for a full block; the framed output of one block.
    private byte[] _pending = [];
    private int _pendingCount;
    private byte[] _frame = [];
    private bool _headerWritten;

    // Reading: the current decoded block and the read position in it; the compressed chunk buffer, grown as bytes
    // arrive (never to a size the file has not backed with data).
    private byte[] _block = [];
    private int _blockStart, _blockEnd;
    private byte[] _chunk = [];
    private bool _headerRead, _atEnd;

    public SnappyFramedStream(Stream inner, CompressionMode mode, bool leaveOpen = false, int blockBytes = DefaultBlockBytes)
    {
        ArgumentNullException.ThrowIfNull(inner);
        // SnappyOutputStream.MIN_BLOCK_SIZE is 1 KiB.
        ArgumentOutOfRangeException.ThrowIfLessThan(blockBytes, 1024);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(blockBytes, MaxBlockBytes);
        _inner = inner;
        _mode = mode;
        _leaveOpen = leaveOpen;
        _blockBytes = blockBytes;
        if (mode == CompressionMode.Compress)
        {
            if (!inner.CanWrite) throw new ArgumentException("the stream is not writable", nameof(inner));
            _pending = new byte[blockBytes];
            _frame = new byte[HeaderBytes + 4 + SnappyBlock.MaxCompressedLength(blockBytes)];
        }
        else if (!inner.CanRead)
        {
            throw new ArgumentException("the stream is not readable", nameof(inner));
        }
    }

    public override bool CanRead => _mode == CompressionMode.Decompress && !_disposed;
    public override bool CanWrite => _mode == CompressionMode.Compress && !_disposed;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    // ---- writing -----------------------------------------------------------------------------------------------

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        EnsureMode(CompressionMode.Compress);
        while (!buffer.IsEmpty)
        {
            int n = Math.Min(buffer.Length, _blockBytes - _pendingCount);
            buffer[..n].CopyTo(_pending.AsSpan(_pendingCount));
            _pendingCount += n;
            buffer = buffer[n..];
            if (_pendingCount == _blockBytes) WriteBlock();
        }
    }

    public override void WriteByte(byte value) => Write([value]);

    /// <summary>As SnappyOutputStream.flush(): the header if not yet written, any partial block, then the inner flush.</summary>
    public override void Flush()
    {
        if (_mode != CompressionMode.Compress) return;
        ObjectDisposedException.ThrowIf(_disposed, this);
        WriteBlock();
        _inner.Flush();
    }

    private void WriteBlock()
    {
        int used = 0;
        if (!_headerWritten)
        {
            Magic.CopyTo(_frame);
            BinaryPrimitives.WriteInt32BigEndian(_frame.AsSpan(8), Version);
            BinaryPrimitives.WriteInt32BigEndian(_frame.AsSpan(12), CompatibleVersion);
            used = HeaderBytes;
            _headerWritten = true;
        }
        if (_pendingCount > 0)
        {
            int compressed = SnappyBlock.Compress(_pending.AsSpan(0, _pendingCount), _frame.AsSpan(used + 4));
            BinaryPrimitives.WriteInt32BigEndian(_frame.AsSpan(used), compressed);
            used += 4 + compressed;
            _pendingCount = 0;
        }
        if (used > 0) _inner.Write(_frame, 0, used);
    }

    // ---- reading -----------------------------------------------------------------------------------------------

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        EnsureMode(CompressionMode.Decompress);
        if (buffer.IsEmpty) return 0;
        while (_blockStart == _blockEnd)
        {
            if (!NextBlock()) return 0;
        }
        int n = Math.Min(buffer.Length, _blockEnd - _blockStart);
        _block.AsSpan(_blockStart, n).CopyTo(buffer);
        _blockStart += n;
        return n;
    }

    /// <summary>Decodes the next chunk into <see cref="_block"/>; false at the clean end of the stream.</summary>
    private bool NextBlock()
    {
        if (_atEnd) return false;
        Span<byte> word = stackalloc byte[HeaderBytes];
        if (!_headerRead)
        {
            int got = ReadUpTo(word);
            if (got == 0) throw Bad("empty stream (SnappyOutputStream writes at least its 16-byte header)");
            if (got < HeaderBytes || !word[..8].SequenceEqual(Magic))
                throw Bad("no snappy-java header (\\x82SNAPPY\\0) at the start of the stream");
            CheckHeaderVersion(word);
            _headerRead = true;
        }

        int lengthBytes = ReadUpTo(word[..4]);
        if (lengthBytes == 0)
        {
            _atEnd = true;
            return false;
        }
        if (lengthBytes < 4) throw Bad($"stream ends inside a chunk length ({lengthBytes} of 4 bytes)");
        int chunkLength = BinaryPrimitives.ReadInt32BigEndian(word);
        if (chunkLength == MagicHead)
        {
            // Another SnappyOutputStream's output appended to this one.
            if (ReadUpTo(word[4..]) < HeaderBytes - 4) throw Bad("stream ends inside the header of a concatenated stream");
            if (!word[..8].SequenceEqual(Magic)) throw Bad($"chunk length 0x{chunkLength:x8} is neither a length nor a header");
            CheckHeaderVersion(word);
            _blockStart = _blockEnd = 0;
            return true; // an empty block; Read asks for the next one
        }
        int maxChunk = SnappyBlock.MaxCompressedLength(MaxBlockBytes);
        if (chunkLength <= 0 || chunkLength > maxChunk)
            throw Bad($"chunk length {chunkLength} is outside 1..{maxChunk}");

        ReadChunk(chunkLength);
        var compressed = _chunk.AsSpan(0, chunkLength);
        int length = SnappyBlock.GetUncompressedLength(compressed, MaxBlockBytes, out _);
        if (_block.Length < length) _block = new byte[Math.Max(length, Math.Min(2 * _block.Length, MaxBlockBytes))];
        SnappyBlock.Decompress(compressed, _block, MaxBlockBytes);
        _blockStart = 0;
        _blockEnd = length;
        return true;
    }

    private static void CheckHeaderVersion(ReadOnlySpan<byte> header)
    {
        int version = BinaryPrimitives.ReadInt32BigEndian(header[8..]);
        if (version < CompatibleVersion)
            throw Bad($"compressed with an incompatible codec version {version}; at least version {CompatibleVersion} is required");
    }

    /// <summary>Fills <see cref="_chunk"/> with the next <paramref name="length"/> bytes, growing it only as data
    /// arrives, so a damaged length field in a short file costs no large allocation.</summary>
    private void ReadChunk(int length)
    {
        int got = 0;
        while (got < length)
        {
            if (got == _chunk.Length)
            {
                int grown = (int)Math.Min(length, Math.Max(64 * 1024L, 2L * _chunk.Length));
                Array.Resize(ref _chunk, grown);
            }
            int r = _inner.Read(_chunk, got, Math.Min(length, _chunk.Length) - got);
            if (r == 0) throw Bad($"stream ends inside a chunk ({got} of {length} bytes)");
            got += r;
        }
    }

    private int ReadUpTo(Span<byte> buffer)
    {
        int got = 0;
        while (got < buffer.Length)
        {
            int r = _inner.Read(buffer[got..]);
            if (r == 0) break;
            got += r;
        }
        return got;
    }

    // ---- common ------------------------------------------------------------------------------------------------

    private void EnsureMode(CompressionMode mode)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_mode != mode) throw new NotSupportedException(mode == CompressionMode.Compress ? "this stream decompresses" : "this stream compresses");
    }

    /// <summary>A compressing stream writes its header and last partial block here (SnappyOutputStream.close()).</summary>
    protected override void Dispose(bool disposing)
    {
        if (_disposed) return;
        try
        {
            if (disposing && _mode == CompressionMode.Compress)
            {
                WriteBlock();
                _inner.Flush();
            }
        }
        finally
        {
            _disposed = true;
            if (disposing && !_leaveOpen) _inner.Dispose();
            base.Dispose(disposing);
        }
    }

    private static InvalidDataException Bad(string what) => new("snappy stream: " + what);
}
