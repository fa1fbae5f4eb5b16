// Formatting shared by the dump tools (TxnLogDump, SnapshotDump), reproducing how ZooKeeper's own tools print values:
//
//   Hex(v)        Long.toHexString: lower case, no padding, no "0x"; negative values as 16 two's-complement digits
//   PaddedHex(v)  String.format("%#016x"): "0x" + at least 14 digits (SnapshotFormatter's zxids and session ids)
//   JavaDate(ms)  java.util.Date.toString() in UTC: "Thu Jan 01 00:00:00 UTC 1970"
//   IsoTime(ms)   "2026-11-26T06:51:54.123Z" (dump-log's time column; ZooKeeper's locale short date drops the ms)
//   Csv(s)        jute's CsvOutputArchive string ('s with %00 %0A %0D %2C %7D %25 escapes), what Record.toString uses
//   Text(bytes)   data as one line of text: UTF-8 as is, except "\\" for a backslash, "\n" "\r" "\t" and "\xNN" for
//                 other control characters and for bytes that are not valid UTF-8 (ZooKeeper prints raw bytes)
//
// JSON goes through JsonSink: a Utf8JsonWriter over a reused buffer whose completed tokens are copied to a TextWriter
// (so output streams, and tests can capture it with a StringWriter). Strings are escaped the relaxed way (non-ASCII
// kept as is), which is valid JSON for a terminal or a file.

using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Coord.Protocol.Records;

namespace Coord.Server.Tools;

internal static class DumpFormat
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Hex(long v) => v.ToString("x", Inv);

    public static string PaddedHex(long v) => "0x" + v.ToString("x14", Inv);

    private static bool InDateRange(long ms) =>
        ms >= DateTimeOffset.MinValue.ToUnixTimeMilliseconds() && ms <= DateTimeOffset.MaxValue.ToUnixTimeMilliseconds();

    public static string JavaDate(long ms) => InDateRange(ms)
        ? DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime.ToString("ddd MMM dd HH:mm:ss 'UTC' yyyy", Inv)
        : ms.ToString(Inv) + "ms";

    public static string IsoTime(long ms) => InDateRange(ms)
        ? DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", Inv)
        : ms.ToString(Inv) + "ms";

    /// <summary>Utils.toCSVString: a leading quote, and the characters CSV records reserve percent-encoded.</summary>
    public static string Csv(string? s)
    {
        if (s is null) return "";
        var sb = new StringBuilder(s.Length + 1).Append('\'');
        foreach (char c in s)
        {
            switch (c)
            {
                case '\0': sb.Append("%00"); break;
                case '\n': sb.Append("%0A"); break;
                case '\r': sb.Append("%0D"); break;
                case ',': sb.Append("%2C"); break;
                case '}': sb.Append("%7D"); break;
                case '%': sb.Append("%25"); break;
                default: sb.Append(c); break;
            }
        }
        return sb.ToString();
    }

    /// <summary>Node or txn data on one line (see the escapes above); null and empty both print as nothing.</summary>
    public static string Text(byte[]? data)
    {
        if (data is null || data.Length == 0) return "";
        var sb = new StringBuilder(data.Length);
        var span = data.AsSpan();
        while (!span.IsEmpty)
        {
            var status = System.Text.Rune.DecodeFromUtf8(span, out var rune, out int used);
            if (status != OperationStatus.Done)
            {
                sb.Append("\\x").Append(span[0].ToString("x2", Inv));
                span = span[1..];
                continue;
            }
            span = span[used..];
            switch (rune.Value)
            {
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case < 0x20 or 0x7f or (>= 0x80 and < 0xa0) or 0x2028 or 0x2029:
                    if (rune.Value < 0x100) sb.Append("\\x").Append(rune.Value.ToString("x2", Inv));
                    else sb.Append("\\u").Append(rune.Value.ToString("x4", Inv));
                    break;
                default: sb.Append(rune.ToString()); break;
            }
        }
        return sb.ToString();
    }

    /// <summary>An ACL list as Java's List.toString of ACL records, without the newline each record's toString ends
    /// with: "[31,s{'world,'anyone}, 1,s{'world,'anyone}]".</summary>
    public static string AclList(IReadOnlyList<Acl> acl) =>
        "[" + string.Join(", ", acl.Select(a => $"{a.Perms.ToString(Inv)},s{{{Csv(a.Id.Scheme)},{Csv(a.Id.Ident)}}}")) + "]";

    /// <summary>An ACL vector inside a record's CSV form: "v{s{31,s{'world,'anyone}},s{1,...}}".</summary>
    public static string AclVector(IReadOnlyList<Acl> acl) =>
        "v{" + string.Join(",", acl.Select(a => $"s{{{a.Perms.ToString(Inv)},s{{{Csv(a.Id.Scheme)},{Csv(a.Id.Ident)}}}}}")) + "}";

    public static void WriteAcl(Utf8JsonWriter w, string property, IReadOnlyList<Acl> acl)
    {
        w.WriteStartArray(property);
        foreach (var a in acl)
        {
            w.WriteStartObject();
            w.WriteNumber("perms", a.Perms);
            w.WriteString("scheme", a.Id.Scheme);
            w.WriteString("id", a.Id.Ident);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    /// <summary>Data in JSON: base64 (as SnapshotFormatter -d prints it), null for a null buffer.</summary>
    public static void WriteData(Utf8JsonWriter w, string property, byte[]? data)
    {
        if (data is null) w.WriteNull(property);
        else w.WriteBase64String(property, data);
    }
}

/// <summary>A Utf8JsonWriter whose output is handed to a TextWriter in complete tokens (see the file comment).</summary>
internal sealed class JsonSink : IDisposable
{
    private readonly ArrayBufferWriter<byte> _buffer = new(1 << 16);
    private readonly TextWriter _out;

    public JsonSink(TextWriter output, int maxDepth = 0)
    {
        _out = output;
        Writer = new Utf8JsonWriter(_buffer, new JsonWriterOptions
        {
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            Indented = false,
            MaxDepth = maxDepth,
        });
    }

    public Utf8JsonWriter Writer { get; }

    /// <summary>Copies what has been written so far to the TextWriter when more than <paramref name="threshold"/>
    /// bytes are waiting.</summary>
    public void Drain(int threshold = 0)
    {
        if (Writer.BytesPending + _buffer.WrittenCount <= threshold) return;
        Writer.Flush();
        _out.Write(Encoding.UTF8.GetString(_buffer.WrittenSpan));
        _buffer.ResetWrittenCount();
    }

    /// <summary>Ends one JSON-lines record: drains it and writes a newline; the writer is reset for the next value.</summary>
    public void EndLine()
    {
        Drain();
        _out.Write('\n');
        Writer.Reset(_buffer);
    }

    public void Dispose() => Writer.Dispose();
}
