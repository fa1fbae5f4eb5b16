using Coord.Protocol;
using Coord.Protocol.Jute;
using Coord.Protocol.Records;
using Coord.Tests.Infrastructure;
using NUnit.Framework;

namespace Coord.Tests.Integration;

/// <summary>
/// Large values are sent from the node's own array, not copied into the connection's buffer (OutputBuffer): replies
/// must still be byte-exact and in order when large and small replies are pipelined, and a setData that replaces a
/// value while a reply of the old one may still be unsent must not change what that reply carries.
/// </summary>
[TestFixture, Category("Integration")]
public sealed class LargeValueTests
{
    [Test]
    public void PipelinedLargeReadsAreByteExactAndInOrder()
    {
        using var server = ServerProcess.StartCoord();
        using var c = RawClient.Connect(server.Port);
        var values = new[] { 64 * 1024, 64 * 1024 - 1, 300_000, 1_000_000 }
            .Select((n, i) => Enumerable.Range(0, n).Select(k => (byte)(k * 31 + i)).ToArray()).ToArray();
        for (int i = 0; i < values.Length; i++)
        {
            c.SendCreate($"/big{i}", values[i]);
            Assert.That(c.ReadReply().Err, Is.EqualTo(0));
        }
        // Rounds of: every large get, an exists in between, and a setData of /big2 to a new value; the replies come
        // back in order, each get with the value it was read at.
        var expected = new List<(int Xid, byte[]? Data)>();
        var current = (byte[][])values.Clone();
        for (int round = 0; round < 5; round++)
        {
            for (int i = 0; i < values.Length; i++)
            {
                int x = c.Send(OpCode.GetData, (ref JuteWriter w) => new PathWatchRequest($"/big{i}", false).Write(ref w));
                expected.Add((x, current[i]));
                x = c.Send(OpCode.Exists, (ref JuteWriter w) => new PathWatchRequest("/big0", false).Write(ref w));
                expected.Add((x, null));
            }
            var next = current[2].Select(b => (byte)(b ^ 0x5A)).ToArray();
            expected.Add((c.SendSetData("/big2", next), null));
            current[2] = next;
        }
        foreach (var (xid, data) in expected)
        {
            var (rx, err, body) = c.ReadReply();
            Assert.That((rx, err), Is.EqualTo((xid, 0)));
            if (data is null) continue;
            var r = new JuteReader(body);
            Assert.That(r.ReadBuffer(), Is.EqualTo(data), $"xid {xid}");
            var stat = Stat.Read(ref r);
            Assert.That(stat.DataLength, Is.EqualTo(data.Length));
            Assert.That(r.Remaining, Is.Zero);
        }
    }
}
