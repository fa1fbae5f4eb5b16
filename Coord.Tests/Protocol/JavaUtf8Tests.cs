using Coord.Protocol.Jute;
using NUnit.Framework;

namespace Coord.Tests.Protocol;

/// <summary>
/// Strings decode as ZooKeeper decodes them: Golden/java-utf8-decode.tsv holds what JDK 17's
/// <c>new String(bytes, UTF_8)</c> made of 50 chosen and 400 random byte strings (Golden/JavaUtf8Vectors.java
/// regenerates it), malformed UTF-8 included.
/// </summary>
[TestFixture]
public sealed class JavaUtf8Tests
{
    private static IEnumerable<TestCaseData> Vectors() =>
        File.ReadLines(Path.Combine(AppContext.BaseDirectory, "Golden", "java-utf8-decode.tsv"))
            .Select((line, i) => (line.Split('\t'), i))
            .Select(x => new TestCaseData(x.Item1[0], x.Item1[1]).SetName($"Vector{x.i:000}_{(x.Item1[0].Length == 0 ? "empty" : x.Item1[0])}"));

    [TestCaseSource(nameof(Vectors))]
    public void DecodesAsJava17(string inputHex, string expectedUtf16)
    {
        var decoded = JavaUtf8.GetString(Convert.FromHexString(inputHex));
        var units = string.Join(' ', decoded.Select(c => ((int)c).ToString("x4")));
        Assert.That(units, Is.EqualTo(expectedUtf16));
    }

    [Test]
    public void JuteStringsUseIt()
    {
        // A ustring of "/a" + ED A0 80 (a surrogate encoded in three bytes): one U+FFFD, as ZooKeeper reads it.
        var bytes = Convert.FromHexString("000000052f61eda080");
        var r = new JuteReader(bytes.AsMemory());
        Assert.That(r.ReadString(), Is.EqualTo("/a\uFFFD"));
    }

    /// <summary>ZooKeeper 3.8.0 echoes a sync of "/x" + F0 9F 98 80 (U+1F600) as "/x" + ED A0 BD ED B8 80 (measured,
    /// mutate seed 23 case 141): its writeString encodes char by char.</summary>
    [TestCase("/x\U0001F600", "00000008 2f78eda0bdedb880")]
    [TestCase("a\0\u00e9\u20ac", "00000007 6100c3a9e282ac")]
    [TestCase("\U0001F600\u00e9", "00000008 eda0bdedb880c3a9")]
    public void JuteStringsAreWrittenCharByCharAsZooKeeperWritesThem(string value, string expectedHex)
    {
        var buf = new System.Buffers.ArrayBufferWriter<byte>();
        var w = new JuteWriter(buf);
        w.WriteString(value);
        Assert.That(Convert.ToHexString(buf.WrittenSpan).ToLowerInvariant(), Is.EqualTo(expectedHex.Replace(" ", "")));
        Assert.That(JavaUtf8.GetByteCount(value), Is.EqualTo(buf.WrittenCount - 4));
    }
}
