using NUnit.Framework;

using Coord.Tests.Infrastructure;

// Deliberately in the global namespace: an NUnit SetUpFixture covers the tests of its own namespace and below.
/// <summary>One Coord and one reference ZooKeeper for the whole run: starting a JVM costs seconds, and every
/// oracle scenario and client suite works under its own root path, so they can share servers.</summary>
[SetUpFixture]
public sealed class SharedServers
{
    private static readonly Lazy<ServerProcess> LazyCoord = new(() => ServerProcess.StartCoord());
    private static readonly Lazy<ServerProcess> LazyClientsCoord = new(() => ServerProcess.StartCoord());
    private static readonly Lazy<ServerProcess> LazyReference = new(() => ServerProcess.StartReference());

    /// <summary>The Coord the oracle compares with the reference. Client suites use their own instance because some
    /// of them (zkCli quotas) leave lasting marks on /zookeeper that the oracle's transcripts would show.</summary>
    public static ServerProcess Coord => LazyCoord.Value;

    public static ServerProcess CoordForClients => LazyClientsCoord.Value;

    public static ServerProcess Reference
    {
        get
        {
            if (!ServerProcess.ReferenceAvailable) Assert.Ignore("Apache ZooKeeper (Debian package zookeeper) is not installed; scripts/test.sh installs it");
            return LazyReference.Value;
        }
    }

    [OneTimeTearDown]
    public void StopAll()
    {
        CompatibilityMatrix.Write();
        if (LazyCoord.IsValueCreated) LazyCoord.Value.Dispose();
        if (LazyClientsCoord.IsValueCreated) LazyClientsCoord.Value.Dispose();
        if (LazyReference.IsValueCreated) LazyReference.Value.Dispose();
    }
}
