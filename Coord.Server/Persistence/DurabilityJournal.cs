// A record of every operation Coord performs on its data files, for power-loss tests (off unless the environment
// variable COORD_DURABILITY_JOURNAL names a file to append to). kill -9 loses nothing the kernel already holds, so it
// cannot show that Coord acknowledges only what an fsync made durable; with this journal a test can, after killing
// the server, roll the files back to what a power cut may have kept (Coord.Tests/Infrastructure/PowerLoss.cs).
//
// Grammar (UTF-8 text, one record per line, fields separated by a tab, the path always last):
//
//   C <path>                       a file was created (empty)
//   W <offset> <length> <path>     bytes [offset, offset+length) are about to be written (logged before the write)
//   L <length> <path>              the file's length is about to be set (preallocation, or cutting a tail)
//   B <id> <length> <path>         an fsync of the file (length = its size then; -1 for a directory) starts: it
//                                  covers every W/L before it for a file, every C/R/X in the directory for a directory
//   S <id>                         that fsync returned successfully
//   R <from> <to>                  a rename is about to happen (from and to in one directory, separated by a tab)
//   X <path>                       a file is about to be deleted
//
// Each record is written with one write(2) and no fsync: it survives the process being killed, which is all the
// tests need. Order matters and is kept by one lock.

using System.Text;

namespace Coord.Server.Persistence;

/// <summary>Journal of file operations for power-loss simulation; every method is a no-op when it is off.</summary>
public static class DurabilityJournal
{
    public const string EnvironmentVariable = "COORD_DURABILITY_JOURNAL";

    private static readonly FileStream? Sink = Open(Environment.GetEnvironmentVariable(EnvironmentVariable));
    private static readonly Lock Gate = new();
    private static long _nextSyncId;

    public static bool Enabled => Sink is not null;

    private static FileStream? Open(string? path) =>
        string.IsNullOrEmpty(path) ? null : new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0);

    public static void Created(string path)
    {
        if (Sink is not null) Append($"C\t{Full(path)}");
    }

    public static void Writing(string path, long offset, long length)
    {
        if (Sink is not null) Append($"W\t{offset}\t{length}\t{Full(path)}");
    }

    public static void SettingLength(string path, long length)
    {
        if (Sink is not null) Append($"L\t{length}\t{Full(path)}");
    }

    public static void Renaming(string from, string to)
    {
        if (Sink is not null) Append($"R\t{Full(from)}\t{Full(to)}");
    }

    public static void Deleting(string path)
    {
        if (Sink is not null) Append($"X\t{Full(path)}");
    }

    /// <summary>Logs the start of an fsync; returns the id to pass to <see cref="SyncCompleted"/> (0 when off).</summary>
    public static long SyncStarting(string path, long length)
    {
        if (Sink is null) return 0;
        lock (Gate)
        {
            long id = ++_nextSyncId;
            AppendLocked($"B\t{id}\t{length}\t{Full(path)}");
            return id;
        }
    }

    public static void SyncCompleted(long id)
    {
        if (Sink is not null) Append($"S\t{id}");
    }

    private static string Full(string path) => Path.GetFullPath(path);

    private static void Append(string record)
    {
        lock (Gate) AppendLocked(record);
    }

    private static void AppendLocked(string record)
    {
        var bytes = Encoding.UTF8.GetBytes(record + "\n");
        Sink!.Write(bytes);
    }
}
