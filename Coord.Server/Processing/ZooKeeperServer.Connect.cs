using Coord.Protocol;
using Coord.Protocol.Records;
using Coord.Protocol.Jute;
using Coord.Server.Auth;
using Coord.Server.Network;
using Coord.Server.Sessions;
using Microsoft.Extensions.Logging;

namespace Coord.Server.Processing;

public sealed partial class ZooKeeperServer
{
    /// <summary>
    /// ConnectRequest (ZooKeeperServer.processConnectRequest): a client that has seen a newer zxid than ours is
    /// refused by closing; the timeout is clamped to [minSessionTimeout, maxSessionTimeout]; session id 0 creates a
    /// session through a createSession txn; otherwise the id and password must name a live session, else the client
    /// gets a ConnectResponse with timeout 0, session id 0 and a zero password, and the connection is closed.
    /// </summary>
    private void HandleConnect(Request req)
    {
        var c = req.Cnxn!;
        var cr = (ConnectRequest)req.Body!;
        if (cr.LastZxidSeen > Tree.LastProcessedZxid)
        {
            _log.LogInformation("Refusing session request for client {Remote} as it has seen zxid 0x{Seen:x} our last zxid is 0x{Ours:x} client must try another server",
                c.Remote, cr.LastZxidSeen, Tree.LastProcessedZxid);
            c.CloseAfterFlush();
            return;
        }
        int timeout = Math.Clamp(cr.TimeOut, Config.MinSessionTimeoutMs, Config.MaxSessionTimeoutMs);
        c.SessionTimeoutMs = timeout;
        if (cr.SessionId == 0)
        {
            long id = Sessions.NextSessionId();
            var s = Sessions.Add(id, timeout);
            s.Owner = c;
            c.SessionId = id;
            Submit(new Request { Kind = RequestKind.Client, Cnxn = c, Type = OpCode.CreateSession, SessionId = id, Body = timeout });
            return;
        }
        var session = Sessions.Get(cr.SessionId);
        // ZooKeeper closes the session's current connection before it looks at the password.
        if (session?.Owner is ServerCnxn previous && !ReferenceEquals(previous, c))
        {
            session.Owner = null;
            previous.SessionId = 0;
            Tree.RemoveWatcher(previous);
            previous.CloseAfterFlush();
        }
        if (session is null || session.IsClosing || !SessionTracker.CheckPassword(cr.SessionId, cr.Passwd, Config.SessionPasswordSecret))
        {
            _log.LogInformation("Invalid session 0x{Session:x} for client {Remote}, probably expired", cr.SessionId, c.Remote);
            SendConnectResponse(c, valid: false);
            c.CloseAfterFlush();
            return;
        }
        session.TimeoutMs = timeout;
        Sessions.Touch(session.Id);
        session.Owner = c;
        c.SessionId = session.Id;
        SendConnectResponse(c, valid: true);
    }

    private void SendConnectResponse(ServerCnxn c, bool valid)
    {
        var rsp = new ConnectResponse(0, valid ? c.SessionTimeoutMs : 0, valid ? c.SessionId : 0,
            valid ? SessionTracker.GeneratePassword(c.SessionId, Config.SessionPasswordSecret) : new byte[SessionTracker.PasswordBytes], false);
        var w = c.BeginFrame(out int start);
        rsp.Write(ref w, withReadOnlyByte: c.SentReadOnlyByte);
        c.EndFrame(start);
        c.Established = valid;
        if (valid)
        {
            c.EstablishedAt = DateTimeOffset.UtcNow;
            _log.LogInformation("Established session 0x{Session:x} with negotiated timeout {Timeout} for client {Remote}", c.SessionId, c.SessionTimeoutMs, c.Remote);
        }
    }

    /// <summary>
    /// AuthPacket (ZooKeeperServer.processPacket, xid -4): digest adds "digest:user:base64(sha1)" (and "super" when it
    /// matches superDigest), ip adds the client address; an unknown scheme answers AuthFailed and closes the connection.
    /// The reply's zxid is 0.
    /// </summary>
    private void HandleAuth(ServerCnxn c, Request req)
    {
        if (req.Body is not AuthPacket ap)
        {
            // ZooKeeper decodes the AuthPacket on the connection's own thread; an IOException there closes it.
            c.Close();
            return;
        }
        Id? id = ap.Scheme switch
        {
            // new String(authData) as ZooKeeper decodes it; a null buffer makes its digest provider throw (AuthFailed).
            "digest" when ap.Auth is not null => new Id("digest", AuthenticationProviders.GenerateDigest(JavaUtf8.GetString(ap.Auth))),
            "ip" => new Id("ip", c.RemoteIp),
            _ => null,
        };
        if (id is null)
        {
            _log.LogWarning("Authentication failed for scheme {Scheme} from {Remote}: no provider, or no credentials", ap.Scheme, c.Remote);
            c.SendReplyHeaderOnly(req.Xid, 0, (int)KeeperErrorCode.AuthFailed);
            c.CloseAfterFlush();
            return;
        }
        if (id.Value.Scheme == "digest" && Config.SuperDigest is not null && id.Value.Ident == Config.SuperDigest)
            AddAuth(c, AclChecker.Super);
        AddAuth(c, id.Value);
        c.SendReplyHeaderOnly(req.Xid, 0, 0);
    }

    private static void AddAuth(ServerCnxn c, Id id)
    {
        if (!c.AuthInfo.Contains(id)) c.AuthInfo.Add(id);
    }
}
