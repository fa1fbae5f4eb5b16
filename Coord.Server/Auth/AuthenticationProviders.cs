using System.Security.Cryptography;
using System.Text;
using Coord.Protocol;
using Coord.Protocol.Records;

namespace Coord.Server.Auth;

/// <summary>The server-side ACL schemes ZooKeeper registers by default (ProviderRegistry): digest and ip.
/// "world" (only the id "anyone") and "auth" are handled by the ACL checker itself, as in ZooKeeper.</summary>
public static class AuthenticationProviders
{
    public static bool IsKnownScheme(string scheme) => scheme is "digest" or "ip";

    /// <summary>Whether an ACL id is well formed for its scheme (ServerAuthenticationProvider.isValid).</summary>
    public static bool IsValid(string scheme, string id) => scheme switch
    {
        "digest" => DigestIsValid(id),
        "ip" => IpIsValid(id),
        _ => false,
    };

    /// <summary>Schemes whose ids are real authenticated identities (isAuthenticated), used to expand the "auth" scheme.</summary>
    public static bool IsAuthenticated(string scheme) => scheme == "digest";

    /// <summary>Whether the authenticated id matches the ACL's id (ServerAuthenticationProvider.matches).</summary>
    public static bool Matches(string scheme, string authId, string aclId) => scheme switch
    {
        "digest" => authId == aclId,
        "ip" => IpMatches(authId, aclId),
        _ => false,
    };

    // Java's String.split(":") drops trailing empty strings, so "user:" has one part and is invalid.
    private static bool DigestIsValid(string id)
    {
        var parts = id.Split(':');
        int n = parts.Length;
        while (n > 0 && parts[n - 1].Length == 0) n--;
        return n == 2;
    }

    /// <summary>DigestAuthenticationProvider.generateDigest: "user:" + base64(sha1("user:password")).</summary>
    public static string GenerateDigest(string idPassword)
    {
        int colon = idPassword.IndexOf(':');
        string user = colon < 0 ? idPassword : idPassword[..colon];
        var hash = SHA1.HashData(Encoding.UTF8.GetBytes(idPassword));
        return user + ":" + Convert.ToBase64String(hash);
    }

    private static bool IpIsValid(string id)
    {
        var slash = id.IndexOf('/');
        var addr = slash < 0 ? id : id[..slash];
        var bytes = AddrToBytes(addr);
        if (bytes is null) return false;
        if (slash >= 0)
        {
            if (!int.TryParse(id[(slash + 1)..], System.Globalization.NumberStyles.AllowLeadingSign, null, out int bits)) return false;
            if (bits < 0 || bits > bytes.Length * 8) return false;
        }
        return true;
    }

    private static bool IpMatches(string clientIp, string aclExpr)
    {
        var slash = aclExpr.IndexOf('/');
        var aclAddr = AddrToBytes(slash < 0 ? aclExpr : aclExpr[..slash]);
        var client = AddrToBytes(clientIp);
        if (aclAddr is null || client is null || aclAddr.Length != client.Length) return false;
        int bits = aclAddr.Length * 8;
        if (slash >= 0 && (!int.TryParse(aclExpr[(slash + 1)..], out bits) || bits < 0 || bits > aclAddr.Length * 8)) return false;
        for (int i = 0; i < aclAddr.Length; i++)
        {
            int take = Math.Clamp(bits - i * 8, 0, 8);
            int mask = take == 0 ? 0 : (0xFF << (8 - take)) & 0xFF;
            if ((aclAddr[i] & mask) != (client[i] & mask)) return false;
        }
        return true;
    }

    /// <summary>IPv4 dotted quad (each part 0..255), as 3.8's IPAuthenticationProvider.addr2Bytes; 3.8 rejects
    /// IPv6 literals in ACLs.</summary>
    private static byte[]? AddrToBytes(string addr)
    {
        var parts = addr.Split('.');
        if (parts.Length != 4) return null;
        var b = new byte[4];
        for (int i = 0; i < 4; i++)
        {
            if (!int.TryParse(parts[i], System.Globalization.NumberStyles.None, null, out int v) || v < 0 || v > 255) return null;
            b[i] = (byte)v;
        }
        return b;
    }
}

/// <summary>ACL checks with ZooKeeper's rules (ZooKeeperServer.checkACL, PrepRequestProcessor.fixupACL).</summary>
public static class AclChecker
{
    public static readonly Id Super = new("super", "");

    /// <summary>True when any ACL entry grants one of the bits in <paramref name="perm"/> to one of the caller's ids.</summary>
    public static bool Allowed(IReadOnlyList<Acl> acl, int perm, IReadOnlyList<Id> authInfo, bool skipAcl = false)
    {
        if (skipAcl) return true;
        for (int i = 0; i < authInfo.Count; i++)
            if (authInfo[i].Scheme == "super") return true;
        if (acl.Count == 0) return true;
        for (int i = 0; i < acl.Count; i++)
        {
            var a = acl[i];
            if ((a.Perms & perm) == 0) continue;
            if (a.Id.Scheme == "world" && a.Id.Ident == "anyone") return true;
            for (int j = 0; j < authInfo.Count; j++)
            {
                var id = authInfo[j];
                if (id.Scheme == a.Id.Scheme && AuthenticationProviders.Matches(id.Scheme, id.Ident, a.Id.Ident)) return true;
            }
        }
        return false;
    }

    public static void Check(IReadOnlyList<Acl> acl, int perm, IReadOnlyList<Id> authInfo, string path)
    {
        if (!Allowed(acl, perm, authInfo)) throw new KeeperException(KeeperErrorCode.NoAuth, path);
    }

    /// <summary>Validates an ACL list from a client and expands the "auth" scheme into the caller's authenticated ids.
    /// Duplicates are removed. Any invalid entry, or an empty list, is InvalidACL.</summary>
    public static List<Acl> FixupAcl(string path, IReadOnlyList<Id> authInfo, List<Acl>? acls)
    {
        if (acls is null || acls.Count == 0) throw new KeeperException(KeeperErrorCode.InvalidAcl, path);
        var uniq = new List<Acl>(acls.Count);
        foreach (var a in acls) if (!uniq.Contains(a)) uniq.Add(a);
        var rv = new List<Acl>(uniq.Count);
        foreach (var a in uniq)
        {
            var id = a.Id;
            // ZooKeeper dereferences the id of these schemes (world: id.equals("anyone"); digest and ip: isValid
            // splits it), so a null one is a NullPointerException there: MarshallingError, for a multi too.
            if (id.Ident is null && id.Scheme is "world" or "digest" or "ip")
                throw new KeeperException(KeeperErrorCode.MarshallingError, path);
            if (id.Scheme == "world" && id.Ident == "anyone")
            {
                rv.Add(a);
            }
            else if (id.Scheme == "auth")
            {
                bool any = false;
                foreach (var cid in authInfo)
                {
                    if (AuthenticationProviders.IsAuthenticated(cid.Scheme))
                    {
                        any = true;
                        rv.Add(new Acl(a.Perms, cid));
                    }
                }
                if (!any) throw new KeeperException(KeeperErrorCode.InvalidAcl, path);
            }
            else
            {
                if (!AuthenticationProviders.IsKnownScheme(id.Scheme) || !AuthenticationProviders.IsValid(id.Scheme, id.Ident!))
                    throw new KeeperException(KeeperErrorCode.InvalidAcl, path);
                rv.Add(a);
            }
        }
        return rv;
    }
}
