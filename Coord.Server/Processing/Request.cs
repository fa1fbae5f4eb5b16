using Coord.Protocol;
using Coord.Protocol.Records;
using Coord.Server.Network;

namespace Coord.Server.Processing;

/// <summary>What a queued item asks the processing thread to do. Client requests are <see cref="Client"/>;
/// the rest are server events that must be ordered with them.</summary>
public enum RequestKind : byte
{
    Client,
    Connect,
    ConnectionClosed,
    FourLetterWord,
    ExpireSessions,
    CheckContainers,
    PurgeSnapshots,
    /// <summary>Work posted back to the processing thread (a finished background fsync); Body is the Action.</summary>
    Callback,
}

/// <summary>
/// One unit of work for the request-processing thread. Decoded on the connection's reader task so the processing
/// thread spends its time on the tree, not on parsing.
/// </summary>
public sealed class Request
{
    public RequestKind Kind;
    public ServerCnxn? Cnxn;
    public long SessionId;
    public int Xid;
    public int Type;
    /// <summary>The decoded request record (CreateRequest, PathWatchRequest, MultiRequest …), by Type.</summary>
    public object? Body;
    /// <summary>Set when the frame decoded but names an opcode the server does not serve.</summary>
    public bool Unknown;
    /// <summary>Stopwatch timestamp taken when the frame was decoded; latency statistics are measured from it.</summary>
    public long ReceivedAt;

    // Filled in by PrepRequestProcessor for requests that become txns.
    public TxnHeader Hdr;
    public ITxnRecord? Txn;
    public bool HasTxn;
    public KeeperException? Exception;

    /// <summary>
    /// The request is answered when its txn commits, so it may be pipelined behind its session's uncommitted writes.
    /// Write opcodes answered at once are not: a reconfig that does not decode, a multi with a null path (see
    /// <see cref="MultiRequest.HasNullPath"/>). They wait like reads, so that their reply does not overtake the
    /// replies to the writes before them.
    /// </summary>
    public bool IsAnsweredAtCommit => IsWrite(Type)
        && !(Type == OpCode.Reconfig && Body is MarshallingFailure)
        && !IsNullPathMulti;

    /// <summary>A multi that ZooKeeper 3.8 numbers (a zxid taken) but that fails before any txn exists: an op with a
    /// null path, none of them a read op (those make decoding fail first, which logs an error txn).</summary>
    public bool IsNullPathMulti => Type == OpCode.Multi && Body is MultiRequest { HasNullPath: true, HasReadOp: false };

    public static bool IsWrite(int type) => type switch
    {
        OpCode.Create or OpCode.Create2 or OpCode.CreateTtl or OpCode.CreateContainer or OpCode.Delete
            or OpCode.DeleteContainer or OpCode.SetData or OpCode.SetAcl or OpCode.Check or OpCode.Multi
            or OpCode.Reconfig or OpCode.CreateSession or OpCode.CloseSession => true,
        _ => false,
    };
}
