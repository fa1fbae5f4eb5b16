using Coord.Server.Hosting;
using Coord.Tests.Infrastructure;
using NUnit.Framework;

namespace Coord.Tests.Server;

[TestFixture]
public sealed class ConfigTests
{
    private static string Write(string text)
    {
        var p = Path.GetTempFileName();
        File.WriteAllText(p, text);
        return p;
    }

    [Test]
    public void ReadsZooKeeperKeysAndDerivesSessionBounds()
    {
        var cfg = ServerConfig.Load(Write("tickTime=3000\nclientPort=2299\ndataDir=/tmp/x\nmaxClientCnxns=5\n4lw.commands.whitelist=ruok, stat\nzookeeper.extendedTypesEnabled=true\njute.maxbuffer=0x1000\nfoo=bar\n"));
        Assert.That(cfg.TickTimeMs, Is.EqualTo(3000));
        Assert.That(cfg.MinSessionTimeoutMs, Is.EqualTo(6000));
        Assert.That(cfg.MaxSessionTimeoutMs, Is.EqualTo(60000));
        Assert.That(cfg.FourLetterWhitelist, Is.EquivalentTo(new[] { "ruok", "stat" }));
        Assert.That(cfg.ExtendedTypesEnabled, Is.True);
        Assert.That(cfg.JuteMaxBufferBytes, Is.EqualTo(0x1000));
        Assert.That(cfg.Warnings, Has.Some.Contains("unknown key foo"));
    }

    [TestCase("tickTime=abc")]
    [TestCase("clientPort=70000")]
    [TestCase("extendedTypesEnabled=maybe")]
    [TestCase("minSessionTimeout=5000\nmaxSessionTimeout=4000")]
    [TestCase("just a line")]
    [TestCase("snapshot.compression.method=bzip2")]
    public void InvalidValuesFailFast(string text) =>
        Assert.Throws<ConfigException>(() => ServerConfig.Load(Write(text)));

    [TestCase("", "")]
    [TestCase("gz", "gz")]
    [TestCase("snappy", "snappy")]
    [TestCase("lz4", "lz4")]
    public void SnapshotCompressionMethodsAreAcceptedWithoutWarnings(string value, string expected)
    {
        var cfg = ServerConfig.Load(Write($"dataDir=/tmp/x\nsnapshot.compression.method={value}\n"));
        Assert.That(cfg.SnapshotCompression, Is.EqualTo(expected));
        Assert.That(cfg.Warnings, Is.Empty);
        cfg = ServerConfig.Load(Write($"dataDir=/tmp/x\nzookeeper.snapshot.compression.method={value}\n"));
        Assert.That(cfg.SnapshotCompression, Is.EqualTo(expected), "the Java system property's name");
    }

    [Test]
    public void ServerProcessRefusesInvalidConfigWithAMessage()
    {
        var r = Repo.Run("dotnet", [ServerProcess.CoordDll, Write("tickTime=-5\n")], TimeSpan.FromSeconds(60));
        Assert.That(r.ExitCode, Is.EqualTo(2), r.ToString());
        Assert.That(r.Stdout + r.Stderr, Does.Contain("tickTime=-5 is invalid"));
    }
}
