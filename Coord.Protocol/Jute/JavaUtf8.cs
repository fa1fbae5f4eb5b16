using System.Text;
using System.Text.Unicode;

namespace Coord.Protocol.Jute;

/// <summary>
/// UTF-8 decoding as Java's <c>new String(bytes, UTF_8)</c> does it (JDK 17's String.decodeUTF8_UTF16), which is how
/// ZooKeeper's BinaryInputArchive.readString turns a ustring into a String. Valid input decodes the same in .NET and
/// Java; malformed input does not: both replace it with U+FFFD, but not always the same number of times. Java replaces
/// a surrogate encoded in three bytes (ED A0 80) with one U+FFFD where .NET writes three, and it stops at a sequence
/// cut short by the end of the input. A path a client sends with such bytes must come out as the same znode name
/// and the same watch path as on ZooKeeper.
/// <para>Rules, by lead byte (a "continuation" is 10xxxxxx):</para>
/// <code>
///   00-7F            itself
///   C2-DF  b2        b2 not a continuation: U+FFFD, b2 read again; at the end: U+FFFD, stop
///   E0-EF  b2 b3     malformed3 (E0 with b2 &lt; A0, or b2/b3 not continuations): U+FFFD, skip malformed3 bytes;
///                    a surrogate (ED A0-BF ..): one U+FFFD for all three
///                    only b2 left: U+FFFD, then b2 again if it cannot continue (malformed3_2), else stop
///   F0-F7  b2 b3 b4  not continuations, or not U+10000..U+10FFFF: U+FFFD, skip malformed4 bytes
///                    fewer left: U+FFFD and go on when F5+ or b2 cannot continue; else skip b2, U+FFFD, go on
///                    when b3 cannot continue, else stop
///   other            U+FFFD (C0, C1, F8-FF, a lone continuation)
/// </code>
/// </summary>
public static class JavaUtf8
{
    private const char Replacement = '\uFFFD';

    /// <summary>Bytes <see cref="Encode"/> writes at most for <paramref name="chars"/> UTF-16 chars.</summary>
    public static int MaxByteCount(int chars) => 3 * chars;

    /// <summary>The length of <see cref="Encode"/>'s output.</summary>
    public static int GetByteCount(ReadOnlySpan<char> s)
    {
        if (s.IndexOfAnyInRange('\uD800', '\uDFFF') < 0) return Encoding.UTF8.GetByteCount(s);
        int n = 0;
        foreach (char c in s) n += c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
        return n;
    }

    /// <summary>
    /// Encodes as ZooKeeper's BinaryOutputArchive.writeString does: one UTF-16 char at a time, so a character outside
    /// the BMP (a surrogate pair) becomes two three-byte sequences (CESU-8: U+1F600 = ED A0 BD ED B8 80), not the four
    /// bytes of UTF-8. Without surrogates that is UTF-8, and the fast path. Seen wherever a client's string comes
    /// back (a sync's path, whoAmI, getACL, the events setWatches fires) and in snapshots and logs (ACL ids).
    /// <code>
    ///   char &lt; 0x80: 0xxxxxxx (NUL too); &lt; 0x800: 110xxxxx 10xxxxxx; otherwise 1110xxxx 10xxxxxx 10xxxxxx
    /// </code>
    /// Returns the bytes written; <paramref name="dst"/> must hold <see cref="MaxByteCount"/>.
    /// </summary>
    public static int Encode(ReadOnlySpan<char> s, Span<byte> dst)
    {
        if (s.IndexOfAnyInRange('\uD800', '\uDFFF') < 0) return Encoding.UTF8.GetBytes(s, dst);
        int n = 0;
        foreach (char c in s)
        {
            if (c < 0x80)
            {
                dst[n++] = (byte)c;
            }
            else if (c < 0x800)
            {
                dst[n++] = (byte)(0xC0 | (c >> 6));
                dst[n++] = (byte)(0x80 | (c & 0x3F));
            }
            else
            {
                dst[n++] = (byte)(0xE0 | (c >> 12));
                dst[n++] = (byte)(0x80 | ((c >> 6) & 0x3F));
                dst[n++] = (byte)(0x80 | (c & 0x3F));
            }
        }
        return n;
    }

    public static string GetString(ReadOnlySpan<byte> bytes) =>
        Utf8.IsValid(bytes) ? Encoding.UTF8.GetString(bytes) : DecodeReplacing(bytes);

    private static string DecodeReplacing(ReadOnlySpan<byte> src)
    {
        // Every input byte yields at most one char (four bytes yield two).
        var dst = new char[src.Length];
        int sp = 0, dp = 0, sl = src.Length;
        while (sp < sl)
        {
            int b1 = src[sp++];
            if (b1 < 0x80)
            {
                dst[dp++] = (char)b1;
            }
            else if ((b1 & 0xE0) == 0xC0 && (b1 & 0x1E) != 0)
            {
                if (sp < sl)
                {
                    int b2 = src[sp++];
                    if (!IsContinuation(b2)) { dst[dp++] = Replacement; sp--; }
                    else dst[dp++] = (char)(((b1 & 0x1F) << 6) | (b2 & 0x3F));
                    continue;
                }
                dst[dp++] = Replacement;
                break;
            }
            else if ((b1 & 0xF0) == 0xE0)
            {
                if (sp + 1 < sl)
                {
                    int b2 = src[sp++], b3 = src[sp++];
                    if (IsMalformed3(b1, b2, b3))
                    {
                        dst[dp++] = Replacement;
                        sp -= 3;
                        sp += Malformed3Length(b1, b2);
                    }
                    else
                    {
                        char c = (char)(((b1 & 0x0F) << 12) | ((b2 & 0x3F) << 6) | (b3 & 0x3F));
                        dst[dp++] = char.IsSurrogate(c) ? Replacement : c;
                    }
                    continue;
                }
                if (sp < sl && IsMalformed3Of2(b1, src[sp]))
                {
                    dst[dp++] = Replacement;
                    continue;
                }
                dst[dp++] = Replacement;
                break;
            }
            else if ((b1 & 0xF8) == 0xF0)
            {
                if (sp + 2 < sl)
                {
                    int b2 = src[sp++], b3 = src[sp++], b4 = src[sp++];
                    int uc = ((b1 & 0x07) << 18) | ((b2 & 0x3F) << 12) | ((b3 & 0x3F) << 6) | (b4 & 0x3F);
                    if (!IsContinuation(b2) || !IsContinuation(b3) || !IsContinuation(b4) || uc < 0x10000 || uc > 0x10FFFF)
                    {
                        dst[dp++] = Replacement;
                        sp -= 4;
                        sp += Malformed4Length(b1, b2, b3);
                    }
                    else
                    {
                        uc -= 0x10000;
                        dst[dp++] = (char)(0xD800 + (uc >> 10));
                        dst[dp++] = (char)(0xDC00 + (uc & 0x3FF));
                    }
                    continue;
                }
                if (b1 > 0xF4 || (sp < sl && IsMalformed4Of2(b1, src[sp])))
                {
                    dst[dp++] = Replacement;
                    continue;
                }
                sp++;
                dst[dp++] = Replacement;
                if (sp < sl && !IsContinuation(src[sp])) continue;
                break;
            }
            else
            {
                dst[dp++] = Replacement;
            }
        }
        return new string(dst, 0, dp);
    }

    private static bool IsContinuation(int b) => (b & 0xC0) == 0x80;

    private static bool IsMalformed3(int b1, int b2, int b3) =>
        (b1 == 0xE0 && (b2 & 0xE0) == 0x80) || !IsContinuation(b2) || !IsContinuation(b3);

    private static bool IsMalformed3Of2(int b1, int b2) => (b1 == 0xE0 && (b2 & 0xE0) == 0x80) || !IsContinuation(b2);

    /// <summary>Bytes a malformed three-byte sequence counts for (String.malformed3).</summary>
    private static int Malformed3Length(int b1, int b2) => IsMalformed3Of2(b1, b2) ? 1 : 2;

    private static bool IsMalformed4Of2(int b1, int b2) =>
        (b1 == 0xF0 && (b2 < 0x90 || b2 > 0xBF)) || (b1 == 0xF4 && (b2 & 0xF0) != 0x80) || !IsContinuation(b2);

    /// <summary>Bytes a malformed four-byte sequence counts for (String.malformed4).</summary>
    private static int Malformed4Length(int b1, int b2, int b3)
    {
        if (b1 > 0xF4 || IsMalformed4Of2(b1, b2)) return 1;
        return IsContinuation(b3) ? 3 : 2;
    }
}
