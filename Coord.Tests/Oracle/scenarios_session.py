"""Scenarios: handshake, session lifecycle, reconnect, setWatches replay, xids, pipelining."""

from harness import scenario, Abs
import zkwire as z


# ---------------------------------------------------------------- handshake


@scenario()
def connect_timeout_negotiation(t):
    """requested session timeouts are clamped to [2, 20] x tickTime"""
    for ms in (1, 1000, 3999, 4000, 10000, 40000, 40001, 100000, 0, -1, 0x7fffffff):
        s = t.session(timeout_ms=ms, label=f"t{ms}")
        s.close()


@scenario()
def connect_without_readonly_byte(t):
    """44-byte ConnectRequest (no readOnly flag): 36 or 37-byte response"""
    s = t.session(with_read_only=False)
    s.create("/a")
    s.close()


@scenario()
def connect_readonly_flag(t):
    """readOnly=true on a read-write server"""
    s = t.session(read_only=True)
    s.create("/a")
    s.get("/a")


@scenario()
def connect_protocol_versions(t):
    """ConnectRequest.protocolVersion other than 0"""
    for v in (1, -1, 12345):
        s = t.session(protocol_version=v, label=f"v{v}")
        s.ping()


@scenario()
def connect_new_session_password_variants(t):
    """new session with non-zero, short and null passwords"""
    a = t.session(passwd=b"\x01" * 16, label="a")
    a.ping()
    b = t.session(passwd=b"", label="b")
    b.ping()
    c = t.session(passwd=b"\x05" * 40, label="c")
    c.ping()


@scenario()
def connect_twice_on_one_socket(t):
    """a second ConnectRequest on an established connection"""
    s = t.session()
    s.raw_frame(s.s.connect_request(30000), "ConnectRequest again")
    s.s.pending.append((0, "ping"))   # read as a request: xid=protocolVersion=0
    s.probe()
    t.alive_check()


@scenario()
def connect_last_zxid_ahead(t):
    """new session claiming lastZxidSeen beyond the server's: refused"""
    s = t.session(last_zxid=1 << 60)
    t.alive_check()


# ---------------------------------------------------------------- close / reconnect


@scenario()
def close_session_basic(t):
    """closeSession reply, then the server closes the socket"""
    s = t.session()
    s.create("/e", flags=z.EPHEMERAL)
    s.close()
    t.log(f"s1 after close: {t.probe_closed(s.s)}")
    s2 = t.session()
    s2.exists("/e")


@scenario()
def close_session_then_request(t):
    """a read sent after the closeSession reply: the connection is already closing"""
    s = t.session()
    s.close()
    s.exists("", watch=False)


@scenario()
def close_session_other_sessions_unaffected(t):
    """closing one session leaves another session's ephemerals and watches alone"""
    s1, s2 = t.session(), t.session()
    s1.create("/e1", flags=z.EPHEMERAL)
    s2.create("/e2", flags=z.EPHEMERAL)
    s2.get("/e1", watch=True)
    s1.get("/e2", watch=True)
    s1.close()
    s2.ls2("")
    s2.ephemerals()


@scenario()
def reconnect_same_session(t):
    """reconnect with id+password: same session, ephemerals kept, watches not"""
    s1, s2 = t.session(), t.session()
    s1.create("/e", flags=z.EPHEMERAL)
    s1.get("/e", watch=True)
    s1.disconnect()
    s2.exists("/e")
    s1.reconnect()
    s2.set("/e", b"x")
    s1.exists("/e")
    s1.ephemerals()
    s1.close()
    s2.exists("/e")


@scenario()
def reconnect_wrong_password(t):
    """reconnect with a wrong password: rejected, session unaffected"""
    s1, s2 = t.session(), t.session()
    s1.create("/e", flags=z.EPHEMERAL)
    s2.reconnect(session_id=s1.session_id, passwd=b"\x00" * 16, desc="reconnect-as-s1-wrong-pw")
    s1.exists("/e")
    s1.reconnect()
    s1.exists("/e")


@scenario()
def reconnect_unknown_session(t):
    """reconnect with a session id that never existed"""
    s = t.session(connect=False)
    s.connect(session_id=0x0badc0ffee, passwd=b"\x11" * 16, desc="connect-unknown-sid")
    t.alive_check()


@scenario()
def reconnect_closed_session(t):
    """reconnect to a session that was closed"""
    s = t.session()
    sid, pw = s.session_id, s.passwd
    s.close()
    s2 = t.session(connect=False)
    s2.connect(session_id=sid, passwd=pw, desc="connect-closed-s1")


@scenario()
def reconnect_while_old_connection_open(t):
    """second connection for the same session: what happens to the first"""
    s1 = t.session()
    s1.create("/e", flags=z.EPHEMERAL)
    old = s1.s
    s1.reconnect()
    t.log(f"old connection: {t.probe_closed(old)}")
    s1.exists("/e")


@scenario()
def reconnect_last_zxid_ahead(t):
    """reconnect claiming a future lastZxidSeen: refused, session survives"""
    s1 = t.session()
    s1.create("/e", flags=z.EPHEMERAL)
    s1.disconnect()
    s1.reconnect(last_zxid=1 << 60, desc="reconnect-future-zxid")
    s1.reconnect(desc="reconnect-again")
    s1.exists("/e")


@scenario()
def reconnect_keeps_xid_independent(t):
    """xids restart on the new connection; the server just echoes them"""
    s1 = t.session()
    s1.create("/a")
    s1.disconnect()
    s1.reconnect()
    s1.get("/a")


@scenario(slow=True)
def session_expiry(t):
    """a dropped session expires: ephemerals deleted, watchers told, reconnect refused"""
    s1 = t.session(timeout_ms=4000)
    s2 = t.session()
    s1.create("/e", flags=z.EPHEMERAL)
    s1.create("/e2", flags=z.EPHEMERAL_SEQUENTIAL)
    s2.exists("/e", watch=True)
    s2.ls("", watch=True)
    s1.disconnect()
    s2.expect_events(2, timeout=20)
    s2.ls2("")
    s1.reconnect(desc="reconnect-after-expiry")


@scenario()
def watches_dropped_on_disconnect(t):
    """watches belong to the connection: no events after reconnect without setWatches"""
    s1, s2 = t.session(), t.session()
    s1.create("/a")
    s1.get("/a", watch=True)
    s1.add_watch("/a", z.ADD_PERSISTENT)
    s1.disconnect()
    s1.reconnect()
    s2.set("/a", b"x")
    s1.check_watches("/a", z.W_ANY)
    s1.ping()


# ---------------------------------------------------------------- setWatches


def _rel(s):
    return s.s.last_zxid


@scenario()
def setwatches_replay_data_changed(t):
    """setWatches after reconnect replays a missed NodeDataChanged"""
    s1, s2 = t.session(), t.session()
    s1.create("/a")
    s1.get("/a", watch=True)
    rel = _rel(s1)
    s1.disconnect()
    s2.set("/a", b"x")
    s1.reconnect()
    s1.op("setWatches", relativeZxid=rel, data=["/a"], exist=[], child=[])
    s1.ping()


@scenario()
def setwatches_replay_deleted(t):
    """missed deletion replayed as NodeDeleted for data, exist and child watches"""
    s1, s2 = t.session(), t.session()
    s1.create("/a")
    s1.create("/b")
    s1.create("/c")
    rel = _rel(s1)
    s1.disconnect()
    s2.delete("/a")
    s2.delete("/b")
    s2.delete("/c")
    s1.reconnect()
    s1.op("setWatches", relativeZxid=rel, data=["/a"], exist=["/b"], child=["/c"])


@scenario()
def setwatches_replay_created(t):
    """exist watch on a node created meanwhile: NodeCreated"""
    s1, s2 = t.session(), t.session()
    rel = _rel(s1)
    s1.disconnect()
    s2.create("/a")
    s1.reconnect()
    s1.op("setWatches", relativeZxid=rel, data=[], exist=["/a", "/never"], child=[])
    s2.create("/never")


@scenario()
def setwatches_replay_children(t):
    """child watch with a missed child create: NodeChildrenChanged"""
    s1, s2 = t.session(), t.session()
    s1.create("/p")
    rel = _rel(s1)
    s1.disconnect()
    s2.create("/p/c")
    s1.reconnect()
    s1.op("setWatches", relativeZxid=rel, data=["/p"], exist=[], child=["/p"])
    s2.set("/p", b"x")


@scenario()
def setwatches_nothing_missed(t):
    """setWatches with a current zxid: no replay, watches armed for later"""
    s1, s2 = t.session(), t.session()
    s1.create("/a")
    s1.create("/p")
    s1.disconnect()
    s1.reconnect()
    s1.op("setWatches", relativeZxid=_rel(s1), data=["/a"], exist=["/x"], child=["/p"])
    s2.set("/a", b"1")
    s2.create("/x")
    s2.create("/p/c")
    s2.set("/a", b"2")


@scenario()
def setwatches_zero_relzxid(t):
    """setWatches with relativeZxid 0 on nodes never changed"""
    s1, s2 = t.session(), t.session()
    s1.create("/a")
    s1.op("setWatches", relativeZxid=0, data=["/a", "/none"], exist=["/a", "/none"], child=["/a", "/none"])
    s1.ping()


@scenario()
def setwatches_missing_nodes(t):
    """data/child watches on missing nodes: NodeDeleted replay"""
    s1 = t.session()
    rel = _rel(s1)
    s1.op("setWatches", relativeZxid=rel, data=["/gone"], exist=[], child=["/gone2"])
    s1.create("/gone")


@scenario()
def setwatches2_persistent(t):
    """setWatches2 restores persistent and recursive watches"""
    s1, s2 = t.session(), t.session()
    s1.create("/p")
    s1.create("/r")
    rel = _rel(s1)
    s1.disconnect()
    s2.set("/p", b"missed")
    s1.reconnect()
    s1.op("setWatches2", relativeZxid=rel, data=[], exist=[], child=[], persistent=["/p"],
          persistentRecursive=["/r"])
    s2.set("/p", b"1")
    s2.create("/r/x")
    s2.create("/r/x/y")
    s2.set("/p", b"2")


@scenario()
def setwatches_on_fresh_session(t):
    """setWatches on a brand new session, plus an invalid path in the lists"""
    s1, s2 = t.session(), t.session()
    s1.create("/a")
    s2.op("setWatches", relativeZxid=_rel(s2), data=["/a", Abs("bad")], exist=[], child=[])
    s1.set("/a", b"x")


@scenario()
def setwatches_normal_xid(t):
    """setWatches sent with an ordinary xid instead of -8"""
    s1, s2 = t.session(), t.session()
    s1.create("/a")
    s2.op("setWatches", xid=77, relativeZxid=_rel(s2), data=["/a"], exist=[], child=[])
    s1.set("/a", b"x")


# ---------------------------------------------------------------- xids and pipelining


@scenario()
def xid_echo(t):
    """the server echoes arbitrary xids"""
    s = t.session()
    s.create("/a")
    for x in (1000, 7, 0, 0x7fffffff, -5, -3, -100):
        s.op("getData", xid=x, path="/a", watch=False)


@scenario()
def xid_special_values(t):
    """ordinary requests sent with the reserved xids -1, -2, -4, -8"""
    s = t.session()
    s.create("/a")
    for x in (-2, -4, -8):
        s.op("exists", xid=x, path="/a", watch=False)
    s.probe()
    s2 = t.session()
    s2.op("exists", xid=-1, path="/a", watch=False, _timeout=1.0)
    s2.probe()


@scenario()
def xid_duplicates(t):
    """the same xid used twice in a pipeline"""
    s = t.session()
    body = z.encode_request(5, "create", dict(path=t.p("/a"), data=b"", acl=z.OPEN_ACL_UNSAFE, flags=0))
    body2 = z.encode_request(5, "getData", dict(path=t.p("/a"), watch=False))
    s.raw_frame(body, "create xid=5")
    s.raw_frame(body2, "getData xid=5")
    s.s.pending += [(5, "create"), (5, "getData")]
    s.probe()


@scenario()
def ping_variants(t):
    """ping with xid -2 and with an ordinary xid"""
    s = t.session()
    s.create("/a")
    s.ping()
    s.op("ping", xid=9, _timeout=1.0)
    s.ping()


@scenario()
def pipeline_mixed(t):
    """60 pipelined reads and writes answered in order"""
    s = t.session()
    reqs = []
    for i in range(20):
        reqs.append(("create", dict(path=f"/n{i}", data=b"", acl=z.OPEN_ACL_UNSAFE, flags=z.EPHEMERAL if i % 2 else 0)))
        reqs.append(("getData", dict(path=f"/n{i // 2}", watch=False)))
        reqs.append(("setData", dict(path=f"/n{i}", data=b"v", version=0)))
    s.pipeline(reqs)
    s.ls2("")


@scenario()
def pipeline_with_watch_events(t):
    """pipelined writes triggering the same session's watches: event order vs replies"""
    s = t.session()
    s.create("/a")
    s.get("/a", watch=True)
    s.ls("/a", watch=True)
    s.pipeline([("setData", dict(path="/a", data=b"1", version=-1)),
                ("create", dict(path="/a/b", data=b"", acl=z.OPEN_ACL_UNSAFE, flags=0)),
                ("getData", dict(path="/a", watch=True)),
                ("setData", dict(path="/a", data=b"2", version=-1))])


@scenario()
def pipeline_read_after_write(t):
    """read pipelined after a write sees the write"""
    s1, s2 = t.session(), t.session()
    s1.pipeline([("create", dict(path="/a", data=b"v1", acl=z.OPEN_ACL_UNSAFE, flags=0)),
                 ("getData", dict(path="/a", watch=False)),
                 ("setData", dict(path="/a", data=b"v2", version=-1)),
                 ("getData", dict(path="/a", watch=False)),
                 ("delete", dict(path="/a", version=-1)),
                 ("exists", dict(path="/a", watch=False))])


@scenario()
def many_sessions(t):
    """ten sessions with ephemerals, closed in reverse order"""
    ss = [t.session() for _ in range(10)]
    for i, s in enumerate(ss):
        s.create(f"/e{i}", flags=z.EPHEMERAL)
    ss[0].ls2("")
    for s in reversed(ss[1:]):
        s.close()
    ss[0].ls2("")
