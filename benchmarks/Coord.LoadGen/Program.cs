using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;
using Coord.Protocol;
using Coord.Protocol.Jute;
using Coord.Protocol.Records;

// Coord.LoadGen: a ZooKeeper-protocol load generator that works against Coord and Apache ZooKeeper alike.
//   --server host:port  --workload get|set|mix90  --sessions N  --outstanding K (per session; 1 = closed loop)
//   --seconds S  --value-bytes B  --server-pid PID (to report server CPU per op from /proc)
// Each session keeps K requests in flight on its own connection; latency is measured per request.
var opts = Options.Parse(args);
var (host, port) = (opts.Server.Split(':')[0], int.Parse(opts.Server.Split(':')[1]));
var value = new byte[opts.ValueBytes];
Random.Shared.NextBytes(value);

// --populate N: create N znodes /bench/pXXXX/nXXXXXX (1,000 per parent) with --value-bytes of data, pipelined,
// then exit (used for the large-tree figures: memory per znode, snapshot size and time, restart time).
if (opts.Populate > 0)
{
    using var s = await Session.ConnectAsync(host, port);
    var t0 = Stopwatch.StartNew();
    await s.CallAsync(OpCode.Create, (ref JuteWriter w) => new CreateRequest("/bench", [], [.. Acl.OpenAclUnsafe], 0).Write(ref w, false));
    int parents = (opts.Populate + 999) / 1000;
    for (int p = 0; p < parents; p++)
        await s.CallAsync(OpCode.Create, (ref JuteWriter w) => new CreateRequest($"/bench/p{p:D4}", [], [.. Acl.OpenAclUnsafe], 0).Write(ref w, false));
    long errs = await s.PipelineAsync(opts.Populate, Math.Max(1, opts.Outstanding), i =>
        new CreateRequest($"/bench/p{i / 1000:D4}/n{i:D6}", value, [.. Acl.OpenAclUnsafe], 0));
    Console.WriteLine($"populated {opts.Populate} znodes in {t0.Elapsed.TotalSeconds:0.0}s ({opts.Populate / t0.Elapsed.TotalSeconds:0} creates/s), errors={errs}");
    return errs == 0 ? 0 : 1;
}

// Setup: one node per session under /loadgen.
using (var setup = await Session.ConnectAsync(host, port))
{
    await setup.CallAsync(OpCode.Create, (ref JuteWriter w) => new CreateRequest("/loadgen", [], [.. Acl.OpenAclUnsafe], 0).Write(ref w, false));
    for (int i = 0; i < opts.Sessions; i++)
        await setup.CallAsync(OpCode.Create, (ref JuteWriter w) => new CreateRequest($"/loadgen/n{i}", value, [.. Acl.OpenAclUnsafe], 0).Write(ref w, false));
}

var sessions = new Session[opts.Sessions];
for (int i = 0; i < sessions.Length; i++) sessions[i] = await Session.ConnectAsync(host, port);
double cpu0 = ServerCpuSeconds(opts.ServerPid);
var sw = Stopwatch.StartNew();
var deadline = TimeSpan.FromSeconds(opts.Seconds);
var tasks = sessions.Select((s, i) => s.RunAsync($"/loadgen/n{i}", opts, value, deadline)).ToArray();
await Task.WhenAll(tasks);
double elapsed = sw.Elapsed.TotalSeconds;
double cpu = ServerCpuSeconds(opts.ServerPid) - cpu0;
var lat = tasks.SelectMany(t => t.Result.LatenciesUs).ToArray();
Array.Sort(lat);
long ops = lat.Length, errors = tasks.Sum(t => t.Result.Errors);
double P(double q) => lat.Length == 0 ? 0 : lat[Math.Min(lat.Length - 1, (int)(q * lat.Length))] / 1000.0;
Console.WriteLine($"workload={opts.Workload} sessions={opts.Sessions} outstanding={opts.Outstanding} value={opts.ValueBytes}B seconds={elapsed:0.0}");
Console.WriteLine($"ops={ops} errors={errors} ops/s={ops / elapsed:0} p50={P(0.50):0.000}ms p99={P(0.99):0.000}ms p99.9={P(0.999):0.000}ms" +
    (opts.ServerPid > 0 ? $" server_cpu_s={cpu:0.00} server_cpu_us_per_op={cpu * 1e6 / Math.Max(1, ops):0.0}" : ""));
using (var cleanup = await Session.ConnectAsync(host, port))
{
    for (int i = 0; i < opts.Sessions; i++) await cleanup.CallAsync(OpCode.Delete, (ref JuteWriter w) => new PathVersionRequest($"/loadgen/n{i}", -1).Write(ref w));
    await cleanup.CallAsync(OpCode.Delete, (ref JuteWriter w) => new PathVersionRequest("/loadgen", -1).Write(ref w));
}
foreach (var s in sessions) s.Dispose();
return errors == 0 ? 0 : 1;

static double ServerCpuSeconds(int pid)
{
    if (pid <= 0) return 0;
    // /proc/<pid>/stat fields 14 and 15: utime and stime in clock ticks (USER_HZ = 100 on Linux).
    var stat = File.ReadAllText($"/proc/{pid}/stat");
    var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
    return (long.Parse(fields[11]) + long.Parse(fields[12])) / 100.0;
}

sealed record Options(string Server, string Workload, int Sessions, int Outstanding, int Seconds, int ValueBytes, int ServerPid, int Populate)
{
    public static Options Parse(string[] args)
    {
        var d = new Dictionary<string, string>();
        for (int i = 0; i + 1 < args.Length; i += 2) d[args[i].TrimStart('-')] = args[i + 1];
        string G(string k, string def) => d.TryGetValue(k, out var v) ? v : def;
        return new Options(G("server", "127.0.0.1:2181"), G("workload", "get"), int.Parse(G("sessions", "4")), int.Parse(G("outstanding", "100")),
            int.Parse(G("seconds", "10")), int.Parse(G("value-bytes", "100")), int.Parse(G("server-pid", "0")), int.Parse(G("populate", "0")));
    }
}

sealed record RunResult(List<int> LatenciesUs, long Errors);

delegate void BodyWriter(ref JuteWriter w);

sealed class Session : IDisposable
{
    private readonly Socket _socket;
    private readonly byte[] _rx = new byte[1 << 20];
    private int _rxStart, _rxEnd;
    private int _xid;

    private Session(Socket s) => _socket = s;

    public static async Task<Session> ConnectAsync(string host, int port)
    {
        var s = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await s.ConnectAsync(host, port);
        var session = new Session(s);
        var buf = new ArrayBufferWriter<byte>();
        var w = new JuteWriter(buf);
        w.WriteInt(45);
        new ConnectRequest(0, 0, 30000, 0, new byte[16], false, true).Write(ref w);
        await s.SendAsync(buf.WrittenMemory);
        await session.ReadFrameAsync();
        return session;
    }

    public async Task<int> CallAsync(int op, BodyWriter body)
    {
        var buf = new ArrayBufferWriter<byte>();
        Frame(buf, ++_xid, op, body);
        await _socket.SendAsync(buf.WrittenMemory);
        var (start, _) = await ReadFrameAsync();
        return BinaryPrimitives.ReadInt32BigEndian(_rx.AsSpan(start + 12));
    }

    private static void Frame(ArrayBufferWriter<byte> buf, int xid, int op, BodyWriter body)
    {
        int at = buf.WrittenCount;
        var w = new JuteWriter(buf);
        w.WriteInt(0);
        new RequestHeader(xid, op).Write(ref w);
        body(ref w);
        BinaryPrimitives.WriteInt32BigEndian(System.Runtime.InteropServices.MemoryMarshal.AsMemory(buf.WrittenMemory).Span[at..], buf.WrittenCount - at - 4);
    }

    /// <summary>Returns the body offset and length of the next frame in the receive buffer.</summary>
    private async ValueTask<(int Start, int Len)> ReadFrameAsync()
    {
        while (true)
        {
            if (_rxEnd - _rxStart >= 4)
            {
                int len = BinaryPrimitives.ReadInt32BigEndian(_rx.AsSpan(_rxStart));
                if (_rxEnd - _rxStart >= 4 + len)
                {
                    int start = _rxStart + 4;
                    _rxStart += 4 + len;
                    return (start, len);
                }
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

    /// <summary>Sends <paramref name="count"/> creates keeping <paramref name="window"/> in flight; returns the error count.</summary>
    public async Task<long> PipelineAsync(int count, int window, Func<int, CreateRequest> make)
    {
        var buf = new ArrayBufferWriter<byte>(64 * 1024);
        int sent = 0, done = 0;
        long errors = 0;
        while (done < count)
        {
            while (sent < count && sent - done < window)
            {
                var req = make(sent++);
                Frame(buf, ++_xid, OpCode.Create, (ref JuteWriter w) => req.Write(ref w, false));
            }
            if (buf.WrittenCount > 0) { await _socket.SendAsync(buf.WrittenMemory); buf.ResetWrittenCount(); }
            var (start, _) = await ReadFrameAsync();
            if (BinaryPrimitives.ReadInt32BigEndian(_rx.AsSpan(start + 12)) != 0) errors++;
            done++;
        }
        return errors;
    }

    public async Task<RunResult> RunAsync(string path, Options o, byte[] value, TimeSpan duration)
    {
        var lat = new List<int>(1 << 16);
        long errors = 0;
        var sent = new Dictionary<int, long>();
        var rnd = new Random(path.GetHashCode());
        var sw = Stopwatch.StartNew();
        var buf = new ArrayBufferWriter<byte>(64 * 1024);
        int inFlight = 0;
        bool Write() => o.Workload switch { "set" => true, "mix90" => rnd.Next(10) == 0, "mix50" => rnd.Next(2) == 0, _ => false };
        void Enqueue()
        {
            int xid = ++_xid;
            if (Write()) Frame(buf, xid, OpCode.SetData, (ref JuteWriter w) => new SetDataRequest(path, value, -1).Write(ref w));
            else Frame(buf, xid, OpCode.GetData, (ref JuteWriter w) => new PathWatchRequest(path, false).Write(ref w));
            sent[xid] = Stopwatch.GetTimestamp();
            inFlight++;
        }
        for (int i = 0; i < o.Outstanding; i++) Enqueue();
        while (inFlight > 0)
        {
            if (buf.WrittenCount > 0) { await _socket.SendAsync(buf.WrittenMemory); buf.ResetWrittenCount(); }
            var (start, _) = await ReadFrameAsync();
            int xid = BinaryPrimitives.ReadInt32BigEndian(_rx.AsSpan(start));
            int err = BinaryPrimitives.ReadInt32BigEndian(_rx.AsSpan(start + 12));
            if (!sent.Remove(xid, out long t0)) continue;
            inFlight--;
            if (err != 0) errors++;
            lat.Add((int)((Stopwatch.GetTimestamp() - t0) * 1_000_000 / Stopwatch.Frequency));
            if (sw.Elapsed < duration) Enqueue();
            // Drain whatever else already arrived before sending the refills in one write.
            while (inFlight > 0 && _rxEnd - _rxStart >= 4 && _rxEnd - _rxStart >= 4 + BinaryPrimitives.ReadInt32BigEndian(_rx.AsSpan(_rxStart)))
            {
                var (s2, _) = await ReadFrameAsync();
                int x2 = BinaryPrimitives.ReadInt32BigEndian(_rx.AsSpan(s2));
                if (!sent.Remove(x2, out long t2)) continue;
                inFlight--;
                if (BinaryPrimitives.ReadInt32BigEndian(_rx.AsSpan(s2 + 12)) != 0) errors++;
                lat.Add((int)((Stopwatch.GetTimestamp() - t2) * 1_000_000 / Stopwatch.Frequency));
                if (sw.Elapsed < duration) Enqueue();
            }
        }
        return new RunResult(lat, errors);
    }

    public void Dispose() => _socket.Dispose();
}
