using Coord.Tests.Infrastructure;
using NUnit.Framework;

namespace Coord.Tests.Persistence;

/// <summary>The power-loss simulator itself (<see cref="PowerLoss"/>): what an fsync covered never changes, what it
/// did not is kept, zeroed or cut per write, and un-synced directory entries may vanish.</summary>
[TestFixture, Category("Persistence")]
public sealed class PowerLossModelTests
{
    private const int Seeds = 64;

    [Test]
    public void FsyncedBytesSurviveAndLaterWritesAreKeptZeroedOrCut()
    {
        var outcomes = new List<PowerLoss.Outcome>();
        bool sawCut = false, sawZeroed = false, sawKept = false;
        for (int seed = 0; seed < Seeds; seed++)
        {
            using var dir = new TempDir();
            string file = Path.Combine(dir.Path, "log.1");
            byte[] durable = Fill(1000, 1), later = Fill(1500, 2);
            // A file created and named durably, 1000 bytes fsynced, then 1500 more bytes written without an fsync.
            File.WriteAllBytes(file, [.. durable, .. later]);
            File.WriteAllLines(Path.Combine(dir.Path, "journal"),
            [
                $"C\t{file}", $"W\t0\t1000\t{file}", $"B\t1\t1000\t{file}", "S\t1", $"B\t2\t-1\t{dir.Path}", "S\t2",
                $"W\t1000\t1500\t{file}", $"B\t3\t2500\t{file}", // this fsync never returned
            ]);
            outcomes.Add(PowerLoss.Apply(Path.Combine(dir.Path, "journal"), seed));

            var after = File.ReadAllBytes(file);
            Assert.That(after.Take(1000), Is.EqualTo(durable), $"seed {seed}: fsynced bytes changed");
            var tail = after.Skip(1000).ToArray();
            Assert.That(tail.Length, Is.LessThanOrEqualTo(1500));
            // What is left of the un-synced write: a prefix of it ending at a sector boundary (or all of it), then zeros.
            int kept = 0;
            while (kept < tail.Length && tail[kept] == later[kept]) kept++;
            Assert.That(kept == 1500 || (1000 + kept) % 512 == 0 || kept == 0, Is.True, $"seed {seed}: torn at {1000 + kept}, not at a sector boundary");
            Assert.That(tail.Skip(kept).All(b => b == 0), Is.True, $"seed {seed}: bytes after the kept prefix are not zeros");
            sawCut |= after.Length < 2500;
            sawZeroed |= after.Length == 2500 && kept < 1500;
            sawKept |= kept == 1500;
        }
        Assert.That(sawCut && sawZeroed && sawKept, Is.True, $"cut {sawCut}, zeroed {sawZeroed}, kept {sawKept}");
    }

    [Test]
    public void FileCreatedWithoutDirectorySyncMayVanishButASyncedOneStays()
    {
        int vanished = 0;
        for (int seed = 0; seed < Seeds; seed++)
        {
            using var dir = new TempDir();
            string named = Path.Combine(dir.Path, "log.1"), unnamed = Path.Combine(dir.Path, "log.2");
            File.WriteAllBytes(named, Fill(100, 3));
            File.WriteAllBytes(unnamed, Fill(100, 4));
            File.WriteAllLines(Path.Combine(dir.Path, "journal"),
            [
                $"C\t{named}", $"W\t0\t100\t{named}", $"B\t1\t100\t{named}", "S\t1", $"B\t2\t-1\t{dir.Path}", "S\t2",
                $"C\t{unnamed}", $"W\t0\t100\t{unnamed}", $"B\t3\t100\t{unnamed}", "S\t3",
            ]);
            PowerLoss.Apply(Path.Combine(dir.Path, "journal"), seed);
            Assert.That(File.ReadAllBytes(named), Is.EqualTo(Fill(100, 3)), $"seed {seed}");
            if (!File.Exists(unnamed)) vanished++;
            else Assert.That(File.ReadAllBytes(unnamed), Is.EqualTo(Fill(100, 4)), $"seed {seed}: its data was fsynced");
        }
        Assert.That(vanished, Is.InRange(1, Seeds - 1), "sometimes vanishes, sometimes stays");
    }

    [Test]
    public void RenameWithoutDirectorySyncMayBeUndone()
    {
        int undone = 0;
        for (int seed = 0; seed < Seeds; seed++)
        {
            using var dir = new TempDir();
            string tmp = Path.Combine(dir.Path, "snapshot.5.tmp"), final = Path.Combine(dir.Path, "snapshot.5");
            File.WriteAllBytes(final, Fill(64, 5));
            File.WriteAllLines(Path.Combine(dir.Path, "journal"),
            [
                $"C\t{tmp}", $"B\t1\t64\t{tmp}", "S\t1", $"B\t2\t-1\t{dir.Path}", "S\t2", $"R\t{tmp}\t{final}",
            ]);
            PowerLoss.Apply(Path.Combine(dir.Path, "journal"), seed);
            string where = File.Exists(final) ? final : tmp;
            if (where == tmp) undone++;
            Assert.That(File.ReadAllBytes(where), Is.EqualTo(Fill(64, 5)), $"seed {seed}: fsynced content intact under either name");
        }
        Assert.That(undone, Is.InRange(1, Seeds - 1));
    }

    private static byte[] Fill(int n, int salt) => Enumerable.Range(0, n).Select(i => (byte)(1 + (i * 7 + salt) % 250)).ToArray();
}
