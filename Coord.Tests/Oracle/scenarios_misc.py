"""Scenarios: reserved paths, chroot-style clients, four-letter words, hostile frames,
opcodes without a normal client API (reconfig, sasl, standalone check)."""

import struct

from harness import scenario, Abs, m_create
import zkwire as z

ZK_MASK = ("cversion", "pzxid")   # /zookeeper's cversion/pzxid depend on server history


# ---------------------------------------------------------------- /zookeeper


@scenario()
def reserved_zookeeper_reads(t):
    """reads of /zookeeper, /zookeeper/quota, /zookeeper/config"""
    s = t.session()
    s.op("getChildren2", path=Abs("/zookeeper"), watch=False, _mask=ZK_MASK)
    s.op("getData", path=Abs("/zookeeper"), watch=False, _mask=ZK_MASK)
    s.ls(Abs("/zookeeper/quota"))
    s.get(Abs("/zookeeper/quota"))
    s.get(Abs("/zookeeper/config"))
    s.ls(Abs("/zookeeper/config"))
    s.count(Abs("/zookeeper"))


@scenario()
def reserved_zookeeper_writes(t):
    """writes to /zookeeper/config are refused; creating below /zookeeper is allowed"""
    s = t.session()
    name = "/zookeeper/" + t.root.strip("/")
    t.extra_cleanup.append(name)
    s.set(Abs("/zookeeper/config"), b"x")
    s.set_acl(Abs("/zookeeper/config"), z.OPEN_ACL_UNSAFE)
    s.create(Abs("/zookeeper/config/child"))
    s.create(Abs(name), b"mine")
    s.get(Abs(name))
    s.delete(Abs(name))
    s.create(Abs("/zookeeper"))
    s.create(Abs("/zookeeper/quota"))


@scenario()
def reserved_zookeeper_watch(t):
    """child watch on /zookeeper fires for a node created below it"""
    s1, s2 = t.session(), t.session()
    name = "/zookeeper/" + t.root.strip("/")
    t.extra_cleanup.append(name)
    s2.op("getChildren", path=Abs("/zookeeper"), watch=True)
    s1.create(Abs(name))
    s1.delete(Abs(name))


@scenario()
def root_node_reads(t):
    """reads of "/" (history-dependent Stat fields masked)"""
    s = t.session()
    mask = ("cversion", "pzxid", "numChildren", "children")
    s.op("getData", path=Abs("/"), watch=False, _mask=mask)
    s.op("getChildren2", path=Abs("/"), watch=False, _mask=mask)
    s.op("getACL", path=Abs("/"), _mask=mask)
    s.op("exists", path=Abs("/"), watch=False, _mask=mask)


@scenario()
def root_node_writes(t):
    """writes to "/" that must fail or be harmless"""
    s = t.session()
    s.delete(Abs("/"))
    s.delete(Abs("/"), 0)
    s.create(Abs("/"), b"x")
    s.set(Abs("/"), b"", 12345)


# ---------------------------------------------------------------- chroot-style clients


@scenario()
def chroot_basic(t):
    """a client with chroot R/app: paths in replies and events are chroot-relative"""
    s0 = t.session()
    s0.create("/app")
    c = t.session(chroot="/app")
    c.create("/a", b"1")
    c.create2("/b", b"2")
    c.create("/q-", flags=z.PERSISTENT_SEQUENTIAL)
    c.get("/a")
    c.ls2("/")
    c.exists("/")
    c.sync("/a")
    s0.ls2("/app")


@scenario()
def chroot_events(t):
    """notifications to a chroot client carry the full path (stripped client-side)"""
    s0 = t.session()
    s0.create("/app")
    c = t.session(chroot="/app")
    c.create("/a")
    c.get("/a", watch=True)
    c.ls("/", watch=True)
    c.add_watch("/", z.ADD_PERSISTENT_RECURSIVE)
    s0.set("/app/a", b"x")
    s0.create("/app/b")
    s0.delete("/app/b")


@scenario()
def chroot_multi_and_ephemerals(t):
    """multi results and getEphemerals under a chroot"""
    s0 = t.session()
    s0.create("/app")
    c = t.session(chroot="/app")
    c.multi([m_create("/x"), m_create("/x/e", flags=z.EPHEMERAL), m_create("/s-", flags=z.EPHEMERAL_SEQUENTIAL)])
    c.ephemerals("/")
    c.ephemerals("/x")
    c.multi_read([("getChildren", dict(path="/", watch=False))])


@scenario()
def chroot_missing(t):
    """chroot node that does not exist"""
    c = t.session(chroot="/nothere")
    c.create("/a")
    c.exists("/")
    c.ls("/")


@scenario()
def chroot_nested(t):
    """two-level chroot and paths with '/' at the chroot boundary"""
    s0 = t.session()
    s0.create("/app")
    s0.create("/app/x")
    c = t.session(chroot="/app/x")
    c.create("/", b"")
    c.create("/y", flags=z.PERSISTENT_SEQUENTIAL)
    c.ls2("/")
    c.delete("/")


# ---------------------------------------------------------------- four letter words


def _flw_scenario(word, extra=b"", doc=None):
    def fn(t):
        t.flw(word, extra)
        t.alive_check()
    fn.__doc__ = doc or f"four-letter word '{word}': output structure"
    scenario(name=f"flw_{word}")(fn)


for _w in ("ruok", "srvr", "stat", "conf", "envi", "mntr", "dirs", "gtmk", "isro", "crst", "srst",
           "cons", "dump", "hash"):
    _flw_scenario(_w)
_flw_scenario("stmk", struct.pack(">q", 0), "stmk with an 8-byte trace mask")


@scenario()
def flw_watches(t):
    """wchs / wchc / wchp with this scenario's watches (sessions mapped to labels)"""
    s1, s2 = t.session(), t.session()
    s1.create("/a")
    s1.create("/b")
    s1.get("/a", watch=True)
    s2.ls("/b", watch=True)
    s2.exists("/c", watch=True)
    t.flw("wchs")
    t.flw("wchc")
    t.flw("wchp")


@scenario()
def flw_unknown_word(t):
    """unknown four letters are a huge length: connection closed"""
    out = z.four_letter(t.hostport, "abcd", timeout=3.0)
    t.log(f"abcd -> {out!r}")
    out = z.four_letter(t.hostport, "RUOK", timeout=3.0)
    t.log(f"RUOK -> {out!r}")
    t.alive_check()


@scenario()
def flw_after_handshake(t):
    """'ruok' sent on an established session is just a bad frame"""
    s = t.session()
    s.raw(b"ruok", "ruok")
    s.probe()
    t.alive_check()


# ---------------------------------------------------------------- hostile frames


@scenario()
def hostile_zero_length_frame(t):
    """frame of length 0 after the handshake"""
    s = t.session()
    s.raw(struct.pack(">i", 0), "len=0")
    s.probe()
    t.alive_check()


@scenario()
def hostile_negative_length(t):
    """frame with a negative length"""
    s = t.session()
    s.raw(struct.pack(">i", -1), "len=-1")
    s.probe()
    s2 = t.session()
    s2.raw(struct.pack(">i", -2147483648), "len=INT_MIN")
    s2.probe()
    t.alive_check()


@scenario()
def hostile_oversized_length(t):
    """length prefix far above jute.maxbuffer, just above it, and exactly at it"""
    for n, label in ((0x7fffffff, "h1"), (0xFFFFF + 1, "h2")):
        s = t.session(label=label)
        s.raw(struct.pack(">i", n), f"len={n}")
        s.probe()
    t.alive_check()


@scenario()
def hostile_short_body(t):
    """frames whose body is shorter than the record (truncated getData/create/setData)"""
    for name, args in (("getData", dict(path=t.p("/a"), watch=False)),
                       ("create", dict(path=t.p("/a"), data=b"x", acl=z.OPEN_ACL_UNSAFE, flags=0)),
                       ("setData", dict(path=t.p("/a"), data=b"x", version=-1)),
                       ("multi", dict(ops=[m_create(t.p("/a"))]))):
        s = t.session(label=f"{name}")
        body = z.encode_request(1, name, args)
        s.raw_frame(body[:-1], f"{name} minus last byte")
        s.s.pending.append((1, name))
        s.probe()
    t.alive_check()
    t.session().ls("")


@scenario()
def hostile_header_only(t):
    """frames holding only a request header, or less"""
    s = t.session(label="a")
    s.raw_frame(struct.pack(">ii", 1, 4), "getData header only")
    s.s.pending.append((1, "getData"))
    s.probe()
    s = t.session(label="b")
    s.raw_frame(struct.pack(">i", 1), "4-byte frame")
    s.probe()
    s = t.session(label="c")
    s.raw_frame(struct.pack(">ii", 1, 3) + b"\x00", "exists with 1 body byte")
    s.s.pending.append((1, "exists"))
    s.probe()
    t.alive_check()


@scenario()
def hostile_incomplete_frame(t):
    """a frame cut short: the server keeps waiting, and sees the rest later"""
    s = t.session()
    body = z.encode_request(1, "exists", dict(path=t.p(""), watch=False))
    frame = struct.pack(">i", len(body)) + body
    s.raw(frame[:7], "first 7 bytes")
    t.log(f"after partial frame: {t.probe_closed(s.s, wait=0.5)}")
    s.raw(frame[7:], "rest")
    s.s.pending.append((1, "exists"))
    s.probe()


@scenario()
def hostile_trailing_bytes(t):
    """valid requests with extra bytes after the record"""
    s = t.session()
    body = z.encode_request(1, "create", dict(path=t.p("/a"), data=b"x", acl=z.OPEN_ACL_UNSAFE, flags=0))
    s.raw_frame(body + b"\xde\xad\xbe\xef", "create + 4 junk bytes")
    s.s.pending.append((1, "create"))
    body = z.encode_request(2, "getData", dict(path=t.p("/a"), watch=False))
    s.raw_frame(body + b"\x00" * 100, "getData + 100 zero bytes")
    s.s.pending.append((2, "getData"))
    s.probe()


@scenario()
def hostile_unknown_opcodes(t):
    """opcodes a client must not or cannot use"""
    for op in (10, 23, 99, 108, 200, -3, -12, 0x7fffffff, 20, 0):
        s = t.session(label=f"op{op}")
        s.raw_frame(struct.pack(">ii", 1, op) + z.Writer().string(t.p("/x")).int(-1).bytes(), f"opcode {op}")
        s.s.pending.append((1, "ping"))
        s.probe()
    t.alive_check()


@scenario()
def hostile_create_session_opcode(t):
    """client sends opcode -10 (createSession) on an established session"""
    s = t.session()
    s.raw_frame(struct.pack(">ii", 1, -10) + z.Writer().string(t.p("/x")).int(-1).bytes(), "opcode -10")
    s.await_connect_response("reply to opcode -10")
    s.probe()
    t.alive_check()


@scenario()
def hostile_request_before_connect(t):
    """an ordinary request as the first frame on a new socket"""
    s = t.raw_session()
    s.raw_frame(z.encode_request(1, "getData", dict(path="/", watch=False)), "getData before connect")
    t.log(f"s1: {t.probe_closed(s.s)}")
    s2 = t.raw_session()
    s2.raw_frame(z.encode_request(1, "ping", {}), "ping header before connect")
    t.log(f"s2: {t.probe_closed(s2.s)}")
    s3 = t.raw_session()
    s3.raw_frame(z.encode_request(1, "closeSession", {}), "closeSession before connect")
    t.log(f"s3: {t.probe_closed(s3.s)}")
    t.alive_check()


@scenario()
def hostile_bad_connect_request(t):
    """malformed ConnectRequests"""
    cases = [
        (b"", "empty"),
        (b"\x00" * 8, "8 bytes"),
        (struct.pack(">iqiq", 0, 0, 30000, 0), "no password"),
        (struct.pack(">iqiqi", 0, 0, 30000, 0, 0x7fffffff), "password length 2^31-1"),
        (struct.pack(">iqiqi", 0, 0, 30000, 0, -5), "password length -5"),
        (struct.pack(">iqiqi", 0, 0, 30000, 0, 16) + b"\x00" * 16 + b"\x00\x00\x00", "3 extra bytes"),
    ]
    for i, (body, desc) in enumerate(cases):
        s = t.raw_session(label=f"c{i}")
        s.raw_frame(body, desc)
        if s.await_connect_response("reply", wait=2.0):
            s.probe()
    t.alive_check()


@scenario()
def hostile_bad_strings(t):
    """negative / huge string lengths and invalid UTF-8 in a path"""
    cases = [
        (struct.pack(">iii", 1, 4, -1) + b"\x00", "getData path=null"),
        (struct.pack(">iii", 1, 4, -7) + b"\x00", "getData path len -7"),
        (struct.pack(">iii", 1, 4, 0x7ffffff0) + b"/x\x00", "getData path len huge"),
        (struct.pack(">iii", 1, 4, 3) + b"/\xff\xfe" + b"\x00", "getData invalid utf-8"),
        (struct.pack(">iii", 1, 1, 2) + b"/\xc3" + struct.pack(">ii", 0, 0) + b"", "create truncated utf-8"),
    ]
    for i, (body, desc) in enumerate(cases):
        s = t.session(label=f"b{i}")
        s.raw_frame(body, desc)
        s.s.pending.append((1, "getData" if i < 4 else "create"))
        s.probe()
    t.alive_check()


@scenario()
def hostile_bad_vectors(t):
    """ACL vector with a huge count; multi with a bogus header type"""
    s = t.session(label="v1")
    body = struct.pack(">ii", 1, 1) + z.Writer().string(t.p("/a")).buffer(b"").int(0x7fffffff).bytes()
    s.raw_frame(body, "create acl count 2^31-1")
    s.s.pending.append((1, "create"))
    s.probe()
    s = t.session(label="v2")
    body = struct.pack(">ii", 1, 14) + struct.pack(">i?i", 77, False, -1) + z.Writer().string(t.p("/a")).int(-1).bytes()
    body += struct.pack(">i?i", -1, True, -1)
    s.raw_frame(body, "multi op type 77")
    s.s.pending.append((1, "multi"))
    s.probe()
    s = t.session(label="v3")
    body = struct.pack(">ii", 1, 14) + struct.pack(">i?i", 1, False, -1)
    s.raw_frame(body, "multi without terminator")
    s.s.pending.append((1, "multi"))
    s.probe()
    s = t.session(label="v4")
    body = struct.pack(">ii", 1, 101) + struct.pack(">qi", 0, 0x7fffffff)
    s.raw_frame(body, "setWatches data count 2^31-1")
    s.s.pending.append((1, "setWatches"))
    s.probe()
    t.alive_check()
    t.session().ls("")


@scenario()
def hostile_garbage_stream(t):
    """random-looking bytes after the handshake"""
    s = t.session()
    s.raw(bytes((i * 37 + 11) & 0xFF for i in range(64)), "64 pseudo-random bytes")
    s.probe()
    t.alive_check()


@scenario()
def hostile_notification_opcode(t):
    """client sends opcode 0 (notification) and -11 with odd xids"""
    s = t.session()
    s.op("closeSession", xid=-1, _timeout=1.0)
    s.probe()
    t.alive_check()


# ---------------------------------------------------------------- special opcodes


@scenario()
def reconfig_disabled(t):
    """reconfig on a server without reconfigEnabled"""
    s = t.session()
    s.op("reconfig", joining="server.5=127.0.0.1:2888:3888;2181", leaving=None, members=None, configId=-1)
    s.op("reconfig", joining=None, leaving="1", members=None, configId=-1)
    s.probe()


@scenario()
def sasl_without_sasl(t):
    """sasl opcode (102) on a server without SASL configured"""
    s = t.session()
    s.op("sasl", token=b"\x01\x02")
    s.probe()
    t.alive_check()


@scenario()
def getdata_stat_fields_mixed(t):
    """all read opcodes agree on the Stat of one node"""
    s = t.session()
    s.create("/n", b"abc")
    s.create("/n/c", flags=z.EPHEMERAL)
    s.set("/n", b"abcd")
    s.get("/n")
    s.exists("/n")
    s.ls2("/n")
    s.get_acl("/n")
    s.multi_read([("getData", dict(path="/n", watch=False))])


@scenario(divergent="ZooKeeper 3.8.0 never answers a passing standalone check (ZOOKEEPER-2623) though it logs "
                    "it; Coord logs it too and answers UNIMPLEMENTED, as 3.8.5+/3.9.3+ answer a lone check")
def check_standalone(t):
    """check (opcode 13) sent on its own, outside multi"""
    s = t.session()
    s.create("/a")
    s.op("check", path="/a", version=0, _timeout=1.0)
    s.probe(wait=1.0)
    s.exists("/a")


@scenario()
def check_standalone_failing(t):
    """a failing check (opcode 13) on its own: answered with its error, an error txn logged, as in 3.8.0"""
    s = t.session()
    s.create("/a")
    s.op("check", path="/a", version=5)
    s.op("check", path="/nope", version=-1)
    s.op("check", path="bad", version=-1)
    s.op("check", path="/a/", version=-1)
    s.set("/a", b"x")
    s.exists("/a")
