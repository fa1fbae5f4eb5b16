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
}
