using Coord.Server.Sessions;
using NUnit.Framework;

namespace Coord.Tests.Server;

/// <summary>Session expiry on a manual clock: deadlines are rounded up to the next tick, as ZooKeeper's ExpiryQueue does.</summary>
[TestFixture]
public sealed class SessionTrackerTests
{
    private sealed class ManualTime : TimeProvider
    {
        public long NowMs;
        public override long TimestampFrequency => 1000;
        public override long GetTimestamp() => NowMs;
    }

    [Test]
    public void ExpiresOnlyAfterTimeoutRoundedToTick()
    {
        var clock = new ManualTime { NowMs = 10_000 };
        var t = new SessionTracker(tickTimeMs: 2000, serverId: 1, clock);
        var s = t.Add(t.NextSessionId(), timeoutMs: 4000);
        Assert.That(s.ExpireAtMs, Is.EqualTo(16_000), "(10000 + 4000) rounded up to the next 2000 ms tick");
        clock.NowMs = 15_999;
        Assert.That(t.CollectExpired(), Is.Empty);
        clock.NowMs = 14_000;
        Assert.That(t.Touch(s.Id), Is.True);
        clock.NowMs = 17_000;
        Assert.That(t.CollectExpired(), Is.Empty, "touch moved the deadline to 20000");
        clock.NowMs = 20_000;
        Assert.That(t.CollectExpired().Select(x => x.Id), Is.EqualTo(new[] { s.Id }));
    }

    [Test]
    public void SessionIdsCarryServerIdAndIncrement()
    {
        long first = SessionTracker.InitializeNextSessionId(serverId: 1, elapsedMs: 0x12345);
        Assert.That(first >> 56, Is.EqualTo(1));
        var t = new SessionTracker(2000, 1, new ManualTime());
        long a = t.NextSessionId(), b = t.NextSessionId();
        Assert.That(b, Is.EqualTo(a + 1));
    }

    [Test]
    public void KeyedPasswordsDependOnTheSecret()
    {
        byte[] k1 = "0123456789abcdef-one"u8.ToArray(), k2 = "0123456789abcdef-two"u8.ToArray();
        var p1 = SessionTracker.GeneratePassword(77, k1);
        Assert.That(p1, Has.Length.EqualTo(16));
        Assert.That(SessionTracker.CheckPassword(77, p1, k1), Is.True);
        Assert.That(SessionTracker.CheckPassword(77, p1, k2), Is.False);
        Assert.That(SessionTracker.CheckPassword(77, SessionTracker.GeneratePassword(77), k1), Is.False, "the derivable password is refused");
        Assert.That(SessionTracker.GeneratePassword(77, null), Is.EqualTo(SessionTracker.GeneratePassword(77)));
    }

    [Test]
    public void JavaRandomMatchesJavaUtilRandom()
    {
        // new java.util.Random(42).nextInt() == -1170105035
        var r = new JavaRandom(42);
        Assert.That(r.NextInt(), Is.EqualTo(-1170105035));
    }
}
