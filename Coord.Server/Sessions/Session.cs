namespace Coord.Server.Sessions;

/// <summary>A client session. Owned by the request-processing thread.</summary>
public sealed class Session(long id, int timeoutMs)
{
    public long Id { get; } = id;
    public int TimeoutMs { get; set; } = timeoutMs;
    /// <summary>Expiry deadline in ms on the tracker's clock, rounded up to a tick (ExpiryQueue).</summary>
    public long ExpireAtMs { get; set; }
    /// <summary>Set once a closeSession txn has been issued; further requests get SessionExpired.</summary>
    public bool IsClosing { get; set; }
    /// <summary>The connection currently attached to this session, if any.</summary>
    public object? Owner { get; set; }
}
