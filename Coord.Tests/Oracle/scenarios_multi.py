"""Scenarios: multi (transactions) and multiRead."""

from harness import (scenario, Abs, m_create, m_create2, m_container, m_ttl, m_delete, m_set,
                     m_check, m_get, m_ls)
import zkwire as z


@scenario()
def multi_all_success(t):
    """create, setData, check, delete in one multi; one zxid"""
    s = t.session()
    s.create("/a", b"0")
    s.multi([m_create("/b", b"1"), m_set("/a", b"x"), m_check("/a", 1), m_create("/b/c"),
             m_delete("/b/c")])
    s.get("/a")
    s.ls2("")


@scenario()
def multi_empty(t):
    """multi with no ops"""
    s = t.session()
    s.multi([])
    s.exists("")


@scenario()
def multi_fail_first(t):
    """first op fails: remaining ops RuntimeInconsistency, nothing applied"""
    s = t.session()
    s.create("/a")
    s.multi([m_create("/a"), m_create("/b"), m_set("/a", b"x")])
    s.exists("/b")
    s.get("/a")


@scenario()
def multi_fail_middle(t):
    """middle op fails: earlier ops rolled back (OK), later RuntimeInconsistency"""
    s = t.session()
    s.create("/a")
    s.multi([m_create("/b"), m_set("/a", b"x"), m_delete("/none"), m_create("/c"), m_check("/a", 0)])
    s.ls2("")
    s.get("/a")


@scenario()
def multi_fail_last(t):
    """last op fails"""
    s = t.session()
    s.create("/a")
    s.multi([m_create("/b"), m_set("/a", b"x"), m_check("/a", 0)])
    s.ls2("")


@scenario()
def multi_check_ops(t):
    """check op: matching version, wrong version, missing node, -1"""
    s = t.session()
    s.create("/a")
    s.set("/a", b"1")
    s.multi([m_check("/a", 1)])
    s.multi([m_check("/a", 0)])
    s.multi([m_check("/a", -1)])
    s.multi([m_check("/none", -1)])
    s.multi([m_check("/none", 0), m_create("/x")])
    s.multi([m_check(Abs("bad"), 0)])


@scenario()
def multi_two_failures(t):
    """two failing ops: only the first is reported with its own code"""
    s = t.session()
    s.create("/a")
    s.multi([m_delete("/none1"), m_create("/a"), m_set("/none2", b"")])
    s.multi([m_create("/x"), m_create("/x")])
    s.exists("/x")


@scenario()
def multi_create_modes(t):
    """multi with create2, container, TTL, sequential and ephemeral creates"""
    s = t.session()
    s.multi([m_create("/p"), m_create2("/p/c2", b"d"), m_container("/p/cont"), m_ttl("/p/ttl", 3600_000),
             m_create("/p/seq-", flags=z.PERSISTENT_SEQUENTIAL),
             m_create2("/p/seq-", flags=z.PERSISTENT_SEQUENTIAL),
             m_create("/p/eph", flags=z.EPHEMERAL),
             m_create("/p/es-", flags=z.EPHEMERAL_SEQUENTIAL),
             m_ttl("/p/ttlseq-", 3600_000, flags=z.PERSISTENT_SEQUENTIAL_WITH_TTL)])
    s.ls2("/p")
    s.get("/p/eph")
    s.ephemerals()


@scenario()
def multi_create_bad_args(t):
    """multi sub-op errors: bad path, bad flags, bad ttl, NoChildrenForEphemerals"""
    s = t.session()
    s.create("/e", flags=z.EPHEMERAL)
    s.multi([m_create(Abs("bad"))])
    s.multi([m_create("/x", flags=9)])
    s.multi([m_ttl("/x", 0)])
    s.multi([m_create("/e/c")])
    s.multi([m_create("/x/")])
    s.multi([m_create("/ok"), m_create("/x", acl=[])])


@scenario()
def multi_create_then_delete_same(t):
    """create and delete of the same node inside one multi"""
    s1, s2 = t.session(), t.session()
    s2.exists("/a", watch=True)
    s1.multi([m_create("/a"), m_set("/a", b"x"), m_delete("/a")])
    s1.exists("/a")
    s1.exists("")


@scenario()
def multi_sequential_numbering(t):
    """several sequential creates in one multi, failed multi does not use numbers"""
    s = t.session()
    s.create("/q")
    s.multi([m_create("/q/n", flags=z.PERSISTENT_SEQUENTIAL), m_create("/q/n", flags=z.PERSISTENT_SEQUENTIAL)])
    s.multi([m_create("/q/n", flags=z.PERSISTENT_SEQUENTIAL), m_delete("/none")])
    s.create("/q/n", flags=z.PERSISTENT_SEQUENTIAL)
    s.ls2("/q")


@scenario()
def multi_version_chain(t):
    """setData versions chained within one multi"""
    s = t.session()
    s.create("/a")
    s.multi([m_set("/a", b"1", 0), m_set("/a", b"2", 1), m_check("/a", 2), m_set("/a", b"3", 2)])
    s.multi([m_set("/a", b"4", 3), m_set("/a", b"5", 3)])
    s.get("/a")


@scenario()
def multi_delete_order(t):
    """delete parent before child fails NotEmpty; child first succeeds"""
    s = t.session()
    s.create("/p")
    s.create("/p/c")
    s.multi([m_delete("/p"), m_delete("/p/c")])
    s.multi([m_delete("/p/c"), m_delete("/p")])
    s.exists("/p")


@scenario()
def multi_read_op_inside(t):
    """a read op (getData / getChildren) inside a write multi"""
    s = t.session()
    s.create("/a", b"x")
    s.multi([m_get("/a")])
    s.multi([m_create("/b"), m_ls("")])
    s.exists("/b")


@scenario()
def multi_unknown_op_inside(t):
    """multi containing exists, sync and nested multi ops"""
    s = t.session()
    s.create("/a")
    s.multi([("exists", dict(path="/a", watch=False))])
    s.probe()
    s2 = t.session()
    s2.multi([("sync", dict(path="/a"))])
    s2.probe()
    t.alive_check()


@scenario()
def multi_large(t):
    """multi with 200 creates"""
    s = t.session()
    s.create("/p")
    s.multi([m_create(f"/p/n{i:03d}") for i in range(200)])
    s.ls2("/p")
    s.multi([m_delete(f"/p/n{i:03d}") for i in range(200)])
    s.ls2("/p")


@scenario()
def multi_stat_semantics(t):
    """parent cversion/pzxid after create+delete of children in one multi"""
    s = t.session()
    s.create("/p")
    s.multi([m_create("/p/a"), m_create("/p/b"), m_delete("/p/a")])
    s.exists("/p")
    s.multi([m_create2("/p/c"), m_set("/p", b"x")])
    s.exists("/p")


@scenario()
def multi_ephemeral_owner(t):
    """ephemerals created in a multi belong to the caller and vanish on close"""
    s1, s2 = t.session(), t.session()
    s1.multi([m_create("/e1", flags=z.EPHEMERAL), m_create("/e2", flags=z.EPHEMERAL_SEQUENTIAL)])
    s2.ls2("", watch=True)
    s2.exists("/e1")
    s1.close()
    s2.ls2("")


@scenario()
def multi_consumes_one_zxid(t):
    """successful and failed multis each take exactly one zxid"""
    s = t.session()
    s.multi([m_create("/a"), m_create("/b"), m_create("/c")])
    s.multi([m_create("/d"), m_create("/a")])
    s.create("/e")
    s.exists("/e")


@scenario()
def multi_read_basic(t):
    """multiRead of getData and getChildren"""
    s = t.session()
    s.create("/a", b"1")
    s.create("/a/b", b"2")
    s.multi_read([m_get("/a"), m_ls("/a"), m_get("/a/b"), m_ls("")])


@scenario()
def multi_read_partial_failure(t):
    """multiRead: failing reads give per-op errors, others still answered"""
    s = t.session()
    s.create("/a", b"1")
    s.multi_read([m_get("/none"), m_get("/a"), m_ls("/none"), m_ls("/a"), m_get(Abs("bad"))])


@scenario()
def multi_read_empty(t):
    """multiRead with no ops"""
    s = t.session()
    s.multi_read([])


@scenario()
def multi_read_with_write(t):
    """multiRead containing a write op is rejected"""
    s = t.session()
    s.create("/a")
    s.multi_read([m_get("/a"), m_set("/a", b"x")])
    s.probe()
    s2 = t.session()
    s2.multi_read([m_create("/b")])
    s2.probe()
    t.alive_check()
    t.session().ls2("")


@scenario()
def multi_write_mixed_read(t):
    """multi mixing a write with a read"""
    s = t.session()
    s.create("/a", b"x")
    s.multi([m_set("/a", b"y"), m_get("/a")])
    s.probe()
    t.session().get("/a")


@scenario()
def multi_read_watch_flag(t):
    """multiRead sub-requests with watch=true"""
    s1, s2 = t.session(), t.session()
    s1.create("/a")
    s2.multi_read([("getData", dict(path="/a", watch=True)), ("getChildren", dict(path="/a", watch=True))])
    s1.set("/a", b"x")
    s1.create("/a/c")


@scenario()
def multi_read_noauth(t):
    """multiRead with an unreadable node"""
    s = t.session()
    s.create("/secret", b"s", acl=[(z.WRITE, "world", "anyone"), (z.DELETE, "world", "anyone")])
    s.create("/open", b"o")
    s.multi_read([m_get("/secret"), m_get("/open"), m_ls("/secret")])


@scenario()
def multi_noauth_op(t):
    """multi with an op failing NoAuth"""
    s = t.session()
    s.create("/ro", b"x", acl=z.READ_ACL_UNSAFE)
    s.multi([m_create("/a"), m_set("/ro", b"y")])
    s.multi([m_create("/ro/c")])
    s.exists("/a")


@scenario()
def multi_pipelined(t):
    """several multis pipelined"""
    s = t.session()
    s.pipeline([("multi", dict(ops=[m_create("/a"), m_create("/a/b")])),
                ("multi", dict(ops=[m_create("/a")])),
                ("multiRead", dict(ops=[m_ls("/a")])),
                ("multi", dict(ops=[m_delete("/a/b"), m_delete("/a")]))])
