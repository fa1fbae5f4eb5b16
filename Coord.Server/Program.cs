using Coord.Server.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Serilog;

// Usage: Coord.Server [zoo.cfg] [key=value ...]
// Without a config file the embedded defaults apply: clientPort 2181, dataDir ./data, tickTime 2000.
// Coord.Server dump-log|dump-snapshot ... prints on-disk files instead (Tools/DumpCommand.cs).
if (args.Length > 0 && args[0] is "dump-log" or "dump-snapshot") return Coord.Server.Tools.DumpCommand.Run(args);

// Socket completions run on the socket engine's own thread instead of being queued to the thread pool. Together with
// the processing loop running inline when idle (ZooKeeperServer's queue) and replies written from the processing
// thread (ServerCnxn.Flush), a request is read, processed and answered on one thread with no hand-off. Safe here
// because nothing on that path blocks: sockets are non-blocking, the fsync runs on its own thread. Measured with
// getData, one request in flight: 79–83 µs of server CPU per op without, 50–54 with. Must be set before the first
// socket is used; an explicit setting in the environment wins.
if (Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") is null)
    Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");

Log.Logger = new LoggerConfiguration()
    .MinimumLevel.Information()
    .WriteTo.Console(outputTemplate: "{Timestamp:yyyy-MM-dd HH:mm:ss,fff} [{Level:u4}] {SourceContext}: {Message:lj}{NewLine}{Exception}")
    .CreateLogger();

ServerConfig config;
try
{
    var cfgPath = args.FirstOrDefault(a => !a.Contains('='));
    var overrides = args.Where(a => a.Contains('='));
    config = cfgPath is null ? ServerConfig.Defaults(overrides) : ServerConfig.Load(cfgPath, overrides);
}
catch (ConfigException e)
{
    Log.Fatal("Invalid configuration: {Message}", e.Message);
    Log.CloseAndFlush();
    return 2;
}

try
{
    // No host defaults: Coord is configured by zoo.cfg and the command line, not appsettings.json, and the defaults
    // watch the content root (the working directory) recursively with inotify to reload that file. With the data
    // directory under it (the default ./data) every txn-log and snapshot write woke the watcher: a 1M-znode
    // snapshot's 64 KB writes kept it busy for a second, on the core the clients needed.
    var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, Args = [] });
    builder.Services.AddSerilog();
    builder.Services.AddSingleton(config);
    builder.Services.AddHostedService<CoordServerHost>();
    builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
    using var host = builder.Build();
    await host.RunAsync();
    return Environment.ExitCode; // 3 when the server stopped because its txn log or snapshots could not be written
}
catch (Exception e)
{
    Log.Fatal(e, "Coord server failed");
    return 1;
}
finally
{
    Log.CloseAndFlush();
}
