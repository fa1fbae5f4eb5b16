// The dump subcommands of the server executable (Program.cs hands them over before any logging is set up):
//
//   Coord.Server dump-log <log file | version-2 dir> [--json] [--from-zxid N]     TxnLogDump (grammar there)
//   Coord.Server dump-snapshot <snapshot file> [--json] [--data]                  SnapshotDump (grammar there)
//
// Exit codes: 0 success; 1 the file is damaged or cannot be read (the reason on stderr; for a txn log, every intact
// txn before the damage is printed first); 2 bad arguments (the reason and a usage line on stderr).
// Standard output is buffered; a closed pipe (dump-log ... | head) ends the command quietly with exit 0.

using System.Globalization;
using System.Text;

namespace Coord.Server.Tools;

public static class DumpCommand
{
    public const int Ok = 0;
    public const int Damaged = 1;
    public const int Usage = 2;

    public static readonly string[] Commands = ["dump-log", "dump-snapshot"];

    /// <summary>Runs a dump command on the process's standard output and error.</summary>
    public static int Run(string[] args)
    {
        var stdout = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false), 1 << 16) { AutoFlush = false };
        try
        {
            int rc = Run(args, stdout, Console.Error);
            stdout.Flush();
            return rc;
        }
        catch (IOException e) when (IsBrokenPipe(e))
        {
            return Ok;
        }
        finally
        {
            try { stdout.Dispose(); } catch (IOException) { /* the reader went away */ }
        }
    }

    /// <summary>Runs a dump command; <paramref name="args"/>[0] is the command name.</summary>
    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Count == 0) return BadArguments(stderr, "no command", UsageText);
        var rest = args.Skip(1).ToList();
        try
        {
            return args[0] switch
            {
                "dump-log" => TxnLogDump.Run(rest, stdout, stderr),
                "dump-snapshot" => SnapshotDump.Run(rest, stdout, stderr),
                _ => BadArguments(stderr, $"unknown command {args[0]}", UsageText),
            };
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException && !IsBrokenPipe(e))
        {
            stdout.Flush();
            stderr.WriteLine($"{args[0]}: {e.Message}");
            return Damaged;
        }
    }

    public static string UsageText => TxnLogDump.Usage + "\n" + SnapshotDump.Usage;

    internal static int BadArguments(TextWriter stderr, string message, string usage)
    {
        stderr.WriteLine("error: " + message);
        stderr.WriteLine(usage);
        return Usage;
    }

    /// <summary>A zxid argument: decimal, or hex with a 0x prefix; not negative.</summary>
    internal static bool TryParseZxid(string s, out long zxid)
    {
        s = s.Trim();
        bool ok = s.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? long.TryParse(s.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out zxid) && s.Length > 2
            : long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out zxid);
        return ok && zxid >= 0;
    }

    /// <summary>EPIPE: whoever read standard output has gone (| head).</summary>
    private static bool IsBrokenPipe(Exception e) => e is IOException && (e.HResult == 32 || e.Message.Contains("Broken pipe", StringComparison.OrdinalIgnoreCase));
}
