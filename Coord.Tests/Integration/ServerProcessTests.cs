using System.Buffers;
using System.Net.Sockets;
using Coord.Protocol.Jute;
using Coord.Protocol.Records;
using Coord.Tests.Infrastructure;
using NUnit.Framework;

namespace Coord.Tests.Integration;

/// <summary>Process-level behaviour: connection limits, shutdown on SIGTERM, and survival after hostile input.</summary>
[TestFixture, Category("Integration")]
public sealed class ServerProcessTests
{
    private static readonly TimeSpan Io = TimeSpan.FromSeconds(10);

    private static Socket Handshake(int port)
    {
        var s = new Socket(SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = (int)Io.TotalMilliseconds };
        s.Connect("127.0.0.1", port);
        var buf = new ArrayBufferWriter<byte>();
        var w = new JuteWriter(buf);
        w.WriteInt(45);
        new ConnectRequest(0, 0, 30000, 0, new byte[16], false, true).Write(ref w);
        s.Send(buf.WrittenSpan);
        return s;
    }

    /// <summary>Reads until a complete ConnectResponse (4 + 37 bytes) or EOF; returns the bytes read.</summary>
    private static int ReadConnectResponse(Socket s)
    {
        var b = new byte[64];
        int total = 0;
        while (total < 41)
        {
            int n;
            try { n = s.Receive(b, total, b.Length - total, SocketFlags.None); }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset) { break; } // closed with our request unread
            if (n == 0) break;
            total += n;
        }
        return total;
    }

    /// <summary>A handshake that got its ConnectResponse, retried within <see cref="Io"/> while a slot frees up.</summary>
    private static Socket AcceptedHandshake(int port)
    {
        var deadline = DateTime.UtcNow + Io;
        while (true)
        {
            var s = Handshake(port);
            if (ReadConnectResponse(s) == 41) return s;
            s.Dispose();
            Assert.That(DateTime.UtcNow, Is.LessThan(deadline), "no connection slot freed up");
        }
    }

    [Test]
    public void ConnectionsPerIpAreCappedByMaxClientCnxns()
    {
        using var server = ServerProcess.StartCoord("maxClientCnxns=2");
        // The start-up readiness probe was a connection too; until the server notices it closed, it holds a slot.
        using var a = AcceptedHandshake(server.Port);
        using var b = AcceptedHandshake(server.Port);
        using var c = Handshake(server.Port);
        Assert.That(ReadConnectResponse(c), Is.EqualTo(0), "the third connection from one IP is closed without a reply");
        a.Close();
        // Once a slot frees up a new client gets in; the close is noticed asynchronously, so retry within a bound.
        var deadline = DateTime.UtcNow + Io;
        int got = 0;
        while (got != 41 && DateTime.UtcNow < deadline)
        {
            using var d = Handshake(server.Port);
            got = ReadConnectResponse(d);
        }
        Assert.That(got, Is.EqualTo(41));
    }

    [Test]
    public void SigtermStopsTheServerCleanly()
    {
        var server = ServerProcess.StartCoord();
        try
        {
            using (var s = Handshake(server.Port)) Assert.That(ReadConnectResponse(s), Is.EqualTo(41));
            int? code = server.Terminate(TimeSpan.FromSeconds(15));
            Assert.That(code, Is.EqualTo(0), server.Log);
            Assert.That(server.Log, Does.Contain("Application is shutting down"));
        }
        finally
        {
            server.Dispose();
        }
    }

    [Test]
    public void OversizedFrameClosesOnlyThatConnection()
    {
        var server = SharedServers.Coord;
        using var good = Handshake(server.Port);
        Assert.That(ReadConnectResponse(good), Is.EqualTo(41));
        using var bad = Handshake(server.Port);
        Assert.That(ReadConnectResponse(bad), Is.EqualTo(41));
        bad.Send([0x00, 0x10, 0x00, 0x00]); // 1 MiB: one byte over jute.maxbuffer
        var buf = new byte[64];
        int got;
        try { got = bad.Receive(buf); } catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset) { got = 0; }
        Assert.That(got, Is.EqualTo(0), "closed without a reply, before any body arrives");
        // The other session still works: ping (xid -2, opcode 11) is answered.
        good.Send([0, 0, 0, 8, 0xff, 0xff, 0xff, 0xfe, 0, 0, 0, 11]);
        int n = 0;
        while (n < 20) { int r = good.Receive(buf, n, 20 - n, SocketFlags.None); if (r == 0) break; n += r; }
        Assert.That(n, Is.GreaterThanOrEqualTo(20));
    }
}
