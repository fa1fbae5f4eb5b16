#!/usr/bin/python3
"""Regenerate the golden .hex files from a running reference ZooKeeper 3.8.0.

Usage: /usr/bin/python3 gen_goldens.py [port]   (default 21812)

The server must be FRESH (empty dataDir) and started with
  zookeeper.extendedTypesEnabled=true, tickTime=2000 (timeouts 4000..40000).
Files are written next to this script.

File format (one request/response exchange per file, sometimes several):
  # free-text comment lines
  # opcode: <n> (<name>)
  # request-record: <jute records after the 4-byte length>
  # response-record: <jute records>
  # variable: <fields whose values differ between runs>
  request: <hex of the whole frame incl. 4-byte length>
  response: <hex of the whole frame incl. 4-byte length>   (one line per frame received, in order)
A "request:" line may be followed by several "response:" lines (notifications, xid -1, come before the
reply when the server sends them first). A file may contain several request/response groups; they were
sent in that order on one connection unless a "# conn:" comment says otherwise.

Variable fields (never compare them byte-for-byte; decode, check plausibility, re-encode):
  zxid in reply headers (depends on how many txns ran before), Stat.czxid/mzxid/pzxid,
  Stat.ctime/mtime (wall clock ms), ConnectResponse.sessionId and passwd, ephemeralOwner (= sessionId),
  whoAmI ip address is 127.0.0.1 here.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from capture import *  # noqa

PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 21812
OUT = os.path.dirname(os.path.abspath(__file__))

STAT_VAR = 'Stat.czxid, Stat.mzxid, Stat.ctime, Stat.mtime, Stat.pzxid'
HDR_VAR = 'ReplyHeader.zxid'


def golden(name, comments, groups):
    """groups: list of (label, req_bytes, [resp_bytes...])"""
    path = os.path.join(OUT, name + '.hex')
    with open(path, 'w') as f:
        for c in comments:
            f.write('# ' + c + '\n')
        for label, req, resps in groups:
            if label:
                f.write('# ' + label + '\n')
            if req is not None:
                f.write('request: ' + req.hex() + '\n')
            for r in resps:
                f.write('response: ' + r.hex() + '\n')
    print('wrote', path)


def exchange(c, op, body=b'', xid=None, quiet=0.5):
    """send request, collect every frame until quiet. returns (req, [frames], closed)"""
    req = c.request_frame(op, body, xid)
    c.send(req)
    frames, closed = c.recv_all_until_quiet(quiet)
    return req, frames, closed


def meta(opcode, name, reqrec, resprec, variable):
    return ['opcode: %d (%s)' % (opcode, name), 'request-record: ' + reqrec,
            'response-record: ' + resprec, 'variable: ' + variable]


def main():
    # ---------------------------------------------------------------- connect
    c = Conn(port=PORT)
    req, resp = c.handshake(read_only=False, timeout=30000)
    golden('connect_45', [
        'ConnectRequest 45 bytes (with readOnly=false), new session, timeout 30000 -> ConnectResponse 37 bytes',
        'request-record: ConnectRequest{protocolVersion=0,lastZxidSeen=0,timeOut=30000,sessionId=0,passwd=16x00,readOnly=false}',
        'response-record: ConnectResponse{protocolVersion=0,timeOut=30000,sessionId,passwd(16),readOnly=false}',
        'variable: ConnectResponse.sessionId, ConnectResponse.passwd',
    ], [(None, req, [resp])])
    d = Conn(port=PORT)
    req2, resp2 = d.handshake(read_only=None, timeout=1000)
    golden('connect_44', [
        'ConnectRequest 44 bytes (no readOnly byte), timeout 1000 -> clamped to 4000 (2*tickTime); response 36 bytes',
        'request-record: ConnectRequest without readOnly',
        'response-record: ConnectResponse{protocolVersion=0,timeOut=4000,sessionId,passwd(16)} (no readOnly byte)',
        'variable: ConnectResponse.sessionId, ConnectResponse.passwd',
    ], [(None, req2, [resp2])])
    d.close()
    d = Conn(port=PORT)
    req3, resp3 = d.handshake(read_only=False, timeout=100000)
    golden('connect_timeout_clamp_max', [
        'timeout 100000 -> 40000 (20*tickTime)',
        'variable: ConnectResponse.sessionId, ConnectResponse.passwd',
    ], [(None, req3, [resp3])])
    # reconnect with correct password (session move) -- same sessionId/passwd echoed
    sid, pw = d.session_id, d.passwd
    e = Conn(port=PORT)
    rq = frame(connect_body(0, 0, 30000, sid, pw, False))
    e.send(rq)
    fr, closed = e.recv_all_until_quiet(1)
    golden('connect_reconnect_ok', [
        'reconnect with existing sessionId + correct passwd, timeout 30000: same sessionId and passwd echoed,',
        'timeout renegotiated; the old connection of that session is closed by the server.',
        'variable: sessionId, passwd (request and response)',
    ], [(None, rq, fr)])
    # wrong password
    bad = bytes([pw[0] ^ 1]) + pw[1:]
    f2 = Conn(port=PORT)
    rq = frame(connect_body(0, 0, 30000, sid, bad, False))
    f2.send(rq)
    fr, closed = f2.recv_all_until_quiet(1)
    golden('connect_wrong_password', [
        'reconnect with wrong passwd: ConnectResponse{0, timeOut=0, sessionId=0, passwd=16 zero bytes, readOnly=0}',
        'then the server closes the socket (closed=%s). It ALSO closes the session\'s current connection.' % closed,
        'variable: request sessionId/passwd',
    ], [(None, rq, fr)])
    f3 = Conn(port=PORT)
    rq = frame(connect_body(0, 0, 30000, 0x1234567890, b'\0' * 16, None))
    f3.send(rq)
    fr, closed = f3.recv_all_until_quiet(1)
    golden('connect_unknown_session', [
        'reconnect (44-byte variant) with unknown sessionId 0x1234567890: 36-byte all-zero response then close (closed=%s)' % closed,
        'variable: none',
    ], [(None, rq, fr)])

    # ---------------------------------------------------------------- basic CRUD
    A = [(31, 'world', 'anyone')]
    g = []
    req, fr, _ = exchange(c, OP_CREATE, create_body('/g', b'hello', A, 0))
    golden('create', ['create /g data "hello" world:anyone ALL, flags 0 (PERSISTENT)'] +
           meta(1, 'create', 'RequestHeader{xid,type=1} CreateRequest{path,data,acl,flags}',
                'ReplyHeader{xid,zxid,err=0} CreateResponse{path}', HDR_VAR), [(None, req, fr)])
    req, fr, _ = exchange(c, OP_CREATE, create_body('/g', b'hello', A, 0))
    golden('create_nodeexists', ['create /g again -> err -110 NodeExists; no body. Consumes a zxid (error txn).'] +
           meta(1, 'create', 'CreateRequest', 'ReplyHeader{err=-110}', HDR_VAR), [(None, req, fr)])
    req, fr, _ = exchange(c, OP_CREATE, create_body('/nope/x', b'', A, 0))
    golden('create_nonode', ['create /nope/x (missing parent) -> -101 NoNode'] +
           meta(1, 'create', 'CreateRequest', 'ReplyHeader{err=-101}', HDR_VAR), [(None, req, fr)])
    req, fr, _ = exchange(c, OP_CREATE, create_body('bad', b'', A, 0))
    golden('create_badarguments', ['create "bad" (no leading slash) -> -8 BadArguments'] +
           meta(1, 'create', 'CreateRequest', 'ReplyHeader{err=-8}', HDR_VAR), [(None, req, fr)])
    req, fr, _ = exchange(c, OP_CREATE, create_body('/g/e', b'', [], 0))
    golden('create_invalidacl', ['create with empty ACL list -> -114 InvalidACL'] +
           meta(1, 'create', 'CreateRequest', 'ReplyHeader{err=-114}', HDR_VAR), [(None, req, fr)])
    req, fr, _ = exchange(c, OP_CREATE2, create_body('/g/c2', b'x', A, 0))
    golden('create2', ['create2 /g/c2 data "x" -> Create2Response{path,stat}'] +
           meta(15, 'create2', 'CreateRequest', 'ReplyHeader Create2Response{path,stat}', HDR_VAR + ', ' + STAT_VAR),
           [(None, req, fr)])
    req, fr, _ = exchange(c, OP_CREATE, create_body('/g/s-', b'', A, 2))
    req2, fr2, _ = exchange(c, OP_CREATE, create_body('/g/s-', b'', A, 2))
    golden('create_sequential', ['two PERSISTENT_SEQUENTIAL creates under /g (which has 1 child c2 already -> suffixes 0000000001, 0000000002)'] +
           meta(1, 'create', 'CreateRequest{flags=2}', 'CreateResponse{path with %010d suffix}', HDR_VAR),
           [(None, req, fr), (None, req2, fr2)])
    req, fr, _ = exchange(c, OP_CREATE2, create_body('/g/eph', b'', A, 1))
    golden('create2_ephemeral', ['create2 EPHEMERAL: Stat.ephemeralOwner = session id'] +
           meta(15, 'create2', 'CreateRequest{flags=1}', 'Create2Response', HDR_VAR + ', ' + STAT_VAR + ', Stat.ephemeralOwner'),
           [(None, req, fr)])
    req, fr, _ = exchange(c, OP_CREATE, create_body('/g/eph/child', b'', A, 0))
    golden('create_child_of_ephemeral', ['child of ephemeral -> -108 NoChildrenForEphemerals'] +
           meta(1, 'create', 'CreateRequest', 'ReplyHeader{err=-108}', HDR_VAR), [(None, req, fr)])
    req, fr, _ = exchange(c, OP_CREATECONTAINER, create_body('/g/cont', b'', A, 4))
    golden('createContainer', ['createContainer /g/cont flags 4 -> Create2Response; Stat.ephemeralOwner shown as 0'] +
           meta(19, 'createContainer', 'CreateRequest{flags=4}', 'Create2Response{path,stat}', HDR_VAR + ', ' + STAT_VAR),
           [(None, req, fr)])
    req, fr, _ = exchange(c, OP_CREATETTL, create_ttl_body('/g/ttl', b'', A, 5, 3600000))
    golden('createTTL', ['createTTL /g/ttl flags 5 ttl 3600000 -> Create2Response; ephemeralOwner shown as 0'] +
           meta(21, 'createTTL', 'CreateTTLRequest{path,data,acl,flags,ttl:long}', 'Create2Response{path,stat}',
                HDR_VAR + ', ' + STAT_VAR), [(None, req, fr)])
    req, fr, _ = exchange(c, OP_CREATETTL, create_ttl_body('/g/ttl0', b'', A, 5, 0))
    golden('createTTL_ttl0', ['createTTL with ttl 0 -> -8 BadArguments (extendedTypesEnabled=true)'] +
           meta(21, 'createTTL', 'CreateTTLRequest', 'ReplyHeader{err=-8}', HDR_VAR), [(None, req, fr)])
    req, fr, _ = exchange(c, OP_EXISTS, path_watch_body('/g', False))
    req2, fr2, _ = exchange(c, OP_EXISTS, path_watch_body('/missing', False))
    golden('exists', ['exists /g (no watch) -> ExistsResponse{stat}; exists /missing -> -101, no body'] +
           meta(3, 'exists', 'ExistsRequest{path,watch}', 'ExistsResponse{stat} | ReplyHeader{err=-101}',
                HDR_VAR + ', ' + STAT_VAR), [('existing', req, fr), ('missing', req2, fr2)])
    req, fr, _ = exchange(c, OP_GETDATA, path_watch_body('/g', False))
    req2, fr2, _ = exchange(c, OP_GETDATA, path_watch_body('/missing', False))
    golden('getData', ['getData /g -> GetDataResponse{data="hello",stat}; missing -> -101'] +
           meta(4, 'getData', 'GetDataRequest{path,watch}', 'GetDataResponse{data,stat}', HDR_VAR + ', ' + STAT_VAR),
           [('existing', req, fr), ('missing', req2, fr2)])
    req, fr, _ = exchange(c, OP_SETDATA, setdata_body('/g', b'world', -1))
    req2, fr2, _ = exchange(c, OP_SETDATA, setdata_body('/g', b'x', 7))
    golden('setData', ['setData /g "world" version -1 -> SetDataResponse{stat} (version 1); then version 7 -> -103 BadVersion'] +
           meta(5, 'setData', 'SetDataRequest{path,data,version}', 'SetDataResponse{stat}', HDR_VAR + ', ' + STAT_VAR),
           [('ok', req, fr), ('bad version', req2, fr2)])
    req, fr, _ = exchange(c, OP_GETACL, ustr('/g'))
    golden('getACL', ['getACL /g -> GetACLResponse{acl,stat}'] +
           meta(6, 'getACL', 'GetACLRequest{path}', 'GetACLResponse{acl:vector<ACL{perms,id{scheme,id}}>,stat}',
                HDR_VAR + ', ' + STAT_VAR), [(None, req, fr)])
    req, fr, _ = exchange(c, OP_SETACL, setacl_body('/g', [(31, 'world', 'anyone')], 0))
    req2, fr2, _ = exchange(c, OP_SETACL, setacl_body('/g', [(31, 'world', 'anyone')], 0))
    golden('setACL', ['setACL /g version 0 -> SetACLResponse{stat} (aversion 1); again with version 0 -> -103'] +
           meta(7, 'setACL', 'SetACLRequest{path,acl,version}', 'SetACLResponse{stat}', HDR_VAR + ', ' + STAT_VAR),
           [('ok', req, fr), ('bad version', req2, fr2)])
    # digest-masked getACL
    import base64
    import hashlib
    dg = 'bob:' + base64.b64encode(hashlib.sha1(b'bob:pw').digest()).decode()
    exchange(c, OP_CREATE, create_body('/gacl', b'', [(31, 'digest', dg), (1, 'world', 'anyone')], 0))
    req, fr, _ = exchange(c, OP_GETACL, ustr('/gacl'))
    golden('getACL_digest_masked', [
        'getACL on a node with ACL [(31,digest,%s),(1,world,anyone)] from a session WITHOUT ADMIN:' % dg,
        'digest id is masked to "bob:x"'] +
        meta(6, 'getACL', 'GetACLRequest', 'GetACLResponse', HDR_VAR + ', ' + STAT_VAR), [(None, req, fr)])
    # children
    req, fr, _ = exchange(c, OP_CREATE, create_body('/kids', b'', A, 0))
    exchange(c, OP_CREATE, create_body('/kids/a', b'', A, 0))
    req, fr, _ = exchange(c, OP_GETCHILDREN, path_watch_body('/kids', False))
    req2, fr2, _ = exchange(c, OP_GETCHILDREN, path_watch_body('/g/ttl', False))
    golden('getChildren', ['getChildren /kids (one child "a") -> GetChildrenResponse{children}; leaf -> empty vector'] +
           meta(8, 'getChildren', 'GetChildrenRequest{path,watch}', 'GetChildrenResponse{children:vector<ustring>}', HDR_VAR),
           [('one child', req, fr), ('leaf', req2, fr2)])
    req, fr, _ = exchange(c, OP_GETCHILDREN2, path_watch_body('/kids', False))
    golden('getChildren2', ['getChildren2 /kids -> GetChildren2Response{children,stat}'] +
           meta(12, 'getChildren2', 'GetChildren2Request{path,watch}', 'GetChildren2Response{children,stat}',
                HDR_VAR + ', ' + STAT_VAR), [(None, req, fr)])
    req, fr, _ = exchange(c, OP_DELETE, delete_body('/kids/a', -1))
    req2, fr2, _ = exchange(c, OP_DELETE, delete_body('/kids/a', -1))
    req3, fr3, _ = exchange(c, OP_DELETE, delete_body('/g', -1))
    golden('delete', ['delete /kids/a -> ok (no body); again -> -101; delete non-empty /g -> -111 NotEmpty'] +
           meta(2, 'delete', 'DeleteRequest{path,version}', 'ReplyHeader only', HDR_VAR),
           [('ok', req, fr), ('missing', req2, fr2), ('not empty', req3, fr3)])
    req, fr, _ = exchange(c, OP_SYNC, ustr('/g'))
    golden('sync', ['sync /g -> SyncResponse{path}; zxid = last zxid, none consumed'] +
           meta(9, 'sync', 'SyncRequest{path}', 'SyncResponse{path}', HDR_VAR), [(None, req, fr)])
    req, fr, _ = exchange(c, OP_PING, b'', xid=-2)
    golden('ping', ['ping, xid -2 -> reply xid -2, zxid = last zxid, err 0'] +
           meta(11, 'ping', 'RequestHeader{xid=-2,type=11}', 'ReplyHeader{xid=-2}', HDR_VAR), [(None, req, fr)])

    # ---------------------------------------------------------------- multi
    exchange(c, OP_CREATE, create_body('/mm', b'', A, 0))
    req, fr, _ = exchange(c, OP_MULTI, multi_body([
        (OP_CREATE, create_body('/mm/a', b'x', A, 0)),
        (OP_SETDATA, setdata_body('/mm/a', b'y', -1)),
        (OP_CHECK, check_body('/mm/a', 1)),
        (OP_CREATE2, create_body('/mm/b', b'', A, 0)),
        (OP_CREATECONTAINER, create_body('/mm/c', b'', A, 4)),
        (OP_CREATETTL, create_ttl_body('/mm/t', b'', A, 5, 60000)),
        (OP_DELETE, delete_body('/mm/a', -1))]))
    golden('multi_success', [
        'multi [create /mm/a, setData /mm/a, check /mm/a v1, create2 /mm/b, createContainer /mm/c, createTTL /mm/t, delete /mm/a]',
        'NOTE: create2 inside multi yields a type-1 result (path only); createContainer/createTTL yield type-15 (path+stat).',
        'all sub-ops share one zxid/time'] +
        meta(14, 'multi', 'MultiHeader{type,done=false,err=-1}+op ... MultiHeader{-1,true,-1}',
             'MultiHeader{type,done=false,err=0}+result ... MultiHeader{-1,true,-1}', HDR_VAR + ', ' + STAT_VAR),
        [(None, req, fr)])
    req, fr, _ = exchange(c, OP_MULTI, multi_body([
        (OP_CREATE, create_body('/mm/p', b'', A, 0)),
        (OP_CREATE, create_body('/mm', b'', A, 0)),
        (OP_SETDATA, setdata_body('/mm/p', b'z', -1))]))
    golden('multi_partial_failure', [
        'multi [create /mm/p (would succeed), create /mm (exists), setData /mm/p]',
        'ReplyHeader.err = 0; results: ErrorResult(0), ErrorResult(-110), ErrorResult(-2); each as',
        'MultiHeader{type=-1,done=false,err=E} ErrorResponse{err=E}. Nothing applied, one zxid consumed.'] +
        meta(14, 'multi', 'multi ops', 'ErrorResults', HDR_VAR), [(None, req, fr)])
    req, fr, _ = exchange(c, OP_MULTI, multi_body([]))
    golden('multi_empty', ['multi with no ops -> empty result list (just end marker); consumes a zxid'] +
           meta(14, 'multi', 'MultiHeader{-1,true,-1}', 'MultiHeader{-1,true,-1}', HDR_VAR), [(None, req, fr)])
    req, fr, _ = exchange(c, OP_MULTIREAD, multi_body([
        (OP_GETDATA, path_watch_body('/mm/b')),
        (OP_GETDATA, path_watch_body('/mm/missing')),
        (OP_GETCHILDREN, path_watch_body('/kids'))]))
    golden('multiRead', [
        'multiRead [getData /mm/b, getData /mm/missing, getChildren /kids (empty)] -> getData result (type 4), ',
        'ErrorResult(-101) as MultiHeader{-1,false,-101}+{-101}, getChildren result (type 8). Header err 0.'] +
        meta(22, 'multiRead', 'MultiHeader+GetDataRequest/GetChildrenRequest', 'MultiHeader+GetDataResponse/GetChildrenResponse',
             HDR_VAR + ', ' + STAT_VAR), [(None, req, fr)])
    req, fr, _ = exchange(c, OP_MULTI, multi_body([(OP_GETDATA, path_watch_body('/mm/b'))]))
    golden('multi_with_read_op', ['multi containing getData -> ReplyHeader err -5 MarshallingError, no body; consumes a zxid'] +
           meta(14, 'multi', 'multi with getData', 'ReplyHeader{err=-5}', HDR_VAR), [(None, req, fr)])

    # ---------------------------------------------------------------- watches
    exchange(c, OP_CREATE, create_body('/wt', b'', A, 0))
    req, fr, _ = exchange(c, OP_GETDATA, path_watch_body('/wt', True))
    req2, fr2, _ = exchange(c, OP_SETDATA, setdata_body('/wt', b'changed', -1))
    golden('watch_notification', [
        'getData /wt watch=true, then setData /wt on the SAME connection:',
        'the NodeDataChanged notification (xid -1, zxid -1 in 3.8.0, err 0, WatcherEvent{type=3,state=3,path}) arrives BEFORE the setData reply'] +
        meta(0, 'notification', 'GetDataRequest / SetDataRequest', 'WatcherEvent{type,state,path}',
             HDR_VAR + ' (not of the notification: always -1), ' + STAT_VAR),
        [('set watch', req, fr), ('trigger', req2, fr2)])
    req, fr, _ = exchange(c, OP_EXISTS, path_watch_body('/wt', True))
    req2, fr2, _ = exchange(c, OP_CHECKWATCHES, watches_body('/wt', 2))
    req3, fr3, _ = exchange(c, OP_CHECKWATCHES, watches_body('/wt', 1))
    golden('checkWatches', ['exists /wt watch; checkWatches data(2) -> ok; checkWatches children(1) -> -121 NoWatcher'] +
           meta(17, 'checkWatches', 'CheckWatchesRequest{path,type}', 'ReplyHeader only', HDR_VAR),
           [('set', req, fr), ('data', req2, fr2), ('children', req3, fr3)])
    req, fr, _ = exchange(c, OP_REMOVEWATCHES, watches_body('/wt', 2))
    req2, fr2, _ = exchange(c, OP_REMOVEWATCHES, watches_body('/wt', 3))
    req3, fr3, _ = exchange(c, OP_REMOVEWATCHES, watches_body('/wt', 4))
    golden('removeWatches', ['removeWatches data(2) -> ok, no notification; again Any(3) -> -121; type 4 -> -5 (3.8.0 rejects 4/5)'] +
           meta(18, 'removeWatches', 'RemoveWatchesRequest{path,type}', 'ReplyHeader only', HDR_VAR),
           [('data', req, fr), ('any, none left', req2, fr2), ('persistent type 4', req3, fr3)])
    req, fr, _ = exchange(c, OP_ADDWATCH, addwatch_body('/wt', 0))
    req2, fr2, _ = exchange(c, OP_SETDATA, setdata_body('/wt', b'a', -1))
    req3, fr3, _ = exchange(c, OP_SETDATA, setdata_body('/wt', b'b', -1))
    req4, fr4, _ = exchange(c, OP_ADDWATCH, addwatch_body('/wt', 1))
    req5, fr5, _ = exchange(c, OP_CREATE, create_body('/wt/k', b'', A, 0))
    req6, fr6, _ = exchange(c, OP_REMOVEWATCHES, watches_body('/wt', 3))
    golden('addWatch', [
        'addWatch /wt PERSISTENT(0) -> reply has 4-byte body 00000000; two setData -> notification each time;',
        'addWatch PERSISTENT_RECURSIVE(1) replaces mode; create /wt/k -> NodeCreated /wt/k; removeWatches Any -> ok'] +
        meta(106, 'addWatch', 'AddWatchRequest{path,mode}', 'ReplyHeader + ErrorResponse{err=0}', HDR_VAR + ', ' + STAT_VAR),
        [('add persistent', req, fr), ('setData 1', req2, fr2), ('setData 2', req3, fr3),
         ('add recursive', req4, fr4), ('create child', req5, fr5), ('remove any', req6, fr6)])
    # setWatches: new session, old relZxid
    exchange(c, OP_CREATE, create_body('/sw', b'', A, 0))
    exchange(c, OP_CREATE, create_body('/sw/d', b'', A, 0))
    exchange(c, OP_CREATE, create_body('/sw/same', b'', A, 0))
    _, fr0, _ = exchange(c, OP_EXISTS, path_watch_body('/sw'))
    rel = decode_reply_header(fr0[-1])[1]
    exchange(c, OP_SETDATA, setdata_body('/sw/d', b'v2', -1))
    exchange(c, OP_CREATE, create_body('/sw/new', b'', A, 0))
    s = Conn(port=PORT)
    s.handshake()
    req, fr, _ = exchange(s, OP_SETWATCHES, setwatches_body(rel, data=['/sw/d', '/sw/same', '/sw/gone'],
                                                             exist=['/sw/new', '/sw/notyet'], child=['/sw']), xid=-8)
    golden('setWatches', [
        'new session sends setWatches(xid -8) with relativeZxid taken before: setData /sw/d, create /sw/new.',
        'data=[/sw/d (changed), /sw/same (unchanged), /sw/gone (missing)] exist=[/sw/new (exists), /sw/notyet] child=[/sw (pzxid>rel)]',
        'catch-up notifications come BEFORE the reply: DataChanged /sw/d, Deleted /sw/gone, Created /sw/new, ChildrenChanged /sw'] +
        meta(101, 'setWatches', 'SetWatches{relativeZxid,dataWatches,existWatches,childWatches}', 'notifications..., ReplyHeader{xid=-8}',
             HDR_VAR + ', request relativeZxid'), [(None, req, fr)])
    req, fr, _ = exchange(s, OP_SETWATCHES2, setwatches2_body(rel, data=['/sw/d'], persistent=['/sw/same'], recursive=['/sw']), xid=-8)
    golden('setWatches2', [
        'setWatches2 (105): data=[/sw/d] persistent=[/sw/same] recursive=[/sw]; only the data watch produces a catch-up event'] +
        meta(105, 'setWatches2', 'SetWatches2{relativeZxid,data,exist,child,persistent,persistentRecursive}',
             'notifications..., ReplyHeader{xid=-8}', HDR_VAR + ', request relativeZxid'), [(None, req, fr)])
    s.close()

    # ---------------------------------------------------------------- auth / whoAmI / misc
    req, fr, _ = exchange(c, OP_WHOAMI, b'')
    req2, fr2, _ = exchange(c, OP_AUTH, auth_body('digest', b'bob:pw'), xid=-4)
    req3, fr3, _ = exchange(c, OP_WHOAMI, b'')
    golden('auth_whoAmI', [
        'whoAmI before auth -> [(ip,127.0.0.1)]; auth digest bob:pw (xid -4) -> reply xid -4 zxid 0 err 0;',
        'whoAmI after -> [(digest,bob),(ip,127.0.0.1)] (Java HashSet order)'] +
        meta(107, 'whoAmI / auth(100)', 'RequestHeader only / AuthPacket{type=0,scheme,auth}',
             'WhoAmIResponse{vector<ClientInfo{authScheme,user}>} / ReplyHeader{xid=-4,zxid=0}', HDR_VAR + ' (whoAmI only)'),
        [('whoAmI', req, fr), ('auth', req2, fr2), ('whoAmI', req3, fr3)])
    req, fr, _ = exchange(c, OP_GETACL, ustr('/gacl'))
    golden('getACL_digest_admin', ['same node as getACL_digest_masked, after addauth bob:pw (has ADMIN): full digest shown'] +
           meta(6, 'getACL', 'GetACLRequest', 'GetACLResponse', HDR_VAR + ', ' + STAT_VAR), [(None, req, fr)])
    b = Conn(port=PORT)
    b.handshake()
    req, fr, closed = exchange(b, OP_AUTH, auth_body('foo', b'x'), xid=-4)
    golden('auth_bad_scheme', ['auth with unknown scheme "foo" -> reply xid -4 zxid 0 err -115 AuthFailed, then server closes (closed=%s)' % closed] +
           meta(100, 'auth', 'AuthPacket', 'ReplyHeader{err=-115}', 'none'), [(None, req, fr)])
    exchange(c, OP_CREATE, create_body('/eph1', b'', A, 1))
    req, fr, _ = exchange(c, OP_GETEPHEMERALS, ustr('/'))
    req2, fr2, _ = exchange(c, OP_GETEPHEMERALS, ustr('/eph'))
    golden('getEphemerals', ['getEphemerals "/" -> this session\'s ephemerals [/g/eph, /eph1] (set order); prefix "/eph" -> string prefix match: [/eph1]'] +
           meta(103, 'getEphemerals', 'GetEphemeralsRequest{prefixPath}', 'GetEphemeralsResponse{ephemerals:vector<ustring>}', HDR_VAR),
           [('all', req, fr), ('prefix', req2, fr2)])
    req, fr, _ = exchange(c, OP_GETALLCHILDRENNUMBER, ustr('/'))
    req2, fr2, _ = exchange(c, OP_GETALLCHILDRENNUMBER, ustr('/zookeeper'))
    golden('getAllChildrenNumber', ['getAllChildrenNumber "/" (all descendants incl. /zookeeper subtree) and "/zookeeper" (=2)'] +
           meta(104, 'getAllChildrenNumber', 'GetAllChildrenNumberRequest{path}', 'GetAllChildrenNumberResponse{totalNumber:int}', HDR_VAR),
           [('root', req, fr), ('/zookeeper', req2, fr2)])
    req, fr, closed = exchange(c, 999, ustr('/'))
    golden('unknown_opcode', ['opcode 999 -> ReplyHeader{xid, zxid=-1, err=-6 Unimplemented}, then connection closed (closed=%s); session survives' % closed] +
           meta(999, 'unknown', 'RequestHeader + junk', 'ReplyHeader{zxid=-1,err=-6}', 'none'), [(None, req, fr)])
    c.close()
    c = Conn(port=PORT)
    c.handshake()
    req, fr, _ = exchange(c, OP_SASL, buf(b''))
    golden('sasl_unconfigured', ['sasl (102) with empty token, no SASL configured -> ReplyHeader{zxid=0,err=0} SetSASLResponse{token=null(-1)}'] +
           meta(102, 'sasl', 'GetSASLRequest{token}', 'SetSASLResponse{token}', 'none'), [(None, req, fr)])
    req, fr, _ = exchange(c, OP_RECONFIG, reconfig_body('', '', '', -1))
    golden('reconfig_disabled', ['reconfig (16) on standalone with reconfigEnabled=false -> -123 ReconfigDisabled (error txn, consumes zxid)'] +
           meta(16, 'reconfig', 'ReconfigRequest{joiningServers,leavingServers,newMembers,curConfigId}', 'ReplyHeader{err=-123}', HDR_VAR),
           [(None, req, fr)])
    req, fr, _ = exchange(c, OP_DELETECONTAINER, ustr('/g/cont'))
    golden('deleteContainer_from_client', ['deleteContainer (20) sent by a client on an empty container -> -8, nothing deleted'] +
           meta(20, 'deleteContainer', 'path', 'ReplyHeader{err=-8}', HDR_VAR), [(None, req, fr)])
    req, fr, closed = exchange(c, OP_CLOSESESSION, b'')
    golden('closeSession', ['closeSession (-11) -> ReplyHeader{xid, zxid of closeSession txn, 0}, then server closes (closed=%s)' % closed] +
           meta(-11, 'closeSession', 'RequestHeader only', 'ReplyHeader', HDR_VAR), [(None, req, fr)])


if __name__ == '__main__':
    main()
