"""Raw ZooKeeper 3.8 client wire protocol (jute) in pure Python, stdlib only.

One `Session` is one TCP connection.  Requests can be pipelined (`send`
returns the xid; `wait` collects the matching reply); every message the server
sends is kept in arrival order (`Session.inbox`), notifications (xid -1)
included.  `send_raw` writes arbitrary bytes for malformed-input tests.

Encoding reference: zookeeper-jute `zookeeper.jute`, ZooKeeper 3.8.0.
"""

import hashlib
import base64
import socket
import struct
import time

# --------------------------------------------------------------------------
# constants

OP = dict(
    notification=0, create=1, delete=2, exists=3, getData=4, setData=5,
    getACL=6, setACL=7, getChildren=8, sync=9, ping=11, getChildren2=12,
    check=13, multi=14, create2=15, reconfig=16, checkWatches=17,
    removeWatches=18, createContainer=19, deleteContainer=20, createTTL=21,
    multiRead=22, auth=100, setWatches=101, sasl=102, getEphemerals=103,
    getAllChildrenNumber=104, setWatches2=105, addWatch=106, whoAmI=107,
    createSession=-10, closeSession=-11, error=-1,
)
OP_NAME = {v: k for k, v in OP.items()}

ERR = {
    0: "OK", -1: "SystemError", -2: "RuntimeInconsistency", -3: "DataInconsistency",
    -4: "ConnectionLoss", -5: "MarshallingError", -6: "Unimplemented",
    -7: "OperationTimeout", -8: "BadArguments", -12: "UnknownSession",
    -13: "NewConfigNoQuorum", -14: "ReconfigInProgress", -100: "APIError",
    -101: "NoNode", -102: "NoAuth", -103: "BadVersion",
    -108: "NoChildrenForEphemerals", -110: "NodeExists", -111: "NotEmpty",
    -112: "SessionExpired", -113: "InvalidCallback", -114: "InvalidACL",
    -115: "AuthFailed", -118: "SessionMoved", -119: "NotReadOnly",
    -120: "EphemeralOnLocalSession", -121: "NoWatcher", -122: "RequestTimeout",
    -123: "ReconfigDisabled", -124: "SessionClosedRequireSaslAuth",
    -125: "QuotaExceeded", -127: "ThrottledOp",
}
EVENT = {-1: "None", 1: "NodeCreated", 2: "NodeDeleted", 3: "NodeDataChanged",
         4: "NodeChildrenChanged", 5: "DataWatchRemoved", 6: "ChildWatchRemoved",
         7: "PersistentWatchRemoved"}
STATE = {0: "Disconnected", 3: "SyncConnected", 4: "AuthFailed",
         5: "ConnectedReadOnly", 6: "SaslAuthenticated", 7: "Closed",
         -112: "Expired"}

# create flags
PERSISTENT, EPHEMERAL, PERSISTENT_SEQUENTIAL, EPHEMERAL_SEQUENTIAL = 0, 1, 2, 3
CONTAINER, PERSISTENT_WITH_TTL, PERSISTENT_SEQUENTIAL_WITH_TTL = 4, 5, 6
# WatcherType for checkWatches / removeWatches
W_CHILDREN, W_DATA, W_ANY, W_PERSISTENT, W_PERSISTENT_RECURSIVE = 1, 2, 3, 4, 5
# AddWatchMode
ADD_PERSISTENT, ADD_PERSISTENT_RECURSIVE = 0, 1
# permissions
READ, WRITE, CREATE, DELETE, ADMIN, ALL = 1, 2, 4, 8, 16, 31

XID_NOTIFICATION, XID_PING, XID_AUTH, XID_SET_WATCHES = -1, -2, -4, -8

STAT_FIELDS = ("czxid", "mzxid", "ctime", "mtime", "version", "cversion",
               "aversion", "ephemeralOwner", "dataLength", "numChildren", "pzxid")


def acl(perms, scheme, ident):
    return (perms, scheme, ident)


OPEN_ACL_UNSAFE = [(ALL, "world", "anyone")]
READ_ACL_UNSAFE = [(READ, "world", "anyone")]
CREATOR_ALL_ACL = [(ALL, "auth", "")]


def digest_id(user, password):
    """The id of a digest ACL: user:base64(sha1(user:password))."""
    h = hashlib.sha1(f"{user}:{password}".encode()).digest()
    return f"{user}:{base64.b64encode(h).decode()}"


class ConnectionClosed(Exception):
    pass


class Timeout(Exception):
    pass


class DecodeError(Exception):
    pass


# --------------------------------------------------------------------------
# jute encoding


class Writer:
    def __init__(self):
        self.parts = []

    def int(self, v):
        self.parts.append(struct.pack(">i", v)); return self

    def long(self, v):
        self.parts.append(struct.pack(">q", v)); return self

    def bool(self, v):
        self.parts.append(b"\x01" if v else b"\x00"); return self

    def buffer(self, b):
        if b is None:
            return self.int(-1)
        if isinstance(b, str):
            b = b.encode()
        self.int(len(b)); self.parts.append(bytes(b)); return self

    def string(self, s):
        if s is None:
            return self.int(-1)
        return self.buffer(s.encode("utf-8") if isinstance(s, str) else s)

    def strings(self, xs):
        if xs is None:
            return self.int(-1)
        self.int(len(xs))
        for x in xs:
            self.string(x)
        return self

    def acls(self, acls):
        if acls is None:
            return self.int(-1)
        self.int(len(acls))
        for perms, scheme, ident in acls:
            self.int(perms).string(scheme).string(ident)
        return self

    def raw(self, b):
        self.parts.append(bytes(b)); return self

    def bytes(self):
        return b"".join(self.parts)


class Reader:
    def __init__(self, data):
        self.data = data
        self.pos = 0

    def remaining(self):
        return len(self.data) - self.pos

    def _take(self, n):
        if n < 0 or self.pos + n > len(self.data):
            raise DecodeError(f"need {n} bytes at {self.pos}, have {len(self.data) - self.pos}")
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def int(self):
        return struct.unpack(">i", self._take(4))[0]

    def long(self):
        return struct.unpack(">q", self._take(8))[0]

    def bool(self):
        return self._take(1) != b"\x00"

    def buffer(self):
        n = self.int()
        if n < 0:
            return None
        return self._take(n)

    def string(self):
        b = self.buffer()
        return None if b is None else b.decode("utf-8", errors="backslashreplace")

    def strings(self):
        n = self.int()
        if n < 0:
            return None
        return [self.string() for _ in range(n)]

    def stat(self):
        return dict(czxid=self.long(), mzxid=self.long(), ctime=self.long(),
                    mtime=self.long(), version=self.int(), cversion=self.int(),
                    aversion=self.int(), ephemeralOwner=self.long(),
                    dataLength=self.int(), numChildren=self.int(),
                    pzxid=self.long())

    def acls(self):
        n = self.int()
        if n < 0:
            return None
        return [(self.int(), self.string(), self.string()) for _ in range(n)]


# --------------------------------------------------------------------------
# request bodies; each takes keyword arguments and returns bytes


def _create(w, a):
    w.string(a["path"]).buffer(a.get("data", b"")).acls(a.get("acl", OPEN_ACL_UNSAFE)).int(a.get("flags", 0))
    if "ttl" in a:
        w.long(a["ttl"])


def _path_watch(w, a):
    w.string(a["path"]).bool(a.get("watch", False))


def _path(w, a):
    w.string(a["path"])


def _path_version(w, a):
    w.string(a["path"]).int(a.get("version", -1))


def _path_type(w, a):
    w.string(a["path"]).int(a["type"])


def _set_watches(w, a):
    w.long(a.get("relativeZxid", 0)).strings(a.get("data", [])).strings(a.get("exist", [])).strings(a.get("child", []))
    if a.get("_v2"):
        w.strings(a.get("persistent", [])).strings(a.get("persistentRecursive", []))


def _multi(w, a):
    for op in a["ops"]:
        name, args = op[0], op[1]
        code = OP[name]
        w.int(code).bool(False).int(-1)
        REQUEST_ENCODERS[name](w, args)
    w.int(-1).bool(True).int(-1)


REQUEST_ENCODERS = {
    "create": _create, "create2": _create, "createContainer": _create,
    "createTTL": _create,
    "delete": _path_version, "check": _path_version,
    "exists": _path_watch, "getData": _path_watch, "getChildren": _path_watch,
    "getChildren2": _path_watch,
    "setData": lambda w, a: w.string(a["path"]).buffer(a.get("data", b"")).int(a.get("version", -1)),
    "getACL": _path,
    "setACL": lambda w, a: w.string(a["path"]).acls(a["acl"]).int(a.get("version", -1)),
    "sync": _path, "getAllChildrenNumber": _path,
    "getEphemerals": lambda w, a: w.string(a.get("prefixPath", a.get("path", "/"))),
    "checkWatches": _path_type, "removeWatches": _path_type,
    "addWatch": lambda w, a: w.string(a["path"]).int(a.get("mode", ADD_PERSISTENT)),
    "multi": _multi, "multiRead": _multi,
    "auth": lambda w, a: w.int(a.get("type", 0)).string(a["scheme"]).buffer(a.get("auth", b"")),
    "setWatches": _set_watches,
    "setWatches2": lambda w, a: _set_watches(w, dict(a, _v2=True)),
    "sasl": lambda w, a: w.buffer(a.get("token", b"")),
    "reconfig": lambda w, a: w.string(a.get("joining")).string(a.get("leaving")).string(a.get("members")).long(a.get("configId", -1)),
    "ping": lambda w, a: None, "closeSession": lambda w, a: None,
    "whoAmI": lambda w, a: None,
}

SPECIAL_XID = {"ping": XID_PING, "auth": XID_AUTH, "setWatches": XID_SET_WATCHES,
               "setWatches2": XID_SET_WATCHES}


def encode_request(xid, name, args):
    w = Writer().int(xid).int(OP[name])
    REQUEST_ENCODERS[name](w, args)
    return w.bytes()


# --------------------------------------------------------------------------
# response bodies


def _r_none(r):
    return {}


def _r_path(r):
    return {"path": r.string()}


def _r_path_stat(r):
    return {"path": r.string(), "stat": r.stat()}


def _r_stat(r):
    return {"stat": r.stat()}


def _r_data_stat(r):
    return {"data": r.buffer(), "stat": r.stat()}


def _r_children(r):
    return {"children": r.strings()}


def _r_children_stat(r):
    return {"children": r.strings(), "stat": r.stat()}


def _r_multi(r):
    results = []
    while True:
        typ, done, err = r.int(), r.bool(), r.int()
        if done:
            return {"results": results, "end": (typ, err)}
        name = OP_NAME.get(typ, str(typ))
        if typ == OP["error"]:
            res = {"err": r.int(), "hdr_err": err}
        else:
            dec = MULTI_RESULT_DECODERS.get(name)
            if dec is None:
                raise DecodeError(f"unknown multi result type {typ}")
            res = dec(r)
            if err != 0:
                res["hdr_err"] = err
        results.append((name, res))


def _r_connect(r):
    return {}


MULTI_RESULT_DECODERS = {
    "create": _r_path, "create2": _r_path_stat, "createTTL": _r_path_stat,
    "createContainer": _r_path_stat, "delete": _r_none, "check": _r_none,
    "setData": _r_stat, "getChildren": _r_children, "getData": _r_data_stat,
}

RESPONSE_DECODERS = {
    "create": _r_path, "create2": _r_path_stat, "createContainer": _r_path_stat,
    "createTTL": _r_path_stat, "delete": _r_none, "exists": _r_stat,
    "getData": _r_data_stat, "setData": _r_stat,
    "getACL": lambda r: {"acl": r.acls(), "stat": r.stat()},
    "setACL": _r_stat, "getChildren": _r_children, "getChildren2": _r_children_stat,
    "sync": _r_path, "ping": _r_none, "check": _r_none, "multi": _r_multi,
    "multiRead": _r_multi, "checkWatches": _r_none, "removeWatches": _r_none,
    "auth": _r_none, "setWatches": _r_none, "setWatches2": _r_none,
    "sasl": lambda r: {"token": r.buffer()},
    "getEphemerals": lambda r: {"ephemerals": r.strings()},
    "getAllChildrenNumber": lambda r: {"totalNumber": r.int()},
    "addWatch": lambda r: {"err": r.int()} if r.remaining() else {},
    "whoAmI": lambda r: {"clientInfo": [(r.string(), r.string()) for _ in range(max(r.int(), 0))]},
    "closeSession": _r_none,
    "reconfig": _r_data_stat,
}


class Reply:
    """One server message. kind is 'reply', 'event' or 'unmatched'."""

    def __init__(self, kind, xid, zxid, err, op=None, body=None, raw=b"", decode_error=None):
        self.kind, self.xid, self.zxid, self.err = kind, xid, zxid, err
        self.op, self.body, self.raw, self.decode_error = op, body or {}, raw, decode_error

    def __repr__(self):
        return f"Reply({self.kind} xid={self.xid} zxid={self.zxid} err={self.err} op={self.op} body={self.body})"


# --------------------------------------------------------------------------
# session


class Session:
    """One client connection.  All reads go through `_read_one`, which
    appends to `inbox` in arrival order."""

    def __init__(self, host, port, connect_timeout=5.0, chroot=""):
        self.host, self.port = host, int(port)
        self.sock = socket.create_connection((self.host, self.port), timeout=connect_timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()
        self.closed = False
        self.next_xid = 1
        self.pending = []          # [(xid, opname)] in send order
        self.inbox = []            # every decoded message in arrival order
        self.events = []           # notifications not yet consumed by the caller
        self.session_id = 0
        self.passwd = b"\x00" * 16
        self.timeout = 0
        self.last_zxid = 0
        self.connect_response = None
        self.chroot = chroot.rstrip("/")

    # -- raw I/O -----------------------------------------------------------

    def send_raw(self, data):
        try:
            self.sock.sendall(data)
        except OSError as e:
            self.closed = True
            raise ConnectionClosed(str(e))

    def send_frame(self, body):
        self.send_raw(struct.pack(">i", len(body)) + body)

    def _fill(self, deadline):
        if self.closed:
            raise ConnectionClosed("closed")
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise Timeout()
        self.sock.settimeout(remaining)
        try:
            chunk = self.sock.recv(1 << 20)
        except socket.timeout:
            raise Timeout()
        except OSError as e:
            self.closed = True
            raise ConnectionClosed(str(e))
        if not chunk:
            self.closed = True
            raise ConnectionClosed("eof")
        self.buf += chunk

    def read_frame(self, timeout=10.0):
        deadline = time.monotonic() + timeout
        while len(self.buf) < 4:
            self._fill(deadline)
        n = struct.unpack(">i", self.buf[:4])[0]
        if n < 0 or n > 64 << 20:
            raise DecodeError(f"bad frame length {n}")
        while len(self.buf) < 4 + n:
            self._fill(deadline)
        frame = bytes(self.buf[4:4 + n])
        del self.buf[:4 + n]
        return frame

    def read_all_raw(self, timeout=2.0):
        """Read until EOF or timeout; return (bytes, closed)."""
        deadline = time.monotonic() + timeout
        try:
            while True:
                self._fill(deadline)
        except ConnectionClosed:
            out = bytes(self.buf); self.buf.clear(); return out, True
        except Timeout:
            out = bytes(self.buf); self.buf.clear(); return out, False

    def close_socket(self):
        try:
            self.sock.close()
        except OSError:
            pass
        self.closed = True

    # -- handshake ----------------------------------------------------------

    def connect_request(self, timeout_ms=30000, session_id=0, passwd=None, last_zxid=0,
                        read_only=False, with_read_only=True, protocol_version=0):
        w = Writer().int(protocol_version).long(last_zxid).int(timeout_ms).long(session_id)
        w.buffer(passwd if passwd is not None else b"\x00" * 16)
        if with_read_only:
            w.bool(read_only)
        return w.bytes()

    def connect(self, timeout_ms=30000, session_id=0, passwd=None, last_zxid=0,
                read_only=False, with_read_only=True, wait=10.0):
        """Handshake.  Returns the ConnectResponse as a dict; raises
        ConnectionClosed if the server hangs up instead."""
        self.send_frame(self.connect_request(timeout_ms, session_id, passwd, last_zxid,
                                             read_only, with_read_only))
        frame = self.read_frame(wait)
        return self._parse_connect_response(frame)

    def _parse_connect_response(self, frame):
        r = Reader(frame)
        resp = dict(protocolVersion=r.int(), timeOut=r.int(), sessionId=r.long(),
                    passwd=r.buffer(), frame_len=len(frame))
        resp["readOnly"] = r.bool() if r.remaining() >= 1 else None
        resp["trailing"] = r.remaining()
        self.connect_response = resp
        if resp["timeOut"] > 0:
            self.session_id = resp["sessionId"]
            self.passwd = resp["passwd"]
            self.timeout = resp["timeOut"]
        return resp

    # -- requests -----------------------------------------------------------

    def _chroot_in(self, name, args):
        if not self.chroot:
            return args
        a = dict(args)

        def fix(p):
            if p is None:
                return p
            return self.chroot if p == "/" else self.chroot + p
        for key in ("path", "prefixPath"):
            if key in a:
                a[key] = fix(a[key])
        for key in ("data", "exist", "child", "persistent", "persistentRecursive"):
            if name in ("setWatches", "setWatches2") and key in a:
                a[key] = [fix(p) for p in a[key]]
        if "ops" in a:
            a["ops"] = [(o[0], self._chroot_in(o[0], o[1])) for o in a["ops"]]
        return a

    def _chroot_out(self, p):
        if not self.chroot or p is None:
            return p
        if p == self.chroot:
            return "/"
        if p.startswith(self.chroot + "/"):
            return p[len(self.chroot):]
        return p

    def send(self, name, xid=None, **args):
        """Send one request; return its xid.  Reply comes via `wait`."""
        if xid is None:
            xid = SPECIAL_XID.get(name)
        if xid is None:
            xid = self.next_xid
            self.next_xid += 1
        args = self._chroot_in(name, args)
        body = encode_request(xid, name, args)
        self.pending.append((xid, name))
        self.send_frame(body)
        return xid

    def _decode(self, frame):
        r = Reader(frame)
        xid, zxid, err = r.int(), r.long(), r.int()
        if zxid > self.last_zxid:
            self.last_zxid = zxid
        if xid == XID_NOTIFICATION and not any(p[0] == XID_NOTIFICATION for p in self.pending):
            try:
                ev = dict(type=r.int(), state=r.int(), path=self._chroot_out(r.string()))
                return Reply("event", xid, zxid, err, op="notification", body=ev,
                             raw=frame[r.pos:] if r.remaining() else b"")
            except DecodeError as e:
                return Reply("event", xid, zxid, err, op="notification", raw=frame[16:], decode_error=str(e))
        idx = next((i for i, p in enumerate(self.pending) if p[0] == xid), None)
        if idx is None:
            return Reply("unmatched", xid, zxid, err, raw=frame[16:])
        _, name = self.pending.pop(idx)
        body, derr = {}, None
        rest = frame[16:]
        if err == 0 or rest:
            try:
                body = RESPONSE_DECODERS[name](r)
                if r.remaining():
                    body["_trailing"] = frame[r.pos:].hex()
            except DecodeError as e:
                derr = str(e)
                body = {}
        if self.chroot:
            if "path" in body:
                body["path"] = self._chroot_out(body["path"])
            if "ephemerals" in body and body["ephemerals"] is not None:
                body["ephemerals"] = [self._chroot_out(p) for p in body["ephemerals"]]
            if "results" in body:
                for _, res in body["results"]:
                    if "path" in res:
                        res["path"] = self._chroot_out(res["path"])
        return Reply("reply", xid, zxid, err, op=name, body=body, raw=rest, decode_error=derr)

    def read_message(self, timeout=10.0):
        frame = self.read_frame(timeout)
        msg = self._decode(frame)
        self.inbox.append(msg)
        if msg.kind == "event":
            self.events.append(msg)
        return msg

    def wait(self, xid, timeout=10.0):
        """Read messages until the reply with this xid arrives.  Returns the
        reply; notifications read meanwhile are in self.events."""
        deadline = time.monotonic() + timeout
        while True:
            msg = self.read_message(max(deadline - time.monotonic(), 0.001))
            if msg.kind != "event" and msg.xid == xid:
                return msg

    def call(self, name, timeout=10.0, **args):
        xid = self.send(name, **args)
        return self.wait(xid, timeout)

    def wait_events(self, n, timeout=10.0):
        """Read until at least n unconsumed notifications are queued."""
        deadline = time.monotonic() + timeout
        while len(self.events) < n:
            self.read_message(max(deadline - time.monotonic(), 0.001))
        return self.events

    def take_events(self):
        ev, self.events = self.events, []
        return ev

    # -- convenience wrappers ------------------------------------------------

    def auth(self, scheme, auth):
        return self.call("auth", scheme=scheme, auth=auth)

    def ping(self):
        return self.call("ping")

    def close_session(self, timeout=10.0):
        r = self.call("closeSession", timeout=timeout)
        return r


def connect(hostport, timeout_ms=30000, chroot="", **kw):
    host, port = hostport.rsplit(":", 1)
    s = Session(host, int(port), chroot=chroot)
    s.connect(timeout_ms=timeout_ms, **kw)
    return s


def four_letter(hostport, word, timeout=5.0, extra=b""):
    """Send a four-letter word on a fresh connection; return the text reply."""
    host, port = hostport.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=timeout) as s:
        s.sendall(word.encode() + extra)
        out = bytearray()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            s.settimeout(max(deadline - time.monotonic(), 0.01))
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        return out.decode("utf-8", errors="backslashreplace")
