using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Coord.Server.Persistence.Snappy;
using Coord.Tests.Infrastructure;
using NUnit.Framework;

namespace Coord.Tests.Persistence;

/// <summary>
/// The Snappy block codec and snappy-java's stream framing: round trips, hand-built element encodings from
/// format_description.txt, damaged and hostile input (always InvalidDataException), and both directions against
/// snappy-java itself (the library ZooKeeper's SnapStream uses).
/// </summary>
[TestFixture, Category("Persistence")]
public sealed class SnappyTests
{
    public enum Kind { Random, Zeros, Text, Periodic }

    private static byte[] Data(Kind kind, int size, int seed = 1)
    {
        var rnd = new Random(seed + size);
        var data = new byte[size];
        switch (kind)
        {
            case Kind.Random:
                rnd.NextBytes(data);
                break;
            case Kind.Zeros:
                break;
            case Kind.Text:
            {
                string[] words = ["zookeeper", "znode", "/app/config", "session", "ephemeral", "0x1a2b", "ACL", "digest", " ", "\n"];
                var sb = new StringBuilder();
                while (sb.Length < size) sb.Append(words[rnd.Next(words.Length)]).Append(rnd.Next(1000)).Append(' ');
                Encoding.ASCII.GetBytes(sb.ToString(0, size), data);
                break;
            }
            case Kind.Periodic:
                for (int i = 0; i < size; i++) data[i] = (byte)(i % 251 ^ i / 4000);
                break;
        }
        return data;
    }

    private static byte[] Compress(ReadOnlySpan<byte> data)
    {
        var dst = new byte[SnappyBlock.MaxCompressedLength(data.Length)];
        int n = SnappyBlock.Compress(data, dst);
        return dst[..n];
    }

    private const int Cap = 64 << 20;

    // ---- block codec -------------------------------------------------------------------------------------------

    [Test]
    public void BlocksRoundTrip([Values] Kind kind,
        [Values(0, 1, 4, 15, 16, 17, 60, 61, 255, 256, 2047, 2049, 32767, 32768, 32769, 65535, 65536, 65537, 200_000)] int size)
    {
        var data = Data(kind, size);
        var block = Compress(data);
        Assert.That(block.Length, Is.LessThanOrEqualTo(SnappyBlock.MaxCompressedLength(size)));
        Assert.That(SnappyBlock.GetUncompressedLength(block, Cap, out _), Is.EqualTo(size), "preamble");
        Assert.That(SnappyBlock.Decompress(block, Cap), Is.EqualTo(data));
        if (kind == Kind.Zeros && size >= 4096)
            Assert.That(block.Length, Is.LessThan(size / 20), "a run becomes 64-byte copies of 3 bytes each");
        if (kind == Kind.Periodic && size >= 4096)
            Assert.That(block.Length, Is.LessThan(size / 8), "a 251-byte pattern, new every 4000 bytes, becomes copies");
        if (kind == Kind.Text && size >= 4096)
            Assert.That(block.Length, Is.LessThan(size * 7 / 10), "text compresses");
    }

    [Test]
    public void EveryElementKindDecodesAsTheFormatDescriptionSays()
    {
        // format_description.txt's own example: "xababab" = <literal "xab"> <copy offset=2 length=4>, as each copy kind.
        var xab = new byte[] { 7, (3 - 1) << 2, (byte)'x', (byte)'a', (byte)'b' };
        Assert.That(Encoding.ASCII.GetString(SnappyBlock.Decompress([.. xab, 0b000_000_01, 2], Cap)), Is.EqualTo("xababab"), "copy, 1-byte offset");
        Assert.That(Encoding.ASCII.GetString(SnappyBlock.Decompress([.. xab, (4 - 1) << 2 | 2, 2, 0], Cap)), Is.EqualTo("xababab"), "copy, 2-byte offset");
        Assert.That(Encoding.ASCII.GetString(SnappyBlock.Decompress([.. xab, (4 - 1) << 2 | 3, 2, 0, 0, 0], Cap)), Is.EqualTo("xababab"), "copy, 4-byte offset");

        // Literals whose length-1 follows the tag in 1, 2, 3 and 4 bytes (tags 60..63); the 4-byte form is not
        // minimal here but is legal.
        foreach (var (len, tag, lenBytes) in new (int, int, byte[])[]
                 {
                     (61, 60, [60]), (300, 61, [0x2b, 0x01]), (70_000, 62, [0x6f, 0x11, 0x01]), (70_000, 63, [0x6f, 0x11, 0x01, 0x00]),
                 })
        {
            var payload = Data(Kind.Random, len);
            var varint = new List<byte>();
            for (uint v = (uint)len; ; v >>= 7) { if (v < 0x80) { varint.Add((byte)v); break; } varint.Add((byte)(v | 0x80)); }
            byte[] block = [.. varint, (byte)(tag << 2), .. lenBytes, .. payload];
            Assert.That(SnappyBlock.Decompress(block, Cap), Is.EqualTo(payload), $"literal of {len} with tag {tag}");
        }

        // A 1-byte-offset copy using the offset's upper 3 bits (offset 1500 = 0b101_11011100), length 11.
        var lit = Data(Kind.Random, 1500);
        byte[] far = [0xe7, 0x0b /* 1511 */, 61 << 2, 0xdb, 0x05 /* 1499 */, .. lit, (byte)(0b101 << 5 | (11 - 4) << 2 | 1), 0xdc];
        Assert.That(SnappyBlock.Decompress(far, Cap), Is.EqualTo(lit.Concat(lit[..11]).ToArray()));

        // A run: offset 1, length 64 repeats one byte (the copy reads what it writes).
        Assert.That(SnappyBlock.Decompress([65, 0, (byte)'z', (64 - 1) << 2 | 2, 1, 0], Cap), Is.EqualTo(Enumerable.Repeat((byte)'z', 65).ToArray()));

        // An empty block is its preamble alone.
        Assert.That(SnappyBlock.Decompress([0], Cap), Is.Empty);
    }

    private static IEnumerable<TestCaseData> HostileBlocks()
    {
        TestCaseData Case(string why, params byte[] block) => new TestCaseData(block).SetName("HostileBlock: " + why);
        yield return Case("empty input");
        yield return Case("unterminated varint", 0x80);
        yield return Case("varint of 6 bytes", 0x80, 0x80, 0x80, 0x80, 0x80, 0x01);
        yield return Case("length above 2^32-1", 0xff, 0xff, 0xff, 0xff, 0x1f, 0x00, 0x61);
        yield return Case("length 4 GiB - 1 with 1 body byte", 0xff, 0xff, 0xff, 0xff, 0x0f, 0x00);
        yield return Case("length more than the body can expand to", 100, 0x00, 0x61);
        yield return Case("literal cut short", 5, 4 << 2, 0x61, 0x62);
        yield return Case("literal longer than the declared length", 2, 2 << 2, 0x61, 0x62, 0x63);
        yield return Case("literal length bytes cut short", 3, 63 << 2, 0xff);
        yield return Case("literal length 2^32 overflows", 3, 63 << 2, 0xff, 0xff, 0xff, 0xff, 0x61, 0x62, 0x63);
        yield return Case("copy before any output", 4, 0x01, 0x01);
        yield return Case("copy offset 0", 5, 0x00, 0x61, 0x01, 0x00);
        yield return Case("copy2 offset 0", 5, 0x00, 0x61, (4 - 1) << 2 | 2, 0x00, 0x00);
        yield return Case("copy offset beyond the output", 5, 0x00, 0x61, 0x01, 0x02);
        yield return Case("copy4 offset 2^32-1", 5, 0x00, 0x61, (4 - 1) << 2 | 3, 0xff, 0xff, 0xff, 0xff);
        yield return Case("copy past the declared length", 3, 0x00, 0x61, (4 - 1) << 2 | 2, 0x01, 0x00);
        yield return Case("copy1 cut short", 5, 0x00, 0x61, 0x01);
        yield return Case("copy2 cut short", 5, 0x00, 0x61, (4 - 1) << 2 | 2, 0x01);
        yield return Case("copy4 cut short", 5, 0x00, 0x61, (4 - 1) << 2 | 3, 0x01, 0x00, 0x00);
        yield return Case("fewer bytes than declared", 5, 0x00, 0x61);
    }

    [TestCaseSource(nameof(HostileBlocks))]
    public void HostileBlocksAreInvalidData(byte[] block)
    {
        Assert.That(() => SnappyBlock.Decompress(block, Cap), Throws.InstanceOf<InvalidDataException>());
    }

    [Test]
    public void TheCallersLengthCapHoldsBeforeAnyAllocation()
    {
        var block = Compress(new byte[100_000]); // a few hundred bytes that really do expand to 100,000
        Assert.That(() => SnappyBlock.Decompress(block, 99_999), Throws.InstanceOf<InvalidDataException>().With.Message.Contains("limit"));
        Assert.That(SnappyBlock.Decompress(block, 100_000), Has.Length.EqualTo(100_000));
    }

    [Test]
    public void DamagedBlocksFailOnlyWithInvalidData()
    {
        // Random damage to valid blocks: each result is either some output or InvalidDataException, never an
        // out-of-range access, another exception or a hang.
        var rnd = new Random(20261126);
        var sources = new[] { Data(Kind.Text, 5000), Data(Kind.Periodic, 3000), Data(Kind.Random, 500) }.Select(d => Compress(d)).ToArray();
        int failures = 0;
        for (int i = 0; i < 5000; i++)
        {
            var block = (byte[])sources[i % sources.Length].Clone();
            switch (rnd.Next(3))
            {
                case 0:
                    for (int k = rnd.Next(1, 4); k > 0; k--) block[rnd.Next(block.Length)] ^= (byte)rnd.Next(1, 256);
                    break;
                case 1:
                    block = block[..rnd.Next(block.Length)];
                    break;
                default:
                    block[rnd.Next(block.Length)] = (byte)rnd.Next(256);
                    block = [.. block[..1], (byte)rnd.Next(256), .. block[1..]];
                    break;
            }
            try
            {
                SnappyBlock.Decompress(block, 1 << 20);
            }
            catch (InvalidDataException)
            {
                failures++;
            }
        }
        Assert.That(failures, Is.GreaterThan(2500), "most damage is detected");
    }

    // ---- stream framing ----------------------------------------------------------------------------------------

    private static byte[] Frame(byte[] data, int writeSize)
    {
        var ms = new MemoryStream();
        using (var z = new SnappyFramedStream(ms, CompressionMode.Compress, leaveOpen: true))
        {
            for (int i = 0; i < data.Length; i += writeSize) z.Write(data, i, Math.Min(writeSize, data.Length - i));
        }
        return ms.ToArray();
    }

    private static byte[] Unframe(byte[] framed, int readSize = 4096)
    {
        using var z = new SnappyFramedStream(new MemoryStream(framed), CompressionMode.Decompress);
        var ms = new MemoryStream();
        var buf = new byte[readSize];
        for (int n; (n = z.Read(buf, 0, buf.Length)) > 0;) ms.Write(buf, 0, n);
        return ms.ToArray();
    }

    /// <summary>The uncompressed size of each chunk, walking the framing by hand.</summary>
    private static List<int> ChunkSizes(byte[] framed)
    {
        var sizes = new List<int>();
        for (int p = SnappyFramedStream.HeaderBytes; p < framed.Length;)
        {
            int len = BinaryPrimitives.ReadInt32BigEndian(framed.AsSpan(p));
            sizes.Add(SnappyBlock.GetUncompressedLength(framed.AsSpan(p + 4, len), Cap, out _));
            p += 4 + len;
        }
        return sizes;
    }

    [Test]
    public void TheStreamStartsWithSnappyJavasHeaderEvenWhenEmpty()
    {
        var empty = Frame([], 1);
        Assert.That(empty, Is.EqualTo(new byte[] { 0x82, (byte)'S', (byte)'N', (byte)'A', (byte)'P', (byte)'P', (byte)'Y', 0, 0, 0, 0, 1, 0, 0, 0, 1 }));
        Assert.That(Unframe(empty), Is.Empty);
    }

    [Test]
    public void StreamsRoundTripIn32KiBBlocks([Values(1, 32767, 32768, 32769, 65536, 100_000)] int size, [Values(7, 1000, 1 << 20)] int writeSize)
    {
        var data = Data(Kind.Text, size);
        var framed = Frame(data, writeSize);
        var expected = Enumerable.Repeat(SnappyFramedStream.DefaultBlockBytes, size / SnappyFramedStream.DefaultBlockBytes).ToList();
        if (size % SnappyFramedStream.DefaultBlockBytes != 0) expected.Add(size % SnappyFramedStream.DefaultBlockBytes);
        Assert.That(ChunkSizes(framed), Is.EqualTo(expected), "full 32 KiB blocks, then the rest");
        Assert.That(Unframe(framed, 7), Is.EqualTo(data));
        Assert.That(Unframe(framed, 1 << 16), Is.EqualTo(data));
    }

    [Test]
    public void FlushWritesAPartialBlockAndConcatenatedStreamsReadAsOne()
    {
        var ms = new MemoryStream();
        using (var z = new SnappyFramedStream(ms, CompressionMode.Compress, leaveOpen: true))
        {
            z.Write("abc"u8);
            z.Flush();
            Assert.That(ms.Length, Is.GreaterThan(SnappyFramedStream.HeaderBytes), "flush emits the partial block, as SnappyOutputStream.flush does");
            z.Write("def"u8);
        }
        Assert.That(ChunkSizes(ms.ToArray()), Is.EqualTo(new[] { 3, 3 }));
        var second = Frame(Data(Kind.Random, 40_000), 1000);
        Assert.That(Unframe([.. ms.ToArray(), .. second, .. Frame([], 1)]), Is.EqualTo("abcdef"u8.ToArray().Concat(Data(Kind.Random, 40_000)).ToArray()));
    }

    private static IEnumerable<TestCaseData> DamagedStreams()
    {
        var good = Frame(Data(Kind.Text, 50_000), 1000);
        int firstChunk = BinaryPrimitives.ReadInt32BigEndian(good.AsSpan(16));
        TestCaseData Case(string why, byte[] stream) => new TestCaseData(stream).SetName("DamagedStream: " + why);
        yield return Case("empty file", []);
        yield return Case("no header (a raw block, which SnappyInputStream would accept)", Compress(Data(Kind.Text, 100)));
        yield return Case("header cut short", good[..10]);
        yield return Case("version 0", [.. good[..8], 0, 0, 0, 0, .. good[12..]]);
        yield return Case("cut inside a chunk length", good[..18]);
        yield return Case("cut inside a chunk", good[..(20 + firstChunk / 2)]);
        yield return Case("chunk length 0", [.. good[..16], 0, 0, 0, 0]);
        yield return Case("negative chunk length", [.. good[..16], 0xff, 0xff, 0xff, 0xf0, .. good[20..]]);
        yield return Case("chunk length beyond the cap", [.. good[..16], 0x7f, 0xff, 0xff, 0xff, .. good[20..]]);
        yield return Case("bad header of a concatenated stream", [.. good, 0x82, (byte)'S', (byte)'N', (byte)'A', (byte)'X', (byte)'P', (byte)'Y', 0, 0, 0, 0, 1, 0, 0, 0, 1]);
        yield return Case("concatenated header cut short", [.. good, 0x82, (byte)'S', (byte)'N', (byte)'A', (byte)'P']);
        var badBlock = (byte[])good.Clone();
        badBlock[20] = 0xff; // the first block's length varint now says 32,895 bytes; its elements make 32,768
        yield return Case("block whose preamble disagrees with its elements", badBlock);
    }

    [TestCaseSource(nameof(DamagedStreams))]
    public void DamagedStreamsAreInvalidData(byte[] stream)
    {
        Assert.That(() => Unframe(stream), Throws.InstanceOf<InvalidDataException>());
    }

    [Test]
    public void AChunkLengthTheFileDoesNotBackCostsNoLargeAllocation()
    {
        byte[] stream = [.. Frame([], 1), 0x04, 0x00, 0x00, 0x00 /* 64 MiB */, 1, 2, 3];
        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.That(() => Unframe(stream), Throws.InstanceOf<InvalidDataException>().With.Message.Contains("ends inside a chunk"));
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.LessThan(1 << 20), "bytes allocated");
    }

    // ---- against snappy-java -----------------------------------------------------------------------------------

    private const string SnappyJavaJar = "/usr/share/java/snappy-java.jar";

    /// <summary>Runs SnappyJava.java (SnappyInputStream or SnappyOutputStream) on pairs of files.</summary>
    private static void RunSnappyJava(string mode, IEnumerable<(string In, string Out)> files)
    {
        if (!File.Exists(SnappyJavaJar)) Assert.Ignore("snappy-java (Debian package libsnappy-java) is not installed");
        var r = Repo.Run("java", ["-Xmx256m", "-cp", SnappyJavaJar, Repo.PathOf("Coord.Tests", "Persistence", "SnappyJava.java"), mode,
            .. files.SelectMany(f => new[] { f.In, f.Out })], TimeSpan.FromMinutes(2));
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
    }

    private static readonly (Kind Kind, int Size)[] JavaCases =
    [
        (Kind.Text, 0), (Kind.Text, 1), (Kind.Random, 32767), (Kind.Text, 32768), (Kind.Periodic, 32769),
        (Kind.Zeros, 100_000), (Kind.Random, 100_000), (Kind.Text, 300_001),
    ];

    [Test]
    public void SnappyJavaReadsWhatCoordWrites()
    {
        using var dir = new TempDir();
        var files = JavaCases.Select((c, i) =>
        {
            var framed = dir.Sub($"c{i}.snappy");
            File.WriteAllBytes(framed, Frame(Data(c.Kind, c.Size), 1000));
            return (framed, dir.Sub($"c{i}.out"));
        }).ToList();
        RunSnappyJava("decode", files);
        for (int i = 0; i < JavaCases.Length; i++)
            Assert.That(File.ReadAllBytes(files[i].Item2), Is.EqualTo(Data(JavaCases[i].Kind, JavaCases[i].Size)), $"{JavaCases[i]}");
    }

    [Test]
    public void CoordReadsWhatSnappyJavaWrites()
    {
        using var dir = new TempDir();
        var files = JavaCases.Select((c, i) =>
        {
            var plain = dir.Sub($"j{i}.bin");
            File.WriteAllBytes(plain, Data(c.Kind, c.Size));
            return (plain, dir.Sub($"j{i}.snappy"));
        }).ToList();
        RunSnappyJava("encode", files);
        for (int i = 0; i < JavaCases.Length; i++)
        {
            var framed = File.ReadAllBytes(files[i].Item2);
            Assert.That(framed[..SnappyFramedStream.HeaderBytes], Is.EqualTo(Frame([], 1)), "the same 16-byte header");
            Assert.That(Unframe(framed), Is.EqualTo(Data(JavaCases[i].Kind, JavaCases[i].Size)), $"{JavaCases[i]}");
            if (JavaCases[i].Size > 0)
                Assert.That(ChunkSizes(framed).Max(), Is.EqualTo(Math.Min(JavaCases[i].Size, SnappyFramedStream.DefaultBlockBytes)), "32 KiB blocks");
        }
    }
}
