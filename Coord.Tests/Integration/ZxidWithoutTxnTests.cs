using Coord.Protocol;
using Coord.Protocol.Jute;
using Coord.Tests.Infrastructure;
using NUnit.Framework;

namespace Coord.Tests.Integration;

/// <summary>
/// ZooKeeper 3.8 takes a zxid for a multi whose op has a null path and then fails before any txn exists
/// (MarshallingError, an empty MultiResponse, the last applied zxid): the zxid is used up with nothing logged under it.
/// Coord does the same, so the txn log has a gap there; the replies must stay in request order behind pipelined
/// writes, and a restart must read the log back without taking the gap for damage.
/// </summary>
[TestFixture, Category("Persistence"), NonParallelizable]
public sealed class ZxidWithoutTxnTests
{
    /// <summary>multi [delete(path = null, version -1)]: sub-op header, a null string, the version, the end header.</summary>
    private static readonly byte[] NullPathMulti =
        Convert.FromHexString("00000002" + "00" + "ffffffff" + "ffffffff" + "ffffffff" + "ffffffff" + "01" + "ffffffff");

    [Test]
    public void ANullPathMultiUsesAZxidAndTheLogStillRestores()
    {
        var data = Directory.CreateTempSubdirectory("coord-zxid-gap-").FullName;
        try
        {
            long zb, zc;
            using (var server = ServerProcess.StartCoordIn(data, ownsDataDir: false, "snapCount=1000000"))
            {
                using var c = RawClient.Connect(server.Port);
                c.SendCreate("/a", [1]);
                Assert.That(c.ReadReply().Err, Is.EqualTo(0));

                // Pipelined: the multi's reply must come between the two creates' replies.
                int xb = c.SendCreate("/b", [2]);
                int xm = c.SendRaw(OpCode.Multi, NullPathMulti);
                int xc = c.SendCreate("/c", [3]);
                var b = c.ReadReply();
                zb = c.LastReplyZxid;
                var m = c.ReadReply();
                long zm = c.LastReplyZxid;
                var cc = c.ReadReply();
                zc = c.LastReplyZxid;
                Assert.That((b.Xid, m.Xid, cc.Xid), Is.EqualTo((xb, xm, xc)), "replies in request order");
                Assert.That((b.Err, cc.Err), Is.EqualTo((0, 0)));
                Assert.That(m.Err, Is.EqualTo((int)KeeperErrorCode.MarshallingError));
                Assert.That(Convert.ToHexString(m.Body), Is.EqualTo("FFFFFFFF01FFFFFFFF"), "an empty MultiResponse");
                Assert.That(zm, Is.EqualTo(zb), "the multi's reply carries the last applied zxid");
                Assert.That(zc, Is.EqualTo(zb + 2), "the multi used up one zxid");
                server.Kill();
            }
            using (var again = ServerProcess.StartCoordIn(data, ownsDataDir: false))
            {
                using var c = RawClient.Connect(again.Port);
                Assert.That(c.GetChildren("/").Children, Is.SupersetOf(new[] { "a", "b", "c" }), "every acknowledged create survived");
                c.SendCreate("/d", [4]);
                Assert.That(c.ReadReply().Err, Is.EqualTo(0));
                Assert.That(c.LastReplyZxid, Is.GreaterThan(zc), "zxids go on after the last logged txn");
            }
        }
        finally
        {
            try { Directory.Delete(data, recursive: true); } catch { /* best effort */ }
        }
    }
}
