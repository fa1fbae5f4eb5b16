using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using Coord.Protocol;
using Coord.Protocol.Jute;
using Coord.Protocol.Records;

namespace Coord.LoadGen;

/// <summary>
/// A minimal single-task client session for the closed loop and for setup: one caller at a time sends and reads
/// replies on the calling task (no receive loop, no locks), so the closed loop measures the servers and not the client.
/// </summary>
sealed class Session : IDisposable
{
    private readonly Socket _socket;
    private byte[] _rx = new byte[64 * 1024];
    private int _rxStart, _rxEnd;
    private int _xid;

    private Session(Socket s) => _socket = s;

    public static async Task<Session> ConnectAsync(string host, int port)
    {
        var s = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await s.ConnectAsync(host, port);
        var session = new Session(s);
        var buf = new ArrayBufferWriter<byte>();
        Wire.ConnectRequest(buf, 30000);
        await s.SendAsync(buf.WrittenMemory);
        await session.ReadFrameAsync();
        return session;
    }

    /// <summary>Sends one request and returns the error code of its reply.</summary>
    public async Task<int> CallAsync(int op, BodyWriter body)
    {
        var buf = new ArrayBufferWriter<byte>();
        Wire.Frame(buf, ++_xid, op, body);
        await _socket.SendAsync(buf.WrittenMemory);
        while (true)
        {
            var (start, _) = await ReadFrameAsync();
            if (BinaryPrimitives.ReadInt32BigEndian(_rx.AsSpan(start)) >= 0) return BinaryPrimitives.ReadInt32BigEndian(_rx.AsSpan(start + 12));
        }
    }

    /// <summary>Returns the body offset and length of the next frame in the receive buffer (valid until the next read).</summary>
    private async ValueTask<(int Start, int Len)> ReadFrameAsync()
    {
        while (true)
        {
            if (TryFrame(out var f)) return f;
            if (_rxStart > 0)
            {
                Buffer.BlockCopy(_rx, _rxStart, _rx, 0, _rxEnd - _rxStart);
                _rxEnd -= _rxStart;
                _rxStart = 0;
            }
            if (_rxEnd >= 4)
            {
                int need = 4 + BinaryPrimitives.ReadInt32BigEndian(_rx);
                if (need > _rx.Length) Array.Resize(ref _rx, Math.Max(need, 2 * _rx.Length));
            }
            int n = await _socket.ReceiveAsync(_rx.AsMemory(_rxEnd));
            if (n == 0) throw new IOException("server closed the connection");
            _rxEnd += n;
        }
    }

    private bool TryFrame(out (int Start, int Len) frame)
    {
        frame = default;
        if (_rxEnd - _rxStart < 4) return false;
        int len = BinaryPrimitives.ReadInt32BigEndian(_rx.AsSpan(_rxStart));
        if (len < 0 || len > Wire.MaxFrameBytes) throw new IOException($"bad frame length {len}");
        if (_rxEnd - _rxStart < 4 + len) return false;
        frame = (_rxStart + 4, len);
        _rxStart += 4 + len;
        return true;
    }

    /// <summary>Sends <paramref name="count"/> creates keeping <paramref name="window"/> in flight; returns the error count.</summary>
    public Task<long> PipelineAsync(int count, int window, Func<int, CreateRequest> make) =>
        PipelineAsync(count, window, (buf, xid, i) => { var req = make(i); Wire.Frame(buf, xid, OpCode.Create, (ref JuteWriter w) => req.Write(ref w, false)); });

    /// <summary>Sends <paramref name="count"/> (op, path) requests with version -1 (delete) keeping <paramref name="window"/> in flight.</summary>
    public Task<long> PipelineAsync(int count, int window, Func<int, (int Op, string Path)> make) =>
        PipelineAsync(count, window, (buf, xid, i) => { var (op, path) = make(i); Wire.Frame(buf, xid, op, (ref JuteWriter w) => new PathVersionRequest(path, -1).Write(ref w)); });

    private async Task<long> PipelineAsync(int count, int window, Action<ArrayBufferWriter<byte>, int, int> frame)
    {
        var buf = new ArrayBufferWriter<byte>(64 * 1024);
        int sent = 0, done = 0;
        long errors = 0;
        while (done < count)
        {
            while (sent < count && sent - done < window) frame(buf, ++_xid, sent++);
            if (buf.WrittenCount > 0) { await _socket.SendAsync(buf.WrittenMemory); buf.ResetWrittenCount(); }
            var (start, _) = await ReadFrameAsync();
            if (BinaryPrimitives.ReadInt32BigEndian(_rx.AsSpan(start)) < 0) continue; // notification or ping
            if (BinaryPrimitives.ReadInt32BigEndian(_rx.AsSpan(start + 12)) != 0) errors++;
            done++;
        }
        return errors;
    }

    /// <summary>Closed loop: keeps o.Outstanding requests of <paramref name="ops"/> in flight until <paramref name="duration"/> has passed.</summary>
    public async Task<RunResult> RunAsync(OpStream ops, int outstanding, TimeSpan duration)
    {
        var lat = new List<int>(1 << 16);
        long errors = 0;
        var sent = new Dictionary<int, long>();
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var buf = new ArrayBufferWriter<byte>(64 * 1024);
        int inFlight = 0;
        void Enqueue()
        {
            int xid = ++_xid;
            ops.Next(buf, xid);
            sent[xid] = System.Diagnostics.Stopwatch.GetTimestamp();
            inFlight++;
        }
        bool More() => sw.Elapsed < duration || !ops.MayStop;
        for (int i = 0; i < outstanding; i++) Enqueue();
        while (inFlight > 0)
        {
            if (buf.WrittenCount > 0) { await _socket.SendAsync(buf.WrittenMemory); buf.ResetWrittenCount(); }
            // Take the next reply, then drain whatever else already arrived before sending the refills in one write.
            var (start, _) = await ReadFrameAsync();
            while (true)
            {
                int xid = BinaryPrimitives.ReadInt32BigEndian(_rx.AsSpan(start));
                if (sent.Remove(xid, out long t0))
                {
                    inFlight--;
                    if (BinaryPrimitives.ReadInt32BigEndian(_rx.AsSpan(start + 12)) != 0) errors++;
                    lat.Add(Stats.Us(t0, System.Diagnostics.Stopwatch.GetTimestamp()));
                    if (More()) Enqueue();
                }
                if (inFlight == 0 || !TryFrame(out var next)) break;
                start = next.Start;
            }
        }
        return new RunResult(lat, errors);
    }

    public void Dispose() => _socket.Dispose();
}

sealed record RunResult(List<int> LatenciesUs, long Errors);
