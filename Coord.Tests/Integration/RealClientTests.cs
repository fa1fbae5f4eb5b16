using Coord.Tests.Infrastructure;
using NUnit.Framework;

namespace Coord.Tests.Integration;

/// <summary>
/// Real client libraries from the Debian packages against a running Coord: the Java client (sync and async),
/// Curator recipes, kazoo recipes, zkCli.sh (output compared with the reference's, captured in expected.txt) and
/// the C client. Each suite counts real behaviour: mutual exclusion, events received, leaders elected in time.
/// </summary>
[TestFixture, Category("Clients"), NonParallelizable]
public sealed partial class RealClientTests
{
    /// <summary>The suite's own check counts ("passed=N failed=M"), or its zkCli command count.</summary>
    private static void RecordMatrix(string suite, string stdout)
    {
        bool suitePassed = stdout.Contains($"SUITE {suite} PASS");
        string client = suite.StartsWith("zkcli", StringComparison.Ordinal) ? "zkCli.sh" : suite;
        string area = suite == "zkcli-quota" ? "zkCli quota commands" : suite.StartsWith("zkcli", StringComparison.Ordinal) ? "zkCli commands (output = reference)" : "client API and recipes";
        var counts = Counts().Match(stdout);
        var commands = Commands().Match(stdout);
        if (counts.Success) CompatibilityMatrix.Record(area, client, int.Parse(counts.Groups[1].Value), int.Parse(counts.Groups[2].Value));
        else if (commands.Success) CompatibilityMatrix.Record(area, client, suitePassed ? int.Parse(commands.Groups[1].Value) : 0, suitePassed ? 0 : 1);
        else CompatibilityMatrix.Record(area, client, suitePassed ? 1 : 0, suitePassed ? 0 : 1);
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"passed=(\d+) failed=(\d+)")]
    private static partial System.Text.RegularExpressions.Regex Counts();

    [System.Text.RegularExpressions.GeneratedRegex(@"\((\d+) commands\)")]
    private static partial System.Text.RegularExpressions.Regex Commands();

    [TestCase("java")]
    [TestCase("curator")]
    [TestCase("kazoo")]
    [TestCase("zkcli")]
    [TestCase("zkcli-quota")]
    [TestCase("c")]
    [TestCase("node")]
    public void SuitePassesAgainstCoord(string suite)
    {
        var logDir = Directory.CreateTempSubdirectory("coord-clients-").FullName;
        var r = Repo.Run("bash", [Repo.PathOf("Coord.Tests", "Clients", "run_all.sh"), SharedServers.CoordForClients.HostPort], TimeSpan.FromMinutes(5),
            env: new Dictionary<string, string> { ["SUITES"] = suite, ["LOGDIR"] = logDir, ["SUITE_TIMEOUT"] = "240" });
        TestContext.Out.WriteLine(r.Stdout);
        foreach (var f in Directory.GetFiles(logDir, suite + ".*"))
            TestContext.Out.WriteLine($"--- {Path.GetFileName(f)}\n{File.ReadAllText(f)}");
        if (r.Stdout.Contains($"SUITE {suite} SKIP")) Assert.Ignore(r.Stdout);
        RecordMatrix(suite, r.Stdout);
        Assert.That(r.Stdout, Does.Contain($"SUITE {suite} PASS"), r.ToString());
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
    }
}
