// One raw Snappy block (google/snappy format_description.txt), the unit snappy-java's Snappy.compress produces and
// SnappyOutputStream frames:
//
//   Block    = Preamble Element*
//   Preamble = varint uncompressedLength          little-endian base-128, 1–5 bytes, value <= 2^32 - 1
//   Element  = tag byte; its low 2 bits give the kind:
//     00 Literal  len-1 in the upper 6 bits when len <= 60; upper 6 bits 60/61/62/63 mean len-1 follows the tag as a
//                 1/2/3/4-byte little-endian integer. Then len raw bytes.
//     01 Copy1    len = 4 + bits 2..4 (4..11); offset = bits 5..7 << 8 | next byte (11 bits, 0..2047)
//     10 Copy2    len = 1 + bits 2..7 (1..64); offset = next 2 bytes, little-endian
//     11 Copy4    len = 1 + bits 2..7 (1..64); offset = next 4 bytes, little-endian
//   A copy repeats len bytes starting offset bytes back in the output; offset 0 and offsets reaching before the
//   start of the block are invalid; len > offset is allowed and repeats the pattern (run-length encoding). The
//   elements must produce exactly uncompressedLength bytes.
//
// The decoder trusts nothing: every read and every copy is bounds-checked, and the preamble is checked against a
// caller's cap and against what the input could possibly expand to before anything is allocated, so a damaged or
// hostile block ends in InvalidDataException. The encoder is a single-pass hash-table LZ77 matcher in the manner of
// Google's compressor (64 KiB fragments, 4-byte hashes, match-skipping on incompressible input); its output differs
// from Google's byte for byte but is valid Snappy, and decoders need no more.

using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;

namespace Coord.Server.Persistence.Snappy;

/// <summary>Compresses and decompresses raw Snappy blocks (grammar above).</summary>
public static class SnappyBlock
{
    /// <summary>A varint of a 32-bit length takes at most 5 bytes.</summary>
    public const int MaxPreambleBytes = 5;

    /// <summary>The most output one input byte can stand for: a Copy2 element is 3 bytes and yields up to 64 bytes.
    /// Literals and Copy1/Copy4 elements expand less, so no block decodes to more than (body bytes × 64 / 3).</summary>
    private const int MaxExpansionNumerator = 64, MaxExpansionDenominator = 3;

    /// <summary>The encoder matches within fragments of this size, so every offset fits a Copy1 or Copy2 element
    /// and hash-table positions fit in 16 bits.</summary>
    private const int FragmentBytes = 1 << 16;

    /// <summary>Hash table entries (2^14, as Google's compressor uses for 64 KiB fragments).</summary>
    private const int HashTableBits = 14;

    /// <summary>Inputs shorter than this are emitted as one literal; a 4-byte match cannot pay for itself there.</summary>
    private const int MinMatchInputBytes = 16;

    /// <summary>Google's bound (32 + n + n/6): the encoder never writes more than this for n input bytes.</summary>
    public static int MaxCompressedLength(int sourceLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sourceLength);
        long bound = 32L + sourceLength + sourceLength / 6;
        if (bound > Array.MaxLength) throw new ArgumentOutOfRangeException(nameof(sourceLength), "input too large for one Snappy block");
        return (int)bound;
    }

    // ---- decoding ----------------------------------------------------------------------------------------------

    /// <summary>
    /// Reads the preamble: the block's uncompressed length and how many bytes the varint took. Throws
    /// <see cref="InvalidDataException"/> when the varint is unterminated, longer than 5 bytes, above 2^32 - 1,
    /// above <paramref name="maxUncompressedBytes"/>, or larger than the rest of the block could decode to.
    /// </summary>
    public static int GetUncompressedLength(ReadOnlySpan<byte> block, int maxUncompressedBytes, out int preambleBytes)
    {
        ulong value = 0;
        int i = 0;
        while (true)
        {
            if (i == block.Length) throw Bad(block.Length == 0 ? "empty block" : "block ends inside its length varint");
            if (i == MaxPreambleBytes) throw Bad("length varint longer than 5 bytes");
            byte b = block[i];
            value |= (ulong)(b & 0x7f) << (7 * i);
            i++;
            if ((b & 0x80) == 0) break;
        }
        if (value > uint.MaxValue) throw Bad($"uncompressed length {value} exceeds 2^32 - 1");
        if (value > (ulong)maxUncompressedBytes) throw Bad($"uncompressed length {value} exceeds the limit of {maxUncompressedBytes} bytes");
        long body = block.Length - i;
        if ((long)value > body * MaxExpansionNumerator / MaxExpansionDenominator)
            throw Bad($"uncompressed length {value} is more than {body} compressed bytes can hold");
        preambleBytes = i;
        return (int)value;
    }

    /// <summary>Decompresses a whole block into a new array, refusing lengths above <paramref name="maxUncompressedBytes"/>.</summary>
    public static byte[] Decompress(ReadOnlySpan<byte> block, int maxUncompressedBytes)
    {
        int length = GetUncompressedLength(block, maxUncompressedBytes, out int preamble);
        var output = length == 0 ? [] : new byte[length];
        DecodeElements(block[preamble..], output);
        return output;
    }

    /// <summary>Decompresses a block into <paramref name="destination"/>, which must hold its uncompressed length;
    /// returns that length.</summary>
    public static int Decompress(ReadOnlySpan<byte> block, Span<byte> destination, int maxUncompressedBytes)
    {
        int length = GetUncompressedLength(block, maxUncompressedBytes, out int preamble);
        if (destination.Length < length) throw new ArgumentException($"destination holds {destination.Length} bytes; the block needs {length}", nameof(destination));
        DecodeElements(block[preamble..], destination[..length]);
        return length;
    }

    /// <summary>Decodes the elements after the preamble; they must fill <paramref name="output"/> exactly.</summary>
    private static void DecodeElements(ReadOnlySpan<byte> input, Span<byte> output)
    {
        int ip = 0, op = 0;
        while (ip < input.Length)
        {
            byte tag = input[ip++];
            int length, offset;
            switch (tag & 3)
            {
                case 0: // literal
                {
                    long lenMinus1 = tag >> 2;
                    if (lenMinus1 >= 60)
                    {
                        int extra = (int)lenMinus1 - 59; // 1..4 length bytes
                        if (input.Length - ip < extra) throw Bad("block ends inside a literal's length");
                        lenMinus1 = 0;
                        for (int k = 0; k < extra; k++) lenMinus1 |= (long)input[ip + k] << (8 * k);
                        ip += extra;
                    }
                    long len = lenMinus1 + 1; // up to 2^32: a long, so the checks below cannot overflow
                    if (len > output.Length - op) throw Bad($"literal of {len} bytes at output {op} overruns the {output.Length}-byte block");
                    if (len > input.Length - ip) throw Bad($"literal of {len} bytes runs past the end of the input");
                    input.Slice(ip, (int)len).CopyTo(output[op..]);
                    ip += (int)len;
                    op += (int)len;
                    continue;
                }
                case 1: // copy, 1-byte offset
                    if (input.Length - ip < 1) throw Bad("block ends inside a copy");
                    length = 4 + ((tag >> 2) & 7);
                    offset = ((tag >> 5) << 8) | input[ip];
                    ip += 1;
                    break;
                case 2: // copy, 2-byte offset
                    if (input.Length - ip < 2) throw Bad("block ends inside a copy");
                    length = 1 + (tag >> 2);
                    offset = BinaryPrimitives.ReadUInt16LittleEndian(input[ip..]);
                    ip += 2;
                    break;
                default: // copy, 4-byte offset
                {
                    if (input.Length - ip < 4) throw Bad("block ends inside a copy");
                    length = 1 + (tag >> 2);
                    uint off = BinaryPrimitives.ReadUInt32LittleEndian(input[ip..]);
                    if (off > (uint)op) throw Bad($"copy offset {off} reaches before the start of the block (output position {op})");
                    offset = (int)off;
                    ip += 4;
                    break;
                }
            }
            if (offset == 0) throw Bad($"copy with offset 0 at output {op}");
            if (offset > op) throw Bad($"copy offset {offset} reaches before the start of the block (output position {op})");
            if (length > output.Length - op) throw Bad($"copy of {length} bytes at output {op} overruns the {output.Length}-byte block");
            if (offset >= length)
            {
                output.Slice(op - offset, length).CopyTo(output[op..]);
            }
            else
            {
                // Overlapping: each byte may be one this copy just wrote.
                for (int k = 0; k < length; k++) output[op + k] = output[op - offset + k];
            }
            op += length;
        }
        if (op != output.Length) throw Bad($"block decodes to {op} bytes but its preamble says {output.Length}");
    }

    // ---- encoding ----------------------------------------------------------------------------------------------

    /// <summary>Compresses <paramref name="source"/> as one block into <paramref name="destination"/>, which must hold
    /// at least <see cref="MaxCompressedLength"/> bytes; returns the bytes written.</summary>
    public static int Compress(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        if (destination.Length < MaxCompressedLength(source.Length))
            throw new ArgumentException($"destination must hold MaxCompressedLength({source.Length}) bytes", nameof(destination));
        int op = WriteVarint(destination, (uint)source.Length);
        if (source.IsEmpty) return op;
        var table = ArrayPool<ushort>.Shared.Rent(1 << HashTableBits);
        try
        {
            for (int start = 0; start < source.Length; start += FragmentBytes)
            {
                var fragment = source.Slice(start, Math.Min(FragmentBytes, source.Length - start));
                op += CompressFragment(fragment, destination[op..], table.AsSpan(0, 1 << HashTableBits));
            }
        }
        finally
        {
            ArrayPool<ushort>.Shared.Return(table);
        }
        return op;
    }

    private static int CompressFragment(ReadOnlySpan<byte> src, Span<byte> dst, Span<ushort> table)
    {
        int op = 0;
        if (src.Length < MinMatchInputBytes) return op + EmitLiteral(dst, src);

        // table[h] = position of the last 4 bytes seen with hash h. Position 0 doubles as "empty": a false candidate
        // only costs one 4-byte comparison.
        table.Clear();
        int nextEmit = 0;
        int ip = 1;
        int lastMatchStart = src.Length - 4; // the last position a 4-byte read fits
        uint skip = 32; // after 32 misses in a row, step 2 bytes at a time, then 3…: incompressible input goes fast
        while (ip <= lastMatchStart)
        {
            uint cur = BinaryPrimitives.ReadUInt32LittleEndian(src[ip..]);
            int h = Hash(cur);
            int candidate = table[h];
            table[h] = (ushort)ip;
            if (candidate >= ip || BinaryPrimitives.ReadUInt32LittleEndian(src[candidate..]) != cur)
            {
                ip += (int)(skip++ >> 5);
                continue;
            }
            skip = 32;

            op += EmitLiteral(dst[op..], src[nextEmit..ip]);
            // Vectorised; the two ranges may overlap, which is fine for reads.
            int matched = 4 + src[(candidate + 4)..].CommonPrefixLength(src[(ip + 4)..]);
            op += EmitCopy(dst[op..], ip - candidate, matched);
            ip += matched;
            nextEmit = ip;
            // Index the position just before the next search start, so a run continuing the match is found at once.
            if (ip - 1 <= lastMatchStart) table[Hash(BinaryPrimitives.ReadUInt32LittleEndian(src[(ip - 1)..]))] = (ushort)(ip - 1);
        }
        if (nextEmit < src.Length) op += EmitLiteral(dst[op..], src[nextEmit..]);
        return op;
    }

    private static int Hash(uint fourBytes) => (int)((fourBytes * 0x1e35a7bdu) >> (32 - HashTableBits));

    private static int EmitLiteral(Span<byte> dst, ReadOnlySpan<byte> literal)
    {
        if (literal.IsEmpty) return 0;
        uint lenMinus1 = (uint)literal.Length - 1;
        int op;
        if (lenMinus1 < 60)
        {
            dst[0] = (byte)(lenMinus1 << 2);
            op = 1;
        }
        else
        {
            int extra = (32 - BitOperations.LeadingZeroCount(lenMinus1) + 7) / 8; // 1..4 bytes
            dst[0] = (byte)((59 + extra) << 2);
            for (int k = 0; k < extra; k++) dst[1 + k] = (byte)(lenMinus1 >> (8 * k));
            op = 1 + extra;
        }
        literal.CopyTo(dst[op..]);
        return op + literal.Length;
    }

    /// <summary>Offset is at most 65535 (fragments are 64 KiB) and length at least 4.</summary>
    private static int EmitCopy(Span<byte> dst, int offset, int length)
    {
        int op = 0;
        // Copy2 elements carry at most 64 bytes. Leave at least 4 for the last element so it may be a Copy1.
        while (length >= 68)
        {
            op += EmitCopy2(dst[op..], offset, 64);
            length -= 64;
        }
        if (length > 64)
        {
            op += EmitCopy2(dst[op..], offset, 60);
            length -= 60;
        }
        if (length < 12 && offset < 2048)
        {
            dst[op] = (byte)(1 | ((length - 4) << 2) | ((offset >> 8) << 5));
            dst[op + 1] = (byte)offset;
            return op + 2;
        }
        return op + EmitCopy2(dst[op..], offset, length);
    }

    private static int EmitCopy2(Span<byte> dst, int offset, int length)
    {
        dst[0] = (byte)(2 | ((length - 1) << 2));
        BinaryPrimitives.WriteUInt16LittleEndian(dst[1..], (ushort)offset);
        return 3;
    }

    private static int WriteVarint(Span<byte> dst, uint value)
    {
        int i = 0;
        while (value >= 0x80)
        {
            dst[i++] = (byte)(value | 0x80);
            value >>= 7;
        }
        dst[i++] = (byte)value;
        return i;
    }

    private static InvalidDataException Bad(string what) => new("snappy: " + what);
}
