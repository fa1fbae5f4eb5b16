using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Coord.Protocol;
using Coord.Protocol.Framing;
using Coord.Protocol.Jute;
using Coord.Protocol.Records;
using Coord.Server.Data;
using Coord.Server.Hosting;
using Coord.Server.Processing;
using Coord.Server.Sessions;
using Coord.Zab;

namespace Coord.Tests.Performance;

/// <summary>
/// The per-request work of one setData on the processing thread, without a socket, in the server's order:
/// slice the frame and decode RequestHeader + SetDataRequest into a <see cref="Request"/> (ServerCnxn.DecodeRequest);
/// <see cref="PrepRequestProcessor.Prepare"/> builds the SetDataTxn and its change record (ZooKeeperServer.Submit);
/// a <see cref="StandaloneBroadcast"/> without a txn sink commits it synchronously into <see cref="OnCommit"/>, which
/// applies it with <see cref="DataTree.ProcessTxn"/>, retires the change records (ZooKeeperServer.OnCommit) and writes
/// the framed ReplyHeader + Stat into a reused buffer (FinishWrite writes the same bytes into the connection's pipe).
/// Bytes allocated on this thread are added up per stage, so a budget can name what each stage allocates.
/// <para>Not covered: the connection (ServerCnxn needs a socket), the queue hop, latency bookkeeping, and the txn log
/// append (its cost per entry is in benchmarks/Coord.Benchmarks/TxnLogBenchmarks.cs).</para>
/// </summary>
internal sealed class SetDataWritePath : ICommitHandler
{
    public const long SessionId = 0x100;
    /// <summary>Session timeout (ms); the session only has to exist, it never expires during a test.</summary>
    private const int SessionTimeoutMs = 30_000;
    private const int Xid = 42;

    private readonly DataTree _tree;
    private readonly PrepRequestProcessor _prep;
    private readonly StandaloneBroadcast _zab;
    private readonly ServerConfig _config = new();
    private readonly ArrayBufferWriter<byte> _reply = new(4096);
    private readonly byte[] _frame;

    public long DecodeBytes, PrepareBytes, ApplyBytes, ReplyBytes;

    public SetDataWritePath(DataTree tree, string path, byte[] data)
    {
        _tree = tree;
        var sessions = new SessionTracker(_config.TickTimeMs, serverId: 1, TimeProvider.System);
        sessions.Add(SessionId, SessionTimeoutMs);
        _zab = new StandaloneBroadcast(this, sink: null, lastZxid: tree.LastProcessedZxid);
        _prep = new PrepRequestProcessor(tree, sessions, _zab, _config, TimeProvider.System);
        _frame = SetDataFrame(path, data);
    }

    /// <summary>Length of the last reply (length prefix included).</summary>
    public int ReplyLength => _reply.WrittenCount;

    public void ResetCounters() => DecodeBytes = PrepareBytes = ApplyBytes = ReplyBytes = 0;

    /// <summary>Serves one setData; returns its zxid.</summary>
    public long ServeOne()
    {
        long t0 = GC.GetAllocatedBytesForCurrentThread();
        var input = new ReadOnlySequence<byte>(_frame);
        if (FrameReader.TryReadFrame(ref input, _config.JuteMaxBufferBytes, out var body, out _) != FrameReader.Result.Frame)
            throw new InvalidOperationException("frame did not slice");
        var r = new JuteReader(body, _config.JuteMaxBufferBytes);
        var h = RequestHeader.Read(ref r);
        var req = new Request
        {
            Kind = RequestKind.Client, SessionId = SessionId, Xid = h.Xid, Type = h.Type,
            ReceivedAt = System.Diagnostics.Stopwatch.GetTimestamp(),
        };
        req.Body = SetDataRequest.Read(ref r);
        long t1 = GC.GetAllocatedBytesForCurrentThread();
        DecodeBytes += t1 - t0;

        _prep.Prepare(req);
        PrepareBytes += GC.GetAllocatedBytesForCurrentThread() - t1;
        if (req.Exception is not null) throw req.Exception;

        _zab.Propose(req.Hdr, req.Txn, req);
        return req.Hdr.Zxid;
    }

    public void OnCommit(in TxnHeader header, ITxnRecord? txn, object? context)
    {
        long t0 = GC.GetAllocatedBytesForCurrentThread();
        var rc = _tree.ProcessTxn(header, txn);
        _prep.OnApplied(header.Zxid);
        long t1 = GC.GetAllocatedBytesForCurrentThread();
        ApplyBytes += t1 - t0;
        if (rc.Err != KeeperErrorCode.Ok) throw new InvalidOperationException($"setData failed: {rc.Err}");

        var req = (Request)context!;
        _reply.ResetWrittenCount();
        var w = new JuteWriter(_reply);
        w.WriteInt(0);
        new ReplyHeader(req.Xid, _tree.LastProcessedZxid, 0).Write(ref w);
        rc.Stat.Write(ref w);
        BinaryPrimitives.WriteInt32BigEndian(MemoryMarshal.AsMemory(_reply.WrittenMemory).Span, _reply.WrittenCount - 4);
        ReplyBytes += GC.GetAllocatedBytesForCurrentThread() - t1;
    }

    /// <summary>A length-prefixed setData frame with version -1 (any), so the same frame can be served repeatedly.</summary>
    private static byte[] SetDataFrame(string path, byte[] data)
    {
        var buf = new ArrayBufferWriter<byte>();
        var w = new JuteWriter(buf);
        w.WriteInt(0);
        new RequestHeader(Xid, OpCode.SetData).Write(ref w);
        new SetDataRequest(path, data, -1).Write(ref w);
        var bytes = buf.WrittenSpan.ToArray();
        BinaryPrimitives.WriteInt32BigEndian(bytes, bytes.Length - 4);
        return bytes;
    }
}
