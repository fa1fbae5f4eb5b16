using Coord.Tests.Infrastructure;
using NUnit.Framework;

namespace Coord.Tests.Performance;

/// <summary>
/// Smoke tests of benchmarks/Coord.LoadGen's new modes against a real Coord process: each runs the load generator for
/// about a second with a hard timeout and checks its result line, so scripts/bench does not find a broken mode only
/// when a benchmark run is due. Figures are not checked (the machine is shared).
/// </summary>
[TestFixture, Category("Performance"), NonParallelizable]
public sealed class LoadGenSmokeTests
{
    private ServerProcess _server = null!;

    [OneTimeSetUp]
    public void Start() => _server = ServerProcess.StartCoord("maxClientCnxns=0");

    [OneTimeTearDown]
    public void Stop() => _server.Dispose();

    private string Run(params string[] args)
    {
        var r = Repo.Run("dotnet", [LoadGen.Dll, "--server", _server.HostPort, "--timeout", "20", .. args], TimeSpan.FromSeconds(40));
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(r.Stdout, Does.Not.Contain("FAILED"), r.ToString());
        return r.Stdout;
    }

    [TestCase("exists"), TestCase("children"), TestCase("createdelete")]
    public void ClosedLoopReadAndCreateDeleteWorkloads(string workload) =>
        Assert.That(Run("--workload", workload, "--sessions", "2", "--outstanding", "10", "--seconds", "1"), Does.Match(@"ops=[1-9]\d* errors=0 "));

    [Test]
    public void OpenLoopSendsOnSchedule()
    {
        var output = Run("--workload", "get", "--sessions", "2", "--rate", "500", "--seconds", "1");
        Assert.That(output, Does.Contain("ops=500 errors=0 unanswered=0 scheduled=500"));
    }

    [Test]
    public void LargeValuesRoundTrip() =>
        Assert.That(Run("--workload", "get", "--sessions", "1", "--outstanding", "2", "--seconds", "1", "--value-bytes", "512000"), Does.Match(@"ops=[1-9]\d* errors=0 "));

    [Test]
    public void ConnectStormEstablishesAndClosesEverySession() =>
        Assert.That(Run("--workload", "connect", "--sessions", "100"), Does.Contain("sessions=100 established=100 failed=0"));

    [Test]
    public void OneWriteNotifiesEveryWatcher() =>
        Assert.That(Run("--workload", "watch", "--sessions", "20", "--watch-nodes", "5"), Does.Contain("watches=100 notifications=100 write_err=0"));
}
