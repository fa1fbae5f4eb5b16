using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using Coord.Protocol;
using Coord.Protocol.Jute;
using Coord.Protocol.Records;

namespace Coord.Tests.Infrastructure;

/// <summary>A minimal pipelining ZooKeeper client for tests that need exact control over what is in flight
/// (crash tests): requests go out as sent, replies are read in order.</summary>
public sealed class RawClient : IDisposable
{
    private readonly Socket _socket;
    private readonly byte[] _rx = new byte[1 << 20];
    private int _start, _end;
    private int _xid;

    private RawClient(Socket s) => _socket = s;

    public static RawClient Connect(int port, int timeoutMs = 30000)
    {
        var s = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, ReceiveTimeout = 15000 };
        s.Connect("127.0.0.1", port);
        var c = new RawClient(s);
        var buf = new ArrayBufferWriter<byte>();
        var w = new JuteWriter(buf);
        w.WriteInt(45);
        new ConnectRequest(0, 0, timeoutMs, 0, new byte[16], false, true).Write(ref w);
        s.Send(buf.WrittenSpan);
        c.ReadFrame();
        return c;
    }

    public int SendCreate(string path, byte[] data, int flags = 0) =>
        Send(OpCode.Create, (ref JuteWriter w) => new CreateRequest(path, data, [.. Acl.OpenAclUnsafe], flags).Write(ref w, false));

    public int SendSetData(string path, byte[] data) =>
        Send(OpCode.SetData, (ref JuteWriter w) => new SetDataRequest(path, data, -1).Write(ref w));

    public delegate void Body(ref JuteWriter w);

    public int Send(int op, Body body)
    {
        var buf = new ArrayBufferWriter<byte>();
        var w = new JuteWriter(buf);
        w.WriteInt(0);
        int xid = ++_xid;
        new RequestHeader(xid, op).Write(ref w);
        body(ref w);
        var bytes = buf.WrittenSpan.ToArray();
        BinaryPrimitives.WriteInt32BigEndian(bytes, bytes.Length - 4);
        _socket.Send(bytes);
        return xid;
    }

    /// <summary>The zxid of the last reply <see cref="ReadReply"/> returned.</summary>
    public long LastReplyZxid { get; private set; }

    /// <summary>Sends a request whose body is exactly <paramref name="body"/> (malformed input).</summary>
    public int SendRaw(int op, byte[] body) => Send(op, (ref JuteWriter w) => w.WriteRaw(body));

    /// <summary>Next reply (notifications skipped): xid, err and the body bytes.</summary>
    public (int Xid, int Err, byte[] Body) ReadReply()
    {
        while (true)
        {
            var f = ReadFrame();
            int xid = BinaryPrimitives.ReadInt32BigEndian(f);
            if (xid == Xid.Notification) continue;
            LastReplyZxid = BinaryPrimitives.ReadInt64BigEndian(f.AsSpan(4));
            return (xid, BinaryPrimitives.ReadInt32BigEndian(f.AsSpan(12)), f[16..]);
        }
    }

    public (int Err, byte[]? Data) GetData(string path)
    {
        Send(OpCode.GetData, (ref JuteWriter w) => new PathWatchRequest(path, false).Write(ref w));
        var (_, err, body) = ReadReply();
        if (err != 0) return (err, null);
        var r = new JuteReader(body);
        return (0, r.ReadBuffer());
    }

    public (int Err, List<string> Children) GetChildren(string path)
    {
        Send(OpCode.GetChildren, (ref JuteWriter w) => new PathWatchRequest(path, false).Write(ref w));
        var (_, err, body) = ReadReply();
        if (err != 0) return (err, []);
        var r = new JuteReader(body);
        return (0, r.ReadStringVector() ?? []);
    }

    private byte[] ReadFrame()
    {
        while (true)
        {
            if (_end - _start >= 4)
            {
                int len = BinaryPrimitives.ReadInt32BigEndian(_rx.AsSpan(_start));
                if (_end - _start >= 4 + len)
                {
                    var f = _rx.AsSpan(_start + 4, len).ToArray();
                    _start += 4 + len;
                    return f;
                }
            }
            if (_start > 0)
            {
                Buffer.BlockCopy(_rx, _start, _rx, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }
            int n = _socket.Receive(_rx, _end, _rx.Length - _end, SocketFlags.None);
            if (n == 0) throw new IOException("connection closed");
            _end += n;
        }
    }

    public void Dispose() => _socket.Dispose();
}
