using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Coord.Protocol;
using Coord.Protocol.Framing;
using Coord.Protocol.Jute;
using Coord.Protocol.Records;
using Coord.Server.Processing;
using Coord.Server.Watches;
using Microsoft.Extensions.Logging;

namespace Coord.Server.Network;

/// <summary>
/// One client connection (ZooKeeper's ServerCnxn). Two tasks serve it:
/// <list type="bullet">
/// <item>the reader parses frames from a <see cref="PipeReader"/>, decodes requests and queues them for the
/// processing thread, stopping (and so letting TCP push back) while too much output is unsent;</item>
/// <item>the sender writes out whatever replies and watch events the processing thread has staged, many per
/// send call.</item>
/// </list>
/// The processing thread writes replies into <see cref="_staging"/> (only it touches that buffer) and, at the end of
/// each batch, <see cref="Flush"/> writes them to the socket itself without blocking: a request is read on one thread
/// and answered from the processing thread, with no third thread to wake (a profile of getData with one request in
/// flight showed each thread hand-off costing a futex wake and a context switch, about as much CPU as the request).
/// Only when the socket's buffer is full does the sender task take over the rest and wait for room, so a client
/// that reads slowly never stalls the processing thread. Replies stay in FIFO order and many go out per syscall.
/// </summary>
public sealed partial class ServerCnxn : IWatcher
{
    /// <summary>Unsent output above which the reader stops taking new requests from this client (bytes).</summary>
    public const int MaxUnsentBytesBeforePause = 4 << 20;
    /// <summary>Unsent output above which a client that does not read is disconnected (bytes).</summary>
    public const int MaxUnsentBytes = 256 << 20;

    private static long _nextId;

    private readonly Socket _socket;
    private readonly ZooKeeperServer _server;
    private readonly ILogger _log;
    /// <summary>Output buffers above this size (bytes) go back to the shared pool once sent, so a connection that
    /// once read a large value does not keep a large buffer.</summary>
    private const int MaxRetainedBufferBytes = 1 << 20;
    private OutputBuffer _staging = new();
    private OutputBuffer _outbox = new();
    private OutputBuffer _sendBuf = new();
    /// <summary><see cref="OutputBuffer.ExternalBytes"/> of the staging buffer when the current frame began.</summary>
    private int _frameExternalStart;
    private readonly Lock _outLock = new();
    private readonly SemaphoreSlim _sendSignal = new(0);
    private int _signaled;
    /// <summary>1 while a thread writes to the socket: the processing thread in <see cref="Flush"/> (the usual case) or
    /// the send loop (after the socket's buffer filled up). Only the holder touches <see cref="_sendBuf"/>.</summary>
    private int _sending;
    /// <summary>Set by <see cref="Flush"/> when it leaves a partly written <see cref="_sendBuf"/> to the send loop,
    /// passing <see cref="_sending"/> on with it.</summary>
    private volatile bool _handover;
    /// <summary>Bytes at the start of <see cref="_sendBuf"/> already written.</summary>
    private int _sendOffset;
    private long _unsentBytes;
    private TaskCompletionSource? _drained;
    /// <summary>Set by the processing thread when the connection is to close once its staged output is sent.</summary>
    private bool _closeRequested;
    /// <summary>Set under the output lock once everything staged before the close request is in the outbox; only
    /// then may the sender close, or it could close before the last reply (e.g. Unimplemented) left.</summary>
    private volatile bool _closeAfterFlush;
    private int _closed;

    public long Id { get; } = Interlocked.Increment(ref _nextId);
    public IPEndPoint Remote { get; }
    public IPAddress RemoteAddress => Remote.Address;
    public string RemoteIp { get; }

    /// <summary>Owned by the processing thread.</summary>
    public long SessionId;
    public int SessionTimeoutMs;
    /// <summary>Authenticated ids (ip, digest, super); owned by the processing thread.</summary>
    public List<Id> AuthInfo { get; } = [];
    /// <summary>Whether the client sent the 3.4+ readOnly byte, and so expects it back in ConnectResponse.</summary>
    public bool SentReadOnlyByte;
    public bool Established;
    internal bool DirtyQueued;
    /// <summary>This connection sent addWatch with a null path: ZooKeeper registers it, and then fails to remove it
    /// (removeWatches of a null path answers MarshallingError instead of NoWatcher). Processing thread only.</summary>
    internal bool HasNullPathWatch;

    // Statistics for cons/stat (written by the processing thread, read by it too).
    public long PacketsReceived, PacketsSent, LastZxid = -1, LastLatencyMs, MinLatencyMs = long.MaxValue, MaxLatencyMs, TotalLatencyMs, LatencyCount;
    public int LastCxid = -1;
    public int LastOp = -100;
    public DateTimeOffset EstablishedAt = DateTimeOffset.UtcNow;
    public DateTimeOffset LastResponseAt;
    public int Outstanding;

    public ServerCnxn(Socket socket, ZooKeeperServer server, ILogger log)
    {
        _socket = socket;
        _server = server;
        _log = log;
        Remote = (IPEndPoint)socket.RemoteEndPoint!;
        var addr = Remote.Address.IsIPv4MappedToIPv6 ? Remote.Address.MapToIPv4() : Remote.Address;
        RemoteIp = addr.ToString();
        Remote = new IPEndPoint(addr, Remote.Port);
        // Every connection is authenticated as its source address (ServerCnxn adds the ip id at creation).
        AuthInfo.Add(new Id("ip", RemoteIp));
    }

    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>True once the server has decided to close the connection (after an auth failure, a closeSession, an
    /// unknown opcode): requests already queued behind that point are not served, as ZooKeeper stops reading such a
    /// connection. A connection the client closed, or whose next frame the reader refused, is not closing in this
    /// sense: the requests read before that still run, as ZooKeeper runs every request it has read (a write commits;
    /// its reply has nowhere to go).</summary>
    public bool IsClosing => _closeRequested || _closeAfterFlush;

    public Task RunAsync(CancellationToken ct)
    {
        var sender = Task.Run(SendLoopAsync, CancellationToken.None);
        return Task.WhenAll(ReadLoopAsync(ct), sender);
    }

    // ---------------- output (processing thread) ----------------

    /// <summary>Starts a reply frame in the staging buffer: a length slot, then the ReplyHeader. One frame at a time.</summary>
    public JuteWriter BeginFrame(out int start)
    {
        start = _staging.OwnedCount;
        _frameExternalStart = _staging.ExternalBytes;
        _staging.GetSpan(4);
        _staging.Advance(4);
        return new JuteWriter(_staging);
    }

    /// <summary>Patches the frame length of a frame started with <see cref="BeginFrame"/>.</summary>
    public void EndFrame(int start)
    {
        int len = _staging.OwnedCount - start - 4 + _staging.ExternalBytes - _frameExternalStart;
        BinaryPrimitives.WriteInt32BigEndian(_staging.OwnedSpanForPatch.Slice(start, 4), len);
        PacketsSent++;
        _server.MarkDirty(this);
    }

    /// <summary>Inside a frame: appends <paramref name="bytes"/> to it by reference, after what the frame's writer has
    /// written so far (see <see cref="OutputBuffer"/>: they must never be written to again).</summary>
    public void AppendExternal(ReadOnlyMemory<byte> bytes) => _staging.AppendExternal(bytes);

    public void SendReplyHeaderOnly(int xid, long zxid, int err)
    {
        var w = BeginFrame(out int start);
        new ReplyHeader(xid, zxid, err).Write(ref w);
        EndFrame(start);
    }

    /// <summary>Watch event delivery (Watcher.process): a notification frame with xid -1 and zxid -1 (3.8 form).</summary>
    public void Process(EventType type, string path, IReadOnlyList<Acl>? nodeAcl)
    {
        if (IsClosed) return;
        if (nodeAcl is not null && !Auth.AclChecker.Allowed(nodeAcl, Perms.Read, AuthInfo)) return;
        var w = BeginFrame(out int start);
        new ReplyHeader(Xid.Notification, -1, 0).Write(ref w);
        new WatcherEvent((int)type, (int)KeeperState.SyncConnected, path).Write(ref w);
        EndFrame(start);
    }

    /// <summary>Raw bytes, for four-letter-word output (no framing).</summary>
    public void SendRaw(ReadOnlySpan<byte> bytes)
    {
        var span = _staging.GetSpan(bytes.Length);
        bytes.CopyTo(span);
        _staging.Advance(bytes.Length);
        _server.MarkDirty(this);
    }

    /// <summary>Closes the connection once everything staged so far has been sent.</summary>
    public void CloseAfterFlush()
    {
        _closeRequested = true;
        _server.MarkDirty(this);
    }

    /// <summary>Moves staged output to the sender. Called by the processing thread at the end of a batch.</summary>
    internal void Flush()
    {
        DirtyQueued = false;
        if (_staging.WrittenCount > 0)
        {
            long unsent;
            lock (_outLock)
            {
                unsent = _unsentBytes += _staging.WrittenCount;
                // Usually the sender has drained the outbox: hand the staged bytes over by swapping, not copying.
                if (_outbox.WrittenCount == 0) (_outbox, _staging) = (_staging, _outbox);
                else _outbox.AppendFrom(_staging);
            }
            _staging.Trim(MaxRetainedBufferBytes);
            if (unsent > MaxUnsentBytes)
            {
                _log.LogWarning("Closing connection 0x{Session:x} from {Remote}: {Bytes} bytes unsent, the client is not reading", SessionId, Remote, unsent);
                Close();
                return;
            }
        }
        // After the staged bytes are in the outbox (above), never before: see _closeAfterFlush.
        if (_closeRequested && !_closeAfterFlush)
        {
            lock (_outLock) _closeAfterFlush = true;
        }
        if (Interlocked.CompareExchange(ref _sending, 1, 0) == 0)
        {
            bool allSent;
            try { allSent = SendWithoutBlocking(); }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                Close();
                return;
            }
            if (!allSent) _handover = true; // the send loop now holds _sending and waits for room in the socket
            else
            {
                Volatile.Write(ref _sending, 0);
                if (!_closeAfterFlush) return; // the usual end: everything written, nothing to wake
            }
        }
        // The send loop is writing (or must now: a full socket, or a close after the last reply).
        if (Interlocked.Exchange(ref _signaled, 1) == 0) _sendSignal.Release();
    }

    /// <summary>Writes <see cref="_sendBuf"/> and then the outbox to the (non-blocking) socket until both are empty
    /// (true) or the socket's buffer is full (false). The caller holds <see cref="_sending"/>.</summary>
    private bool SendWithoutBlocking()
    {
        while (true)
        {
            if (_sendOffset == _sendBuf.WrittenCount && !NextSendBuffer()) return true;
            int n = _socket.Send(_sendBuf.PieceAt(_sendOffset).Span, SocketFlags.None, out var error);
            if (error == SocketError.WouldBlock) return false;
            if (error != SocketError.Success) throw new SocketException((int)error);
            _sendOffset += n;
        }
    }

    /// <summary>Retires the fully written <see cref="_sendBuf"/> (accounting, waking a reader paused for output room)
    /// and takes the outbox in its place; false when the outbox was empty.</summary>
    private bool NextSendBuffer()
    {
        if (_sendBuf.WrittenCount > 0)
        {
            TaskCompletionSource? drained = null;
            lock (_outLock)
            {
                _unsentBytes -= _sendBuf.WrittenCount;
                if (_unsentBytes <= MaxUnsentBytesBeforePause / 2) (drained, _drained) = (_drained, null);
            }
            drained?.TrySetResult();
            _sendBuf.Trim(MaxRetainedBufferBytes);
        }
        _sendOffset = 0;
        lock (_outLock) (_outbox, _sendBuf) = (_sendBuf, _outbox);
        return _sendBuf.WrittenCount > 0;
    }

    private async Task SendLoopAsync()
    {
        try
        {
            while (!IsClosed)
            {
                await _sendSignal.WaitAsync().ConfigureAwait(false);
                // A full fence, not a plain store: the _handover read below must not move before it. Otherwise a
                // Flush that sets _handover and sees _signaled still 1 (so does not signal) could be missed here,
                // leaving its partly sent replies unsent until the connection's next batch (measured: 10 KB reads,
                // 400 in flight, p99.9 of 350–515 ms).
                Interlocked.Exchange(ref _signaled, 0);
                if (_handover) _handover = false; // Flush passed _sending on with a partly written buffer
                else if (Interlocked.CompareExchange(ref _sending, 1, 0) != 0) continue; // Flush is writing; it signals again if it needs us
                try
                {
                    while (true)
                    {
                        if (_sendOffset == _sendBuf.WrittenCount)
                        {
                            if (!NextSendBuffer()) break;
                            // More was staged while this loop wrote. Let the pool run other connections' senders
                            // before writing it: under constant load this loop always has more, and on one core the
                            // pool may have a single worker, which this loop would then keep from every other
                            // connection until the pool's starvation check adds a thread (about 500 ms).
                            await Task.Yield();
                        }
                        _sendOffset += await _socket.SendAsync(_sendBuf.PieceAt(_sendOffset), SocketFlags.None).ConfigureAwait(false);
                    }
                }
                finally
                {
                    Volatile.Write(ref _sending, 0);
                }
                if (_closeAfterFlush)
                {
                    bool empty;
                    lock (_outLock) empty = _outbox.WrittenCount == 0;
                    if (empty) { Close(); break; }
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException)
        {
            Close();
        }
    }

    /// <summary>Waits while this client has too much unsent output (backpressure on a client that does not read).</summary>
    private Task WaitForOutputRoom()
    {
        lock (_outLock)
        {
            if (_unsentBytes <= MaxUnsentBytesBeforePause) return Task.CompletedTask;
            _drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _drained.Task;
        }
    }

    public void Close()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0) return;
        try { _socket.Shutdown(SocketShutdown.Both); } catch { /* already gone */ }
        _socket.Close();
        _sendSignal.Release();
        TaskCompletionSource? drained;
        lock (_outLock) (drained, _drained) = (_drained, null);
        drained?.TrySetResult();
    }
}
