using System.Buffers;
using System.Buffers.Binary;
using Coord.Protocol;
using Coord.Protocol.Framing;
using Coord.Protocol.Jute;
using Coord.Protocol.Records;
using Coord.Server.Auth;
using Coord.Server.Data;
using Coord.Server.Hosting;
using Coord.Server.Processing;
using Coord.Server.Sessions;
using Coord.Zab;
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
        ZooKeeperServer.WriteData(ref w, node);
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
            ZooKeeperServer.WriteData(ref w, node);
            node.ToStat().Write(ref w);
            return output.WrittenCount;
        });

        // Budget 0: the reply is written into a buffer that is already large enough, from value types and the node's
        // existing data array.
        TestContext.Out.WriteLine($"ReplyHeader + data + Stat: {perReply:0.##} B/reply (budget 0 B)");
        Assert.That(perReply, Is.LessThanOrEqualTo(SlackBytesPerIteration), $"reply serialisation allocates {perReply:0.##} B");
    }

    /// <summary>The socket-free setData write path (<see cref="SetDataWritePath"/>), stage by stage, so that a new
    /// allocation fails the test and names the stage it is in.</summary>
    [Test]
    public void SetDataWritePathAllocatesOnlyItsRecords()
    {
        var (tree, _) = TreeWithReadNode();
        var data = new byte[WriteDataBytes];
        new Random(4).NextBytes(data);
        var path = new SetDataWritePath(tree, ReadPath, data);

        for (int i = 0; i < WarmupIterations; i++) path.ServeOne();
        path.ResetCounters();
        for (int i = 0; i < MeasuredIterations; i++) path.ServeOne();
        double decode = path.DecodeBytes / (double)MeasuredIterations;
        double prepare = path.PrepareBytes / (double)MeasuredIterations;
        double apply = path.ApplyBytes / (double)MeasuredIterations;
        double reply = path.ReplyBytes / (double)MeasuredIterations;

        // Budget per setData of 100 B on a 24-char path: 360 B decode + 280 B prepare + 272 B apply + 0 B reply = 912 B,
        // each stage named where its budget is defined below. The txn log append that a durable server adds between
        // prepare and apply allocates nothing per entry (TxnLogBenchmarks, Allocated column).
        TestContext.Out.WriteLine($"setData write path, B/request: decode {decode:0.##} (budget {DecodeBudget}), prepare {prepare:0.##} " +
            $"(budget {PrepareBudget}), apply {apply:0.##} (budget {ApplyBudget}), reply {reply:0.##} (budget 0); " +
            $"total {decode + prepare + apply + reply:0.##} (budget {DecodeBudget + PrepareBudget + ApplyBudget})");
        Assert.That(path.ReplyLength, Is.EqualTo(4 + ReplyHeader.SizeBytes + Stat.SizeBytes), "reply = length + ReplyHeader + Stat");
        Assert.Multiple(() =>
        {
            Assert.That(decode, Is.LessThanOrEqualTo(DecodeBudget + SlackBytesPerIteration), "decoding the frame into a Request");
            Assert.That(prepare, Is.LessThanOrEqualTo(PrepareBudget + SlackBytesPerIteration), "PrepRequestProcessor.Prepare");
            Assert.That(apply, Is.LessThanOrEqualTo(ApplyBudget + SlackBytesPerIteration), "DataTree.ProcessTxn + OnApplied");
            Assert.That(reply, Is.LessThanOrEqualTo(SlackBytesPerIteration), "reply serialisation");
        });
    }

    /// <summary>setData payload in the write-path test (bytes).</summary>
    private const int WriteDataBytes = 100;

    // Object sizes on 64-bit .NET 10 (header 8 + method table 8 + fields, rounded up to 8), measured with
    // GC.GetAllocatedBytesForCurrentThread around a single allocation.
    /// <summary>Request: 12 fields including the 32-byte TxnHeader.</summary>
    private const long RequestBytes = 120;
    /// <summary>SetDataRequest and SetDataTxn records: path, data, version.</summary>
    private const long SetDataRecordBytes = 40;
    /// <summary>ChangeRecord: zxid, path, StatPersisted?, child count, ACL.</summary>
    private const long ChangeRecordBytes = 120;
    /// <summary>ProcessTxnResult: ids, error, path, Stat, multi results.</summary>
    private const long ProcessTxnResultBytes = 136;

    /// <summary>Bytes of a byte[] of <paramref name="length"/>: header 8 + method table 8 + length 8, plus the bytes,
    /// rounded up to 8.</summary>
    private static long ByteArrayBytes(int length) => (24 + length + 7) & ~7L;

    /// <summary>Decoding: the Request (120 B), the SetDataRequest record (40 B), its path string (72 B for 24 chars)
    /// and its data array (128 B for 100 B). The record has to own its path and data: the frame's buffer is returned
    /// to the pipe before the processing thread runs.</summary>
    private static readonly long DecodeBudget = RequestBytes + SetDataRecordBytes + StringBytes(ReadPath.Length) + ByteArrayBytes(WriteDataBytes);

    /// <summary>PrepRequestProcessor.Prepare: the ChangeRecord read from the tree's node (120 B), its duplicate carrying
    /// the new version and mzxid, kept until the txn is applied (120 B), and the SetDataTxn record (40 B). The txn
    /// shares the request's path and data arrays.</summary>
    private const long PrepareBudget = 2 * ChangeRecordBytes + SetDataRecordBytes;

    /// <summary>DataTree.ProcessTxn: the ProcessTxnResult (136 B) and the node's new payload, its name and the data in
    /// one array (136 B for "service-0042" and 100 B). Keeping name and data in one array saves a stored znode ~32 B
    /// (one array header and the name's string object) at the cost of copying the value once per setData; digest
    /// updates and the (empty) watch trigger allocate nothing.</summary>
    private static readonly long ApplyBudget = ProcessTxnResultBytes + ByteArrayBytes("service-0042".Length + WriteDataBytes);
}
