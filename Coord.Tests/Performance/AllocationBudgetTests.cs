using System.Buffers;
using System.Buffers.Binary;
using Coord.Protocol;
using Coord.Protocol.Framing;
using Coord.Protocol.Jute;
using Coord.Protocol.Records;
using Coord.Server.Auth;
using Coord.Server.Data;
using NUnit.Framework;

namespace Coord.Tests.Performance;

/// <summary>
/// Allocation budgets for the socket-free pieces of the hot paths, measured with
/// <see cref="GC.GetAllocatedBytesForCurrentThread"/> (exact for the calling thread) over many iterations after a
/// warm-up, so type loading and JIT tiering are done before the count starts. A budget is a ceiling: lowering the real
/// figure never fails a test; any new per-request allocation on these paths does.
/// </summary>
[TestFixture, Category("Performance")]
public sealed class AllocationBudgetTests
{
    private const int WarmupIterations = 20_000;
    private const int MeasuredIterations = 100_000;
    /// <summary>One-off runtime allocations on this thread (e.g. a lazily created cache) amortised over the measured
    /// iterations: up to 100 KB in total, i.e. 1 byte per iteration.</summary>
    private const double SlackBytesPerIteration = 1.0;

    /// <summary>24 characters: a typical service path.</summary>
    private const string ReadPath = "/app/config/service-0042";

    /// <summary>Bytes of a System.String of <paramref name="length"/> UTF-16 chars on a 64-bit runtime: object header 8
    /// + method table 8 + length 4 + 2 per char + 2 for the terminator, rounded up to 8.</summary>
    private static long StringBytes(int length) => (8 + 8 + 4 + 2L * length + 2 + 7) & ~7L;

    private static (DataTree Tree, long Zxid) TreeWithReadNode()
    {
        var tree = new DataTree();
        long zxid = 0;
        var data = new byte[100];
        new Random(3).NextBytes(data);
        foreach (var p in new[] { "/app", "/app/config" })
            tree.ProcessTxn(new TxnHeader(0x100, 1, ++zxid, zxid, OpCode.Create), new CreateTxn(p, [], Acl.OpenAclUnsafe, false, -1));
        for (int i = 0; i < 100; i++)
            tree.ProcessTxn(new TxnHeader(0x100, 1, ++zxid, zxid, OpCode.Create),
                new CreateTxn($"/app/config/service-{i:D4}", data, Acl.OpenAclUnsafe, false, -1));
        return (tree, zxid);
    }

    private static byte[] GetDataFrame(int xid, string path)
    {
        var buf = new ArrayBufferWriter<byte>();
        var w = new JuteWriter(buf);
        w.WriteInt(0);
        new RequestHeader(xid, OpCode.GetData).Write(ref w);
        new PathWatchRequest(path, false).Write(ref w);
        var bytes = buf.WrittenSpan.ToArray();
        BinaryPrimitives.WriteInt32BigEndian(bytes, bytes.Length - 4);
        return bytes;
    }

    /// <summary>
    /// One getData as the server serves it, minus the socket and the queue hop: slice the frame (FrameReader), decode
    /// RequestHeader + PathWatchRequest (JuteReader), look the node up (DataTree.GetNode), check READ (AclChecker),
    /// write a framed ReplyHeader + data + Stat (JuteWriter) into a reused ArrayBufferWriter.
    /// Returns the reply length so nothing is optimised away.
    /// </summary>
    private static int ServeGetData(ReadOnlySequence<byte> input, DataTree tree, IReadOnlyList<Id> authInfo, ArrayBufferWriter<byte> output)
    {
        if (FrameReader.TryReadFrame(ref input, JuteLimits.DefaultMaxBufferBytes, out var body, out _) != FrameReader.Result.Frame)
            throw new InvalidOperationException("frame did not slice");
        var r = new JuteReader(body);
        var header = RequestHeader.Read(ref r);
        var request = PathWatchRequest.Read(ref r);
        var node = tree.GetNode(request.Path) ?? throw new InvalidOperationException("no node");
        if (!AclChecker.Allowed(node.Acl, Perms.Read, authInfo)) throw new InvalidOperationException("no READ");
        output.ResetWrittenCount();
        var w = new JuteWriter(output);
        w.WriteInt(0);
        new ReplyHeader(header.Xid, tree.LastProcessedZxid, 0).Write(ref w);
        w.WriteBuffer(node.Data);
        node.ToStat().Write(ref w);
        int len = output.WrittenCount;
        BinaryPrimitives.WriteInt32BigEndian(System.Runtime.InteropServices.MemoryMarshal.AsMemory(output.WrittenMemory).Span, len - 4);
        return len;
    }

    private static double BytesPerIteration(Func<int> body)
    {
        long sink = 0;
        for (int i = 0; i < WarmupIterations; i++) sink += body();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < MeasuredIterations; i++) sink += body();
        long after = GC.GetAllocatedBytesForCurrentThread();
        GC.KeepAlive(sink);
        return (after - before) / (double)MeasuredIterations;
    }

    [Test]
    public void GetDataReadPathAllocatesOnlyThePathString()
    {
        var (tree, _) = TreeWithReadNode();
        var input = new ReadOnlySequence<byte>(GetDataFrame(42, ReadPath));
        IReadOnlyList<Id> authInfo = [new Id("ip", "127.0.0.1")];
        var output = new ArrayBufferWriter<byte>(4096);

        double perRequest = BytesPerIteration(() => ServeGetData(input, tree, authInfo, output));

        // Budget: the decoded path is the only unavoidable allocation. The tree is keyed by string, so the request's
        // path has to become a string to be looked up; everything else is value types (RequestHeader, PathWatchRequest,
        // ReplyHeader, Stat are record structs, JuteReader/JuteWriter are ref structs over the frame and the reused
        // output buffer), and the node's data is copied into the reply, not cloned. For the 24-char path that is 72 B.
        long budget = StringBytes(ReadPath.Length);
        TestContext.Out.WriteLine($"getData read path: {perRequest:0.##} B/request (budget {budget} B)");
        Assert.That(output.WrittenCount, Is.EqualTo(4 + 16 + 4 + 100 + Stat.SizeBytes), "reply = length + ReplyHeader + data + Stat");
        Assert.That(perRequest, Is.LessThanOrEqualTo(budget + SlackBytesPerIteration),
            $"the getData read path allocates {perRequest:0.##} B per request; the budget is the path string ({budget} B)");
    }

    [Test]
    public void ReplySerialisationAllocatesNothing()
    {
        var (tree, _) = TreeWithReadNode();
        var node = tree.GetNode(ReadPath)!;
        var output = new ArrayBufferWriter<byte>(4096);

        double perReply = BytesPerIteration(() =>
        {
            output.ResetWrittenCount();
            var w = new JuteWriter(output);
            new ReplyHeader(42, tree.LastProcessedZxid, 0).Write(ref w);
            w.WriteBuffer(node.Data);
            node.ToStat().Write(ref w);
            return output.WrittenCount;
        });

        // Budget 0: the reply is written into a buffer that is already large enough, from value types and the node's
        // existing data array.
        TestContext.Out.WriteLine($"ReplyHeader + data + Stat: {perReply:0.##} B/reply (budget 0 B)");
        Assert.That(perReply, Is.LessThanOrEqualTo(SlackBytesPerIteration), $"reply serialisation allocates {perReply:0.##} B");
    }
}
