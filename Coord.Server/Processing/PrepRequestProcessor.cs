using System.Globalization;
using Coord.Protocol;
using Coord.Protocol.Records;
using Coord.Server.Auth;
using Coord.Server.Data;
using Coord.Server.Hosting;
using Coord.Server.Sessions;
using Coord.Zab;

namespace Coord.Server.Processing;

/// <summary>
/// Turns each write request into a txn (ZooKeeper's PrepRequestProcessor): validates it against the tree plus the
/// changes of txns proposed but not yet applied (<see cref="ChangeRecord"/>), checks ACLs, assigns the zxid and the
/// sequence suffix, and produces the txn record. A request that fails validation still consumes a zxid and becomes an
/// ErrorTxn, exactly as in ZooKeeper, so zxids and logs stay comparable with the reference.
/// Runs on the request-processing thread; check order inside each operation follows ZooKeeper's so that the same
/// bad request yields the same error code.
/// </summary>
public sealed class PrepRequestProcessor(DataTree tree, SessionTracker sessions, IAtomicBroadcast zab, ServerConfig config, TimeProvider time)
{
    private readonly Dictionary<string, ChangeRecord> _outstandingByPath = new(StringComparer.Ordinal);
    private readonly Queue<ChangeRecord> _outstanding = new();

    public int OutstandingChanges => _outstanding.Count;

    /// <summary>Builds the txn for a write request. Never throws for client errors: they become ErrorTxns.</summary>
    public void Prepare(Request req)
    {
        long zxid = zab.NextZxid();
        long now = time.GetUtcNow().ToUnixTimeMilliseconds();
        req.HasTxn = true;
        int type = req.Type;
        req.Hdr = new TxnHeader(req.SessionId, req.Xid, zxid, now, type);
        try
        {
            if (req.Body is Network.MarshallingFailure) throw new KeeperException(KeeperErrorCode.MarshallingError);
            switch (type)
            {
                case OpCode.CreateSession:
                    // From the connect path the body is the negotiated timeout; a client sending this opcode
                    // itself has its CreateSessionTxn{timeOut} decoded by the reader.
                    req.Txn = new CreateSessionTxn((int)req.Body!);
                    break;
                case OpCode.CloseSession:
                    req.Txn = PrepCloseSession(req.SessionId, zxid);
                    break;
                case OpCode.Multi:
                    req.Txn = PrepMulti(req, zxid);
                    break;
                case OpCode.Reconfig:
                    CheckSession(req);
                    throw new KeeperException(KeeperErrorCode.ReconfigDisabled);
                default:
                    // deleteContainer comes from the container manager with no session, as in ZooKeeper.
                    if (type != OpCode.DeleteContainer) CheckSession(req);
                    req.Txn = PrepOne(type, req.Body!, req, zxid);
                    break;
            }
        }
        catch (KeeperException e)
        {
            req.Hdr = req.Hdr with { Type = OpCode.Error };
            req.Txn = new ErrorTxn((int)e.Code);
            req.Exception = e;
        }
    }

    /// <summary>Forgets change records made by txns up to and including <paramref name="zxid"/>, now in the tree.</summary>
    public void OnApplied(long zxid)
    {
        while (_outstanding.Count > 0 && _outstanding.Peek().Zxid <= zxid)
        {
            var cr = _outstanding.Dequeue();
            if (_outstandingByPath.TryGetValue(cr.Path, out var last) && ReferenceEquals(last, cr))
                _outstandingByPath.Remove(cr.Path);
        }
    }

    /// <summary>Drops the change records of txns from <paramref name="zxid"/> on: they were aborted and will never
    /// reach the tree.</summary>
    public void AbortFrom(long zxid)
    {
        if (_outstanding.Count == 0 || _outstanding.All(cr => cr.Zxid < zxid)) return;
        var keep = _outstanding.Where(cr => cr.Zxid < zxid).ToList();
        RollbackTo(keep, keep.Count);
    }

    private void CheckSession(Request req)
    {
        var s = sessions.Get(req.SessionId);
        if (s is null || s.IsClosing) throw new KeeperException(KeeperErrorCode.SessionExpired);
    }

    private ITxnRecord PrepOne(int type, object body, Request req, long zxid)
    {
        var auth = req.Cnxn?.AuthInfo ?? (IReadOnlyList<Id>)[];
        switch (type)
        {
            case OpCode.Create:
            case OpCode.Create2:
            case OpCode.CreateContainer:
            case OpCode.CreateTtl:
                return PrepCreate(type, (CreateRequest)body, req, auth, zxid);
            case OpCode.Delete:
            {
                var d = (PathVersionRequest)body;
                string parentPath = ParentPathAndValidate(d.Path);
                var parent = GetRecordForPath(parentPath);
                AclChecker.Check(parent.Acl, Perms.Delete, auth, d.Path);
                var node = GetRecordForPath(d.Path);
                CheckAndIncVersion(node.Stat!.Value.Version, d.Version, d.Path);
                if (node.ChildCount > 0) throw new KeeperException(KeeperErrorCode.NotEmpty, d.Path);
                var p = parent.Duplicate(zxid);
                p.ChildCount--;
                p.Stat = p.Stat!.Value with { Pzxid = zxid };
                AddChangeRecord(p);
                AddChangeRecord(new ChangeRecord(zxid, d.Path, null, -1, node.Acl));
                return new DeleteTxn(d.Path);
            }
            case OpCode.DeleteContainer:
            {
                // Only the container manager may delete containers; ZooKeeper answers a client's request with BadArguments.
                if (req.Cnxn is not null) throw new KeeperException(KeeperErrorCode.BadArguments);
                var path = (string)body;
                var node = GetRecordForPath(path);
                if (node.ChildCount > 0) throw new KeeperException(KeeperErrorCode.NotEmpty, path);
                long owner = node.Stat!.Value.EphemeralOwner;
                if (!EphemeralType.IsContainer(owner) && !EphemeralType.IsTtl(owner))
                    throw new KeeperException(KeeperErrorCode.BadVersion, path);
                string parentPath = PathUtils.Parent(path);
                var p = GetRecordForPath(parentPath).Duplicate(zxid);
                p.ChildCount--;
                p.Stat = p.Stat!.Value with { Pzxid = zxid };
                AddChangeRecord(p);
                AddChangeRecord(new ChangeRecord(zxid, path, null, -1, node.Acl));
                return new DeleteTxn(path);
            }
            case OpCode.SetData:
            {
                var s = (SetDataRequest)body;
                ValidatePath(s.Path);
                var node = GetRecordForPath(s.Path);
                AclChecker.Check(node.Acl, Perms.Write, auth, s.Path);
                int newVersion = CheckAndIncVersion(node.Stat!.Value.Version, s.Version, s.Path);
                var n = node.Duplicate(zxid);
                n.Stat = n.Stat!.Value with { Version = newVersion, Mzxid = zxid };
                AddChangeRecord(n);
                return new SetDataTxn(s.Path, s.Data, newVersion);
            }
            case OpCode.SetAcl:
            {
                var s = (SetAclRequest)body;
                ValidatePath(s.Path);
                var acl = AclChecker.FixupAcl(s.Path, auth, s.AclList);
                var node = GetRecordForPath(s.Path);
                AclChecker.Check(node.Acl, Perms.Admin, auth, s.Path);
                int newVersion = CheckAndIncVersion(node.Stat!.Value.Aversion, s.Version, s.Path);
                var n = node.Duplicate(zxid);
                n.Stat = n.Stat!.Value with { Aversion = newVersion };
                n.Acl = acl;
                AddChangeRecord(n);
                return new SetAclTxn(s.Path, acl, newVersion);
            }
            case OpCode.Check:
            {
                var c = (PathVersionRequest)body;
                ValidatePath(c.Path);
                var node = GetRecordForPath(c.Path);
                AclChecker.Check(node.Acl, Perms.Read, auth, c.Path);
                return new CheckVersionTxn(c.Path, CheckAndIncVersion(node.Stat!.Value.Version, c.Version, c.Path));
            }
            default:
                throw new KeeperException(KeeperErrorCode.Unimplemented);
        }
    }

    private ITxnRecord PrepCreate(int type, CreateRequest c, Request req, IReadOnlyList<Id> auth, long zxid)
    {
        if (!CreateModes.TryFromFlag(c.Flags, out var mode)) throw new KeeperException(KeeperErrorCode.BadArguments, c.Path);
        // validateCreateRequest
        if (mode.IsTtl() && !config.ExtendedTypesEnabled) throw new KeeperException(KeeperErrorCode.Unimplemented, c.Path);
        long ttl = type == OpCode.CreateTtl ? c.Ttl : -1;
        if (mode.IsTtl())
        {
            if (ttl <= 0 || ttl > EphemeralType.MaxTtlMs) throw new KeeperException(KeeperErrorCode.BadArguments, c.Path);
        }
        else if (ttl >= 0)
        {
            throw new KeeperException(KeeperErrorCode.BadArguments, c.Path);
        }
        CheckSession(req);
        // validatePathForCreate
        int lastSlash = c.Path.LastIndexOf('/');
        if (lastSlash == -1 || c.Path.Contains('\0')) throw new KeeperException(KeeperErrorCode.BadArguments, c.Path);
        string parentPath = lastSlash == 0 ? "/" : c.Path[..lastSlash];
        var acl = AclChecker.FixupAcl(c.Path, auth, c.AclList);
        var parent = GetRecordForPath(parentPath);
        AclChecker.Check(parent.Acl, Perms.Create, auth, c.Path);
        int parentCVersion = parent.Stat!.Value.Cversion;
        string path = c.Path;
        if (mode.IsSequential()) path += FormatSequence(parentCVersion);
        ValidatePath(path);
        if (TryGetRecordForPath(path) is not null) throw new KeeperException(KeeperErrorCode.NodeExists, path);
        long parentOwner = parent.Stat!.Value.EphemeralOwner;
        if (parentOwner != 0 && EphemeralType.SessionOf(parentOwner) != 0)
            throw new KeeperException(KeeperErrorCode.NoChildrenForEphemerals, path);
        int newCversion = parentCVersion + 1;
        long owner = mode.IsContainer() ? EphemeralType.ContainerOwner
            : mode.IsTtl() ? EphemeralType.EncodeTtl(ttl)
            : mode.IsEphemeral() ? req.SessionId : 0;
        var p = parent.Duplicate(zxid);
        p.ChildCount++;
        p.Stat = p.Stat!.Value with { Cversion = newCversion, Pzxid = zxid };
        AddChangeRecord(p);
        AddChangeRecord(new ChangeRecord(zxid, path, new StatPersisted(zxid, zxid, 0, 0, 0, 0, 0, owner, zxid), 0, acl));
        var data = c.Data;
        return type switch
        {
            OpCode.CreateContainer => new CreateContainerTxn(path, data, acl, newCversion),
            OpCode.CreateTtl => new CreateTtlTxn(path, data, acl, newCversion, ttl),
            _ => new CreateTxn(path, data, acl, mode.IsEphemeral(), newCversion),
        };
    }

    /// <summary>String.format("%010d", n): ten digits, zero padded, with the sign inside the width.</summary>
    public static string FormatSequence(int n) =>
        n >= 0 ? n.ToString("D10", CultureInfo.InvariantCulture)
               : "-" + ((long)-(long)n).ToString(CultureInfo.InvariantCulture).PadLeft(9, '0');

    private ITxnRecord PrepCloseSession(long sessionId, long zxid)
    {
        // The paths to delete are the session's ephemerals plus pending creates of them, minus pending deletes.
        // Kept in ZooKeeper's order (a clone of the session's HashSet, then pending creates) so that watchers see the
        // NodeDeleted events in the same order.
        var paths = tree.GetEphemerals(sessionId);
        foreach (var cr in _outstanding)
        {
            if (cr.Stat is null) paths.Remove(cr.Path);
            else if (cr.Stat.Value.EphemeralOwner == sessionId && !paths.Contains(cr.Path)) paths.Add(cr.Path);
        }
        foreach (var path in paths)
        {
            var parentPath = PathUtils.Parent(path);
            var parent = TryGetRecordForPath(parentPath);
            if (parent is not null)
            {
                var p = parent.Duplicate(zxid);
                p.ChildCount--;
                p.Stat = p.Stat!.Value with { Pzxid = zxid };
                AddChangeRecord(p);
            }
            AddChangeRecord(new ChangeRecord(zxid, path, null, 0, Acl.OpenAclUnsafe));
        }
        var s = sessions.Get(sessionId);
        if (s is not null) s.IsClosing = true;
        return new CloseSessionTxn(paths);
    }

    /// <summary>
    /// A multi's ops are prepped in order against the accumulating change records. On the first failure the changes
    /// of the earlier ops are rolled back; the failing op becomes an ErrorTxn with its code and every later op an
    /// ErrorTxn with RuntimeInconsistency. The multi still consumes exactly one zxid.
    /// </summary>
    private ITxnRecord PrepMulti(Request req, long zxid)
    {
        var multi = (MultiRequest)req.Body!;
        // A read op inside a write multi is not a txn: the whole request fails.
        foreach (var op in multi.Ops)
            if (op.Type is OpCode.GetData or OpCode.GetChildren) throw new KeeperException(KeeperErrorCode.MarshallingError);
        var txns = new List<(int, ITxnRecord)>(multi.Ops.Count);
        KeeperException? failed = null;
        int mark = _outstanding.Count;
        var snapshot = new List<ChangeRecord>(_outstanding);
        foreach (var op in multi.Ops)
        {
            if (failed is not null)
            {
                txns.Add((OpCode.Error, new ErrorTxn((int)KeeperErrorCode.RuntimeInconsistency)));
                continue;
            }
            try
            {
                CheckSession(req);
                object body = op.Type switch
                {
                    OpCode.Create or OpCode.Create2 or OpCode.CreateTtl or OpCode.CreateContainer => op.Create!,
                    OpCode.SetData => op.SetData!,
                    _ => op.PathVersion,
                };
                txns.Add((op.Type, PrepOne(op.Type, body, req, zxid)));
            }
            catch (KeeperException e) when (e.Code == KeeperErrorCode.MarshallingError)
            {
                // What is MarshallingError in ZooKeeper is an exception its multi loop does not catch: the whole
                // request becomes one ErrorTxn (see Prepare), and nothing of the ops before it stays.
                RollbackTo(snapshot, mark);
                throw;
            }
            catch (KeeperException e) when (e.Code != KeeperErrorCode.MarshallingError)
            {
                failed = e;
                txns.Add((OpCode.Error, new ErrorTxn((int)e.Code)));
                RollbackTo(snapshot, mark);
            }
        }
        if (failed is not null) req.Exception = failed;
        return new MultiTxn(txns);
    }

    private void RollbackTo(List<ChangeRecord> snapshot, int count)
    {
        _outstanding.Clear();
        _outstandingByPath.Clear();
        for (int i = 0; i < count; i++)
        {
            _outstanding.Enqueue(snapshot[i]);
            _outstandingByPath[snapshot[i].Path] = snapshot[i];
        }
    }

    private void AddChangeRecord(ChangeRecord cr)
    {
        _outstanding.Enqueue(cr);
        _outstandingByPath[cr.Path] = cr;
    }

    private ChangeRecord GetRecordForPath(string path) =>
        TryGetRecordForPath(path) ?? throw new KeeperException(KeeperErrorCode.NoNode, path);

    private ChangeRecord? TryGetRecordForPath(string path)
    {
        if (path.Length == 0) path = "/";
        if (_outstandingByPath.TryGetValue(path, out var cr)) return cr.Stat is null ? null : cr;
        var n = tree.GetNode(path);
        return n is null ? null : new ChangeRecord(-1, path, n.ToStatPersisted(), n.ChildCount, n.Acl);
    }

    private static string ParentPathAndValidate(string path)
    {
        int lastSlash = path.LastIndexOf('/');
        if (lastSlash == -1 || path.Contains('\0') || DataTree.IsSpecialPath(path))
            throw new KeeperException(KeeperErrorCode.BadArguments, path);
        return lastSlash == 0 ? "/" : path[..lastSlash];
    }

    private static void ValidatePath(string path)
    {
        if (!PathUtils.IsValid(path)) throw new KeeperException(KeeperErrorCode.BadArguments, path);
    }

    /// <summary>Version -1 matches any version; otherwise it must equal the current one.</summary>
    private static int CheckAndIncVersion(int current, int expected, string path)
    {
        if (expected != -1 && expected != current) throw new KeeperException(KeeperErrorCode.BadVersion, path);
        return current + 1;
    }
}
