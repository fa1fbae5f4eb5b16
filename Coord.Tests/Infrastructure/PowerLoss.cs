using Coord.Server.Persistence;

namespace Coord.Tests.Infrastructure;

/// <summary>
/// Rolls data files back to a state a power cut could have left, from the server's <see cref="DurabilityJournal"/>
/// (grammar at the top of DurabilityJournal.cs). Run it after the server was killed, before the restart.
///
/// The model, per file, relative to the last fsync that completed (a B whose S is in the journal):
/// <list type="bullet">
/// <item>every W before that B is durable, and the file is at least as long as the B's length;</item>
/// <item>every later W is independently kept whole, dropped, or torn (kept up to a 512-byte sector boundary inside
/// it): the kernel may have written back any subset of dirty pages, in any order;</item>
/// <item>bytes that a snapshot stream wrote without W records (past the durable length) count as one later W;</item>
/// <item>a created file, or a rename, not followed by a completed fsync of its directory may be undone: the file
/// vanishes, or goes back to its old name.</item>
/// </list>
/// Dropped bytes inside the durable length become zeros: Coord writes only into preallocated zeros or past the end,
/// never over earlier data, which <see cref="Apply"/> checks. Not modelled (and not needed by the tests): undoing a
/// delete or a length cut (their old bytes are gone by now), so those count as durable at once.
/// </summary>
public static class PowerLoss
{
    private const int SectorBytes = 512;

    private sealed class FileState(string path)
    {
        public string Path = path;
        public bool CreatedHere;
        /// <summary>Creation (or the last rename) is not yet covered by a directory fsync.</summary>
        public bool NameVolatile;
        public string? RenamedFrom;
        /// <summary>Journal position of the creation or last rename.</summary>
        public long NameSeq;
        public long DurableLength;
        public readonly List<(long Offset, long Length, long Seq)> Writes = [];
        public bool HasWrites;
    }

    /// <summary>What <see cref="Apply"/> did, for the test log.</summary>
    public sealed record Outcome(int FilesTouched, int WritesDropped, int WritesTorn, int WritesKept, int FilesVanished, int RenamesUndone)
    {
        public override string ToString() =>
            $"{FilesTouched} files touched; un-fsynced writes: {WritesKept} kept, {WritesTorn} torn, {WritesDropped} dropped; {FilesVanished} files vanished, {RenamesUndone} renames undone";
    }

    private static long TornKeep(long off, long len, Random rnd)
    {
        long firstBoundary = (off / SectorBytes + 1) * SectorBytes;
        if (firstBoundary >= off + len) return 0;
        long boundaries = (off + len - 1 - firstBoundary) / SectorBytes + 1;
        long boundary = firstBoundary + rnd.NextInt64(boundaries) * SectorBytes;
        return boundary - off;
    }

    public static Outcome Apply(string journalPath, int seed)
    {
        var rnd = new Random(seed);
        var files = new Dictionary<string, FileState>(); // by current path
        var pendingSync = new Dictionary<long, (string Path, long Length, long Seq)>();
        long seq = 0;

        FileState Get(string path)
        {
            if (!files.TryGetValue(path, out var f)) files[path] = f = new FileState(path) { DurableLength = long.MaxValue };
            return f;
        }

        foreach (var line in File.ReadLines(journalPath))
        {
            seq++;
            var p = line.Split('\t');
            switch (p[0])
            {
                case "C":
                {
                    var f = new FileState(p[1]) { CreatedHere = true, NameVolatile = true, DurableLength = 0, NameSeq = seq };
                    files[p[1]] = f;
                    break;
                }
                case "W":
                {
                    var f = Get(p[3]);
                    long off = long.Parse(p[1]), len = long.Parse(p[2]);
                    foreach (var w in f.Writes)
                        if (off < w.Offset + w.Length && w.Offset < off + len)
                            throw new InvalidOperationException($"{p[3]}: a write at {off}+{len} overlaps an earlier one; the power-loss model cannot restore overwritten bytes");
                    f.Writes.Add((off, len, seq));
                    f.HasWrites = true;
                    break;
                }
                case "L":
                {
                    var f = Get(p[2]);
                    long len = long.Parse(p[1]);
                    // A cut counts as durable at once (see the summary); writes past it are gone.
                    f.Writes.RemoveAll(w => w.Offset >= len);
                    if (f.DurableLength > len) f.DurableLength = len;
                    break;
                }
                case "B":
                    pendingSync[long.Parse(p[1])] = (p[3], long.Parse(p[2]), seq);
                    break;
                case "S":
                {
                    var (path, length, at) = pendingSync[long.Parse(p[1])];
                    if (length < 0)
                    {
                        foreach (var f in files.Values)
                            if (Path.GetDirectoryName(f.Path) == path.TrimEnd('/') && f.NameVolatile && f.NameSeq < at) { f.NameVolatile = false; f.RenamedFrom = null; }
                    }
                    else if (files.TryGetValue(path, out var f))
                    {
                        f.Writes.RemoveAll(w => w.Seq < at);
                        f.DurableLength = f.DurableLength == long.MaxValue ? length : Math.Max(f.DurableLength, length);
                    }
                    break;
                }
                case "R":
                {
                    if (!files.Remove(p[1], out var f)) f = new FileState(p[1]) { DurableLength = long.MaxValue };
                    // A file whose creation is not durable yet may vanish under either name; otherwise the rename may
                    // be undone.
                    if (!(f.CreatedHere && f.NameVolatile)) { f.RenamedFrom = p[1]; f.NameVolatile = true; }
                    f.Path = p[2];
                    f.NameSeq = seq;
                    files[p[2]] = f;
                    break;
                }
                case "X":
                    files.Remove(p[1]);
                    break;
                default:
                    throw new InvalidDataException($"{journalPath}:{seq}: unknown record \"{line}\"");
            }
        }

        int touched = 0, dropped = 0, torn = 0, kept = 0, vanished = 0, undone = 0;
        foreach (var f in files.Values)
        {
            if (!File.Exists(f.Path)) continue;
            if (f.NameVolatile && rnd.Next(2) == 0)
            {
                touched++;
                if (f.RenamedFrom is null) { File.Delete(f.Path); vanished++; continue; }
                File.Move(f.Path, f.RenamedFrom, overwrite: true);
                f.Path = f.RenamedFrom;
                undone++;
            }
            long actual = new FileInfo(f.Path).Length;
            if (f.DurableLength == long.MaxValue) f.DurableLength = actual; // existed before this journal and never synced here
            var writes = f.Writes.Select(w => (w.Offset, w.Length)).ToList();
            if (!f.HasWrites && actual > f.DurableLength) writes.Add((f.DurableLength, actual - f.DurableLength)); // stream-written tail
            if (writes.Count == 0 && actual <= f.DurableLength) continue;
            touched++;

            var decided = new List<(long Offset, long Length, long Keep)>();
            long end = Math.Min(f.DurableLength, actual);
            foreach (var (off, len) in writes)
            {
                long keep = rnd.Next(3) switch
                {
                    0 => len,
                    1 => 0,
                    // Torn: the disk kept whole sectors, up to a sector boundary inside the write.
                    _ => TornKeep(off, len, rnd),
                };
                if (keep == len) kept++; else if (keep == 0) dropped++; else torn++;
                if (keep > 0) end = Math.Max(end, Math.Min(actual, off + keep));
                decided.Add((off, len, keep));
            }
            // An un-fsynced extension (preallocation, or a tail) may or may not have reached the disk; either way the
            // bytes not kept read back as zeros, never as what was about to be written.
            if (actual > end && rnd.Next(2) == 0) end = actual;
            using var fs = new FileStream(f.Path, FileMode.Open, FileAccess.ReadWrite);
            foreach (var (off, len, keep) in decided)
            {
                long zeroFrom = off + keep, zeroTo = Math.Min(off + len, end);
                if (zeroTo <= zeroFrom) continue;
                fs.Position = zeroFrom;
                fs.Write(new byte[zeroTo - zeroFrom]);
            }
            if (end < actual) fs.SetLength(end);
        }
        return new Outcome(touched, dropped, torn, kept, vanished, undone);
    }
}
