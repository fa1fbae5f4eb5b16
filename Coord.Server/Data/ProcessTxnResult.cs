using Coord.Protocol;
using Coord.Protocol.Records;

namespace Coord.Server.Data;

/// <summary>What applying one txn did (DataTree.ProcessTxnResult): the error if any, the created path and the
/// resulting stat, and for a multi the per-op results.</summary>
public sealed class ProcessTxnResult
{
    public long ClientId;
    public int Cxid;
    public long Zxid;
    public int Type;
    public KeeperErrorCode Err;
    public string? Path;
    public Stat Stat;
    public List<OpResult>? MultiResult;
}
