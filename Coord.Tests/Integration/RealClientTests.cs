using Coord.Tests.Infrastructure;
using NUnit.Framework;

namespace Coord.Tests.Integration;

/// <summary>
/// Real client libraries from the Debian packages against a running Coord: the Java client (sync and async),
/// Curator recipes, kazoo recipes, zkCli.sh (output compared with the reference's, captured in expected.txt) and
/// the C client. Each suite counts real behaviour: mutual exclusion, events received, leaders elected in time.
/// </summary>
[TestFixture, Category("Clients"), NonParallelizable]
public sealed class RealClientTests
{
    [TestCase("java")]
    [TestCase("curator")]
    [TestCase("kazoo")]
    [TestCase("zkcli")]
    [TestCase("zkcli-quota")]
    [TestCase("c")]
    public void SuitePassesAgainstCoord(string suite)
    {
        var logDir = Directory.CreateTempSubdirectory("coord-clients-").FullName;
        var r = Repo.Run("bash", [Repo.PathOf("Coord.Tests", "Clients", "run_all.sh"), SharedServers.CoordForClients.HostPort], TimeSpan.FromMinutes(5),
            env: new Dictionary<string, string> { ["SUITES"] = suite, ["LOGDIR"] = logDir, ["SUITE_TIMEOUT"] = "240" });
        TestContext.Out.WriteLine(r.Stdout);
        foreach (var f in Directory.GetFiles(logDir, suite + ".*"))
            TestContext.Out.WriteLine($"--- {Path.GetFileName(f)}\n{File.ReadAllText(f)}");
        if (r.Stdout.Contains($"SUITE {suite} SKIP")) Assert.Ignore(r.Stdout);
        Assert.That(r.Stdout, Does.Contain($"SUITE {suite} PASS"), r.ToString());
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
    }
}
