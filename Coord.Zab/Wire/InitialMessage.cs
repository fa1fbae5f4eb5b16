using System.Buffers.Binary;
using System.Text;

namespace Coord.Zab.Wire;

/// <summary>
/// The first bytes a server writes on an election connection (QuorumCnxManager.InitialMessage, quorum-protocol.md §2.2),
/// raw fields with no length prefix:
/// <code>
/// long protocolVersion   −65536 (V1: one address) or −65535 (V2: addresses joined by '|'); ≥ 0 = a pre-3.5 sender's sid
/// long sid
/// int  addrLen           1 … 2048
/// byte[addrLen] addr     "host:port", ASCII
/// </code>
/// </summary>
public readonly record struct InitialMessage(long Sid, string Address)
{
    public const long ProtocolVersionV1 = -65536;
    public const long ProtocolVersionV2 = -65535;
    /// <summary>QuorumCnxManager's maxBuffer for the address (bytes).</summary>
    public const int MaxAddressBytes = 2048;

    /// <summary>The whole message, to be written with one write (the receiver reads the address with one read()).</summary>
    public byte[] ToBytes()
    {
        var addr = Encoding.ASCII.GetBytes(Address);
        if (addr.Length is < 1 or > MaxAddressBytes) throw new ArgumentException("address length out of range", nameof(Address));
        var b = new byte[20 + addr.Length];
        BinaryPrimitives.WriteInt64BigEndian(b, ProtocolVersionV1);
        BinaryPrimitives.WriteInt64BigEndian(b.AsSpan(8), Sid);
        BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(16), addr.Length);
        addr.CopyTo(b, 20);
        return b;
    }

    /// <summary>Parses a whole initial message; throws <see cref="FormatException"/> where QuorumCnxManager closes the
    /// connection (unknown version, length outside 1 … 2048, truncated, an address that is not host:port).</summary>
    public static InitialMessage Parse(ReadOnlySpan<byte> b)
    {
        if (b.Length < 8) throw new FormatException("truncated initial message");
        long version = BinaryPrimitives.ReadInt64BigEndian(b);
        if (version >= 0) return new InitialMessage(version, ""); // pre-3.5: the sid alone
        if (version != ProtocolVersionV1 && version != ProtocolVersionV2) throw new FormatException($"unknown protocol version {version}");
        if (b.Length < 20) throw new FormatException("truncated initial message");
        long sid = BinaryPrimitives.ReadInt64BigEndian(b[8..]);
        int len = BinaryPrimitives.ReadInt32BigEndian(b[16..]);
        if (len is < 1 or > MaxAddressBytes) throw new FormatException($"address length {len} outside 1 … {MaxAddressBytes}");
        if (b.Length < 20 + len) throw new FormatException("truncated address");
        var addr = Encoding.UTF8.GetString(b.Slice(20, len));
        foreach (var part in addr.Split('|'))
        {
            int colon = part.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(part.AsSpan(colon + 1), out int port) || port is < 0 or > 65535)
                throw new FormatException($"'{part}' is not host:port");
        }
        return new InitialMessage(sid, addr);
    }
}
