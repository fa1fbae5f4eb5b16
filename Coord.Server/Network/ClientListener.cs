using System.Net;
using System.Net.Sockets;
using Coord.Server.Processing;
using Microsoft.Extensions.Logging;

namespace Coord.Server.Network;

/// <summary>
/// Accepts client connections on clientPort (ZooKeeper's ServerCnxnFactory) and enforces maxClientCnxns per client IP
/// by closing the newest connection over the limit, as ZooKeeper does.
/// </summary>
public sealed class ClientListener(ZooKeeperServer server, ILoggerFactory loggers) : IAsyncDisposable
{
    /// <summary>Listen backlog (connections).</summary>
    private const int Backlog = 512;

    private readonly ILogger _log = loggers.CreateLogger("Coord.Network");
    private readonly Dictionary<IPAddress, int> _perIp = [];
    private readonly Lock _perIpLock = new();
    private readonly CancellationTokenSource _cts = new();
    private Socket? _listener;
    private Task? _acceptLoop;

    public int Port => ((IPEndPoint)_listener!.LocalEndPoint!).Port;

    public void Start()
    {
        var cfg = server.Config;
        var ep = new IPEndPoint(cfg.ClientPortAddress, cfg.ClientPort);
        _listener = new Socket(ep.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        _listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _listener.Bind(ep);
        _listener.Listen(Backlog);
        _log.LogInformation("binding to port {Endpoint}", _listener.LocalEndPoint);
        _acceptLoop = AcceptLoopAsync();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_cts.IsCancellationRequested)
        {
            Socket s;
            try { s = await _listener!.AcceptAsync(_cts.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) { break; }
            catch (ObjectDisposedException) { break; }
            catch (SocketException e)
            {
                _log.LogWarning("accept failed: {Error}", e.SocketErrorCode);
                continue;
            }
            s.NoDelay = true;
            var remote = ((IPEndPoint)s.RemoteEndPoint!).Address;
            if (remote.IsIPv4MappedToIPv6) remote = remote.MapToIPv4();
            int max = server.Config.MaxClientCnxns;
            bool over;
            lock (_perIpLock)
            {
                _perIp.TryGetValue(remote, out int n);
                over = max > 0 && n >= max;
                if (!over) _perIp[remote] = n + 1;
            }
            if (over)
            {
                _log.LogWarning("Too many connections from {Remote} - max is {Max}", remote, max);
                s.Close();
                continue;
            }
            _ = ServeAsync(s, remote);
        }
    }

    private async Task ServeAsync(Socket s, IPAddress remote)
    {
        ServerCnxn? c = null;
        try
        {
            c = new ServerCnxn(s, server, _log);
            server.Register(c);
            await c.RunAsync(_cts.Token).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            _log.LogDebug(e, "connection from {Remote} ended", remote);
        }
        finally
        {
            c?.Close();
            if (c is not null) server.Unregister(c);
            lock (_perIpLock)
            {
                if (_perIp.TryGetValue(remote, out int n))
                {
                    if (n <= 1) _perIp.Remove(remote); else _perIp[remote] = n - 1;
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _cts.Cancel();
        _listener?.Close();
        if (_acceptLoop is not null) await _acceptLoop.ConfigureAwait(false);
    }
}
