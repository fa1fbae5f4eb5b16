namespace Coord.Protocol;

/// <summary>Error codes numbered exactly as ZooKeeper's KeeperException.Code.</summary>
public enum KeeperErrorCode
{
    Ok = 0,
    SystemError = -1,
    RuntimeInconsistency = -2,
    DataInconsistency = -3,
    ConnectionLoss = -4,
    MarshallingError = -5,
    Unimplemented = -6,
    OperationTimeout = -7,
    BadArguments = -8,
    UnknownSession = -12,
    NewConfigNoQuorum = -13,
    ReconfigInProgress = -14,
    ApiError = -100,
    NoNode = -101,
    NoAuth = -102,
    BadVersion = -103,
    NoChildrenForEphemerals = -108,
    NodeExists = -110,
    NotEmpty = -111,
    SessionExpired = -112,
    InvalidCallback = -113,
    InvalidAcl = -114,
    AuthFailed = -115,
    SessionMoved = -118,
    NotReadOnly = -119,
    EphemeralOnLocalSession = -120,
    NoWatcher = -121,
    RequestTimeout = -122,
    ReconfigDisabled = -123,
    SessionClosedRequireSaslAuth = -124,
    QuotaExceeded = -125,
    ThrottledOp = -127,
}

/// <summary>A request failed with a ZooKeeper error code; thrown only off the hot path (prep validation).</summary>
public sealed class KeeperException(KeeperErrorCode code, string? path = null)
    : Exception(path is null ? code.ToString() : code + " for " + path)
{
    public KeeperErrorCode Code { get; } = code;
    public string? Path { get; } = path;
}
