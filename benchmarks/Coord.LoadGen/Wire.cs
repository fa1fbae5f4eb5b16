using System.Buffers;
using System.Buffers.Binary;
using Coord.Protocol;
using Coord.Protocol.Jute;
using Coord.Protocol.Records;

namespace Coord.LoadGen;

delegate void BodyWriter(ref JuteWriter w);

static class Wire
{
    /// <summary>Largest reply frame accepted (ZooKeeper's jute.maxbuffer is 1 MB; getChildren of a huge parent can exceed it).</summary>
    public const int MaxFrameBytes = 64 << 20;

    public static void Frame(ArrayBufferWriter<byte> buf, int xid, int op, BodyWriter? body)
    {
        int at = buf.WrittenCount;
        var w = new JuteWriter(buf);
        w.WriteInt(0);
        new RequestHeader(xid, op).Write(ref w);
        body?.Invoke(ref w);
        BinaryPrimitives.WriteInt32BigEndian(System.Runtime.InteropServices.MemoryMarshal.AsMemory(buf.WrittenMemory).Span[at..], buf.WrittenCount - at - 4);
    }

    public static void ConnectRequest(ArrayBufferWriter<byte> buf, int timeoutMs)
    {
        var w = new JuteWriter(buf);
        w.WriteInt(45);
        new ConnectRequest(0, 0, timeoutMs, 0, new byte[16], false, true).Write(ref w);
    }

    public static readonly List<Acl> Open = [.. Acl.OpenAclUnsafe];
}

/// <summary>
/// The request stream of one session for the request workloads, shared by the closed and the open loop.
/// Layout (Layout.SetupAsync): /loadgen/n{i} per session holding the value; for "children" it has C empty children c{j};
/// for "createdelete" the session creates and deletes /loadgen/n{i}/c, alternately (a create is always followed by its delete).
/// </summary>
sealed class OpStream(string workload, string path, byte[] value, int seed)
{
    private readonly Random _rnd = new(seed);
    private readonly string _child = path + "/c";
    private long _n;

    /// <summary>False only between a create and its delete: a run may stop here without leaving a node behind.</summary>
    public bool MayStop => workload != "createdelete" || (_n & 1) == 0;

    public void Next(ArrayBufferWriter<byte> buf, int xid)
    {
        long n = _n++;
        switch (workload)
        {
            case "set": SetData(buf, xid); break;
            case "mix90": if (_rnd.Next(10) == 0) SetData(buf, xid); else GetData(buf, xid); break;
            case "mix50": if (_rnd.Next(2) == 0) SetData(buf, xid); else GetData(buf, xid); break;
            case "exists": Wire.Frame(buf, xid, OpCode.Exists, (ref JuteWriter w) => new PathWatchRequest(path, false).Write(ref w)); break;
            case "children": Wire.Frame(buf, xid, OpCode.GetChildren, (ref JuteWriter w) => new PathWatchRequest(path, false).Write(ref w)); break;
            case "createdelete":
                if ((n & 1) == 0) Wire.Frame(buf, xid, OpCode.Create, (ref JuteWriter w) => new CreateRequest(_child, value, Wire.Open, 0).Write(ref w, false));
                else Wire.Frame(buf, xid, OpCode.Delete, (ref JuteWriter w) => new PathVersionRequest(_child, -1).Write(ref w));
                break;
            default: GetData(buf, xid); break;
        }
    }

    private void SetData(ArrayBufferWriter<byte> buf, int xid) =>
        Wire.Frame(buf, xid, OpCode.SetData, (ref JuteWriter w) => new SetDataRequest(path, value, -1).Write(ref w));

    private void GetData(ArrayBufferWriter<byte> buf, int xid) =>
        Wire.Frame(buf, xid, OpCode.GetData, (ref JuteWriter w) => new PathWatchRequest(path, false).Write(ref w));
}

/// <summary>Creates and removes the znodes the request workloads use.</summary>
static class Layout
{
    public static string NodePath(int session) => $"/loadgen/n{session}";

    public static async Task SetupAsync(Options o, byte[] value)
    {
        Watchdog.Phase = "setup";
        using var s = await Session.ConnectAsync(o.Host, o.Port);
        await s.CallAsync(OpCode.Create, (ref JuteWriter w) => new CreateRequest("/loadgen", [], Wire.Open, 0).Write(ref w, false));
        byte[] nodeValue = o.Workload is "children" or "createdelete" ? [] : value;
        long errs = await s.PipelineAsync(o.Sessions, 100, i => new CreateRequest(NodePath(i), nodeValue, Wire.Open, 0));
        if (o.Workload == "children")
            errs += await s.PipelineAsync(o.Sessions * o.Children, 100, i => new CreateRequest($"{NodePath(i / o.Children)}/c{i % o.Children}", [], Wire.Open, 0));
        if (errs != 0) throw new InvalidOperationException($"{errs} setup creates failed (left over /loadgen from an earlier run?)");
    }

    public static async Task CleanupAsync(Options o)
    {
        Watchdog.Phase = "cleanup";
        using var s = await Session.ConnectAsync(o.Host, o.Port);
        if (o.Workload == "children")
            await s.PipelineAsync(o.Sessions * o.Children, 100, i => (OpCode.Delete, $"{NodePath(i / o.Children)}/c{i % o.Children}"));
        await s.PipelineAsync(o.Sessions, 100, i => (OpCode.Delete, NodePath(i)));
        await s.CallAsync(OpCode.Delete, (ref JuteWriter w) => new PathVersionRequest("/loadgen", -1).Write(ref w));
    }
}
