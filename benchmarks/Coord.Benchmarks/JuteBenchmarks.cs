using System.Buffers;
using BenchmarkDotNet.Attributes;
using Coord.Protocol;
using Coord.Protocol.Jute;
using Coord.Protocol.Records;

namespace Coord.Benchmarks;

/// <summary>
/// Jute encode/decode of one request or reply body per call, into a reused <see cref="ArrayBufferWriter{T}"/> and
/// from a contiguous buffer: a create request (27-char path, 100 B data, open ACL), a getData reply (ReplyHeader +
/// 100 B data + Stat) and a four-op multi (check, create, setData, delete).
/// </summary>
[MemoryDiagnoser]
public class JuteBenchmarks
{
    private const string Path = "/app/locks/lock-0000000042";
    private readonly ArrayBufferWriter<byte> _out = new(64 * 1024);
    private readonly byte[] _data = new byte[100];
    private CreateRequest _create = null!;
    private MultiRequest _multi = null!;
    private Stat _stat;
    private byte[] _createBody = [];
    private byte[] _getDataReply = [];
    private byte[] _multiBody = [];

    [GlobalSetup]
    public void Setup()
    {
        new Random(42).NextBytes(_data);
        _create = new CreateRequest(Path, _data, [.. Acl.OpenAclUnsafe], 0);
        _stat = new Stat(0x1_0000_0042, 0x1_0000_0099, 1_764_000_000_000, 1_764_000_100_000, 7, 0, 0, 0, _data.Length, 0, 0x1_0000_0042);
        _multi = new MultiRequest();
        _multi.Ops.Add(new MultiOp { Type = OpCode.Check, PathVersion = new PathVersionRequest("/app/config", 3) });
        _multi.Ops.Add(new MultiOp { Type = OpCode.Create, Create = _create });
        _multi.Ops.Add(new MultiOp { Type = OpCode.SetData, SetData = new SetDataRequest("/app/config", _data, 3) });
        _multi.Ops.Add(new MultiOp { Type = OpCode.Delete, PathVersion = new PathVersionRequest("/app/locks/lock-0000000041", -1) });
        EncodeCreateRequest();
        _createBody = _out.WrittenSpan.ToArray();
        EncodeGetDataReply();
        _getDataReply = _out.WrittenSpan.ToArray();
        EncodeMultiRequest();
        _multiBody = _out.WrittenSpan.ToArray();
    }

    [Benchmark]
    public int EncodeCreateRequest()
    {
        _out.ResetWrittenCount();
        var w = new JuteWriter(_out);
        new RequestHeader(42, OpCode.Create).Write(ref w);
        _create.Write(ref w, false);
        return _out.WrittenCount;
    }

    [Benchmark]
    public CreateRequest DecodeCreateRequest()
    {
        var r = new JuteReader(_createBody.AsMemory());
        RequestHeader.Read(ref r);
        return CreateRequest.Read(ref r, false);
    }

    [Benchmark]
    public int EncodeGetDataReply()
    {
        _out.ResetWrittenCount();
        var w = new JuteWriter(_out);
        new ReplyHeader(42, 0x1_0000_0099, 0).Write(ref w);
        w.WriteBuffer(_data);
        _stat.Write(ref w);
        return _out.WrittenCount;
    }

    [Benchmark]
    public long DecodeGetDataReply()
    {
        var r = new JuteReader(_getDataReply.AsMemory());
        var h = ReplyHeader.Read(ref r);
        var data = r.ReadBuffer();
        var stat = Stat.Read(ref r);
        return h.Zxid + data!.Length + stat.Mzxid;
    }

    [Benchmark]
    public int EncodeMultiRequest()
    {
        _out.ResetWrittenCount();
        var w = new JuteWriter(_out);
        new RequestHeader(42, OpCode.Multi).Write(ref w);
        _multi.Write(ref w);
        return _out.WrittenCount;
    }

    [Benchmark]
    public MultiRequest DecodeMultiRequest()
    {
        var r = new JuteReader(_multiBody.AsMemory());
        RequestHeader.Read(ref r);
        return MultiRequest.Read(ref r, out _);
    }
}
