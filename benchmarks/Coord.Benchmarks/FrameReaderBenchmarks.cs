using System.Buffers;
using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using Coord.Protocol;
using Coord.Protocol.Framing;
using Coord.Protocol.Jute;
using Coord.Protocol.Records;

namespace Coord.Benchmarks;

public enum InputLayout { Contiguous, OneByteSegments }

/// <summary>
/// Slices 100 pipelined getData request frames (what a client with 100 outstanding requests sends) off one input
/// buffer with <see cref="FrameReader"/>, as the connection's read loop does; the second method also decodes each
/// body (RequestHeader + PathWatchRequest). Figures are per frame.
/// </summary>
[MemoryDiagnoser]
public class FrameReaderBenchmarks
{
    public const int Frames = 100;

    [Params(InputLayout.Contiguous, InputLayout.OneByteSegments)]
    public InputLayout Layout;

    private ReadOnlySequence<byte> _input;

    [GlobalSetup]
    public void Setup()
    {
        var buf = new ArrayBufferWriter<byte>();
        for (int i = 0; i < Frames; i++)
        {
            int at = buf.WrittenCount;
            var w = new JuteWriter(buf);
            w.WriteInt(0);
            new RequestHeader(i + 1, OpCode.GetData).Write(ref w);
            new PathWatchRequest($"/app/config/service-{i:D4}", false).Write(ref w);
            BinaryPrimitives.WriteInt32BigEndian(System.Runtime.InteropServices.MemoryMarshal.AsMemory(buf.WrittenMemory).Span[at..], buf.WrittenCount - at - 4);
        }
        var bytes = buf.WrittenSpan.ToArray();
        _input = Layout == InputLayout.Contiguous ? Sequences.Contiguous(bytes) : Sequences.OneBytePerSegment(bytes);
    }

    [Benchmark(OperationsPerInvoke = Frames)]
    public long SliceFrames()
    {
        var buffer = _input;
        long total = 0;
        while (FrameReader.TryReadFrame(ref buffer, JuteLimits.DefaultMaxBufferBytes, out var body, out int len) == FrameReader.Result.Frame)
            total += len + body.Length;
        return total;
    }

    [Benchmark(OperationsPerInvoke = Frames)]
    public long SliceAndDecodeGetData()
    {
        var buffer = _input;
        long total = 0;
        while (FrameReader.TryReadFrame(ref buffer, JuteLimits.DefaultMaxBufferBytes, out var body, out _) == FrameReader.Result.Frame)
        {
            var r = new JuteReader(body);
            var h = RequestHeader.Read(ref r);
            var req = PathWatchRequest.Read(ref r);
            total += h.Xid + req.Path.Length;
        }
        return total;
    }
}
