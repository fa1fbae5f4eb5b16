using Coord.Protocol;
using Coord.Protocol.Jute;
using Coord.Protocol.Records;
using Coord.Server.Auth;
using Coord.Server.Data;
using Coord.Server.Network;

namespace Coord.Server.Processing;

/// <summary>
/// Serves client requests on the processing thread (ZooKeeper's FinalRequestProcessor): reads straight from the tree,
/// writes through prep and commit, then the reply. Every reply carries the zxid of the last txn applied.
/// </summary>
public sealed partial class ZooKeeperServer
{
    private void HandleClient(Request req)
    {
        var c = req.Cnxn;
        if (c is null)
        {
            Submit(req); // server-internal write (container cleanup, session expiry)
            return;
        }
        req.SessionId = c.SessionId;
        if (MustWaitForCommits(req))
        {
            Block(req);
            return;
        }
        ServeClient(req);
    }

    /// <summary>Serves a client request whose turn has come (no earlier write of its session is still uncommitted,
    /// unless it is itself a write, which may be pipelined behind them).</summary>
    private void ServeClient(Request req)
    {
        ServeClientCore(req);
        // Writes are timed when their reply is staged, at commit (FinishWrite).
        if (!req.IsAnsweredAtCommit) RecordLatency(req);
    }

    private void ServeClientCore(Request req)
    {
        var c = req.Cnxn!;
        if (!c.Established || c.IsClosing) return; // nothing is served before a session is set up or once closing
        req.SessionId = c.SessionId;
        Stats.PacketsReceived++;
        if (req.Unknown)
        {
            // UnimplementedRequestProcessor: answer Unimplemented, then close the connection.
            c.SendReplyHeaderOnly(req.Xid, -1, (int)KeeperErrorCode.Unimplemented);
            c.CloseAfterFlush();
            return;
        }
        if (!Sessions.Touch(c.SessionId)) return; // expired or closing: dropped, the connection is being closed
        c.LastCxid = req.Xid;
        c.LastOp = req.Type;
        switch (req.Type)
        {
            case OpCode.Ping:
                c.SendReplyHeaderOnly(Xid.Ping, Tree.LastProcessedZxid, 0);
                return;
            case OpCode.Auth:
                HandleAuth(c, req);
                return;
            case OpCode.CloseSession:
                Submit(req);
                return;
            case OpCode.CreateSession:
                // ZooKeeper runs a client's createSession op like its own: a createSession txn for this
                // connection's session, answered with a ConnectResponse (MarshallingError if the body is short).
                Submit(req);
                return;
            case OpCode.Sasl:
                // A request without a token (null, a bad length, an empty body) fails in ZooKeeper's processSasl,
                // which closes the connection without an answer.
                if (req.Body is not SaslToken { Token: not null })
                {
                    c.CloseAfterFlush();
                    return;
                }
                // No SASL configured: ZooKeeper answers zxid 0, err 0 and a null token.
                var sw = c.BeginFrame(out int sstart);
                new ReplyHeader(req.Xid, 0, 0).Write(ref sw);
                sw.WriteBuffer((byte[]?)null);
                c.EndFrame(sstart);
                return;
        }
        if (req.Type == OpCode.Reconfig && req.Body is Network.MarshallingFailure)
        {
            // ZooKeeper decodes a reconfig before it takes a zxid for it (the other writes decode after), so one
            // that does not decode is answered MarshallingError with no txn logged.
            c.SendReplyHeaderOnly(req.Xid, Tree.LastProcessedZxid, (int)KeeperErrorCode.MarshallingError);
            return;
        }
        if (req.IsNullPathMulti)
        {
            // ZooKeeper takes the multi's zxid, then fails on the null path before building any txn: the zxid is
            // used up with nothing logged under it, and the failure reaches FinalRequestProcessor as a request
            // without a txn, whose empty MultiResponse goes out with MarshallingError and the last applied zxid.
            Zab.NextZxid();
            var mw = c.BeginFrame(out int mstart);
            new ReplyHeader(req.Xid, Tree.LastProcessedZxid, (int)KeeperErrorCode.MarshallingError).Write(ref mw);
            MultiResponse.Write(ref mw, []);
            c.EndFrame(mstart);
            return;
        }
        if (Request.IsWrite(req.Type))
        {
            Submit(req);
            return;
        }
        ServeRead(c, req);
    }

    /// <summary>Answers a write once its txn is applied.</summary>
    private void FinishWrite(Request req, ProcessTxnResult rc)
    {
        var c = req.Cnxn;
        if (c is null) return;
        RecordLatency(req);
        if (req.Hdr.Type == OpCode.CreateSession)
        {
            SendConnectResponse(c, valid: true);
            return;
        }
        long zxid = Tree.LastProcessedZxid;
        c.LastZxid = zxid;
        if (req.Type == OpCode.CloseSession)
        {
            c.SendReplyHeaderOnly(req.Xid, zxid, 0);
            c.SessionId = 0;
            Tree.RemoveWatcher(c);
            c.CloseAfterFlush();
            return;
        }
        if (req.Hdr.Type == OpCode.Error)
        {
            c.SendReplyHeaderOnly(req.Xid, zxid, (int)rc.Err);
            return;
        }
        if (req.Type == OpCode.Check)
        {
            // A lone check runs as in ZooKeeper 3.8.0: prepped like any write, a failing one answered with its error
            // (and an error txn logged), a passing one logged as a check txn. 3.8.0 then never answers a passing
            // one; Coord answers Unimplemented, as later releases answer every lone check, rather than leave the
            // request hanging.
            c.SendReplyHeaderOnly(req.Xid, zxid, (int)KeeperErrorCode.Unimplemented);
            return;
        }
        var w = c.BeginFrame(out int start);
        new ReplyHeader(req.Xid, zxid, 0).Write(ref w);
        switch (req.Type)
        {
            case OpCode.Create:
                w.WriteString(rc.Path);
                break;
            case OpCode.Create2:
            case OpCode.CreateTtl:
            case OpCode.CreateContainer:
                w.WriteString(rc.Path);
                rc.Stat.Write(ref w);
                break;
            case OpCode.SetData:
            case OpCode.SetAcl:
                rc.Stat.Write(ref w);
                break;
            case OpCode.Multi:
                MultiResponse.Write(ref w, rc.MultiResult!);
                break;
        }
        c.EndFrame(start);
    }

    private void ServeRead(ServerCnxn c, Request req)
    {
        long zxid = Tree.LastProcessedZxid;
        try
        {
            if (req.Body is MarshallingFailure) throw new KeeperException(KeeperErrorCode.MarshallingError);
            switch (req.Type)
            {
                case OpCode.Exists:
                {
                    var r = (PathWatchRequest)req.Body!;
                    if (r.Path.Contains('\0')) throw new KeeperException(KeeperErrorCode.BadArguments, r.Path);
                    if (r.Watch) Tree.AddDataWatch(r.Path, c);
                    var n = Tree.GetNode(r.Path) ?? throw new KeeperException(KeeperErrorCode.NoNode, r.Path);
                    var w = c.BeginFrame(out int start);
                    new ReplyHeader(req.Xid, zxid, 0).Write(ref w);
                    n.ToStat().Write(ref w);
                    c.EndFrame(start);
                    return;
                }
                case OpCode.GetData:
                {
                    var r = (PathWatchRequest)req.Body!;
                    var n = GetReadableNode(r.Path, c);
                    if (r.Watch) Tree.AddDataWatch(r.Path, c);
                    var w = c.BeginFrame(out int start);
                    new ReplyHeader(req.Xid, zxid, 0).Write(ref w);
                    WriteData(ref w, n, c);
                    n.ToStat().Write(ref w);
                    c.EndFrame(start);
                    return;
                }
                case OpCode.GetChildren:
                case OpCode.GetChildren2:
                {
                    var r = (PathWatchRequest)req.Body!;
                    var n = GetReadableNode(r.Path, c);
                    if (r.Watch) Tree.AddChildWatch(r.Path, c);
                    var w = c.BeginFrame(out int start);
                    new ReplyHeader(req.Xid, zxid, 0).Write(ref w);
                    WriteChildren(ref w, n);
                    if (req.Type == OpCode.GetChildren2) n.ToStat().Write(ref w);
                    c.EndFrame(start);
                    return;
                }
                case OpCode.GetAcl:
                {
                    var r = (PathRequest)req.Body!;
                    var n = Tree.GetNode(r.Path) ?? throw new KeeperException(KeeperErrorCode.NoNode, r.Path);
                    AclChecker.Check(n.Acl, Perms.Read | Perms.Admin, c.AuthInfo, r.Path);
                    IReadOnlyList<Acl> acl = n.Acl;
                    // Without ADMIN the digest hashes are masked (CVE-2019-0201 fix): "user:x".
                    if (!AclChecker.Allowed(n.Acl, Perms.Admin, c.AuthInfo))
                        acl = n.Acl.Select(a => a.Id.Scheme == "digest" ? a with { Id = a.Id with { Ident = MaskDigest(a.Id.Ident) } } : a).ToList();
                    var w = c.BeginFrame(out int start);
                    new ReplyHeader(req.Xid, zxid, 0).Write(ref w);
                    Acl.WriteList(ref w, acl);
                    n.ToStat().Write(ref w);
                    c.EndFrame(start);
                    return;
                }
                case OpCode.Sync:
                {
                    var r = (SyncRequest)req.Body!;
                    var w = c.BeginFrame(out int start);
                    new ReplyHeader(req.Xid, zxid, 0).Write(ref w);
                    w.WriteString(r.Path);
                    c.EndFrame(start);
                    return;
                }
                case OpCode.GetAllChildrenNumber:
                {
                    var r = (PathRequest)req.Body!;
                    GetReadableNode(r.Path, c);
                    // ZooKeeper counts the keys of its path map that start with path + "/"; for "" that includes
                    // "/" itself, the map's second key for the root, so "" counts one more than "/".
                    int total = Tree.CountDescendants(r.Path) + (r.Path.Length == 0 ? 1 : 0);
                    var w = c.BeginFrame(out int start);
                    new ReplyHeader(req.Xid, zxid, 0).Write(ref w);
                    w.WriteInt(total);
                    c.EndFrame(start);
                    return;
                }
                case OpCode.GetEphemerals:
                {
                    var r = (PathRequest)req.Body!;
                    var all = Tree.GetEphemerals(c.SessionId);
                    var prefix = r.Path;
                    var list = string.IsNullOrWhiteSpace(prefix) || prefix.Trim() == "/"
                        ? all
                        : all.Where(p => p.StartsWith(prefix, StringComparison.Ordinal)).ToList();
                    var w = c.BeginFrame(out int start);
                    new ReplyHeader(req.Xid, zxid, 0).Write(ref w);
                    w.WriteStringVector(list);
                    c.EndFrame(start);
                    return;
                }
                case OpCode.CheckWatches:
                case OpCode.RemoveWatches:
                {
                    var r = (PathTypeRequest)req.Body!;
                    // 3.8's WatcherType.fromInt knows only Children (1), Data (2) and Any (3); checkWatches on a path
                    // without '/' makes its path-parent iterator throw. Both surface as MarshallingError.
                    // A null path: checkWatches throws too, removeWatches finds no watcher.
                    if (r.Type is < 1 or > 3 || (req.Type == OpCode.CheckWatches && r.Path?.StartsWith('/') != true))
                        throw new KeeperException(KeeperErrorCode.MarshallingError, r.Path);
                    // After an addWatch of a null path, ZooKeeper's removal of that path throws.
                    if (r.Path is null && c.HasNullPathWatch) throw new KeeperException(KeeperErrorCode.MarshallingError);
                    bool found = r.Path is not null
                        && (req.Type == OpCode.CheckWatches ? ContainsWatch(r.Path, r.Type, c) : RemoveWatch(r.Path, r.Type, c));
                    if (!found) throw new KeeperException(KeeperErrorCode.NoWatcher, r.Path);
                    c.SendReplyHeaderOnly(req.Xid, zxid, 0);
                    return;
                }
                case OpCode.AddWatch:
                {
                    var r = (PathTypeRequest)req.Body!;
                    if (r.Type is not ((int)AddWatchMode.Persistent or (int)AddWatchMode.PersistentRecursive))
                        throw new KeeperException(KeeperErrorCode.MarshallingError, r.Path);
                    // ZooKeeper registers a null path like any other; no event ever names it, so Coord keeps nothing.
                    if (r.Path is not null) Tree.AddPersistentWatch(r.Path, c, recursive: r.Type == (int)AddWatchMode.PersistentRecursive);
                    else c.HasNullPathWatch = true;
                    // The reply carries an ErrorResponse{err = 0} body.
                    var w = c.BeginFrame(out int start);
                    new ReplyHeader(req.Xid, zxid, 0).Write(ref w);
                    w.WriteInt(0);
                    c.EndFrame(start);
                    return;
                }
                case OpCode.SetWatches:
                case OpCode.SetWatches2:
                {
                    var r = (SetWatchesRequest)req.Body!;
                    // Events for changes missed while disconnected are queued before the reply.
                    bool complete = Tree.SetWatches(r.RelativeZxid, r, c);
                    c.SendReplyHeaderOnly(req.Xid, zxid, complete ? 0 : (int)KeeperErrorCode.MarshallingError);
                    return;
                }
                case OpCode.WhoAmI:
                {
                    var w = c.BeginFrame(out int start);
                    new ReplyHeader(req.Xid, zxid, 0).Write(ref w);
                    var ids = AuthInfoInZooKeeperOrder(c.AuthInfo);
                    w.WriteInt(ids.Count);
                    foreach (var id in ids)
                    {
                        // digest identities are shown as the user name only.
                        string user = id.Scheme == "digest" && id.Ident.IndexOf(':') is int colon and >= 0 ? id.Ident[..colon] : id.Ident;
                        new ClientInfo(id.Scheme, user).Write(ref w);
                    }
                    c.EndFrame(start);
                    return;
                }
                case OpCode.MultiRead:
                    ServeMultiRead(c, req, zxid);
                    return;
                default:
                    throw new KeeperException(KeeperErrorCode.Unimplemented);
            }
        }
        catch (KeeperException e)
        {
            c.SendReplyHeaderOnly(req.Xid, zxid, (int)e.Code);
        }
    }

    /// <summary>
    /// multiRead: each getData/getChildren answered on its own (errors become ErrorResults). A write op inside makes
    /// the whole reply MarshallingError, and — as ZooKeeper serialises its partly built response anyway — the
    /// results gathered before it follow, then the end marker.
    /// </summary>
    private void ServeMultiRead(ServerCnxn c, Request req, long zxid)
    {
        var m = (MultiRequest)req.Body!;
        var results = new List<OpResult>(m.Ops.Count);
        int err = 0;
        bool nullPath = false;
        foreach (var op in m.Ops)
        {
            if (op.Type is not (OpCode.GetChildren or OpCode.GetData))
            {
                err = (int)KeeperErrorCode.MarshallingError;
                break;
            }
            if (op.PathIsNull)
            {
                // ZooKeeper's lookup of a null path throws NullPointerException, which fails the request with the
                // results read so far.
                err = (int)KeeperErrorCode.MarshallingError;
                nullPath = true;
                break;
            }
            try
            {
                var r = op.PathWatch;
                var n = GetReadableNode(r.Path, c);
                // 3.8 ignores the watch flag of multiRead ops.
                if (op.Type == OpCode.GetChildren)
                {
                    results.Add(new OpResult { Type = OpCode.GetChildren, Children = n.ChildrenInZooKeeperOrder() });
                }
                else
                {
                    results.Add(new OpResult { Type = OpCode.GetData, Data = n.CopyData(), Stat = n.ToStat() });
                }
            }
            catch (KeeperException e)
            {
                results.Add(OpResult.Error(e.Code));
            }
        }
        var w = c.BeginFrame(out int start);
        new ReplyHeader(req.Xid, zxid, err).Write(ref w);
        // Measured on 3.8.0: a failed multiRead carries an empty result list only when nothing was read before
        // the bad op; otherwise the reply is the header alone.
        // A null path, measured too, fails with the results read before it, in full.
        if (err == 0 || results.Count == 0 || nullPath) MultiResponse.Write(ref w, results);
        c.EndFrame(start);
    }

    /// <summary>ZooKeeper keeps a connection's ids in a hash set and whoAmI lists them in its iteration order
    /// (Id.hashCode = 37 × (37 × 17 + scheme.hashCode()) + id.hashCode()).</summary>
    private static List<Id> AuthInfoInZooKeeperOrder(List<Id> ids)
    {
        var items = new List<(Id, int, long)>(ids.Count);
        for (int i = 0; i < ids.Count; i++)
        {
            int h = unchecked(37 * (37 * 17 + JavaHashOrder.StringHash(ids[i].Scheme)) + JavaHashOrder.StringHash(ids[i].Ident));
            items.Add((ids[i], h, i));
        }
        return JavaHashOrder.Order(items, JavaHashOrder.Capacity(16, ids.Count));
    }

    private DataNode GetReadableNode(string path, ServerCnxn c)
    {
        var n = Tree.GetNode(path) ?? throw new KeeperException(KeeperErrorCode.NoNode, path);
        AclChecker.Check(n.Acl, Perms.Read, c.AuthInfo, path);
        return n;
    }

    /// <summary>A node's data as a jute buffer (length -1 for null). A large value goes into <paramref name="c"/>'s
    /// output by reference, not copied: a node never writes into its data array once it holds it. Without a
    /// connection (tests writing into a plain buffer) it is copied.</summary>
    internal static void WriteData(ref JuteWriter w, DataNode n, ServerCnxn? c = null)
    {
        if (!n.HasData)
        {
            w.WriteInt(-1);
        }
        else if (c is not null && n.DataLength >= OutputBuffer.MinExternalBytes)
        {
            w.WriteInt(n.DataLength);
            c.AppendExternal(n.DataMemory);
        }
        else
        {
            w.WriteBuffer(n.DataSpan);
        }
    }

    /// <summary>Reused to sort children (the processing thread is the only caller).</summary>
    [ThreadStatic] private static ChildSet.JavaOrderEntry[]? t_childScratch;

    /// <summary>Children in the order ZooKeeper sends them (its HashSet's iteration order). A jute string is a length
    /// and UTF-8 bytes, which is how a node keeps its name: each is copied as it is, no string made.</summary>
    private static void WriteChildren(ref JuteWriter w, DataNode n)
    {
        var scratch = t_childScratch ??= new ChildSet.JavaOrderEntry[64];
        int count = n.SortChildrenInZooKeeperOrder(ref scratch);
        t_childScratch = scratch;
        w.WriteInt(count);
        for (int i = 0; i < count; i++) w.WriteBuffer(scratch[i].Node.NameUtf8);
        // Drop the references so a large scratch does not keep deleted nodes alive.
        Array.Clear(scratch, 0, count);
    }

    private static string MaskDigest(string id)
    {
        int colon = id.IndexOf(':');
        return colon < 0 ? id : id[..colon] + ":x";
    }

    private bool ContainsWatch(string path, int type, ServerCnxn c) => (WatcherType)type switch
    {
        WatcherType.Children => Tree.ChildWatches.ContainsWatcher(path, c),
        WatcherType.Data => Tree.DataWatches.ContainsWatcher(path, c),
        _ => Tree.ChildWatches.ContainsWatcher(path, c) || Tree.DataWatches.ContainsWatcher(path, c),
    };

    private bool RemoveWatch(string path, int type, ServerCnxn c)
    {
        switch ((WatcherType)type)
        {
            case WatcherType.Children: return Tree.ChildWatches.RemoveWatcher(path, c);
            case WatcherType.Data: return Tree.DataWatches.RemoveWatcher(path, c);
            default:
                bool a = Tree.ChildWatches.RemoveWatcher(path, c);
                bool b = Tree.DataWatches.RemoveWatcher(path, c);
                return a || b;
        }
    }
}
