using System.Diagnostics;
using System.Text;

namespace Coord.Tests.Infrastructure;

/// <summary>
/// A real server process on a free loopback port: either Coord (the built Coord.Server.dll) or the reference Apache
/// ZooKeeper 3.8.0 from Debian. Both get the same settings the oracle expects: extended types on, containers checked
/// every second, every four-letter word allowed. Disposing kills the process and removes its data directory.
/// </summary>
public sealed class ServerProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();
    public int Port { get; }
    public string DataDir { get; }
    public string Name { get; }
    public string HostPort => $"127.0.0.1:{Port}";
    public string Log { get { lock (_log) return _log.ToString(); } }
    public bool IsAlive => !_process.HasExited;
    public int Pid => _process.Id;

    /// <summary>Sends SIGTERM and waits for the process to exit; returns its exit code, or null on timeout.</summary>
    public int? Terminate(TimeSpan timeout)
    {
        Repo.Run("kill", ["-TERM", _process.Id.ToString()], TimeSpan.FromSeconds(10));
        return _process.WaitForExit(timeout) ? _process.ExitCode : null;
    }

    /// <summary>False when the data directory belongs to the caller (restart tests) and must survive Dispose.</summary>
    private bool _ownsDataDir = true;

    private ServerProcess(string name, Process p, int port, string dataDir)
    {
        Name = name;
        _process = p;
        Port = port;
        DataDir = dataDir;
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.AppendLine(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
    }

    public static string CoordDll
    {
        get
        {
            // The test project references Coord.Server, so its build output sits next to the tests.
            var local = Path.Combine(AppContext.BaseDirectory, "Coord.Server.dll");
            if (File.Exists(local)) return local;
            throw new FileNotFoundException("Coord.Server.dll not found next to the tests", local);
        }
    }

    public static ServerProcess StartCoord(params string[] extra) =>
        StartCoordIn(Directory.CreateTempSubdirectory("coord-test-").FullName, ownsDataDir: true, extra);

    /// <summary>Starts Coord on an existing data directory that outlives the process (crash and restart tests).</summary>
    public static ServerProcess StartCoordIn(string dir, bool ownsDataDir, params string[] extra) =>
        StartCoordIn(dir, ownsDataDir, new Dictionary<string, string>(), extra);

    /// <summary>As above, with extra environment variables for the server process.</summary>
    public static ServerProcess StartCoordIn(string dir, bool ownsDataDir, IReadOnlyDictionary<string, string> environment, params string[] extra) =>
        StartCoordIn(dir, ownsDataDir, environment, cpu: null, extra);

    /// <summary>As above, with the whole server process confined to CPU <paramref name="cpu"/> (taskset) when given.</summary>
    public static ServerProcess StartCoordIn(string dir, bool ownsDataDir, IReadOnlyDictionary<string, string> environment, int? cpu, params string[] extra)
    {
        int port = Repo.FreePort();
        var psi = new ProcessStartInfo(cpu is null ? "dotnet" : "taskset") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (cpu is not null)
        {
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add(cpu.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
            psi.ArgumentList.Add("dotnet");
        }
        foreach (var (k, v) in environment) psi.Environment[k] = v;
        psi.ArgumentList.Add(CoordDll);
        foreach (var a in new[] { $"clientPort={port}", "clientPortAddress=127.0.0.1", $"dataDir={dir}", "extendedTypesEnabled=true",
                     "znode.container.checkIntervalMs=1000", "4lw.commands.whitelist=*" }.Concat(extra))
            psi.ArgumentList.Add(a);
        var sp = new ServerProcess("coord", Process.Start(psi)!, port, dir) { _ownsDataDir = ownsDataDir };
        sp.WaitUntilListening();
        return sp;
    }

    /// <summary>SIGKILL: no shutdown code runs, exactly like a crash.</summary>
    public void Kill()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10_000);
    }

    public static bool ReferenceAvailable => File.Exists("/usr/share/java/zookeeper.jar");

    public static ServerProcess StartReference(bool extendedTypes = true, string whitelist = "*")
    {
        int port = Repo.FreePort();
        var dir = Directory.CreateTempSubdirectory("zk-ref-").FullName;
        Directory.CreateDirectory(Path.Combine(dir, "data"));
        var cfg = Path.Combine(dir, "zoo.cfg");
        File.WriteAllText(cfg, $"tickTime=2000\ninitLimit=10\nsyncLimit=5\ndataDir={dir}/data\nclientPort={port}\nclientPortAddress=127.0.0.1\nadmin.enableServer=false\n");
        var psi = new ProcessStartInfo("java") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-Xmx512m", "-cp", "/etc/zookeeper/conf:/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-api.jar:/usr/share/java/slf4j-log4j12.jar:/usr/share/java/log4j-1.2.jar",
                     "-Dzookeeper.root.logger=WARN,CONSOLE", $"-Dzookeeper.log.dir={dir}", $"-Dzookeeper.extendedTypesEnabled={(extendedTypes ? "true" : "false")}",
                     "-Dznode.container.checkIntervalMs=1000", $"-Dzookeeper.4lw.commands.whitelist={whitelist}",
                     "org.apache.zookeeper.server.quorum.QuorumPeerMain", cfg })
            psi.ArgumentList.Add(a);
        var sp = new ServerProcess("zookeeper", Process.Start(psi)!, port, dir);
        sp.WaitUntilListening();
        if (whitelist == "*" || whitelist.Split(',').Contains("srvr")) sp.WaitUntilServing();
        return sp;
    }

    /// <summary>ZooKeeper accepts connections before its ZooKeeperServer runs, and closes them until it does (seen as
    /// an EOF on a test's first request); its srvr answer shows "Mode:" only once it serves.</summary>
    private void WaitUntilServing()
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (_process.HasExited) throw new InvalidOperationException($"{Name} exited during start-up\n{Log}");
            try
            {
                using var c = new System.Net.Sockets.TcpClient();
                c.Connect(System.Net.IPAddress.Loopback, Port);
                var stream = c.GetStream();
                stream.Write("srvr"u8);
                stream.ReadTimeout = 5000;
                using var reader = new StreamReader(stream);
                if (reader.ReadToEnd().Contains("Mode:")) return;
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
            {
                // not serving yet
            }
            Thread.Sleep(50); // polling a server that is not serving yet; not used to order events
        }
        throw new TimeoutException($"{Name} on port {Port} did not start serving\n{Log}");
    }

    private void WaitUntilListening()
    {
        try
        {
            Repo.WaitForPort(Port, TimeSpan.FromSeconds(60), () => !_process.HasExited);
        }
        catch (Exception e)
        {
            throw new InvalidOperationException($"{Name} did not start: {e.Message}\n{Log}", e);
        }
    }

    public void Dispose()
    {
        try { if (!_process.HasExited) { _process.Kill(entireProcessTree: true); _process.WaitForExit(10_000); } } catch { /* already gone */ }
        _process.Dispose();
        if (_ownsDataDir)
        {
            try { Directory.Delete(DataDir, recursive: true); } catch { /* best effort */ }
        }
    }
}
