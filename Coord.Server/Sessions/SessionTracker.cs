using System.Diagnostics;

namespace Coord.Server.Sessions;

/// <summary>
/// Tracks live sessions and their expiry, after ZooKeeper's SessionTrackerImpl + ExpiryQueue: deadlines are rounded
/// up to the next multiple of tickTime so expiry is checked once per tick for whole buckets. Session ids and
/// passwords are generated exactly as ZooKeeper generates them. Single-threaded (request-processing thread).
/// </summary>
public sealed class SessionTracker
{
    /// <summary>ZooKeeperServer.superSecret, mixed into the password seed.</summary>
    private const long SuperSecret = 0xB3415C00L;
    public const int PasswordBytes = 16;

    private readonly Dictionary<long, Session> _sessions = [];
    private readonly SortedDictionary<long, HashSet<Session>> _buckets = [];
    private readonly int _tickTimeMs;
    private readonly TimeProvider _time;
    private long _nextSessionId;

    public SessionTracker(int tickTimeMs, long serverId, TimeProvider time)
    {
        _tickTimeMs = tickTimeMs;
        _time = time;
        _nextSessionId = InitializeNextSessionId(serverId, MonotonicMs());
    }

    public int Count => _sessions.Count;
    public IEnumerable<Session> Sessions => _sessions.Values;

    /// <summary>SessionTrackerImpl.initializeNextSessionId: server id in the top byte, elapsed ms below it.</summary>
    public static long InitializeNextSessionId(long serverId, long elapsedMs)
    {
        long next = (long)((ulong)(elapsedMs << 24) >> 8);
        next |= serverId << 56;
        if (next == long.MinValue) next++;
        return next;
    }

    /// <summary>ZooKeeper's password: new java.util.Random(sessionId ^ superSecret).nextBytes(16). Anyone who knows a
    /// session id can compute it, which is what lets any member of a mixed ensemble accept a session another issued.</summary>
    public static byte[] GeneratePassword(long sessionId)
    {
        var p = new byte[PasswordBytes];
        new JavaRandom(sessionId ^ SuperSecret).NextBytes(p);
        return p;
    }

    public static bool CheckPassword(long sessionId, ReadOnlySpan<byte> passwd) =>
        sessionId != 0 && passwd.SequenceEqual(GeneratePassword(sessionId));

    /// <summary>Opt-in for Coord-only ensembles (coord.sessionPasswordSecret): the password is the first 16 bytes of
    /// HMAC-SHA256(secret, sessionId), so it cannot be derived from the session id alone.</summary>
    public static byte[] GeneratePassword(long sessionId, byte[]? secret)
    {
        if (secret is null) return GeneratePassword(sessionId);
        Span<byte> id = stackalloc byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(id, sessionId);
        return System.Security.Cryptography.HMACSHA256.HashData(secret, id)[..PasswordBytes];
    }

    public static bool CheckPassword(long sessionId, ReadOnlySpan<byte> passwd, byte[]? secret) =>
        sessionId != 0 && System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(passwd, GeneratePassword(sessionId, secret));

    public long MonotonicMs() => (long)(_time.GetTimestamp() * 1000.0 / _time.TimestampFrequency);

    public long NextSessionId() => _nextSessionId++;

    /// <summary>After sessions are restored from disk: new ids must not collide with them. The seed comes from a
    /// monotonic clock that restarts at boot, so a restored id of this server can be ahead of it.</summary>
    public void AvoidIdsUpTo(long restoredId)
    {
        if ((restoredId >>> 56) == (_nextSessionId >>> 56) && restoredId >= _nextSessionId) _nextSessionId = restoredId + 1;
    }

    public Session Add(long id, int timeoutMs)
    {
        var s = new Session(id, timeoutMs);
        _sessions[id] = s;
        Touch(s);
        return s;
    }

    public Session? Get(long id) => _sessions.TryGetValue(id, out var s) ? s : null;

    /// <summary>True when the session exists, is not closing, and was moved forward to a new deadline.</summary>
    public bool Touch(long id) => _sessions.TryGetValue(id, out var s) && !s.IsClosing && Touch(s);

    private bool Touch(Session s)
    {
        long deadline = RoundToNextTick(MonotonicMs() + s.TimeoutMs);
        if (deadline == s.ExpireAtMs) return true;
        RemoveFromBucket(s);
        s.ExpireAtMs = deadline;
        if (!_buckets.TryGetValue(deadline, out var set)) _buckets[deadline] = set = [];
        set.Add(s);
        return true;
    }

    private long RoundToNextTick(long ms) => (ms / _tickTimeMs + 1) * _tickTimeMs;

    private void RemoveFromBucket(Session s)
    {
        if (s.ExpireAtMs != 0 && _buckets.TryGetValue(s.ExpireAtMs, out var old))
        {
            old.Remove(s);
            if (old.Count == 0) _buckets.Remove(s.ExpireAtMs);
        }
    }

    public void Remove(long id)
    {
        if (_sessions.Remove(id, out var s)) RemoveFromBucket(s);
    }

    /// <summary>Sessions whose deadline has passed and that are not already closing.</summary>
    public List<Session> CollectExpired()
    {
        long now = MonotonicMs();
        var expired = new List<Session>();
        while (_buckets.Count > 0)
        {
            var first = _buckets.First();
            if (first.Key > now) break;
            _buckets.Remove(first.Key);
            foreach (var s in first.Value)
            {
                s.ExpireAtMs = 0;
                if (!s.IsClosing) expired.Add(s);
            }
        }
        return expired;
    }

    /// <summary>Milliseconds until the next bucket expires (for the expiry timer), or the tick time when none.</summary>
    public long MsUntilNextExpiry()
    {
        if (_buckets.Count == 0) return _tickTimeMs;
        return Math.Max(0, _buckets.First().Key - MonotonicMs());
    }

}
