using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Text;
using Coord.Protocol;
using Coord.Protocol.Framing;
using Coord.Protocol.Jute;
using Coord.Protocol.Records;
using Coord.Server.Diagnostics;
using Coord.Server.Processing;
using Microsoft.Extensions.Logging;

namespace Coord.Server.Network;

public sealed partial class ServerCnxn
{
    /// <summary>Socket read size for the input pipe (bytes).</summary>
    private const int ReadBufferBytes = 64 * 1024;

    /// <summary>Reads in a row that found data already waiting (so completed without returning to the socket engine)
    /// before this reader lets other work run (reads).</summary>
    private const int MaxReadsWithoutYield = 4;

    private bool _connectReceived;

    private async Task ReadLoopAsync(CancellationToken ct)
    {
        var stream = new NetworkStream(_socket, ownsSocket: false);
        // Non-blocking from here on (NetworkStream requires a blocking socket only when it is made): Flush writes
        // replies from the processing thread and must get EAGAIN, not wait, when a client's socket buffer is full.
        _socket.Blocking = false;
        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: ReadBufferBytes, minimumReadSize: 4096, leaveOpen: true));
        try
        {
            int readsWithoutWaiting = 0;
            while (!IsClosed)
            {
                // A client that keeps sending finds data waiting after every batch, so its reads complete at once and
                // this loop would never return to its caller: the socket engine's thread (completions run inline), or
                // the one pool worker of a single-core process. Every other connection's reads and sends wait behind
                // it. Measured before this: 10 KB reads, 4 clients × 100 in flight, on one core, all but one client
                // stalled for up to 0.5 s at a time (p99.9 of 310–690 ms).
                if (readsWithoutWaiting >= MaxReadsWithoutYield)
                {
                    readsWithoutWaiting = 0;
                    await Task.Yield();
                }
                var pending = reader.ReadAsync(ct);
                readsWithoutWaiting = pending.IsCompleted ? readsWithoutWaiting + 1 : 0;
                var result = await pending.ConfigureAwait(false);
                var buffer = result.Buffer;
                bool stop = false;
                while (!stop)
                {
                    if (!_connectReceived && buffer.Length >= 4)
                    {
                        int word = FrameReader.ReadLength(buffer);
                        if (FourLetterWords.IsKnown(word))
                        {
                            long? mask = null;
                            if (word == FourLetterWords.Stmk)
                            {
                                // stmk carries an 8-byte trace mask after the word.
                                if (buffer.Length < 12 && !result.IsCompleted) break;
                                if (buffer.Length >= 12)
                                {
                                    var r = new JuteReader(buffer.Slice(4, 8));
                                    mask = r.ReadLong();
                                    buffer = buffer.Slice(8);
                                }
                            }
                            buffer = buffer.Slice(4);
                            await _server.EnqueueAsync(new Request { Kind = RequestKind.FourLetterWord, Cnxn = this, Type = word, Body = mask }, ct).ConfigureAwait(false);
                            stop = true;
                            _connectReceived = true; // nothing more is read from a 4lw connection
                            break;
                        }
                    }
                    var status = FrameReader.TryReadFrame(ref buffer, _server.Config.JuteMaxBufferBytes, out var body, out int len);
                    if (status == FrameReader.Result.Incomplete) break;
                    if (status == FrameReader.Result.BadLength)
                    {
                        _log.LogInformation("Closing connection from {Remote}: frame length {Len} outside [0, {Max}] (jute.maxbuffer)", Remote, len, _server.Config.JuteMaxBufferBytes);
                        stop = true;
                        Close();
                        break;
                    }
                    PacketsReceived++;
                    var req = _connectReceived ? DecodeRequest(body) : DecodeConnect(body);
                    if (req is null) { stop = true; Close(); break; }
                    var room = WaitForOutputRoom();
                    if (!room.IsCompleted)
                    {
                        _server.Kick(); // what is queued runs while this client's output drains
                        await room.ConfigureAwait(false);
                    }
                    if (IsClosed) { stop = true; break; }
                    // Queued without running: the whole read's requests are processed as one batch (Kick below).
                    if (!_server.TryEnqueue(req)) await _server.EnqueueAsync(req, ct).ConfigureAwait(false);
                }
                _server.Kick();
                reader.AdvanceTo(buffer.Start, buffer.End);
                if (stop || result.IsCompleted) break;
            }
        }
        catch (OperationCanceledException) { }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException) { }
        catch (JuteException e)
        {
            _log.LogInformation("Closing connection from {Remote}: {Reason}", Remote, e.Message);
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
            // The processing thread detaches the session, drops the watches and closes the socket once any
            // output already staged (a 4lw answer, a closeSession reply) has been sent.
            try { await _server.EnqueueAsync(new Request { Kind = RequestKind.ConnectionClosed, Cnxn = this }, CancellationToken.None).ConfigureAwait(false); }
            catch (Exception) { Close(); }
        }
    }

    /// <summary>The first frame is a ConnectRequest (no RequestHeader). A frame that does not decode closes the connection.</summary>
    private Request? DecodeConnect(ReadOnlySequence<byte> body)
    {
        try
        {
            var r = new JuteReader(body, _server.Config.JuteMaxBufferBytes);
            var cr = ConnectRequest.Read(ref r);
            _connectReceived = true;
            SentReadOnlyByte = cr.HasReadOnlyByte;
            return new Request { Kind = RequestKind.Connect, Cnxn = this, Body = cr };
        }
        catch (JuteException e)
        {
            _log.LogInformation("Closing connection from {Remote}: malformed ConnectRequest ({Reason})", Remote, e.Message);
            return null;
        }
    }

    /// <summary>
    /// Decodes RequestHeader + record. A header that does not decode closes the connection; a record that does not
    /// decode is answered with MarshallingError, as ZooKeeper's processors do when deserialisation fails.
    /// </summary>
    private Request? DecodeRequest(ReadOnlySequence<byte> body)
    {
        var r = new JuteReader(body, _server.Config.JuteMaxBufferBytes);
        RequestHeader h;
        try { h = RequestHeader.Read(ref r); }
        catch (JuteException) { return null; }
        var req = new Request { Kind = RequestKind.Client, Cnxn = this, Xid = h.Xid, Type = h.Type, ReceivedAt = System.Diagnostics.Stopwatch.GetTimestamp() };
        try
        {
            req.Body = h.Type switch
            {
                OpCode.Create or OpCode.Create2 or OpCode.CreateContainer => CreateRequest.Read(ref r, false),
                OpCode.CreateTtl => CreateRequest.Read(ref r, true),
                OpCode.Delete or OpCode.Check => PathVersionRequest.Read(ref r),
                OpCode.Exists or OpCode.GetData or OpCode.GetChildren or OpCode.GetChildren2 => PathWatchRequest.Read(ref r),
                // A null path fails ZooKeeper's validatePath exactly as "" does (BadArguments, an error txn logged),
                // not its deserialisation.
                OpCode.SetData => new SetDataRequest(r.ReadString() ?? "", r.ReadBuffer(), r.ReadInt()),
                OpCode.GetAcl or OpCode.GetAllChildrenNumber => PathRequest.Read(ref r),
                // A null prefix is a blank one to ZooKeeper: all the session's ephemerals.
                OpCode.GetEphemerals => new PathRequest(r.ReadString() ?? ""),
                OpCode.Sync => SyncRequest.Read(ref r),
                // As for setData, a null path fails validatePath (BadArguments, an error txn).
                OpCode.SetAcl => new SetAclRequest(r.ReadString() ?? "", Acl.ReadList(ref r), r.ReadInt()),
                OpCode.Multi or OpCode.MultiRead => ReadMulti(ref r, req),
                OpCode.Reconfig => ReconfigRequest.Read(ref r),
                OpCode.CheckWatches or OpCode.RemoveWatches or OpCode.AddWatch => PathTypeRequest.Read(ref r),
                OpCode.DeleteContainer => JavaUtf8.GetString(body.Slice(r.Consumed).ToArray()),
                OpCode.Auth => AuthPacket.Read(ref r),
                OpCode.SetWatches => SetWatchesRequest.Read(ref r, false),
                OpCode.SetWatches2 => SetWatchesRequest.Read(ref r, true),
                OpCode.Sasl => SaslToken.Read(ref r),
                OpCode.CreateSession => r.ReadInt(),
                OpCode.Ping or OpCode.WhoAmI or OpCode.CloseSession => null,
                _ => null,
            };
            if (!IsKnownOpCode(h.Type)) req.Unknown = true;
        }
        catch (JuteException)
        {
            req.Body = MarshallingFailure.Instance;
        }
        return req;
    }

    private static object ReadMulti(ref JuteReader r, Request req)
    {
        var m = MultiRequest.Read(ref r, out int? badType);
        if (badType is not null) return MarshallingFailure.Instance;
        return m;
    }

    public static bool IsKnownOpCode(int type) => type switch
    {
        OpCode.Create or OpCode.Create2 or OpCode.CreateContainer or OpCode.CreateTtl or OpCode.Delete or OpCode.Check
            or OpCode.Exists or OpCode.GetData or OpCode.GetChildren or OpCode.GetChildren2 or OpCode.SetData
            or OpCode.GetAcl or OpCode.Sync or OpCode.GetEphemerals or OpCode.GetAllChildrenNumber or OpCode.SetAcl
            or OpCode.Multi or OpCode.MultiRead or OpCode.Reconfig or OpCode.CheckWatches or OpCode.RemoveWatches
            or OpCode.AddWatch or OpCode.DeleteContainer or OpCode.Auth or OpCode.SetWatches or OpCode.SetWatches2
            or OpCode.Sasl or OpCode.Ping or OpCode.WhoAmI or OpCode.CloseSession or OpCode.CreateSession => true,
        _ => false,
    };
}

/// <summary>Marks a request whose record did not decode.</summary>
public sealed class MarshallingFailure
{
    public static readonly MarshallingFailure Instance = new();
}
