using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Coord.Tests.Infrastructure;

/// <summary>Paths and helpers shared by the tests: the repository root, free ports, and bounded child processes.</summary>
public static class Repo
{
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Coord.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Coord.sln not found above " + AppContext.BaseDirectory);
    }

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    /// <summary>Waits until a TCP connect to the port succeeds; throws after <paramref name="timeout"/>.</summary>
    public static void WaitForPort(int port, TimeSpan timeout, Func<bool>? stillAlive = null)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < timeout)
        {
            if (stillAlive is not null && !stillAlive()) throw new InvalidOperationException($"process exited before listening on {port}");
            try
            {
                using var c = new TcpClient();
                c.Connect(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                Thread.Sleep(50); // polling a port that is not open yet; not used to order events
            }
        }
        throw new TimeoutException($"nothing listening on port {port} after {timeout}");
    }

    public sealed record ProcessResult(int ExitCode, string Stdout, string Stderr, TimeSpan Elapsed)
    {
        public override string ToString() => $"exit={ExitCode} after {Elapsed.TotalSeconds:0.0}s\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
    }

    /// <summary>Runs a command to completion with a hard timeout (the process tree is killed when it expires).</summary>
    public static ProcessResult Run(string file, IEnumerable<string> args, TimeSpan timeout, string? workDir = null, IDictionary<string, string>? env = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workDir ?? Root,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        var sw = Stopwatch.StartNew();
        using var p = Process.Start(psi)!;
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stdout) stdout.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
            return new ProcessResult(-999, stdout.ToString(), stderr + $"\nKILLED after {timeout}", sw.Elapsed);
        }
        p.WaitForExit();
        return new ProcessResult(p.ExitCode, stdout.ToString(), stderr.ToString(), sw.Elapsed);
    }
}
