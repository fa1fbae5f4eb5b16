using Coord.Server.Network;
using Coord.Server.Processing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Coord.Server.Hosting;

/// <summary>Runs the standalone server under the generic host: starts the pipeline and the client port, and stops
/// both on SIGTERM or Ctrl-C.</summary>
public sealed class CoordServerHost(ServerConfig config, ILoggerFactory loggers, IHostApplicationLifetime lifetime) : IHostedService
{
    private ZooKeeperServer? _server;
    private ClientListener? _listener;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var log = loggers.CreateLogger("Coord.Server");
        foreach (var w in config.Warnings) log.LogWarning("{Warning}", w);
        _server = new ZooKeeperServer(config, log);
        _server.OnFatal(_ =>
        {
            Environment.ExitCode = 3;
            lifetime.StopApplication();
        });
        _server.Start();
        _listener = new ClientListener(_server, loggers);
        _listener.Start();
        log.LogInformation("Coord standalone server started: clientPort={Port} tickTime={Tick}ms dataDir={DataDir}",
            _listener.Port, config.TickTimeMs, Path.GetFullPath(config.DataDir));
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_listener is not null) await _listener.DisposeAsync();
        if (_server is not null) await _server.DisposeAsync();
    }
}
