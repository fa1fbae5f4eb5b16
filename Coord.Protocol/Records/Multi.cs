using Coord.Protocol.Jute;

namespace Coord.Protocol.Records;

/// <summary>One operation of a multi or multiRead request. Exactly one of the request fields is set, chosen by Type.</summary>
public sealed class MultiOp
{
    public int Type { get; init; }
    public CreateRequest? Create { get; init; }
    public PathVersionRequest PathVersion { get; init; }
    public SetDataRequest? SetData { get; init; }
    public PathWatchRequest PathWatch { get; init; }
    /// <summary>The op's path was sent as a null string (length -1); <see cref="Path"/> is then "". ZooKeeper accepts
    /// it on the wire and fails later (see <see cref="MultiRequest.HasNullPath"/>).</summary>
    public bool PathIsNull { get; init; }

    public string Path => Type switch
    {
        OpCode.Create or OpCode.Create2 or OpCode.CreateTtl or OpCode.CreateContainer => Create!.Path,
        OpCode.Delete or OpCode.Check => PathVersion.Path,
        OpCode.SetData => SetData!.Path,
        _ => PathWatch.Path,
    };
}

/// <summary>
/// MultiOperationRecord / MultiTransactionRecord wire form:
///   ( MultiHeader{type, done=false, err=-1} op-record )* MultiHeader{type=-1, done=true, err=-1}
/// The op record is CreateRequest (create, create2, createContainer), CreateTTLRequest (createTTL),
/// DeleteRequest, SetDataRequest, CheckVersionRequest, GetChildrenRequest or GetDataRequest.
/// </summary>
public sealed class MultiRequest
{
    public List<MultiOp> Ops { get; } = [];

    /// <summary>Some op's path is null. ZooKeeper 3.8 decodes such a request, then dereferences the path: a multi in
    /// PrepRequestProcessor.getPendingChanges (after taking a zxid, before any txn exists), a multiRead op when it is
    /// served.</summary>
    public bool HasNullPath { get; private set; }

    /// <summary>Some op is getData or getChildren (in a multi ZooKeeper fails to decode the request).</summary>
    public bool HasReadOp { get; private set; }

    /// <summary>Reads ops until the done header. An op type outside the multi vocabulary, 0 included, sets
    /// <paramref name="badType"/> and stops the read (ZooKeeper's MultiOperationRecord throws "Invalid type of op",
    /// answered with MarshallingError, and none of the ops before it runs).</summary>
    public static MultiRequest Read(ref JuteReader r, out int? badType)
    {
        badType = null;
        var m = new MultiRequest();
        while (true)
        {
            var h = MultiHeader.Read(ref r);
            if (h.Done) break;
            if (h.Type is OpCode.GetChildren or OpCode.GetData) m.HasReadOp = true;
            var peek = r;
            if (IsMultiOpType(h.Type) && peek.ReadInt() == -1)
            {
                m.HasNullPath = true;
                m.Ops.Add(ReadOpWithNullPath(h.Type, ref r));
                continue;
            }
            switch (h.Type)
            {
                case OpCode.Create: case OpCode.Create2: case OpCode.CreateContainer:
                    m.Ops.Add(new MultiOp { Type = h.Type, Create = CreateRequest.Read(ref r, false) }); break;
                case OpCode.CreateTtl:
                    m.Ops.Add(new MultiOp { Type = h.Type, Create = CreateRequest.Read(ref r, true) }); break;
                case OpCode.Delete: case OpCode.Check:
                    m.Ops.Add(new MultiOp { Type = h.Type, PathVersion = PathVersionRequest.Read(ref r) }); break;
                case OpCode.SetData:
                    m.Ops.Add(new MultiOp { Type = h.Type, SetData = SetDataRequest.Read(ref r) }); break;
                case OpCode.GetChildren: case OpCode.GetData:
                    m.Ops.Add(new MultiOp { Type = h.Type, PathWatch = PathWatchRequest.Read(ref r) }); break;
                default:
                    badType = h.Type; return m;
            }
        }
        return m;
    }

    private static bool IsMultiOpType(int type) => type is OpCode.Create or OpCode.Create2 or OpCode.CreateContainer
        or OpCode.CreateTtl or OpCode.Delete or OpCode.Check or OpCode.SetData or OpCode.GetChildren or OpCode.GetData;

    /// <summary>Reads an op whose path string is null: the rest of its record as usual, the path as "".</summary>
    private static MultiOp ReadOpWithNullPath(int type, ref JuteReader r)
    {
        r.ReadInt(); // the -1 length
        const string path = "";
        switch (type)
        {
            case OpCode.Create: case OpCode.Create2: case OpCode.CreateContainer: case OpCode.CreateTtl:
            {
                var data = r.ReadBuffer(); var acl = Acl.ReadList(ref r); int flags = r.ReadInt();
                long ttl = type == OpCode.CreateTtl ? r.ReadLong() : -1;
                return new MultiOp { Type = type, PathIsNull = true, Create = new CreateRequest(path, data, acl, flags, ttl) };
            }
            case OpCode.Delete: case OpCode.Check:
                return new MultiOp { Type = type, PathIsNull = true, PathVersion = new PathVersionRequest(path, r.ReadInt()) };
            case OpCode.SetData:
            {
                var data = r.ReadBuffer();
                return new MultiOp { Type = type, PathIsNull = true, SetData = new SetDataRequest(path, data, r.ReadInt()) };
            }
            default:
                return new MultiOp { Type = type, PathIsNull = true, PathWatch = new PathWatchRequest(path, r.ReadBool()) };
        }
    }

    public void Write(ref JuteWriter w)
    {
        foreach (var op in Ops)
        {
            new MultiHeader(op.Type, false, -1).Write(ref w);
            switch (op.Type)
            {
                case OpCode.Create: case OpCode.Create2: case OpCode.CreateContainer: op.Create!.Write(ref w, false); break;
                case OpCode.CreateTtl: op.Create!.Write(ref w, true); break;
                case OpCode.Delete: case OpCode.Check: op.PathVersion.Write(ref w); break;
                case OpCode.SetData: op.SetData!.Write(ref w); break;
                default: op.PathWatch.Write(ref w); break;
            }
        }
        MultiHeader.End.Write(ref w);
    }
}

/// <summary>One result of a multi: type is the op's result type (create, create2, delete, setData, check,
/// getChildren, getData or error -1) as in ZooKeeper's OpResult.</summary>
public sealed class OpResult
{
    public int Type { get; init; }
    public int Err { get; init; }
    public string? Path { get; init; }
    public Stat Stat { get; init; }
    public byte[]? Data { get; init; }
    public List<string>? Children { get; init; }

    public static OpResult Error(KeeperErrorCode code) => new() { Type = OpCode.Error, Err = (int)code };
}

/// <summary>
/// MultiResponse wire form: ( MultiHeader{type, done=false, err} result-record )* MultiHeader{-1, true, -1}.
/// Result records: create → CreateResponse{path}; create2 → Create2Response{path, stat}; setData → SetDataResponse{stat};
/// getChildren → GetChildrenResponse{children}; getData → GetDataResponse{data, stat}; error → ErrorResponse{err};
/// delete and check carry none.
/// </summary>
public static class MultiResponse
{
    public static void Write(ref JuteWriter w, IReadOnlyList<OpResult> results)
    {
        foreach (var res in results)
        {
            new MultiHeader(res.Type, false, res.Type == OpCode.Error ? res.Err : 0).Write(ref w);
            switch (res.Type)
            {
                case OpCode.Create: w.WriteString(res.Path); break;
                case OpCode.Create2: w.WriteString(res.Path); res.Stat.Write(ref w); break;
                case OpCode.SetData: res.Stat.Write(ref w); break;
                case OpCode.GetChildren: w.WriteStringVector(res.Children); break;
                case OpCode.GetData: w.WriteBuffer(res.Data); res.Stat.Write(ref w); break;
                case OpCode.Error: w.WriteInt(res.Err); break;
            }
        }
        MultiHeader.End.Write(ref w);
    }

    public static List<OpResult> Read(ref JuteReader r)
    {
        var list = new List<OpResult>();
        while (true)
        {
            var h = MultiHeader.Read(ref r);
            if (h.Done) return list;
            switch (h.Type)
            {
                case OpCode.Create: list.Add(new OpResult { Type = h.Type, Path = r.ReadString() }); break;
                case OpCode.Create2: list.Add(new OpResult { Type = h.Type, Path = r.ReadString(), Stat = Stat.Read(ref r) }); break;
                case OpCode.SetData: list.Add(new OpResult { Type = h.Type, Stat = Stat.Read(ref r) }); break;
                case OpCode.GetChildren: list.Add(new OpResult { Type = h.Type, Children = r.ReadStringVector() }); break;
                case OpCode.GetData: list.Add(new OpResult { Type = h.Type, Data = r.ReadBuffer(), Stat = Stat.Read(ref r) }); break;
                case OpCode.Error: list.Add(new OpResult { Type = h.Type, Err = r.ReadInt() }); break;
                default: list.Add(new OpResult { Type = h.Type }); break;
            }
        }
    }
}
