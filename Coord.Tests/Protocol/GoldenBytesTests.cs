using System.Buffers;
using Coord.Protocol;
using Coord.Protocol.Jute;
using Coord.Protocol.Records;
using Coord.Tests.Infrastructure;
using NUnit.Framework;

namespace Coord.Tests.Protocol;

/// <summary>
/// Every frame captured from Apache ZooKeeper 3.8.0 (Coord.Tests/Golden/*.hex, written by gen_goldens.py) is
/// decoded with Coord's records and encoded again; the bytes must be identical. Requests are keyed by the opcode in
/// their RequestHeader, replies by the request they answer (or xid -1/-2 for notifications and pings).
/// </summary>
[TestFixture]
public sealed class GoldenBytesTests
{
    public static IEnumerable<string> GoldenFiles() =>
        Directory.GetFiles(Repo.PathOf("Coord.Tests", "Golden"), "*.hex").Select(Path.GetFileName).Order().Cast<string>();

    [TestCaseSource(nameof(GoldenFiles))]
    public void FramesRoundTrip(string file)
    {
        var lines = File.ReadAllLines(Repo.PathOf("Coord.Tests", "Golden", file));
        bool connect = file.StartsWith("connect", StringComparison.Ordinal);
        int lastOp = int.MinValue;
        int checkedFrames = 0;
        foreach (var line in lines)
        {
            if (line.StartsWith("request: ", StringComparison.Ordinal))
            {
                var bytes = Convert.FromHexString(line["request: ".Length..].Trim());
                if (connect)
                {
                    AssertRoundTrip(bytes, (ref JuteReader r, ref JuteWriter w) => ConnectRequest.Read(ref r).Write(ref w));
                }
                else
                {
                    var body = bytes.AsMemory(4);
                    var hr = new JuteReader(body);
                    lastOp = RequestHeader.Read(ref hr).Type;
                    if (!RequestRoundTrips(lastOp)) continue;
                    AssertRoundTrip(bytes, (ref JuteReader r, ref JuteWriter w) =>
                    {
                        var h = RequestHeader.Read(ref r);
                        h.Write(ref w);
                        EncodeRequestBody(h.Type, ref r, ref w);
                    });
                }
                checkedFrames++;
            }
            else if (line.StartsWith("response: ", StringComparison.Ordinal))
            {
                var bytes = Convert.FromHexString(line["response: ".Length..].Trim());
                if (connect)
                {
                    bool ro = bytes.Length == 4 + 37;
                    AssertRoundTrip(bytes, (ref JuteReader r, ref JuteWriter w) => ConnectResponse.Read(ref r).Write(ref w, ro));
                }
                else
                {
                    int op = lastOp;
                    AssertRoundTrip(bytes, (ref JuteReader r, ref JuteWriter w) =>
                    {
                        var h = ReplyHeader.Read(ref r);
                        h.Write(ref w);
                        EncodeReplyBody(h, op, ref r, ref w);
                    });
                }
                checkedFrames++;
            }
        }
        Assert.That(checkedFrames, Is.GreaterThan(0), "no frames in " + file);
    }

    private delegate void Recode(ref JuteReader r, ref JuteWriter w);

    /// <summary>Decodes the frame body twice — contiguous, and split into one-byte segments — and re-encodes it.</summary>
    private static void AssertRoundTrip(byte[] frame, Recode recode)
    {
        var body = frame.AsMemory(4);
        foreach (var input in new[] { new ReadOnlySequence<byte>(body), OneBytePerSegment(body) })
        {
            var r = new JuteReader(input);
            var output = new ArrayBufferWriter<byte>();
            var w = new JuteWriter(output);
            recode(ref r, ref w);
            Assert.That(r.Remaining, Is.EqualTo(0), "bytes left undecoded");
            Assert.That(Convert.ToHexString(output.WrittenSpan), Is.EqualTo(Convert.ToHexString(body.Span)));
        }
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> m, long index) { Memory = m; RunningIndex = index; }
        public Segment Append(ReadOnlyMemory<byte> m) { var s = new Segment(m, RunningIndex + Memory.Length); Next = s; return s; }
    }

    private static ReadOnlySequence<byte> OneBytePerSegment(ReadOnlyMemory<byte> data)
    {
        if (data.Length == 0) return ReadOnlySequence<byte>.Empty;
        var first = new Segment(data[..1], 0);
        var last = first;
        for (int i = 1; i < data.Length; i++) last = last.Append(data.Slice(i, 1));
        return new ReadOnlySequence<byte>(first, 0, last, 1);
    }

    private static bool RequestRoundTrips(int op) => op is not (999 or OpCode.DeleteContainer or OpCode.Notification) && op >= -11;

    private static void EncodeRequestBody(int op, ref JuteReader r, ref JuteWriter w)
    {
        switch (op)
        {
            case OpCode.Create or OpCode.Create2 or OpCode.CreateContainer: CreateRequest.Read(ref r, false).Write(ref w, false); break;
            case OpCode.CreateTtl: CreateRequest.Read(ref r, true).Write(ref w, true); break;
            case OpCode.Delete or OpCode.Check: PathVersionRequest.Read(ref r).Write(ref w); break;
            case OpCode.Exists or OpCode.GetData or OpCode.GetChildren or OpCode.GetChildren2: PathWatchRequest.Read(ref r).Write(ref w); break;
            case OpCode.SetData: SetDataRequest.Read(ref r).Write(ref w); break;
            case OpCode.GetAcl or OpCode.Sync or OpCode.GetEphemerals or OpCode.GetAllChildrenNumber: PathRequest.Read(ref r).Write(ref w); break;
            case OpCode.SetAcl: SetAclRequest.Read(ref r).Write(ref w); break;
            case OpCode.Multi or OpCode.MultiRead: MultiRequest.Read(ref r, out _).Write(ref w); break;
            case OpCode.Reconfig: ReconfigRequest.Read(ref r).Write(ref w); break;
            case OpCode.CheckWatches or OpCode.RemoveWatches or OpCode.AddWatch: PathTypeRequest.Read(ref r).Write(ref w); break;
            case OpCode.Auth: AuthPacket.Read(ref r).Write(ref w); break;
            case OpCode.SetWatches: SetWatchesRequest.Read(ref r, false).Write(ref w, false); break;
            case OpCode.SetWatches2: SetWatchesRequest.Read(ref r, true).Write(ref w, true); break;
            case OpCode.Sasl: SaslToken.Read(ref r).Write(ref w); break;
        }
    }

    private static void EncodeReplyBody(ReplyHeader h, int op, ref JuteReader r, ref JuteWriter w)
    {
        if (h.Xid == Xid.Notification) { WatcherEvent.Read(ref r).Write(ref w); return; }
        if (r.End) return; // header-only replies: errors, delete, ping, setWatches, auth …
        if (h.Err != 0 && op is not (OpCode.Multi or OpCode.MultiRead)) return;
        switch (op)
        {
            case OpCode.Create or OpCode.Sync: PathRequest.Read(ref r).Write(ref w); break;
            case OpCode.Create2 or OpCode.CreateContainer or OpCode.CreateTtl:
                w.WriteString(r.ReadString()); Stat.Read(ref r).Write(ref w); break;
            case OpCode.Exists or OpCode.SetData or OpCode.SetAcl: Stat.Read(ref r).Write(ref w); break;
            case OpCode.GetData: w.WriteBuffer(r.ReadBuffer()); Stat.Read(ref r).Write(ref w); break;
            case OpCode.GetAcl: Acl.WriteList(ref w, Acl.ReadList(ref r)); Stat.Read(ref r).Write(ref w); break;
            case OpCode.GetChildren or OpCode.GetEphemerals: w.WriteStringVector(r.ReadStringVector()); break;
            case OpCode.GetChildren2: w.WriteStringVector(r.ReadStringVector()); Stat.Read(ref r).Write(ref w); break;
            case OpCode.Multi or OpCode.MultiRead: MultiResponse.Write(ref w, MultiResponse.Read(ref r)); break;
            case OpCode.GetAllChildrenNumber or OpCode.AddWatch: w.WriteInt(r.ReadInt()); break;
            case OpCode.Sasl: SaslToken.Read(ref r).Write(ref w); break;
            case OpCode.WhoAmI:
            {
                int n = r.ReadVectorCount();
                w.WriteInt(n);
                for (int i = 0; i < n; i++) ClientInfo.Read(ref r).Write(ref w);
                break;
            }
        }
    }

    [Test]
    public void SessionPasswordIsDerivedAsZooKeeperDerivesIt()
    {
        // connect_44.hex: session 0x0100000241100002 was issued this password by the reference server.
        var pw = Coord.Server.Sessions.SessionTracker.GeneratePassword(0x0100000241100002L);
        Assert.That(Convert.ToHexString(pw).ToLowerInvariant(), Is.EqualTo("9ca2ffdfe74c0ddc8674f1fda178778b"));
        Assert.That(Coord.Server.Sessions.SessionTracker.CheckPassword(0x0100000241100002L, pw), Is.True);
        Assert.That(Coord.Server.Sessions.SessionTracker.CheckPassword(0, pw), Is.False);
    }
}
