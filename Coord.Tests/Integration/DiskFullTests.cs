using Coord.Tests.Infrastructure;
using NUnit.Framework;

namespace Coord.Tests.Integration;

/// <summary>
/// The txn log's disk fills up (a size-limited tmpfs): writes fail with SystemError instead of stopping the server,
/// reads keep working on the same connection, nothing unacknowledged reaches the disk, and once space is freed writes
/// succeed again. A restart then shows exactly the acknowledged writes.
/// </summary>
[TestFixture, Category("Faults"), NonParallelizable]
public sealed class DiskFullTests
{
    /// <summary>tmpfs size (KiB): room for the startup snapshot and a few hundred KiB of log.</summary>
    private const int TmpfsKb = 2048;

    [Test]
    public void WritesFailCleanlyWhileTheDiskIsFullAndResumeAfterwards()
    {
        var mount = Directory.CreateTempSubdirectory("coord-tmpfs-").FullName;
        var m = Repo.Run("mount", ["-t", "tmpfs", "-o", $"size={TmpfsKb}k", "tmpfs", mount], TimeSpan.FromSeconds(20));
        if (m.ExitCode != 0) Assert.Ignore("cannot mount a tmpfs here (needs root): " + m.Stderr);
        try
        {
            var data = Path.Combine(mount, "data");
            Directory.CreateDirectory(data);
            var filler = Path.Combine(mount, "filler");
            File.WriteAllBytes(filler, new byte[1024 * 1024]);
            var acked = new List<string>();
            var rejected = new List<string>();
            using (var server = ServerProcess.StartCoordIn(data, ownsDataDir: false, "preAllocSize=64", "snapCount=1000000"))
            {
                using var c = RawClient.Connect(server.Port);
                c.SendCreate("/full", []);
                Assert.That(c.ReadReply().Err, Is.EqualTo(0));
                var value = new byte[32 * 1024];
                for (int i = 0; i < 200 && rejected.Count == 0; i++)
                {
                    c.SendCreate($"/full/n{i:D4}", value);
                    var (_, err, _) = c.ReadReply();
                    if (err == 0) acked.Add($"n{i:D4}");
                    else
                    {
                        Assert.That(err, Is.EqualTo(-1), "a write the log cannot hold is answered SystemError");
                        rejected.Add($"n{i:D4}");
                    }
                }
                Assert.That(rejected, Is.Not.Empty, "the disk never filled up");
                Assert.That(c.GetChildren("/full").Children, Is.EquivalentTo(acked), "reads still work, and the rejected create is absent");
                Assert.That(server.IsAlive, Is.True);

                File.Delete(filler);
                c.SendCreate("/full/after", [1]);
                Assert.That(c.ReadReply().Err, Is.EqualTo(0), "writes succeed once space is back");
                acked.Add("after");
                server.Kill();
            }
            using (var again = ServerProcess.StartCoordIn(data, ownsDataDir: false, "preAllocSize=64"))
            {
                using var c = RawClient.Connect(again.Port);
                Assert.That(c.GetChildren("/full").Children, Is.EquivalentTo(acked), "after a restart: exactly the acknowledged creates");
            }
        }
        finally
        {
            Repo.Run("umount", ["-l", mount], TimeSpan.FromSeconds(20));
            try { Directory.Delete(mount, recursive: true); } catch { /* best effort */ }
        }
    }
}
