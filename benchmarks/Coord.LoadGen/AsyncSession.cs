using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using Coord.Protocol;

namespace Coord.LoadGen;

/// <summary>
/// A client session with its own receive loop, for the workloads where requests and replies are decoupled: the open
/// loop (a sender thread sends on schedule while replies are timed here), the connect storm and the watch fan-out
/// (notifications arrive unprompted). Replies come back in request order on a ZooKeeper session, so pending requests
/// are a FIFO queue. Sends are serialised by a lock; the receive loop is the only reader.
/// </summary>
sealed class AsyncSession : IDisposable
{
    private readonly Socket _socket;
    private readonly ConcurrentQueue<Pending> _pending = new();
    private readonly Lock _sendLock = new();
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private byte[] _rx = new byte[16 * 1024];
    private int _rxStart, _rxEnd;
    private int _xid;

    private readonly record struct Pending(int Xid, long T0, TaskCompletionSource<int>? Reply);

    /// <summary>Reply latencies in µs from each request's T0 (receive loop only; read them after the session is drained).</summary>
    public List<int> LatenciesUs { get; } = new(1 << 14);
    public long Errors;
    public long Replies;
    public int PendingCount => _pending.Count;
    /// <summary>Stopwatch timestamps of the watch notifications received.</summary>
    public List<long> NotificationTicks { get; } = [];
    public Action? OnNotification { get; set; }
    public long SessionId { get; private set; }
    public Task Closed => _closed.Task;

    private AsyncSession(Socket s) => _socket = s;

    /// <summary>Connects and completes the handshake; the receive loop starts after the ConnectResponse.</summary>
    public static async Task<AsyncSession> ConnectAsync(string host, int port, int sessionTimeoutMs = 30000)
    {
        var s = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await s.ConnectAsync(host, port);
            var session = new AsyncSession(s);
            var buf = new ArrayBufferWriter<byte>();
            Wire.ConnectRequest(buf, sessionTimeoutMs);
            await s.SendAsync(buf.WrittenMemory);
            var (start, len) = await session.ReadFrameAsync();
            if (len < 16) throw new IOException($"short ConnectResponse ({len} bytes)");
            session.SessionId = BinaryPrimitives.ReadInt64BigEndian(session._rx.AsSpan(start + 8));
            int timeout = BinaryPrimitives.ReadInt32BigEndian(session._rx.AsSpan(start + 4));
            if (timeout <= 0 || session.SessionId == 0) throw new IOException("session refused (timeout 0)");
            _ = session.ReceiveLoopAsync();
            return session;
        }
        catch
        {
            s.Dispose();
            throw;
        }
    }

    public int NextXid() => Interlocked.Increment(ref _xid);

    /// <summary>Sends frames already built by the caller; <paramref name="xids"/> and <paramref name="t0"/> are queued first.</summary>
    public void SendScheduled(ReadOnlySpan<byte> frames, ReadOnlySpan<int> xids, ReadOnlySpan<long> t0)
    {
        lock (_sendLock)
        {
            for (int i = 0; i < xids.Length; i++) _pending.Enqueue(new Pending(xids[i], t0[i], null));
            while (!frames.IsEmpty) frames = frames[_socket.Send(frames)..];
        }
    }

    /// <summary>Sends one request; the task completes with the reply's error code.</summary>
    public Task<int> CallAsync(int op, BodyWriter? body)
    {
        var buf = new ArrayBufferWriter<byte>(256);
        var tcs = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_sendLock)
        {
            int xid = NextXid();
            Wire.Frame(buf, xid, op, body);
            _pending.Enqueue(new Pending(xid, Stopwatch.GetTimestamp(), tcs));
            Send(buf.WrittenSpan);
        }
        return tcs.Task;
    }

    /// <summary>Several requests of one kind in one write; completes when all replied, with the number of errors.</summary>
    public async Task<int> CallManyAsync(int count, Action<ArrayBufferWriter<byte>, int, int> frame)
    {
        var buf = new ArrayBufferWriter<byte>(64 * count);
        var tasks = new Task<int>[count];
        lock (_sendLock)
        {
            for (int i = 0; i < count; i++)
            {
                int xid = NextXid();
                frame(buf, xid, i);
                var tcs = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
                tasks[i] = tcs.Task;
                _pending.Enqueue(new Pending(xid, Stopwatch.GetTimestamp(), tcs));
            }
            Send(buf.WrittenSpan);
        }
        var errs = await Task.WhenAll(tasks);
        return errs.Count(e => e != 0);
    }

    /// <summary>Keeps an idle session alive (xid -2, as ClientCnxn does every timeout/3); the reply is ignored.</summary>
    public void Ping()
    {
        var buf = new ArrayBufferWriter<byte>(16);
        Wire.Frame(buf, Xid.Ping, OpCode.Ping, null);
        lock (_sendLock) Send(buf.WrittenSpan);
    }

    private void Send(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty) data = data[_socket.Send(data)..];
    }

    private async Task ReceiveLoopAsync()
    {
        try
        {
            while (true)
            {
                var (start, _) = await ReadFrameAsync();
                long now = Stopwatch.GetTimestamp();
                int xid = BinaryPrimitives.ReadInt32BigEndian(_rx.AsSpan(start));
                if (xid == Xid.Notification) { NotificationTicks.Add(now); OnNotification?.Invoke(); continue; }
                if (xid < 0) continue; // ping reply
                int err = BinaryPrimitives.ReadInt32BigEndian(_rx.AsSpan(start + 12));
                if (!_pending.TryDequeue(out var p)) throw new IOException($"reply xid {xid} with nothing pending");
                if (p.Xid != xid) throw new IOException($"reply xid {xid} out of order (expected {p.Xid})");
                LatenciesUs.Add(Stats.Us(p.T0, now));
                Replies++;
                if (err != 0) Errors++;
                p.Reply?.TrySetResult(err);
            }
        }
        catch (Exception e)
        {
            while (_pending.TryDequeue(out var p)) p.Reply?.TrySetException(e);
            _closed.TrySetResult();
        }
    }

    private async ValueTask<(int Start, int Len)> ReadFrameAsync()
    {
        while (true)
        {
            if (_rxEnd - _rxStart >= 4)
            {
                int len = BinaryPrimitives.ReadInt32BigEndian(_rx.AsSpan(_rxStart));
                if (len < 0 || len > Wire.MaxFrameBytes) throw new IOException($"bad frame length {len}");
                if (_rxEnd - _rxStart >= 4 + len)
                {
                    int start = _rxStart + 4;
                    _rxStart += 4 + len;
                    return (start, len);
                }
                if (4 + len > _rx.Length - _rxStart && 4 + len > _rx.Length) Array.Resize(ref _rx, Math.Max(4 + len, 2 * _rx.Length));
            }
            if (_rxStart > 0)
            {
                Buffer.BlockCopy(_rx, _rxStart, _rx, 0, _rxEnd - _rxStart);
                _rxEnd -= _rxStart;
                _rxStart = 0;
            }
            int n = await _socket.ReceiveAsync(_rx.AsMemory(_rxEnd));
            if (n == 0) throw new IOException("server closed the connection");
            _rxEnd += n;
        }
    }

    /// <summary>closeSession, then waits for the server to close the connection (bounded by the caller).</summary>
    public async Task CloseAsync()
    {
        try { await CallAsync(OpCode.CloseSession, null); } catch (IOException) { /* closed before the reply */ }
    }

    public void Dispose() => _socket.Dispose();
}
