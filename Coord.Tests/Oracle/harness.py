"""Scenario framework for the differential oracle: recorded sessions,
normalization, scenario context, setup and teardown."""

import hashlib
import os
import re
import struct
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import zkwire as z  # noqa: E402

REPLY_TIMEOUT = 5.0
# comparison switches (set from the command line, same for both servers)
OPTIONS = {"event_zxid": True}
ERROR_GRACE = 0.25   # seconds to wait for a hang-up after an error reply (see probe)

# --------------------------------------------------------------------------
# scenario registry

SCENARIOS = {}


class ScenarioDef:
    def __init__(self, name, fn, doc, divergent=None, slow=False):
        self.name, self.fn, self.doc, self.divergent, self.slow = name, fn, doc, divergent, slow


def scenario(name=None, divergent=None, slow=False):
    """Register a scenario function taking a `T` context.  `divergent` names
    a known, intended difference between ZooKeeper 3.8.0 and Coord; such
    scenarios run only when selected by name or with --all."""
    def deco(fn):
        n = name or fn.__name__
        if n in SCENARIOS:
            raise ValueError(f"duplicate scenario {n}")
        SCENARIOS[n] = ScenarioDef(n, fn, (fn.__doc__ or "").strip().split("\n")[0], divergent, slow)
        return fn
    return deco


class Abs(str):
    """A path that is used as-is instead of being placed under the scenario root."""


# --------------------------------------------------------------------------
# formatting / normalization


def fmt_data(b):
    if b is None:
        return "null"
    if len(b) <= 48:
        try:
            s = b.decode("ascii")
            if all(32 <= ord(c) < 127 for c in s):
                return repr(s)
        except UnicodeDecodeError:
            pass
        return "0x" + b.hex()
    return f"<{len(b)} bytes sha1={hashlib.sha1(b).hexdigest()[:12]}>"


def fmt_acl(acls):
    if acls is None:
        return "null"
    return "[" + ", ".join(f"{p}:{s}:{i}" for p, s, i in acls) + "]"


class Normalizer:
    def __init__(self, root):
        self.root = root
        self.base = None
        self.labels = {}
        self.t0 = int(time.time() * 1000)

    def zxid(self, v):
        if v in (0, -1):
            return str(v)
        if self.base is None:
            return "?"
        if v >= self.base:
            return f"+{v - self.base}"
        return "pre"

    def time(self, t):
        if t == 0:
            return "0"
        now = int(time.time() * 1000)
        if self.t0 - 120_000 <= t <= now + 120_000:
            return "T"
        return f"BADTIME({t})"

    def sid(self, v):
        if v == 0:
            return "0"
        return self.labels.get(v, "sid?")

    def stat(self, st, mask=()):
        if st is None:
            return "null"
        parts = []
        for key, short, kind in (("czxid", "cz", "z"), ("mzxid", "mz", "z"), ("pzxid", "pz", "z"),
                                 ("ctime", "ct", "t"), ("mtime", "mt", "t"), ("version", "v", "i"),
                                 ("cversion", "cv", "i"), ("aversion", "av", "i"),
                                 ("ephemeralOwner", "eo", "s"), ("dataLength", "dl", "i"),
                                 ("numChildren", "nc", "i")):
            if key in mask:
                parts.append(f"{short}=*")
                continue
            v = st[key]
            if kind == "z":
                v = self.zxid(v)
            elif kind == "t":
                v = self.time(v)
            elif kind == "s":
                v = self.sid(v)
            parts.append(f"{short}={v}")
        if not ({"ctime", "mtime"} & set(mask)) and st["mtime"] < st["ctime"]:
            parts.append("MTIME<CTIME")
        return "(" + " ".join(parts) + ")"


def fmt_args(name, a, norm=None):
    """Human-readable request description."""
    parts = []
    for key in ("path", "prefixPath"):
        if key in a:
            parts.append(str(a[key]))
    for key, val in a.items():
        if key in ("path", "prefixPath", "ops"):
            continue
        if key == "data":
            if name in ("setWatches", "setWatches2"):
                parts.append(f"data={list(val)}")
            else:
                parts.append(f"data={fmt_data(val if not isinstance(val, str) else val.encode())}")
        elif key == "acl":
            parts.append(f"acl={fmt_acl(val)}")
        elif key == "auth":
            parts.append(f"auth={fmt_data(val if not isinstance(val, str) else val.encode())}")
        elif key == "relativeZxid":
            parts.append("relZxid=" + (norm.zxid(val) if norm else str(val)))
        else:
            parts.append(f"{key}={val}")
    s = name + (" " + " ".join(parts) if parts else "")
    if "ops" in a:
        s += " [" + "; ".join(fmt_args(o[0], o[1], norm) for o in a["ops"]) + "]"
    return s


# --------------------------------------------------------------------------
# sessions as seen by scenarios


class OSession:
    """A labeled client session whose traffic is recorded in the transcript."""

    def __init__(self, t, label, chroot="", quiet=False):
        self.t, self.label, self.chroot, self.quiet = t, label, chroot, quiet
        self.s = None
        self.session_id = 0
        self.passwd = None
        self.established = False
        self.close_sent = False
        self.hung = False
        self.auto_drain = True

    # -- plumbing -----------------------------------------------------------

    def _log(self, line):
        if not self.quiet:
            self.t.log(line)

    def _flush_events(self):
        if self.s is None:
            return
        for ev in self.s.take_events():
            self._log(self.t.fmt_event(self.label, ev))

    def _open_socket(self):
        if self.s is not None and not self.s.closed:
            self.s.close_socket()
        self.s = z.Session(self.t.host, self.t.port, chroot=self.chroot)
        self.t._sockets.append(self.s)

    def connect(self, timeout_ms=30000, session_id=0, passwd=None, last_zxid=0, read_only=False,
                with_read_only=True, desc="connect", protocol_version=0):
        """Open a new socket and handshake.  Recorded."""
        self._open_socket()
        try:
            self.s.send_frame(self.s.connect_request(timeout_ms, session_id, passwd, last_zxid,
                                                     read_only, with_read_only, protocol_version))
        except z.ConnectionClosed:
            self._log(f"{self.label} {desc} -> CLOSED")
            return None
        return self.await_connect_response(desc)

    def await_connect_response(self, desc, wait=REPLY_TIMEOUT):
        """Read one frame as a ConnectResponse, record it, and adopt the
        session it names (so that teardown closes it)."""
        try:
            frame = self.s.read_frame(wait)
            resp = self.s._parse_connect_response(frame)
        except z.ConnectionClosed:
            self._log(f"{self.label} {desc} -> CLOSED")
            return None
        except z.Timeout:
            self._log(f"{self.label} {desc} -> NO REPLY")
            return None
        except z.DecodeError as e:
            self._log(f"{self.label} {desc} -> undecodable ConnectResponse {e}")
            return None
        if resp["timeOut"] > 0:
            if self.session_id == 0 and resp["sessionId"] not in self.t.norm.labels:
                self.t.norm.labels[resp["sessionId"]] = self.label
            if self.session_id == 0:
                self.session_id = resp["sessionId"]
                self.passwd = resp["passwd"]
            self.established = True
            self.close_sent = False
        line = (f"{self.label} {desc} -> proto={resp['protocolVersion']} timeout={resp['timeOut']} "
                f"sid={self.t.norm.sid(resp['sessionId'])} passwd=<{len(resp['passwd'] or b'')} bytes"
                f"{' zero' if resp['passwd'] and not any(resp['passwd']) else ''}> "
                f"ro={resp['readOnly']} len={resp['frame_len']}")
        if resp["trailing"]:
            line += f" trailing={resp['trailing']}"
        self._log(line)
        if resp["timeOut"] <= 0:
            # the server is expected to hang up now; record whether it does
            self._log(f"{self.label}   then {self.t.probe_closed(self.s)}")
        return resp

    def reconnect(self, passwd=None, session_id=None, last_zxid=None, timeout_ms=30000, desc="reconnect"):
        """New socket, resume this session (or the given id/password)."""
        sid = self.session_id if session_id is None else session_id
        pw = self.passwd if passwd is None else passwd
        lz = self.s.last_zxid if (last_zxid is None and self.s is not None) else (last_zxid or 0)
        old = self.s
        resp = self.connect(timeout_ms=timeout_ms, session_id=sid, passwd=pw, last_zxid=lz, desc=desc)
        if old is not None:
            self.s.last_zxid = max(self.s.last_zxid, old.last_zxid)
        return resp

    def disconnect(self):
        """Drop the TCP connection without closeSession (session stays alive)."""
        self._flush_events()
        if self.s is not None:
            self.s.close_socket()
        self._log(f"{self.label} disconnect")

    def idle(self):
        return (self.s is not None and not self.s.closed and self.established and not self.close_sent
                and not self.s.pending and not self.hung and self.auto_drain)

    def drain(self):
        """Ping barrier: every notification the server queued before now is
        read and logged.  The ping itself is not recorded."""
        if not self.idle():
            self._flush_events()
            return
        try:
            xid = self.s.send("ping")
            self.s.wait(xid, REPLY_TIMEOUT)
        except (z.ConnectionClosed, z.Timeout):
            pass
        self._flush_events()

    def fmt_reply(self, r, mask=()):
        t = self.t
        if r.kind == "unmatched":
            return f"UNMATCHED xid={r.xid} zxid={t.norm.zxid(r.zxid)} err={z.ERR.get(r.err, r.err)}"
        out = [z.ERR.get(r.err, str(r.err))]
        if r.op not in ("ping",):
            out.append(f"zxid={t.norm.zxid(r.zxid)}")
        if r.xid < 0:
            out.append(f"xid={r.xid}")
        out.append(t.fmt_body(r.op, r.body, mask))
        if r.decode_error:
            out.append(f"DECODE-ERROR({r.decode_error}) raw={r.raw.hex()}")
        return " ".join(x for x in out if x)

    # -- requests -----------------------------------------------------------

    def _fix(self, name, args):
        a = dict(args)
        if self.chroot:
            return a   # paths are relative to the chroot; zkwire prefixes it
        for key in ("path", "prefixPath"):
            if key in a:
                a[key] = self.t.p(a[key])
        if name in ("setWatches", "setWatches2"):
            for key in ("data", "exist", "child", "persistent", "persistentRecursive"):
                if key in a:
                    a[key] = [self.t.p(x) for x in a[key]]
        if "ops" in a:
            a["ops"] = [(o[0], self._fix(o[0], o[1])) for o in a["ops"]]
        return a

    def op(self, name, _mask=(), _timeout=REPLY_TIMEOUT, xid=None, **args):
        """Send one request, wait for its reply, record both.  Returns the
        zkwire.Reply or None (closed / no reply)."""
        args = self._fix(name, args)
        _mask = tuple(_mask) + history_mask(args.get("path"), self.chroot)
        desc = fmt_args(name, args, self.t.norm)
        if xid is not None:
            desc += f" xid={xid}"
        if self.s is None or self.s.closed:
            self._log(f"{self.label} {desc} -> NOT SENT (socket closed)")
            return None
        try:
            x = self.s.send(name, xid=xid, **args)
        except z.ConnectionClosed:
            self._flush_events()
            self._log(f"{self.label} {desc} -> CLOSED")
            return None
        if name == "closeSession":
            self.close_sent = True
        return self._await(x, desc, _mask, _timeout)

    def _await(self, x, desc, mask=(), timeout=REPLY_TIMEOUT):
        try:
            while True:
                msg = self.s.read_message(timeout)
                if msg.kind == "event":
                    continue
                if msg.xid != x or msg.kind == "unmatched":
                    self._flush_events()
                    self._log(f"{self.label} <- {self.fmt_reply(msg)}")
                    continue
                self._flush_events()
                self.t.note_created(self, msg)
                self._log(f"{self.label} {desc} -> {self.fmt_reply(msg, mask)}")
                if not self.quiet:
                    self.t.drain_others(self)
                return msg
        except z.ConnectionClosed:
            self._flush_events()
            self._log(f"{self.label} {desc} -> CLOSED")
            return None
        except z.Timeout:
            self._flush_events()
            self._log(f"{self.label} {desc} -> NO REPLY")
            self.hung = True
            return None

    def pipeline(self, reqs, arrival_order=True):
        """Send all requests back to back, then record every message until
        each has its reply (or the connection ends).  Replies are logged in
        arrival order, or in request order if arrival_order is False (for
        out-of-band replies such as auth, whose position is timing-dependent)."""
        xids, descs = [], {}
        for i, (name, args) in enumerate(reqs):
            args = self._fix(name, args)
            try:
                x = self.s.send(name, **args)
            except z.ConnectionClosed:
                self._log(f"{self.label} pipeline send -> CLOSED")
                break
            xids.append(x)
            descs.setdefault(x, []).append((i, fmt_args(name, args, self.t.norm)))
        self._log(f"{self.label} pipeline sent {len(xids)}" + ("" if arrival_order else " (replies logged in request order)"))
        remaining = list(xids)
        results = []
        held = []

        def emit(idx, line):
            if arrival_order:
                self._log(line)
            else:
                held.append((idx, line))
        try:
            while remaining:
                msg = self.s.read_message(REPLY_TIMEOUT)
                if msg.kind == "event":
                    if arrival_order:
                        self._flush_events()
                    continue
                d = descs.get(msg.xid)
                if msg.kind == "unmatched" or not d:
                    emit(len(reqs), f"{self.label} <- {self.fmt_reply(msg)}")
                    continue
                idx, desc = d.pop(0)
                self.t.note_created(self, msg)
                emit(idx, f"{self.label} {desc} -> {self.fmt_reply(msg)}")
                remaining.remove(msg.xid)
                results.append(msg)
        except z.ConnectionClosed:
            emit(len(reqs), f"{self.label} pipeline -> CLOSED with {len(remaining)} outstanding")
        except z.Timeout:
            emit(len(reqs), f"{self.label} pipeline -> NO REPLY for {len(remaining)}")
            self.hung = True
        for _, line in sorted(held, key=lambda x: x[0]):
            self._log(line)
        self._flush_events()
        self.t.drain_others(self)
        return results

    def raw(self, data, desc=None):
        """Write raw bytes (recorded by description, not content)."""
        self._log(f"{self.label} raw {desc or data[:32].hex()} ({len(data)} bytes)")
        try:
            self.s.send_raw(data)
        except z.ConnectionClosed:
            self._log(f"{self.label} raw send -> CLOSED")

    def raw_frame(self, body, desc=None):
        self.raw(struct.pack(">i", len(body)) + body, desc)

    def probe(self, wait=REPLY_TIMEOUT):
        """After hostile input: send a ping and record everything up to its
        reply, or the connection closing."""
        if self.s is None or self.s.closed:
            self._log(f"{self.label} probe -> CLOSED")
            return False
        # first collect replies to requests already sent (raw frames register
        # them in s.pending), so that the ping never races a pending close
        saw_error = False
        try:
            while self.s.pending:
                msg = self.s.read_message(wait)
                if msg.kind == "event":
                    continue
                self._flush_events()
                saw_error = saw_error or msg.err != 0
                self._log(f"{self.label} <- {self.fmt_reply(msg)}")
            if saw_error:
                # a server may hang up right after an error reply; give it a
                # moment so that the verdict does not depend on scheduling
                try:
                    while True:
                        msg = self.s.read_message(ERROR_GRACE)
                        if msg.kind != "event":
                            self._log(f"{self.label} <- {self.fmt_reply(msg)}")
                except z.Timeout:
                    pass
        except z.ConnectionClosed:
            self._flush_events()
            self._log(f"{self.label} probe -> CLOSED")
            return False
        except z.Timeout:
            self._log(f"{self.label} probe -> NO REPLY to {len(self.s.pending)} pending")
            self.s.pending.clear()
        except z.DecodeError as e:
            self._log(f"{self.label} probe -> undecodable {e}")
            return False
        try:
            x = self.s.send("ping")
        except z.ConnectionClosed:
            self._log(f"{self.label} probe -> CLOSED")
            return False
        try:
            while True:
                msg = self.s.read_message(wait)
                if msg.kind == "event":
                    continue
                self._flush_events()
                if msg.xid == x and msg.op == "ping":
                    self._log(f"{self.label} probe -> alive ({z.ERR.get(msg.err, msg.err)})")
                    return True
                self._log(f"{self.label} <- {self.fmt_reply(msg)}")
        except z.ConnectionClosed:
            self._flush_events()
            self._log(f"{self.label} probe -> CLOSED")
            return False
        except z.Timeout:
            self._log(f"{self.label} probe -> NO REPLY")
            self.hung = True
            return False
        except z.DecodeError as e:
            self._log(f"{self.label} probe -> undecodable {e}")
            return False

    def expect_events(self, n, timeout=15.0):
        """Wait (bounded) for n notifications, then record them."""
        try:
            self.s.wait_events(n, timeout)
        except (z.Timeout, z.ConnectionClosed):
            pass
        got = len(self.s.events)
        self._flush_events()
        if got < n:
            self._log(f"{self.label} expected {n} events, got {got}")

    # -- sugar ----------------------------------------------------------------

    def create(self, path, data=b"", acl=None, flags=0, **kw):
        return self.op("create", path=path, data=data, acl=z.OPEN_ACL_UNSAFE if acl is None else acl,
                       flags=flags, **kw)

    def create2(self, path, data=b"", acl=None, flags=0, **kw):
        return self.op("create2", path=path, data=data, acl=z.OPEN_ACL_UNSAFE if acl is None else acl,
                       flags=flags, **kw)

    def create_container(self, path, data=b"", acl=None, flags=z.CONTAINER):
        return self.op("createContainer", path=path, data=data,
                       acl=z.OPEN_ACL_UNSAFE if acl is None else acl, flags=flags)

    def create_ttl(self, path, ttl, data=b"", acl=None, flags=z.PERSISTENT_WITH_TTL):
        return self.op("createTTL", path=path, data=data, acl=z.OPEN_ACL_UNSAFE if acl is None else acl,
                       flags=flags, ttl=ttl)

    def delete(self, path, version=-1):
        return self.op("delete", path=path, version=version)

    def exists(self, path, watch=False):
        return self.op("exists", path=path, watch=watch)

    def get(self, path, watch=False, **kw):
        return self.op("getData", path=path, watch=watch, **kw)

    def set(self, path, data, version=-1):
        return self.op("setData", path=path, data=data, version=version)

    def get_acl(self, path):
        return self.op("getACL", path=path)

    def set_acl(self, path, acl, version=-1):
        return self.op("setACL", path=path, acl=acl, version=version)

    def ls(self, path, watch=False):
        return self.op("getChildren", path=path, watch=watch)

    def ls2(self, path, watch=False, **kw):
        return self.op("getChildren2", path=path, watch=watch, **kw)

    def sync(self, path):
        return self.op("sync", path=path)

    def multi(self, ops):
        return self.op("multi", ops=ops)

    def multi_read(self, ops):
        return self.op("multiRead", ops=ops)

    def check_watches(self, path, type):
        return self.op("checkWatches", path=path, type=type)

    def remove_watches(self, path, type):
        return self.op("removeWatches", path=path, type=type)

    def add_watch(self, path, mode=z.ADD_PERSISTENT):
        return self.op("addWatch", path=path, mode=mode)

    def auth(self, scheme, auth):
        if scheme == "digest":
            self.t.creds.add(auth if isinstance(auth, str) else auth.decode("latin-1"))
        return self.op("auth", scheme=scheme, auth=auth)

    def whoami(self):
        return self.op("whoAmI")

    def ephemerals(self, prefix="/"):
        return self.op("getEphemerals", prefixPath=prefix)

    def count(self, path):
        return self.op("getAllChildrenNumber", path=path)

    def ping(self):
        return self.op("ping")

    def close(self):
        return self.op("closeSession")


def history_mask(path, chroot=""):
    """Stat fields of "/" and "/zookeeper" that depend on everything the
    server ever did, not on the scenario: masked automatically."""
    if chroot or path is None:
        return ()
    if path in ("/", ""):
        return ("cversion", "pzxid", "numChildren", "children")
    if path == "/zookeeper":
        return ("cversion", "pzxid")
    return ()


# multi sub-op builders (paths relative to the scenario root like everything else)
def m_create(path, data=b"", acl=None, flags=0):
    return ("create", dict(path=path, data=data, acl=z.OPEN_ACL_UNSAFE if acl is None else acl, flags=flags))


def m_create2(path, data=b"", acl=None, flags=0):
    return ("create2", dict(path=path, data=data, acl=z.OPEN_ACL_UNSAFE if acl is None else acl, flags=flags))


def m_container(path, data=b""):
    return ("createContainer", dict(path=path, data=data, acl=z.OPEN_ACL_UNSAFE, flags=z.CONTAINER))


def m_ttl(path, ttl, data=b"", flags=z.PERSISTENT_WITH_TTL):
    return ("createTTL", dict(path=path, data=data, acl=z.OPEN_ACL_UNSAFE, flags=flags, ttl=ttl))


def m_delete(path, version=-1):
    return ("delete", dict(path=path, version=version))


def m_set(path, data, version=-1):
    return ("setData", dict(path=path, data=data, version=version))


def m_check(path, version):
    return ("check", dict(path=path, version=version))


def m_get(path):
    return ("getData", dict(path=path, watch=False))


def m_ls(path):
    return ("getChildren", dict(path=path, watch=False))


# --------------------------------------------------------------------------
# scenario context


_UNPRINTABLE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\ud800-\udfff\ue000-\uf8ff\ufff0-\uffff]")
_RUNS = re.compile(r"(.)\1{23,}")


class T:
    """Everything a scenario body can use.  One T per scenario per server."""

    def __init__(self, hostport, name):
        self.hostport = hostport
        self.host, port = hostport.rsplit(":", 1)
        self.port = int(port)
        self.name = name
        self.root = "/oracle-" + name
        self.norm = Normalizer(self.root)
        self.lines = []
        self.sessions = []
        self.creds = set()
        self._sockets = []
        self.admin = None
        self.warnings = []
        self.extra_cleanup = []   # absolute paths to delete after the scenario
        self.created = []         # absolute paths of nodes created by the scenario

    # -- transcript ---------------------------------------------------------

    def log(self, line):
        line = line.replace(self.root, "R")
        line = _UNPRINTABLE.sub(lambda m: "\\u%04x" % ord(m.group(0)), line)
        line = _RUNS.sub(lambda m: f"{m.group(1)}{{x{len(m.group(0))}}}", line)
        self.lines.append(line)

    def note(self, text):
        self.log(f"# {text}")

    def p(self, path):
        if path is None or isinstance(path, Abs):
            return str(path) if path is not None else None
        if path == "":
            return self.root
        return self.root + path

    def fmt_event(self, label, ev):
        b = ev.body
        if ev.decode_error:
            return f"{label} EVENT undecodable {ev.raw.hex()}"
        s = (f"{label} EVENT {z.EVENT.get(b['type'], b['type'])} {z.STATE.get(b['state'], b['state'])} "
             f"{b['path']} zxid={self.norm.zxid(ev.zxid) if OPTIONS['event_zxid'] else '*'}")
        if ev.err:
            s += f" err={ev.err}"
        return s

    def fmt_body(self, op, body, mask=()):
        n = self.norm
        parts = []
        for key, val in body.items():
            if key == "path":
                parts.append(f"path={val}")
            elif key == "data":
                parts.append(f"data={fmt_data(val)}")
            elif key == "stat":
                parts.append(f"stat={n.stat(val, mask)}")
            elif key in ("children", "ephemerals"):
                # Sorted unless the scenario asks for the server's own order ("keep_order"): ZooKeeper hands out its
                # HashSet's iteration order, which Coord reproduces, but most scenarios are about the contents.
                if val is not None and key not in mask and "keep_order" not in mask:
                    val = sorted(val)
                parts.append(f"{key}={val if key not in mask else '*'}")
            elif key == "acl":
                if "acl_order" in mask and val is not None:
                    val = sorted(val)
                parts.append(f"acl={fmt_acl(val)}")
            elif key == "results":
                subs = []
                for name, res in val:
                    subs.append(f"{name}{{{self.fmt_body(name, res, mask)}}}")
                parts.append("results=[" + ", ".join(subs) + "]")
            elif key == "end":
                if val != (-1, -1):
                    parts.append(f"end={val}")
            elif key == "err":
                parts.append(f"err={z.ERR.get(val, val)}")
            elif key == "hdr_err":
                parts.append(f"hdr_err={z.ERR.get(val, val)}")
            elif key == "clientInfo":
                parts.append(f"clientInfo={sorted(val)}")
            elif key == "token":
                parts.append(f"token={fmt_data(val)}")
            else:
                parts.append(f"{key}={val}")
        return " ".join(parts)

    # -- sessions -------------------------------------------------------------

    def session(self, label=None, timeout_ms=30000, chroot="", connect=True, **kw):
        label = label or f"s{len(self.sessions) + 1}"
        s = OSession(self, label, chroot=self.p(chroot) if chroot else "")
        self.sessions.append(s)
        if connect:
            s.connect(timeout_ms=timeout_ms, **kw)
        return s

    def raw_session(self, label=None):
        """A labeled socket with no handshake yet."""
        label = label or f"s{len(self.sessions) + 1}"
        s = OSession(self, label)
        self.sessions.append(s)
        s._open_socket()
        return s

    def note_created(self, sess, msg):
        """Remember created paths so that teardown can delete nodes it cannot list."""
        if msg.kind != "reply" or msg.err != 0:
            return
        paths = []
        if msg.op in ("create", "create2", "createContainer", "createTTL"):
            paths.append(msg.body.get("path"))
        elif msg.op == "multi":
            paths += [res.get("path") for name, res in msg.body.get("results", [])
                      if name.startswith("create")]
        for p in paths:
            if p:
                if sess.chroot:
                    p = sess.chroot if p == "/" else sess.chroot + p
                self.created.append(p)

    def drain_others(self, current):
        for s in self.sessions:
            if s is not current and s.idle():
                s.drain()

    def probe_closed(self, sock, wait=2.0):
        """Does the server hang up on this socket (reading and discarding data)?"""
        data, closed = sock.read_all_raw(wait)
        extra = f" after {len(data)} more bytes" if data else ""
        return ("closed" if closed else "open") + extra

    def alive_check(self, label=None):
        """A fresh session can still connect and read/write."""
        s = self.session(label)
        s.create("/alive", b"ok", flags=z.EPHEMERAL)
        s.get("/alive")
        s.close()

    # -- waiting (unrecorded polling, bounded) --------------------------------

    def wait_until(self, pred, timeout=15.0, what="condition"):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if pred():
                self.log(f"wait {what}: ok")
                return True
            time.sleep(0.05)
        self.log(f"wait {what}: TIMEOUT")
        return False

    def admin_exists(self, path):
        r = self.admin.call("exists", path=self.p(path))
        return r.err == 0

    def wait_gone(self, path, timeout=15.0):
        return self.wait_until(lambda: not self.admin_exists(path), timeout, f"{path} gone")

    # -- four letter words ----------------------------------------------------

    def flw(self, word, extra=b""):
        out = z.four_letter(self.hostport, word, extra=extra)
        self.log(f"4lw {word} ->")
        for line in normalize_4lw(word, out, self):
            self.log("   | " + line)
        return out


def normalize_4lw(word, out, t):
    import re
    lines = out.split("\n")
    if word in ("ruok", "isro", "crst", "srst", "stmk", "gtmk"):
        if word in ("gtmk", "stmk"):
            return [f"<number:{bool(re.fullmatch(r'-?[0-9]+', out.strip()))}>"]
        return [repr(out)]
    if word in ("srvr", "stat"):
        res = []
        in_clients = False
        for ln in lines:
            if ln == "Clients:":
                in_clients = True
                res.append("Clients:")
                continue
            if in_clients:
                if ln.strip() == "":
                    in_clients = False
                    res.append("<client lines>")
                    res.append("")
                continue
            if ":" in ln:
                res.append(ln.split(":", 1)[0] + ": *")
            else:
                res.append(ln)
        return res
    if word in ("conf", "envi"):
        return [ln.split("=", 1)[0] + ("=*" if "=" in ln else "") for ln in lines]
    if word == "mntr":
        keys = sorted({ln.split("\t", 1)[0] for ln in lines if ln
                       and not ln.split("\t", 1)[0].endswith("_per_namespace")})
        return [f"{len(keys)} keys, shape ok={all(chr(9) in ln for ln in lines if ln)}"] + keys
    if word == "dirs":
        return [re.sub(r"[0-9]+", "N", ln) for ln in lines]
    if word in ("wchs",):
        return [re.sub(r"[0-9]+", "N", ln) for ln in lines]
    if word == "hash":
        body = [ln for ln in lines if ln]
        ok = all(re.fullmatch(r"[0-9a-f]+: -?[0-9]+", ln) for ln in body)
        return [f"<zxid-hex>: <digest> lines, all well-formed={ok}, any={bool(body)}"]
    if word in ("wchc", "wchp"):
        # keep only lines about our scenario's paths and sessions; map sids to labels
        inv = {f"0x{sid:x}": lab for sid, lab in t.norm.labels.items()}
        res = []
        for ln in lines:
            s = ln.strip()
            if s.startswith("0x"):
                res.append(("\t" if ln.startswith("\t") else "") + inv.get(s, "<other-session>"))
            elif s.startswith("/"):
                res.append(("\t" if ln.startswith("\t") else "") + (s.replace(t.root, "R") if s.startswith(t.root) else "<other-path>"))
            else:
                res.append(ln)
        # blocks "key\n\titem..." come in hash order: sort blocks and items;
        # drop blocks about other clients so that they do not matter
        blocks, cur = [], None
        for ln in res:
            if not ln.strip():
                cur = None
                continue
            if ln.startswith("\t"):
                if cur is not None:
                    cur[1].append(ln)
            else:
                cur = (ln, [])
                blocks.append(cur)
        out2 = []
        for key, items in sorted(blocks):
            items = sorted(i for i in items if "<other" not in i)
            if "<other" in key or not items:
                continue
            out2.append(key)
            out2.extend(items)
        return out2
    if word in ("cons", "dump"):
        # structure only: line shapes with numbers, addresses and ids masked
        shapes = []
        for ln in lines:
            s = re.sub(r"0x[0-9a-f]+", "HEX", ln)
            s = re.sub(r"/[0-9.]+:[0-9]+", "ADDR", s)
            s = re.sub(r"(expire at ).*(:)$", r"\1DATE\2", s)
            s = re.sub(r"lop=[A-Z]+", "lop=OP", s)
            s = re.sub(r"[0-9]+", "N", s)
            shapes.append(s)
        return sorted(set(shapes))
    return [re.sub(r"[0-9]+", "N", ln) for ln in lines]


# --------------------------------------------------------------------------
# running a scenario


def _admin_connect(t):
    s = z.Session(t.host, t.port)
    s.connect(timeout_ms=30000)
    t._sockets.append(s)
    t.norm.labels[s.session_id] = "admin"
    return s


def _delete_tree(admin, root):
    """Delete root and everything below; first as one multi, then one by one."""
    order = []

    def walk(p):
        r = admin.call("getChildren", path=p)
        if r.err != 0:
            if r.err != -101:
                order.append(p)
            return
        for c in sorted(r.body["children"]):
            walk(p.rstrip("/") + "/" + c)
        order.append(p)
    walk(root)
    if not order:
        return True
    r = admin.call("multi", ops=[("delete", dict(path=p, version=-1)) for p in order])
    if r.err == 0 and all(name != "error" for name, _ in r.body.get("results", [])):
        return True
    ok = True
    for p in order:
        r = admin.call("delete", path=p, version=-1)
        if r.err not in (0, -101):
            ok = False
    return ok


def run_scenario(hostport, sdef):
    t = T(hostport, sdef.name)
    t.admin = _admin_connect(t)
    if t.admin.call("exists", path=t.root).err == 0:
        _delete_tree(t.admin, t.root)
    r = t.admin.call("create", path=t.root, data=b"", acl=z.OPEN_ACL_UNSAFE, flags=0)
    if r.err != 0:
        t.log(f"ERROR creating scenario root: {z.ERR.get(r.err, r.err)}")
    t.norm.base = r.zxid
    try:
        sdef.fn(t)
    except Exception:
        t.log("SCENARIO EXCEPTION: " + traceback.format_exc().strip().splitlines()[-1])
        t.warnings.append(traceback.format_exc())
    # final barrier: record notifications still in flight
    for s in t.sessions:
        if s.idle():
            s.drain()
        elif s.s is not None and not s.s.closed:
            s._flush_events()
    _teardown(t)
    return t


def _teardown(t):
    """Close every session the scenario opened (reconnecting dropped ones so
    that no session expires later and shifts another scenario's zxids), then
    delete the scenario tree."""
    for s in t.sessions:
        try:
            if s.session_id == 0:
                continue
            if s.s is not None and not s.s.closed and s.established and not s.close_sent and not s.hung:
                try:
                    s.s.call("closeSession", timeout=REPLY_TIMEOUT)
                    continue
                except (z.ConnectionClosed, z.Timeout, z.DecodeError):
                    pass
            if s.close_sent and s.s is not None and not s.s.closed:
                continue
            fresh = z.Session(t.host, t.port)
            t._sockets.append(fresh)
            resp = fresh.connect(timeout_ms=30000, session_id=s.session_id, passwd=s.passwd)
            if resp["timeOut"] > 0:
                fresh.call("closeSession", timeout=REPLY_TIMEOUT)
        except (z.ConnectionClosed, z.Timeout, z.DecodeError, OSError):
            pass
    try:
        if t.admin.closed:
            t.admin = _admin_connect(t)
        for c in sorted(t.creds):
            t.admin.call("auth", scheme="digest", auth=c)
        for p in t.extra_cleanup:
            _delete_tree(t.admin, p)
        for p in sorted(set(t.created), key=lambda x: -x.count("/")):
            if p.startswith(t.root + "/"):
                t.admin.call("delete", path=p, version=-1)
        if not _delete_tree(t.admin, t.root):
            t.warnings.append("cleanup failed")
        t.admin.call("closeSession")
    except (z.ConnectionClosed, z.Timeout, z.DecodeError, OSError) as e:
        t.warnings.append(f"cleanup error {e!r}")
    for sock in t._sockets:
        sock.close_socket()


