"""Seeded frame-level mutation fuzzing: malformed client input, reference vs target.

    oracle.py mutate --ref HOST:PORT --target HOST:PORT --seed N [--cases K] [--case I ...]
                     [--kinds k1,k2] [--ops op1,op2] [--skip KIND:OP ...] [--target-log FILE]
                     [--no-recheck] [-v] [--show-bytes]

Every case is generated from (seed, case index) alone, never from server replies, so both servers get
exactly the same bytes (the scenario root `/oracle-mut-<seed>-<i>` is the same on both).  One case:

1. setup (recorded): session `setup` creates R/n = "hello" and R/n/c = "c" (sometimes an ephemeral R/e) and
   leaves a data watch on R/n (a bystander: its events and its final read show whether other sessions were
   disturbed);
2. session `m` connects normally and sends one well-formed request of a random 3.8 opcode whose bytes were
   changed by one structured mutation (see KINDS) -- or, for about one case in seven, `m`'s ConnectRequest
   itself is mutated (CONNECT_KINDS) and no request follows it;
3. everything `m` receives is recorded (replies with their xid, notifications, `CLOSED` with whether it came
   before or after a reply, `NO REPLY (open)` after WAIT seconds); after a reply, GRACE seconds more are given
   to a hang-up;
4. unless `m` is closed, a follow-up getData R/n (xid 1000) is sent and recorded the same way (bytes of an
   incomplete mutated frame may swallow it: this is part of the observation);
5. the bystander reads R/n, then a fresh session creates, reads and closes an ephemeral node (alive_check);
6. teardown (unrecorded): every session is closed (dropped ones resumed with id+password first), the tree
   deleted, so that nothing expires later and shifts another case's zxids.

The normalized transcripts (harness rules: zxids relative to the case's root create, session ids as
labels, times as T; the history-dependent Stat fields of the root masked, since a mutated path may become
"" or "/") must be identical.  A differing case is run a second time: if the difference does not come
back it is reported as FLAKY (the reference itself is nondeterministic in places, e.g. an unknown opcode
answered out of band overtakes a request queued before it) and does not fail the run.  A differing case
prints its diff, the exact bytes `m` sent (hex) and a replay command; at the end differences are grouped by
(opcode, mutation kind, what the reference did on `m`, what the target did on `m`), with `[zxid shift]`
when the other sessions' lines differ only in zxids (one server consumed a zxid the other did not) and
`[other sessions disturbed]` when they differ otherwise.  With --target-log, error/exception lines the target
logs during a case are reported (`LOG`) even when the behaviour matches.  Exit status 1 on any (non-flaky)
difference, 3 if the target stopped serving fresh sessions (then the run stops).  The servers must have
no other clients (zxids are compared).  Minimal repros of the differences found are in mutate_findings.py.
"""

import argparse
import random
import re
import struct
import sys
import time
from collections import OrderedDict

import harness
from harness import ScenarioDef
import zkwire as z

INT_MIN, INT_MAX = -2 ** 31, 2 ** 31 - 1
LONG_MIN, LONG_MAX = -2 ** 63, 2 ** 63 - 1
MAX_TTL = 0xFFFFFFFFFF          # EphemeralType.TTL max
JUTE_MAX = 0xFFFFF              # jute.maxbuffer default

WAIT = 3.0       # seconds to wait for a first reply (the machine may be loaded; replies normally take < 50 ms)
GRACE = 0.3      # after a reply, seconds to wait for a hang-up (the reference closes < 5 ms after; measured)
FOLLOWUP_XID = 1000

# --------------------------------------------------------------------------
# a jute writer that remembers where every field is


class TW:
    def __init__(self):
        self.b = bytearray()
        self.fields = []

    def _f(self, kind, size, name, **kw):
        self.fields.append(dict(kind=kind, off=len(self.b), size=size, name=name, **kw))

    def int(self, v, kind="int", name=""):
        self._f(kind, 4, name, value=v)
        self.b += struct.pack(">i", v)
        return self

    def long(self, v, kind="long", name=""):
        self._f(kind, 8, name, value=v)
        self.b += struct.pack(">q", v)
        return self

    def bool(self, v, kind="bool", name=""):
        self._f(kind, 1, name, value=int(bool(v)))
        self.b += b"\x01" if v else b"\x00"
        return self

    def buffer(self, data, name="data", kind="buf"):
        if data is None:
            return self.int(-1, kind + "len", name)
        if isinstance(data, str):
            data = data.encode()
        self.int(len(data), kind + "len", name)
        self._f(kind, len(data), name)
        self.b += data
        return self

    def string(self, s, name="path"):
        return self.buffer(None if s is None else s.encode("utf-8"), name, "str")

    def strings(self, xs, name):
        if xs is None:
            return self.int(-1, "veclen", name)
        self.int(len(xs), "veclen", name)
        for x in xs:
            self.string(x, name + "[]")
        return self

    def acls(self, acls):
        if acls is None:
            return self.int(-1, "aclcount", "acl")
        self.int(len(acls), "aclcount", "acl")
        for perms, scheme, ident in acls:
            self.int(perms, "perms", "perms").string(scheme, "scheme").string(ident, "id")
        return self

    def bytes(self):
        return bytes(self.b)


def _e_create(w, a):
    w.string(a["path"]).buffer(a.get("data", b"")).acls(a.get("acl", z.OPEN_ACL_UNSAFE)).int(a.get("flags", 0), "flags", "flags")
    if "ttl" in a:
        w.long(a["ttl"], "ttl", "ttl")


def _e_path_watch(w, a):
    w.string(a["path"]).bool(a.get("watch", False), "watch", "watch")


def _e_path_version(w, a):
    w.string(a["path"]).int(a.get("version", -1), "version", "version")


def _e_set_watches(w, a, v2=False):
    w.long(a.get("relativeZxid", 0), "relzxid", "relativeZxid")
    for key in ("data", "exist", "child") + (("persistent", "persistentRecursive") if v2 else ()):
        w.strings(a.get(key, []), key)


def _e_multi(w, a):
    for name, args in a["ops"]:
        w.int(z.OP[name], "mtype", "type").bool(False, "mdone", "done").int(-1, "merr", "err")
        ENC[name](w, args)
    w.int(-1, "mtype", "end").bool(True, "mdone", "end").int(-1, "merr", "end")


ENC = {
    "create": _e_create, "create2": _e_create, "createContainer": _e_create, "createTTL": _e_create,
    "delete": _e_path_version, "check": _e_path_version,
    "exists": _e_path_watch, "getData": _e_path_watch, "getChildren": _e_path_watch, "getChildren2": _e_path_watch,
    "setData": lambda w, a: w.string(a["path"]).buffer(a.get("data", b"")).int(a.get("version", -1), "version", "version"),
    "getACL": lambda w, a: w.string(a["path"]),
    "setACL": lambda w, a: w.string(a["path"]).acls(a["acl"]).int(a.get("version", -1), "version", "version"),
    "sync": lambda w, a: w.string(a["path"]),
    "getAllChildrenNumber": lambda w, a: w.string(a["path"]),
    "getEphemerals": lambda w, a: w.string(a["prefixPath"]),
    "checkWatches": lambda w, a: w.string(a["path"]).int(a["type"], "wtype", "type"),
    "removeWatches": lambda w, a: w.string(a["path"]).int(a["type"], "wtype", "type"),
    "addWatch": lambda w, a: w.string(a["path"]).int(a.get("mode", 0), "mode", "mode"),
    "multi": _e_multi, "multiRead": _e_multi,
    "auth": lambda w, a: w.int(a.get("type", 0), "authtype", "type").string(a["scheme"], "scheme").buffer(a.get("auth", b""), "auth"),
    "setWatches": _e_set_watches,
    "setWatches2": lambda w, a: _e_set_watches(w, a, True),
    "sasl": lambda w, a: w.buffer(a.get("token", b""), "token"),
    "reconfig": lambda w, a: (w.string(a.get("joining"), "joining").string(a.get("leaving"), "leaving")
                              .string(a.get("members"), "members").long(a.get("configId", -1), "configid", "configId")),
    "ping": lambda w, a: None, "closeSession": lambda w, a: None, "whoAmI": lambda w, a: None,
}


def encode(xid, name, args):
    w = TW().int(xid, "xid", "xid").int(z.OP[name], "type", "type")
    ENC[name](w, args)
    return w


def encode_connect(timeout_ms=30000, session_id=0, passwd=b"\x00" * 16, last_zxid=0, read_only=False):
    w = TW().int(0, "proto", "protocolVersion").long(last_zxid, "lastzxid", "lastZxidSeen")
    w.int(timeout_ms, "timeout", "timeOut").long(session_id, "sid", "sessionId").buffer(passwd, "passwd", "pw")
    w.bool(read_only, "ro", "readOnly")
    return w


# --------------------------------------------------------------------------
# mutations: each takes (rng, body bytes, fields) and returns (body, frame_len or None, description) or None


def _put(body, f, fmt, v):
    b = bytearray(body)
    struct.pack_into(fmt, b, f["off"], v)
    return bytes(b)


def _hexshort(b, n=12):
    return b[:n].hex() + ("..." if len(b) > n else "")


def mut_truncate(rng, body, fields):
    n = len(body)
    if n <= 8 or rng.random() < 0.1:
        p = rng.randrange(0, n) if n else 0
    else:
        p = rng.randrange(8, n)
    if n == 0:
        return None
    return body[:p], None, f"truncate body {n}->{p} bytes"


def mut_trailing(rng, body, fields):
    k = rng.choice((1, 1, 2, 3, 4, 8, 17, 100))
    style = rng.choice(("zero", "ff", "random"))
    extra = {"zero": b"\x00" * k, "ff": b"\xff" * k}.get(style) or bytes(rng.randrange(256) for _ in range(k))
    return body + extra, None, f"append {k} trailing bytes {_hexshort(extra)}"


LEN_VALUES = ("-1", "-1", "0", "INT_MAX", "JUTE_MAX", "JUTE_MAX+1024", "JUTE_MAX+1025", "+1", "-1rel", "-2", "INT_MIN")


def _len_value(rng, cur):
    c = rng.choice(LEN_VALUES)
    v = {"-1": -1, "0": 0, "INT_MAX": INT_MAX, "JUTE_MAX": JUTE_MAX, "JUTE_MAX+1024": JUTE_MAX + 1024,
         "JUTE_MAX+1025": JUTE_MAX + 1025, "+1": cur + 1, "-1rel": cur - 1, "-2": -2, "INT_MIN": INT_MIN}[c]
    return v


def mut_lenfield(rng, body, fields):
    cands = [f for f in fields if f["kind"] in ("strlen", "buflen", "veclen")]
    if not cands:
        return None
    f = rng.choice(cands)
    cur = f["value"]
    v = _len_value(rng, cur)
    if v == cur:
        v = cur + 1
    return _put(body, f, ">i", v), None, f"{f['kind']} of {f['name']} {cur}->{v}"


UTF8_BAD = [(b"\xff", "0xff"), (b"\xc3", "truncated 2-byte seq"), (b"\xc0\xaf", "overlong '/'"),
            (b"\xed\xa0\x80", "UTF-16 surrogate"), (b"\xf4\x90\x80\x80", "above U+10FFFF"),
            (b"\x80", "lone continuation"), (b"\x00", "NUL"), (b"\xef\xbf\xbe", "U+FFFE (valid UTF-8)"),
            (b"\x01", "U+0001 (valid UTF-8)"), (b"\xe2\x80\xa8", "U+2028 (valid UTF-8)"),
            (b"\xf0\x9f\x98\x80", "U+1F600 (valid UTF-8)")]


def mut_utf8(rng, body, fields):
    cands = [i for i, f in enumerate(fields) if f["kind"] == "strlen" and f["value"] > 0
             and i + 1 < len(fields) and fields[i + 1]["kind"] == "str"]
    paths = [i for i in cands if fields[i]["name"].startswith(("path", "data[", "exist[", "child[", "persistent"))]
    if paths and rng.random() < 0.85:
        cands = paths
    if not cands:
        return None
    i = rng.choice(cands)
    lf, cf = fields[i], fields[i + 1]
    content = body[cf["off"]:cf["off"] + cf["size"]]
    bad, what = rng.choice(UTF8_BAD)
    where = rng.choice(("end", "end", "replace-last", "middle"))
    if where == "end":
        new = content + bad
    elif where == "replace-last":
        new = content[:-1] + bad
    else:
        k = rng.randrange(1, max(2, len(content)))
        new = content[:k] + bad + content[k:]
    out = body[:lf["off"]] + struct.pack(">i", len(new)) + new + body[cf["off"] + cf["size"]:]
    return out, None, f"{lf['name']} {what} at {where}: {new[-12:]!r}"


def mut_aclcount(rng, body, fields):
    cands = [f for f in fields if f["kind"] == "aclcount"]
    if not cands:
        return None
    f = rng.choice(cands)
    cur = f["value"]
    v = rng.choice((-1, 0, -5, INT_MAX, INT_MIN, 1000, JUTE_MAX + 1, cur + 1, cur - 1 if cur > 0 else 2))
    if v == cur:
        v = -1
    return _put(body, f, ">i", v), None, f"acl count {cur}->{v}"


MULTI_TYPES = (0, 3, 4, 8, 9, 10, 11, 12, 14, 16, 17, 20, 22, 23, 99, 100, 101, 103, -1, -2, -10, -11, INT_MAX, INT_MIN)


def mut_multi(rng, body, fields):
    hdrs = [f for f in fields if f["kind"] == "mtype"]
    if not hdrs:
        return None
    c = rng.random()
    if c < 0.6:
        f = rng.choice(hdrs)
        v = rng.choice(MULTI_TYPES)
        if v == f["value"]:
            v = 99
        which = "end marker" if f["name"] == "end" else f"op {hdrs.index(f)}"
        return _put(body, f, ">i", v), None, f"multi {which} type {f['value']}->{v}"
    dones = [f for f in fields if f["kind"] == "mdone"]
    errs = [f for f in fields if f["kind"] == "merr"]
    if c < 0.85:
        f = rng.choice(dones)
        v = rng.choice((0, 1, 2, 0xff))
        if v == f["value"]:
            v = 2
        which = "end marker" if f["name"] == "end" else f"op {dones.index(f)}"
        b = bytearray(body)
        b[f["off"]] = v
        return bytes(b), None, f"multi {which} done byte {f['value']}->{v}"
    f = rng.choice(errs)
    v = rng.choice((0, 1, -101, INT_MAX))
    which = "end marker" if f["name"] == "end" else f"op {errs.index(f)}"
    return _put(body, f, ">i", v), None, f"multi {which} err field -1->{v}"


RANGE = {
    "flags": (-1, 7, 8, 100, INT_MAX, INT_MIN, 4, 5, 6, 1, 2, 3, 0),
    "mode": (2, 3, -1, 100, INT_MAX),
    "wtype": (0, 4, 5, 6, -1, 100, INT_MIN),
    "watch": (2, 0xff, 0x80),
    "authtype": (1, -1, 7),
    "perms": (0, -1, 32, 0x7f, INT_MAX, INT_MIN),
    "version": (-2, INT_MIN, INT_MAX, 1),
    "relzxid": (-1, LONG_MIN, LONG_MAX),
    "configid": (0, LONG_MAX, LONG_MIN),
    "mdone": (2, 0xff),
}


def mut_range(rng, body, fields):
    cands = [f for f in fields if f["kind"] in RANGE]
    if not cands:
        return None
    f = rng.choice(cands)
    v = rng.choice(RANGE[f["kind"]])
    if v == f["value"]:
        v = RANGE[f["kind"]][0]
    if f["size"] == 1:
        b = bytearray(body)
        b[f["off"]] = v
        return bytes(b), None, f"{f['name']} byte {f['value']}->{v}"
    fmt = ">i" if f["size"] == 4 else ">q"
    return _put(body, f, fmt, v), None, f"{f['name']} {f['value']}->{v}"


TTL_VALUES = (-1, 0, MAX_TTL, MAX_TTL + 1, LONG_MAX, LONG_MIN, 0xFFFFFFFFFFFF, -MAX_TTL)


def mut_ttl(rng, body, fields):
    cands = [f for f in fields if f["kind"] == "ttl"]
    if not cands:
        return None
    f = rng.choice(cands)
    v = rng.choice(TTL_VALUES)
    return _put(body, f, ">q", v), None, f"ttl {f['value']}->{v}"


def mut_framelen(rng, body, fields):
    n = len(body)
    c = rng.choice(("-1", "-4", "half", "0", "4", "8", "+1", "+4", "+100", "JUTE_MAX", "JUTE_MAX+1",
                    "INT_MAX", "neg-1", "neg-n", "INT_MIN"))
    v = {"-1": n - 1, "-4": n - 4, "half": n // 2, "0": 0, "4": 4, "8": 8, "+1": n + 1, "+4": n + 4, "+100": n + 100,
         "JUTE_MAX": JUTE_MAX, "JUTE_MAX+1": JUTE_MAX + 1, "INT_MAX": INT_MAX, "neg-1": -1, "neg-n": -n,
         "INT_MIN": INT_MIN}[c]
    if v == n:
        v = n + 1
    return body, v, f"frame length {n}->{v}"


def mut_hdrflip(rng, body, fields):
    if len(body) < 8:
        return None
    bit = rng.randrange(64)
    b = bytearray(body)
    b[bit // 8] ^= 0x80 >> (bit % 8)
    part = "xid" if bit < 32 else "type"
    old = struct.unpack(">i", body[0:4] if bit < 32 else body[4:8])[0]
    new = struct.unpack(">i", bytes(b[0:4] if bit < 32 else b[4:8]))[0]
    return bytes(b), None, f"header bit {bit} ({part} {old}->{new})"


KINDS = OrderedDict([
    ("truncate", (mut_truncate, 3)), ("trailing", (mut_trailing, 2)), ("lenfield", (mut_lenfield, 4)),
    ("utf8", (mut_utf8, 3)), ("aclcount", (mut_aclcount, 6)), ("multi", (mut_multi, 10)), ("range", (mut_range, 3)),
    ("ttl", (mut_ttl, 10)), ("framelen", (mut_framelen, 2)), ("hdrflip", (mut_hdrflip, 2)),
])


# ConnectRequest mutations

def cmut_bitflip(rng, body, fields):
    bit = rng.randrange(len(body) * 8)
    b = bytearray(body)
    b[bit // 8] ^= 0x80 >> (bit % 8)
    f = next((f for f in fields if f["off"] <= bit // 8 < f["off"] + f["size"]), None)
    return bytes(b), None, f"bit {bit} ({f['name'] if f else '?'})"


CONNECT_RANGE = {
    "proto": (-1, 1, 2, INT_MAX, INT_MIN),
    "timeout": (0, -1, 1, 3999, 40001, INT_MAX, INT_MIN),
    "lastzxid": (-1, 1, 1 << 40, LONG_MAX, LONG_MIN),
    "sid": (-1, 1, 0x100000000000001, LONG_MIN),
    "ro": (1, 2, 0xff),
}


def cmut_range(rng, body, fields):
    cands = [f for f in fields if f["kind"] in CONNECT_RANGE]
    f = rng.choice(cands)
    v = rng.choice(CONNECT_RANGE[f["kind"]])
    if f["size"] == 1:
        b = bytearray(body)
        b[f["off"]] = v
        return bytes(b), None, f"{f['name']} byte {f['value']}->{v}"
    return _put(body, f, {4: ">i", 8: ">q"}[f["size"]], v), None, f"{f['name']} {f['value']}->{v}"


def cmut_pwlen(rng, body, fields):
    f = next(f for f in fields if f["kind"] == "pwlen")
    v = rng.choice((-1, 0, 15, 17, 8, 32, INT_MAX, JUTE_MAX + 1, INT_MIN))
    return _put(body, f, ">i", v), None, f"passwd length 16->{v}"


def cmut_truncate(rng, body, fields):
    p = rng.choice((0, 4, 8, 12, 20, 24, 28, 36, 40, 43, rng.randrange(len(body))))
    return body[:p], None, f"truncate ConnectRequest {len(body)}->{p} bytes"


CONNECT_KINDS = OrderedDict([
    ("c-truncate", (cmut_truncate, 2)), ("c-trailing", (mut_trailing, 1)), ("c-pwlen", (cmut_pwlen, 2)),
    ("c-range", (cmut_range, 3)), ("c-framelen", (mut_framelen, 1)), ("c-bitflip", (cmut_bitflip, 1)),
])


# --------------------------------------------------------------------------
# case generation

OPS = OrderedDict([
    ("create", 4), ("create2", 3), ("createContainer", 2), ("createTTL", 4), ("delete", 2), ("exists", 2),
    ("getData", 3), ("setData", 3), ("getACL", 2), ("setACL", 4), ("getChildren", 2), ("getChildren2", 2),
    ("sync", 2), ("check", 1), ("multi", 6), ("multiRead", 4), ("getEphemerals", 2), ("getAllChildrenNumber", 2),
    ("addWatch", 2), ("removeWatches", 2), ("checkWatches", 2), ("setWatches", 2), ("setWatches2", 2),
    ("auth", 3), ("whoAmI", 1), ("reconfig", 2), ("ping", 2), ("closeSession", 1), ("sasl", 1),
])

ACLS = [z.OPEN_ACL_UNSAFE, [(z.ALL, "world", "anyone"), (z.ALL, "ip", "127.0.0.1")],
        [(z.READ | z.WRITE | z.CREATE | z.DELETE, "world", "anyone")],
        [(z.ALL, "world", "anyone"), (z.READ, "digest", z.digest_id("u1", "p1"))]]


def _pick(rng, table):
    total = sum(w for _, w in table.items()) if isinstance(table, dict) else sum(w for _, w in table)
    items = table.items() if isinstance(table, dict) else table
    x = rng.uniform(0, total)
    for k, w in items:
        x -= w
        if x <= 0:
            return k
    return k


def _data(rng):
    return rng.choice((b"", b"d", b"data-123", bytes(rng.randrange(256) for _ in range(rng.choice((1, 5, 40))))))


def gen_args(rng, op, root):
    P = lambda p: root + p  # noqa: E731
    if op in ("create", "create2"):
        return dict(path=P(rng.choice(("/new", "/n/new", "/n"))), data=_data(rng), acl=rng.choice(ACLS),
                    flags=rng.choice((0, 0, 1, 2, 3)))
    if op == "createContainer":
        return dict(path=P(rng.choice(("/new", "/n/new"))), data=_data(rng), acl=rng.choice(ACLS), flags=z.CONTAINER)
    if op == "createTTL":
        return dict(path=P(rng.choice(("/new", "/n/new"))), data=_data(rng), acl=rng.choice(ACLS),
                    flags=rng.choice((z.PERSISTENT_WITH_TTL, z.PERSISTENT_SEQUENTIAL_WITH_TTL)),
                    ttl=rng.choice((60000, 3600000)))
    if op == "delete":
        return dict(path=P(rng.choice(("/n/c", "/n", "/new"))), version=rng.choice((-1, 0)))
    if op in ("exists", "getData", "getChildren", "getChildren2"):
        return dict(path=P(rng.choice(("/n", "/n/c", "/new"))), watch=rng.random() < 0.5)
    if op == "setData":
        return dict(path=P(rng.choice(("/n", "/n/c"))), data=_data(rng), version=rng.choice((-1, 0, 5)))
    if op in ("getACL", "sync", "getAllChildrenNumber"):
        return dict(path=P(rng.choice(("/n", "/n/c", "/new"))))
    if op == "setACL":   # only on the leaf: a parent without DELETE would make the teardown fail
        return dict(path=P("/n/c"), acl=rng.choice(ACLS), version=rng.choice((-1, 0)))
    if op == "check":
        return dict(path=P("/n"), version=rng.choice((-1, 0)))
    if op == "multi":
        subs = []
        for i in range(rng.randrange(1, 4)):
            k = rng.choice(("create", "create", "delete", "setData", "check", "create2", "createTTL"))
            if k in ("create", "create2"):
                subs.append((k, dict(path=P(f"/m{i}"), data=_data(rng), acl=rng.choice(ACLS), flags=rng.choice((0, 1)))))
            elif k == "createTTL":
                subs.append((k, dict(path=P(f"/m{i}"), data=b"", acl=z.OPEN_ACL_UNSAFE, flags=z.PERSISTENT_WITH_TTL,
                                     ttl=60000)))
            elif k == "delete":
                subs.append((k, dict(path=P("/n/c"), version=-1)))
            elif k == "setData":
                subs.append((k, dict(path=P("/n"), data=_data(rng), version=-1)))
            else:
                subs.append((k, dict(path=P("/n"), version=rng.choice((0, -1)))))
        return dict(ops=subs)
    if op == "multiRead":
        return dict(ops=[(rng.choice(("getData", "getChildren")), dict(path=P(rng.choice(("/n", "/n/c", "/new"))), watch=False))
                         for _ in range(rng.randrange(1, 4))])
    if op == "getEphemerals":
        return dict(prefixPath=rng.choice((root, root + "/m", root + "/me", "/")))
    if op == "addWatch":
        return dict(path=P(rng.choice(("/n", "/new"))), mode=rng.choice((0, 1)))
    if op in ("removeWatches", "checkWatches"):
        return dict(path=P("/n"), type=rng.choice((1, 2, 3)))
    if op in ("setWatches", "setWatches2"):
        a = dict(relativeZxid=rng.choice((0, 1 << 40)), data=[P("/n")], exist=[P("/new")], child=[P("/n")])
        if op == "setWatches2":
            a.update(persistent=[P("/n")], persistentRecursive=[P("/n/c")])
        return a
    if op == "auth":
        return dict(type=0, scheme="digest", auth=rng.choice((b"u1:p1", b"u2:p2")))
    if op == "reconfig":
        return dict(joining=None, leaving="1", members=None, configId=-1)
    if op == "sasl":
        return dict(token=b"\x01\x02")
    return {}


class Case:
    pass


def make_case(seed, idx):
    rng = random.Random(f"mutate:{seed}:{idx}")
    c = Case()
    c.seed, c.idx = seed, idx
    c.name = f"mut-{seed}-{idx}"
    c.root = "/oracle-" + c.name
    c.ephemeral = rng.random() < 0.3
    c.connect_mut = rng.random() < 0.14
    if c.connect_mut:
        c.op = "connect"
        w = encode_connect()
        c.kind = _pick(rng, {k: v[1] for k, v in CONNECT_KINDS.items()})
        body, flen, desc = CONNECT_KINDS[c.kind][0](rng, w.bytes(), w.fields)
        c.prelude = []
    else:
        c.op = _pick(rng, OPS)
        args = gen_args(rng, c.op, c.root)
        xid = z.SPECIAL_XID.get(c.op, 1)
        w = encode(xid, c.op, args)
        assert w.bytes() == z.encode_request(xid, c.op, args), c.op
        c.args = args
        # pick a mutation that applies to this request
        kinds = {k: v[1] for k, v in KINDS.items()}
        if not any(f["kind"] == "ttl" for f in w.fields):
            kinds.pop("ttl")
        if not any(f["kind"] == "aclcount" for f in w.fields):
            kinds.pop("aclcount")
        if not any(f["kind"] == "mtype" for f in w.fields):
            kinds.pop("multi")
        res = None
        while res is None:
            c.kind = _pick(rng, kinds)
            res = KINDS[c.kind][0](rng, w.bytes(), w.fields)
            if res is None:
                kinds.pop(c.kind)
        body, flen, desc = res
        c.prelude = []
        if c.op in ("removeWatches", "checkWatches"):
            c.prelude = [("getData", dict(path="/n", watch=True)), ("getChildren", dict(path="/n", watch=True))]
        elif c.op == "getEphemerals":
            c.prelude = [("create", dict(path="/me", data=b"", acl=z.OPEN_ACL_UNSAFE, flags=z.EPHEMERAL))]
    c.desc = desc
    c.frame = struct.pack(">i", len(body) if flen is None else flen) + body
    c.orig = w.bytes()
    # what the server will read as the request header (for matching and decoding the reply)
    c.hdr_xid, c.hdr_op = None, None
    if not c.connect_mut and len(body) >= 8 and (flen is None or flen >= 8):
        c.hdr_xid, typ = struct.unpack(">ii", body[:8])
        c.hdr_op = z.OP_NAME.get(typ) if z.OP_NAME.get(typ) in z.RESPONSE_DECODERS else "ping"
    return c


# --------------------------------------------------------------------------
# running one case against one server (a harness scenario)


def _observe(t, m, phase, stop_xid=None, wait=WAIT):
    """Record everything m receives until: stop_xid's reply (returns at once), or GRACE seconds of quiet after a
    reply, or WAIT seconds without any reply (NO REPLY), or the connection closing.  Returns 'closed' or 'open'."""
    s = m.s
    t0 = time.monotonic()
    deadline = t0 + wait
    got = None
    while True:
        try:
            msg = s.read_message(max(deadline - time.monotonic(), 0.001))
        except z.Timeout:
            if got is None:
                m._log(f"m {phase} -> NO REPLY (open after {wait:.0f}s)")
                m.hung = True
                t.mut_timing.append((phase, "noreply", None))
            return "open"
        except z.ConnectionClosed:
            m._flush_events()
            now = time.monotonic()
            m._log(f"m {phase} -> CLOSED" + (" after the reply" if got is not None else ""))
            t.mut_timing.append((phase, "closed", (now - (got or t0)) * 1000.0, got is not None))
            return "closed"
        except z.DecodeError as e:
            m._log(f"m {phase} -> undecodable frame ({e})")
            m.s.close_socket()
            return "closed"
        if msg.kind == "event":
            m._flush_events()
            continue
        m._flush_events()
        t.note_created(m, msg)
        xid = "" if msg.kind == "unmatched" else f"xid={msg.xid} "
        m._log(f"m {phase} <- {xid}{m.fmt_reply(msg)}")
        got = time.monotonic()
        t.mut_timing.append((phase, "reply", (got - t0) * 1000.0))
        if stop_xid is not None and msg.xid == stop_xid and msg.kind == "reply":
            return "open"
        deadline = got + GRACE


def _followup(t, m):
    if m.s is None or m.s.closed:
        return
    path = t.p("/n")
    try:
        m.s.send("getData", xid=FOLLOWUP_XID, path=path, watch=False)
    except z.ConnectionClosed:
        m._log("m follow-up getData R/n -> CLOSED (send failed)")
        return
    m.hung = False
    _observe(t, m, "follow-up getData R/n", stop_xid=FOLLOWUP_XID)


def make_scenario(c):
    def body(t):
        t.mut_timing = []
        setup = t.session(label="setup")
        setup.create("/n", b"hello")
        setup.create("/n/c", b"c")
        if c.ephemeral:
            setup.create("/e", b"", flags=z.EPHEMERAL)
        setup.get("/n", watch=True)
        if c.connect_mut:
            m = t.raw_session(label="m")
            m.raw(c.frame, f"mutated ConnectRequest: {c.kind} {c.desc}")
            resp = m.await_connect_response("connect", wait=WAIT)
            if resp is not None and resp["timeOut"] > 0 and not m.s.closed:
                # a session was established: does it work?
                _observe(t, m, "after connect", wait=GRACE)
                _followup(t, m)
        else:
            m = t.session(label="m")
            for name, args in c.prelude:   # paths relative to the root, as in every scenario
                m.op(name, **args)
            m.raw(c.frame, f"{c.op} with {c.kind}: {c.desc}")
            if c.hdr_xid is not None:
                m.s.pending.append((c.hdr_xid, c.hdr_op))
            if not m.s.closed:
                state = _observe(t, m, c.op)
                if state == "open":
                    _followup(t, m)
        setup.get("/n")
        t.alive_check(label="fresh")
    return ScenarioDef(c.name, body, f"mutation case {c.seed}:{c.idx}")


# --------------------------------------------------------------------------
# summarizing


_TOKEN = re.compile(r"^m (.*?)(?: -> | <- )(.*)$")


def outcome(lines):
    """Abstract what m saw (after its mutated bytes): error names, CLOSED, NO REPLY, per phase."""
    out = []
    started = False
    for ln in lines:
        if ln.startswith("m raw "):
            started = True
            continue
        if not started or not ln.startswith("m "):
            continue
        mm = _TOKEN.match(ln)
        if not mm:
            continue
        phase, rest = mm.group(1), mm.group(2)
        phase = "followup" if phase.startswith("follow-up") else ("connect" if phase.startswith(("connect", "  then", "after")) else "req")
        if rest.startswith("xid="):
            rest = rest.split(" ", 1)[1] if " " in rest else rest
        word = rest.split(" ")[0]
        if rest.startswith("NO REPLY"):
            word = "NOREPLY"
        elif rest.startswith("CLOSED after"):
            word = "CLOSED(after reply)"
        elif rest.startswith("proto="):
            word = "ConnectResponse(" + ("timeout=0" if " timeout=0 " in rest else "session") + ")"
        out.append(f"{phase}:{word}")
    for ln in lines:
        if ln.startswith("m   then"):
            out.append("connect:then-" + ln.split("then ", 1)[1].split(" ")[0])
    return " ".join(out) or "-"


_ZX = re.compile(r"\b(zxid|cz|mz|pz)=[+\w-]+")


_ROOT_STAT = re.compile(r"\(cz=0 mz=0 pz=(\S+) (ct=0 mt=0 v=\d+) cv=-?\d+ (av=\d+ eo=0 dl=\d+) nc=\d+\)")


def mask_history(line):
    """A mutated path can turn into "" or "/" (e.g. a string length set to 0 or 1): the Stat of the root
    (czxid 0) has cversion, pzxid and numChildren that depend on everything the server ever did -> masked,
    as the harness masks them for requests on "/"."""
    return _ROOT_STAT.sub(r"(cz=0 mz=0 pz=* \2 cv=* \3 nc=*)", line)


def others_differ(a, b):
    """Do the lines of the other sessions (setup/bystander, fresh) differ?  None, 'zxid shift' (only zxids differ:
    one server consumed a zxid the other did not) or 'other sessions disturbed'."""
    f = lambda ls: [ln for ln in ls if not ln.startswith("m ")]  # noqa: E731
    if f(a) == f(b):
        return None
    g = lambda ls: [_ZX.sub(r"\1=*", ln) for ln in f(ls)]  # noqa: E731
    return "zxid shift" if g(a) == g(b) else "other sessions disturbed"


# differences explained elsewhere: (predicate on the case, note)
KNOWN = [
    (lambda c: c.op == "check" or (c.kind == "hdrflip" and c.hdr_op == "check"),
     "known divergence: ZooKeeper 3.8.0 never answers a passing standalone check (it logs it); Coord logs it and "
     "answers UNIMPLEMENTED like fixed releases (scenario check_standalone). A failing one matches."),
]


def known_note(c):
    return next((note for pred, note in KNOWN if pred(c)), None)


def _log_size(path):
    try:
        with open(path, "rb") as f:
            f.seek(0, 2)
            return f.tell()
    except OSError:
        return None


def _log_errors(path, start):
    """Lines of the target's log written since offset start that report an error or exception."""
    if path is None or start is None:
        return []
    try:
        with open(path, "rb") as f:
            f.seek(start)
            text = f.read().decode("utf-8", "replace")
    except OSError:
        return []
    out = []
    for ln in text.splitlines():
        if re.search(r"\[(EROR|ERROR|CRIT|FATAL)\]|Exception:|^\s*Unhandled", ln):
            out.append(re.sub(r"^\S+ \S+ ", "", ln.strip())[:240])
    return out


def repro(c):
    out = []
    if c.connect_mut:
        out.append(f"  bytes (new socket, instead of the ConnectRequest): {c.frame.hex()}")
    else:
        out.append(f"  request before mutation (xid+type+record): {c.orig.hex()}")
        out.append(f"  bytes sent after a normal handshake:       {c.frame.hex()}")
    out.append(f"  then (if open): getData R/n xid={FOLLOWUP_XID}; R = {c.root}")
    return out


def main(argv):
    ap = argparse.ArgumentParser(prog="oracle.py mutate", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ref", required=True)
    ap.add_argument("--target", required=True)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--cases", type=int, default=100, help="cases 0..K-1 of the seed")
    ap.add_argument("--case", type=int, action="append", help="run only this case index (repeatable)")
    ap.add_argument("--kinds", help="comma list: only these mutation kinds (" + ",".join(list(KINDS) + list(CONNECT_KINDS)) + ")")
    ap.add_argument("--ops", help="comma list: only these opcodes (connect = mutated ConnectRequest)")
    ap.add_argument("--skip", action="append", default=[], metavar="KIND:OP",
                    help="skip cases of this mutation kind and opcode (either may be *; the opcode matches the request's "
                         "and the one its mutated header names); repeatable")
    ap.add_argument("-v", "--verbose", action="store_true", help="print the reference transcript of every case")
    ap.add_argument("--show-bytes", action="store_true", help="print the bytes of every case")
    ap.add_argument("--max-diff", type=int, default=40, help="diff lines printed per differing case")
    ap.add_argument("--no-recheck", action="store_true",
                    help="do not re-run a differing case (by default a difference that does not come back is FLAKY)")
    ap.add_argument("--target-log", metavar="FILE",
                    help="the target's log file: error/exception lines it writes during a case are reported with the case")
    args = ap.parse_args(argv)
    from oracle import run_pair, diff_lines, reachable
    if not (reachable(args.ref) and reachable(args.target)):
        return 2
    kinds = set(args.kinds.split(",")) if args.kinds else None
    ops = set(args.ops.split(",")) if args.ops else None
    skips = [tuple(s.split(":", 1)) for s in args.skip]
    idxs = args.case if args.case else range(args.cases)
    groups = OrderedDict()
    flaky = []
    n_flaky = 0
    log_groups = OrderedDict()
    n_run = n_fail = 0
    ref_close, ref_close_noreply = [], []
    down = False
    t_start = time.monotonic()
    for i in idxs:
        c = make_case(args.seed, i)
        if kinds and c.kind not in kinds or ops and c.op not in ops:
            continue
        if any((k in ("*", c.kind)) and (o in ("*", c.op, c.hdr_op)) for k, o in skips):
            continue
        sdef = make_scenario(c)
        ts = time.monotonic()
        log_at = _log_size(args.target_log) if args.target_log else None
        a, b = run_pair(args.ref, args.target, sdef)
        a.lines, b.lines = [mask_history(ln) for ln in a.lines], [mask_history(ln) for ln in b.lines]
        dt = time.monotonic() - ts
        n_run += 1
        if args.target_log:
            time.sleep(0.05)
            errs = _log_errors(args.target_log, log_at)
            if errs:
                first = re.sub(r"0x[0-9a-f]+|\d+", "N", errs[0])
                log_groups.setdefault((c.op, c.kind, first), []).append(f"{args.seed}:{i}")
                print(f"LOG  {args.seed}:{i} {c.op} {c.kind}: {c.desc}: target logged {len(errs)} error line(s): {errs[0]}")
        for ev in getattr(a, "mut_timing", []):
            if ev[1] == "closed":
                (ref_close if ev[3] else ref_close_noreply).append(ev[2])
        d = diff_lines(a.lines, b.lines)
        head = f"{args.seed}:{i} {c.op} {c.kind}: {c.desc}"
        if args.verbose:
            for ln in a.lines:
                print("      " + ln)
        if args.show_bytes:
            for ln in repro(c):
                print(ln)
        for w in a.warnings:
            print(f"    warning (ref): {w.strip().splitlines()[-1]}")
        for w in b.warnings:
            print(f"    warning (target): {w.strip().splitlines()[-1]}")
        if not d:
            print(f"PASS {head} ({dt:.2f}s)")
            sys.stdout.flush()
            continue
        if not args.no_recheck:
            # a difference that does not come back on a second run is nondeterminism (of the reference, of
            # the target, or another client writing to one of the servers): reported, but not as a failure
            a2, b2 = run_pair(args.ref, args.target, make_scenario(c))
            if diff_lines([mask_history(ln) for ln in a2.lines], [mask_history(ln) for ln in b2.lines]) == []:
                n_flaky += 1
                flaky.append(f"{args.seed}:{i}")
                print(f"FLAKY {head}: differed once, identical on the re-run")
                for ln in d[:args.max_diff]:
                    print("    " + ln)
                sys.stdout.flush()
                continue
        n_fail += 1
        ro, to = outcome(a.lines), outcome(b.lines)
        other = others_differ(a.lines, b.lines)
        fresh_broken = any(ln.startswith("fresh") and ("CLOSED" in ln or "NO REPLY" in ln or "NOT SENT" in ln)
                           for ln in b.lines) or any("SCENARIO EXCEPTION" in ln for ln in b.lines)
        note = known_note(c)
        print(f"FAIL {head} ({dt:.2f}s)")
        print(f"    ref:    {ro}")
        print(f"    target: {to}" + (f"   [{other}]" if other else ""))
        if note:
            print(f"    {note}")
        for ln in d[:args.max_diff]:
            print("    " + ln)
        if len(d) > args.max_diff:
            print(f"    ... {len(d) - args.max_diff} more diff lines")
        for ln in repro(c):
            print("  " + ln)
        print(f"    replay: /usr/bin/python3 {sys.argv[0]} mutate --ref {args.ref} --target {args.target} "
              f"--seed {args.seed} --case {i} -v")
        sys.stdout.flush()
        key = (c.op, c.kind, ro, to, other)
        groups.setdefault(key, []).append(f"{args.seed}:{i}")
        if fresh_broken:
            print("    TARGET DID NOT SERVE A FRESH SESSION AFTER THIS CASE")
            if not reachable(args.target):
                down = True
                break
    total = time.monotonic() - t_start
    if groups:
        print("\ndifferences grouped (opcode, mutation kind, reference outcome on m, target outcome on m):")
        for (op, kind, ro, to, other), ids in groups.items():
            c0 = make_case(*map(int, ids[0].split(":")))
            note = known_note(c0)
            print(f"  {len(ids):3d} x {op} / {kind}{f'  [{other}]' if other else ''}{'  [KNOWN]' if note else ''}\n"
                  f"        ref:    {ro}\n        target: {to}\n        cases: {' '.join(ids[:12])}{' ...' if len(ids) > 12 else ''}")
    if log_groups:
        print("\ntarget log errors grouped (opcode, mutation kind, first line with numbers masked):")
        for (op, kind, first), ids in log_groups.items():
            print(f"  {len(ids):3d} x {op} / {kind}: {first}\n        cases: {' '.join(ids[:12])}{' ...' if len(ids) > 12 else ''}")
    if ref_close:
        ref_close.sort()
        print(f"\nreference hang-ups after a reply: {len(ref_close)}, delay median {ref_close[len(ref_close) // 2]:.1f} ms, "
              f"max {ref_close[-1]:.1f} ms (GRACE is {GRACE * 1000:.0f} ms)")
    if ref_close_noreply:
        ref_close_noreply.sort()
        print(f"reference hang-ups without a reply: {len(ref_close_noreply)}, after median "
              f"{ref_close_noreply[len(ref_close_noreply) // 2]:.1f} ms, max {ref_close_noreply[-1]:.1f} ms (WAIT is {WAIT:.0f} s)")
    if flaky:
        print(f"\nflaky (differed once, identical on the re-run): {' '.join(flaky)}")
    print(f"\n{n_run - n_fail - n_flaky} passed, {n_fail} failed, {n_run} cases, seed {args.seed}, {total:.1f}s"
          + (f" ({n_flaky} flaky)" if n_flaky else ""))
    if down:
        print("TARGET UNREACHABLE: stopped")
        return 3
    return 1 if n_fail else 0
