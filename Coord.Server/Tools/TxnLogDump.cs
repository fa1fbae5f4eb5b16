// `Coord.Server dump-log <log file | dir> [--json] [--from-zxid N]` — prints the txns of ZooKeeper-format txn logs,
// modelled on ZooKeeper's TxnLogToolkit (zkTxnLogToolkit.sh). A directory means every log.<zxid> in it (or in its
// version-2 subdirectory), oldest first; with --from-zxid N only the newest file starting at or before N and the
// later ones are read (as recovery selects them), and txns below N are skipped. N is decimal or 0x-prefixed hex.
// Reading stops at the first damaged entry, as recovery does.
//
// Text output (one line per txn; everything else on its own line):
//
//   Output     = ( [ "File: " path NL ] FileHeader Txn* End )*           "File:" lines only when a directory is dumped
//   FileHeader = "ZooKeeper Transactional Log File with dbid " dbid " txnlog format version " version NL
//   Txn        = time " session 0x" hex " cxid 0x" hex " zxid 0x" hex " " type [ " " fields ] NL
//   End        = "EOF reached after " n " txns" [ " (" k " below zxid 0x" hex " skipped)" ] "." NL
//              | "DAMAGE after " n " txns: " TxnLogDamage NL [ "Not read after the damage: " file ( ", " file )* NL ]
//   time       = ISO-8601 UTC with milliseconds, 2026-11-26T06:51:54.123Z
//   hex        = Long.toHexString (lower case, no padding)
//   type       = ZooKeeper's Request.op2String: create create2 createTtl createContainer delete deleteContainer
//                setData setACL check multi reconfig createSession closeSession error ("unknown N" otherwise)
//   fields     = by type, as TxnLogToolkit prints them:
//                create, create2      path "," data "," acls "," ephemeral(true|false) "," parentCVersion
//                createContainer      path "," data "," acls "," parentCVersion
//                createTtl            path "," data "," acls "," parentCVersion "," ttl
//                setData, reconfig    path "," data "," version
//                delete, deleteCont.  'path                             (jute CSV: quote, %2C-style escapes)
//                check                'path "," version
//                setACL               'path ",v{" ( "s{" acl "}" ),* "}," version
//                createSession        timeOut
//                closeSession         "v{" ( 'path ),* "}"              (the session's ephemerals)
//                error                err                               (e.g. -110 = NodeExists)
//                multi                sub ( ";" sub )*  with sub = type ":" fields — each sub-txn decoded (ZooKeeper
//                                     prints the sub-txns' raw bytes here)
//   acls       = "[" acl ( ", " acl )* "]",  acl = perms ",s{'" scheme ",'" id "}"   (ZooKeeper's has a newline
//                after each acl)
//   data       = UTF-8 text on one line, escaped as DumpFormat.Text describes; null and empty print alike
//
// --json: one JSON object per line, discriminated by "kind":
//   {"kind":"file","file":"log.1","path":"/abs/log.1","dbid":0,"version":2}
//   {"kind":"txn","file":"log.1","offset":16,"time":<ms>,"session":"0x..","cxid":1,"zxid":2,"type":"create",
//    "txn":{...fields under their jute names; data base64 or null; acl [{"perms","scheme","id"}]; multi:
//    "txns":[{"type":..,"txn":{..}}]; error also "errName"},"digest":{"version":2,"treeDigest":..}|null}
//   {"kind":"eof","file":"log.1","txns":36,"skipped":0}
//   {"kind":"damage","file":..,"path":..,"reason":"ChecksumMismatch","offset":..,"lastGoodZxid":..,
//    "intactEntryFollows":false,"detail":"..","description":"<TxnLogDamage>","txnsBefore":n,"filesNotRead":[..]}
// Session ids are hex strings (64-bit values lose precision as JSON doubles); zxids, cxids and times are numbers.
//
// Exit: 0 every file read to its clean end; 1 damage (also described on stderr) or a file that cannot be read;
// 2 bad arguments.

using System.Globalization;
using System.Text.Json;
using Coord.Protocol;
using Coord.Protocol.Records;
using Coord.Server.Persistence;

namespace Coord.Server.Tools;

public static class TxnLogDump
{
    public const string Usage = "usage: Coord.Server dump-log <log file | version-2 dir> [--json] [--from-zxid N]";

    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr)
    {
        string? path = null;
        bool json = false;
        long fromZxid = 0;
        for (int i = 0; i < args.Count; i++)
        {
            var a = args[i];
            if (a is "--json" or "-json") json = true;
            else if (a is "-h" or "--help") { stdout.WriteLine(Usage); return DumpCommand.Ok; }
            else if (a == "--from-zxid" || a.StartsWith("--from-zxid=", StringComparison.Ordinal))
            {
                string? value = a.Length > "--from-zxid".Length ? a["--from-zxid=".Length..] : i + 1 < args.Count ? args[++i] : null;
                if (value is null) return DumpCommand.BadArguments(stderr, "--from-zxid needs a value", Usage);
                if (!DumpCommand.TryParseZxid(value, out fromZxid))
                    return DumpCommand.BadArguments(stderr, $"--from-zxid: '{value}' is not a zxid (decimal or 0x hex, not negative)", Usage);
            }
            else if (a.Length > 1 && a[0] == '-') return DumpCommand.BadArguments(stderr, $"unknown option {a}", Usage);
            else if (path is not null) return DumpCommand.BadArguments(stderr, $"more than one path ({path}, {a})", Usage);
            else path = a;
        }
        if (path is null) return DumpCommand.BadArguments(stderr, "no log file or directory given", Usage);

        List<string> files;
        bool directory = Directory.Exists(path);
        if (directory)
        {
            var logs = PersistenceFormat.ListLogs(path);
            if (logs.Count == 0) logs = PersistenceFormat.ListLogs(PersistenceFormat.VersionDir(path));
            if (logs.Count == 0) return DumpCommand.BadArguments(stderr, $"no txn log files (log.<zxid>) in {path} or its version-2 directory", Usage);
            files = TxnLogIterator.SelectFiles(logs, fromZxid).Select(f => f.Path).ToList();
        }
        else if (File.Exists(path)) files = [path];
        else return DumpCommand.BadArguments(stderr, $"{path}: no such file or directory", Usage);

        using var sink = json ? new JsonSink(stdout) : null;
        for (int fi = 0; fi < files.Count; fi++)
        {
            var file = files[fi];
            var name = Path.GetFileName(file);
            using var reader = new TxnLogReader(file);
            if (!json && directory) stdout.WriteLine("File: " + file);
            if (reader.Damage is null)
            {
                if (sink is null) stdout.WriteLine($"ZooKeeper Transactional Log File with dbid {reader.Header.DbId} txnlog format version {reader.Header.Version}");
                else
                {
                    var w = sink.Writer;
                    w.WriteStartObject();
                    w.WriteString("kind", "file");
                    w.WriteString("file", name);
                    w.WriteString("path", Path.GetFullPath(file));
                    w.WriteNumber("dbid", reader.Header.DbId);
                    w.WriteNumber("version", reader.Header.Version);
                    w.WriteEndObject();
                    sink.EndLine();
                }
            }

            int count = 0, skipped = 0;
            while (reader.TryRead(out var entry))
            {
                if (entry.Header.Zxid < fromZxid) { skipped++; continue; }
                count++;
                if (sink is null) stdout.WriteLine(TxnLine(entry));
                else
                {
                    WriteTxnJson(sink.Writer, entry, name);
                    sink.EndLine();
                }
            }

            if (reader.Damage is { } damage)
            {
                var notRead = files.Skip(fi + 1).Select(f => Path.GetFileName(f)).ToList();
                if (sink is null)
                {
                    stdout.WriteLine($"DAMAGE after {count} txns: {damage}");
                    if (notRead.Count > 0) stdout.WriteLine("Not read after the damage: " + string.Join(", ", notRead));
                }
                else
                {
                    var w = sink.Writer;
                    w.WriteStartObject();
                    w.WriteString("kind", "damage");
                    w.WriteString("file", name);
                    w.WriteString("path", Path.GetFullPath(file));
                    w.WriteString("reason", damage.Reason.ToString());
                    w.WriteNumber("offset", damage.Offset);
                    w.WriteNumber("lastGoodZxid", damage.LastGoodZxid);
                    w.WriteBoolean("intactEntryFollows", damage.IntactEntryFollows);
                    w.WriteString("detail", damage.Detail);
                    w.WriteString("description", damage.ToString());
                    w.WriteNumber("txnsBefore", count);
                    w.WriteStartArray("filesNotRead");
                    foreach (var f in notRead) w.WriteStringValue(f);
                    w.WriteEndArray();
                    w.WriteEndObject();
                    sink.EndLine();
                }
                stdout.Flush();
                stderr.WriteLine($"dump-log: damaged txn log: {damage}" + (notRead.Count > 0 ? $" ({notRead.Count} later log file(s) not read)" : ""));
                return DumpCommand.Damaged;
            }

            if (sink is null)
                stdout.WriteLine($"EOF reached after {count} txns" + (skipped > 0 ? $" ({skipped} below zxid 0x{DumpFormat.Hex(fromZxid)} skipped)" : "") + ".");
            else
            {
                var w = sink.Writer;
                w.WriteStartObject();
                w.WriteString("kind", "eof");
                w.WriteString("file", name);
                w.WriteNumber("txns", count);
                w.WriteNumber("skipped", skipped);
                w.WriteEndObject();
                sink.EndLine();
            }
        }
        return DumpCommand.Ok;
    }

    /// <summary>One txn as a text line (grammar above).</summary>
    public static string TxnLine(TxnLogEntry e)
    {
        var h = e.Header;
        var fields = Fields(e.Txn);
        return $"{DumpFormat.IsoTime(h.Time)} session 0x{DumpFormat.Hex(h.ClientId)} cxid 0x{DumpFormat.Hex(h.Cxid)} zxid 0x{DumpFormat.Hex(h.Zxid)} {TypeName(h.Type)}"
               + (fields.Length > 0 ? " " + fields : "");
    }

    /// <summary>Request.op2String, which differs from the wire names only in "createTtl" and unknown codes.</summary>
    public static string TypeName(int type)
    {
        if (type == OpCode.CreateTtl) return "createTtl";
        var name = OpCode.Name(type);
        return name.StartsWith("unknown(", StringComparison.Ordinal) ? "unknown " + type.ToString(CultureInfo.InvariantCulture) : name;
    }

    /// <summary>A txn record's fields as TxnLogToolkit.getFormattedTxnStr prints them (grammar above).</summary>
    public static string Fields(ITxnRecord? txn)
    {
        static string I(long v) => v.ToString(CultureInfo.InvariantCulture);
        static string B(bool v) => v ? "true" : "false";
        return txn switch
        {
            null => "",
            CreateTxn t => $"{t.Path},{DumpFormat.Text(t.Data)},{DumpFormat.AclList(t.AclList)},{B(t.Ephemeral)},{I(t.ParentCVersion)}",
            CreateContainerTxn t => $"{t.Path},{DumpFormat.Text(t.Data)},{DumpFormat.AclList(t.AclList)},{I(t.ParentCVersion)}",
            CreateTtlTxn t => $"{t.Path},{DumpFormat.Text(t.Data)},{DumpFormat.AclList(t.AclList)},{I(t.ParentCVersion)},{I(t.Ttl)}",
            SetDataTxn t => $"{t.Path},{DumpFormat.Text(t.Data)},{I(t.Version)}",
            DeleteTxn t => DumpFormat.Csv(t.Path),
            CheckVersionTxn t => $"{DumpFormat.Csv(t.Path)},{I(t.Version)}",
            SetAclTxn t => $"{DumpFormat.Csv(t.Path)},{DumpFormat.AclVector(t.AclList)},{I(t.Version)}",
            CreateSessionTxn t => I(t.TimeOut),
            CloseSessionTxn t => "v{" + string.Join(",", t.Paths2Delete.Select(DumpFormat.Csv)) + "}",
            ErrorTxn t => I(t.Err),
            MultiTxn t => string.Join(";", t.Txns.Select(s => TypeName(s.Type) + ":" + Fields(s.Record))),
            _ => txn.ToString() ?? "",
        };
    }

    private static void WriteTxnJson(Utf8JsonWriter w, TxnLogEntry e, string file)
    {
        var h = e.Header;
        w.WriteStartObject();
        w.WriteString("kind", "txn");
        w.WriteString("file", file);
        w.WriteNumber("offset", e.Offset);
        w.WriteNumber("time", h.Time);
        w.WriteString("session", "0x" + DumpFormat.Hex(h.ClientId));
        w.WriteNumber("cxid", h.Cxid);
        w.WriteNumber("zxid", h.Zxid);
        w.WriteString("type", TypeName(h.Type));
        w.WritePropertyName("txn");
        WriteRecordJson(w, e.Txn);
        if (e.Digest is { } d)
        {
            w.WriteStartObject("digest");
            w.WriteNumber("version", d.Version);
            w.WriteNumber("treeDigest", d.TreeDigest);
            w.WriteEndObject();
        }
        else w.WriteNull("digest");
        w.WriteEndObject();
    }

    /// <summary>A txn record as a JSON object with jute's field names (or null).</summary>
    public static void WriteRecordJson(Utf8JsonWriter w, ITxnRecord? txn)
    {
        if (txn is null) { w.WriteNullValue(); return; }
        w.WriteStartObject();
        switch (txn)
        {
            case CreateTxn t:
                w.WriteString("path", t.Path);
                DumpFormat.WriteData(w, "data", t.Data);
                DumpFormat.WriteAcl(w, "acl", t.AclList);
                w.WriteBoolean("ephemeral", t.Ephemeral);
                w.WriteNumber("parentCVersion", t.ParentCVersion);
                break;
            case CreateContainerTxn t:
                w.WriteString("path", t.Path);
                DumpFormat.WriteData(w, "data", t.Data);
                DumpFormat.WriteAcl(w, "acl", t.AclList);
                w.WriteNumber("parentCVersion", t.ParentCVersion);
                break;
            case CreateTtlTxn t:
                w.WriteString("path", t.Path);
                DumpFormat.WriteData(w, "data", t.Data);
                DumpFormat.WriteAcl(w, "acl", t.AclList);
                w.WriteNumber("parentCVersion", t.ParentCVersion);
                w.WriteNumber("ttl", t.Ttl);
                break;
            case SetDataTxn t:
                w.WriteString("path", t.Path);
                DumpFormat.WriteData(w, "data", t.Data);
                w.WriteNumber("version", t.Version);
                break;
            case DeleteTxn t:
                w.WriteString("path", t.Path);
                break;
            case CheckVersionTxn t:
                w.WriteString("path", t.Path);
                w.WriteNumber("version", t.Version);
                break;
            case SetAclTxn t:
                w.WriteString("path", t.Path);
                DumpFormat.WriteAcl(w, "acl", t.AclList);
                w.WriteNumber("version", t.Version);
                break;
            case CreateSessionTxn t:
                w.WriteNumber("timeOut", t.TimeOut);
                break;
            case CloseSessionTxn t:
                w.WriteStartArray("paths2Delete");
                foreach (var p in t.Paths2Delete) w.WriteStringValue(p);
                w.WriteEndArray();
                break;
            case ErrorTxn t:
                w.WriteNumber("err", t.Err);
                if (Enum.IsDefined(typeof(KeeperErrorCode), t.Err)) w.WriteString("errName", ((KeeperErrorCode)t.Err).ToString());
                break;
            case MultiTxn t:
                w.WriteStartArray("txns");
                foreach (var (type, record) in t.Txns)
                {
                    w.WriteStartObject();
                    w.WriteString("type", TypeName(type));
                    w.WritePropertyName("txn");
                    WriteRecordJson(w, record);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                break;
            default:
                w.WriteString("text", txn.ToString());
                break;
        }
        w.WriteEndObject();
    }
}
