"""Scenarios: create/delete/get/set, node types, Stat semantics, sizes."""

from harness import scenario, Abs, m_delete
import zkwire as z

BIN = bytes(range(256))


# ---------------------------------------------------------------- create


@scenario()
def create_persistent_basic(t):
    """create, then read it back with every read opcode"""
    s = t.session()
    s.create("/a", b"hello")
    s.get("/a")
    s.exists("/a")
    s.ls("/a")
    s.ls2("/a")
    s.ls2("")
    s.get_acl("/a")


@scenario()
def create2_returns_stat(t):
    """create2 returns path and Stat; parent stat afterwards"""
    s = t.session()
    s.create2("/a", b"x")
    s.create2("/a/b", b"")
    s.exists("/a")
    s.exists("")


@scenario()
def create_node_exists(t):
    """create on an existing path: NodeExists (create and create2)"""
    s = t.session()
    s.create("/a")
    s.create("/a", b"again")
    s.create2("/a")
    s.get("/a")


@scenario()
def create_no_parent(t):
    """create below a missing parent: NoNode"""
    s = t.session()
    s.create("/missing/child")
    s.create2("/missing/child", flags=z.PERSISTENT_SEQUENTIAL)
    s.create("/missing/child", flags=z.EPHEMERAL)
    s.exists("/missing")


@scenario()
def create_null_and_empty_data(t):
    """data: null buffer vs empty buffer vs one byte"""
    s = t.session()
    s.create("/null", None)
    s.create("/empty", b"")
    s.create("/one", b"\x00")
    s.get("/null")
    s.get("/empty")
    s.get("/one")
    s.set("/empty", None)
    s.get("/empty")


@scenario()
def create_binary_data(t):
    """all 256 byte values round-trip"""
    s = t.session()
    s.create("/bin", BIN)
    s.get("/bin")
    s.set("/bin", BIN[::-1])
    s.get("/bin")


@scenario()
def create_invalid_paths(t):
    """path validation on create: BadArguments"""
    s = t.session()
    for p in [Abs(""), Abs("a"), Abs("noslash/x"), "/", "/a/", "//a", "/a//b", "/./a", "/.",
              "/..", "/a/.", "/a/..", "/a/./b", "/a/../b", "/a\x00b", "/a\x01b", "/a\x7fb",
              "/a\u0085b", "/a\ud7ffb", "/a\ue000b", "/a\ufff0b"]:
        s.create(p, b"")
    s.ls("")


@scenario()
def create_valid_unusual_paths(t):
    """valid but unusual names: dots, spaces, unicode, long names"""
    s = t.session()
    for p in ["/.a", "/a.", "/...", "/a b", "/\u00fc\u00df", "/\u65e5\u672c", "/a-b_c:d@e",
              "/" + "n" * 200, "/zookeeper", "/0000000001"]:
        s.create(p, p.encode("utf-8"))
    s.ls2("")
    s.get("/\u65e5\u672c")


@scenario()
def create_invalid_flags(t):
    """unknown CreateMode flags"""
    s = t.session()
    for f in (7, 8, 16, 99, -1, 0x7fffffff):
        s.create(f"/f{f}", b"", flags=f)
        s.create2(f"/g{f}", b"", flags=f)
    s.ls("")


@scenario()
def create_ttl_flags_via_create(t):
    """TTL / container flags sent through create and create2 (not createTTL/createContainer)"""
    s = t.session()
    s.create("/ttl5", flags=z.PERSISTENT_WITH_TTL)
    s.create("/ttl6", flags=z.PERSISTENT_SEQUENTIAL_WITH_TTL)
    s.create2("/ttl5b", flags=z.PERSISTENT_WITH_TTL)
    s.create("/cont", flags=z.CONTAINER)
    s.create2("/cont2", flags=z.CONTAINER)
    s.ls("")
    s.exists("/cont2")


@scenario()
def create_root_path(t):
    """create "/" and the scenario root itself"""
    s = t.session()
    s.create(Abs("/"))
    s.create("")
    s.create2("")


# ---------------------------------------------------------------- sequential


@scenario()
def sequential_basic(t):
    """three sequential children, suffix %010d"""
    s = t.session()
    s.create("/q")
    for _ in range(3):
        s.create("/q/n", flags=z.PERSISTENT_SEQUENTIAL)
    s.create2("/q/n", flags=z.PERSISTENT_SEQUENTIAL)
    s.ls2("/q")


@scenario()
def sequential_after_deletes(t):
    """suffix follows the parent's create counter, not the child count"""
    s = t.session()
    s.create("/q")
    for _ in range(3):
        s.create("/q/n", flags=z.PERSISTENT_SEQUENTIAL)
    s.delete("/q/n0000000000")
    s.delete("/q/n0000000001")
    s.create("/q/plain")
    s.create("/q/n", flags=z.PERSISTENT_SEQUENTIAL)
    s.delete("/q/plain")
    s.create("/q/n", flags=z.PERSISTENT_SEQUENTIAL)
    s.ls2("/q")


@scenario()
def sequential_trailing_slash(t):
    """sequential create of "parent/" yields parent/0000000000"""
    s = t.session()
    s.create("/q")
    s.create("/q/", flags=z.PERSISTENT_SEQUENTIAL)
    s.create("/q/", flags=z.EPHEMERAL_SEQUENTIAL)
    s.create("/q/", flags=z.PERSISTENT)
    s.ls("/q")


@scenario()
def sequential_prefixes(t):
    """different prefixes share one counter per parent"""
    s = t.session()
    s.create("/q")
    s.create("/q/a-", flags=z.PERSISTENT_SEQUENTIAL)
    s.create("/q/b-", flags=z.PERSISTENT_SEQUENTIAL)
    s.create("/q/a-", flags=z.EPHEMERAL_SEQUENTIAL)
    s.create("/q/x")
    s.create("/q/", flags=z.PERSISTENT_SEQUENTIAL)
    s.ls2("/q")


@scenario()
def sequential_existing_name(t):
    """sequential create colliding with an existing node name"""
    s = t.session()
    s.create("/q")
    s.create("/q/n0000000001")
    s.create("/q/n", flags=z.PERSISTENT_SEQUENTIAL)
    s.create("/q/n", flags=z.PERSISTENT_SEQUENTIAL)
    s.create("/q/n", flags=z.PERSISTENT_SEQUENTIAL)
    s.ls2("/q")


@scenario()
def sequential_failed_create_counter(t):
    """a failed sequential create (NoNode / NoChildrenForEphemerals) and the counter"""
    s = t.session()
    s.create("/q")
    s.create("/q/n", flags=z.PERSISTENT_SEQUENTIAL)
    s.create("/q/missing/n", flags=z.PERSISTENT_SEQUENTIAL)
    s.create("/q/e", flags=z.EPHEMERAL)
    s.create("/q/e/n", flags=z.PERSISTENT_SEQUENTIAL)
    s.create("/q/n", flags=z.PERSISTENT_SEQUENTIAL)
    s.ls2("/q")


@scenario()
def ephemeral_sequential(t):
    """ephemeral sequential nodes, their owner, removal on close"""
    s1 = t.session()
    s2 = t.session()
    s1.create("/q")
    s1.create2("/q/lock-", flags=z.EPHEMERAL_SEQUENTIAL)
    s2.create2("/q/lock-", flags=z.EPHEMERAL_SEQUENTIAL)
    s1.create2("/q/lock-", flags=z.EPHEMERAL_SEQUENTIAL)
    s2.ls2("/q")
    s1.close()
    s2.ls2("/q")


# ---------------------------------------------------------------- delete


@scenario()
def delete_basic(t):
    """delete a leaf; parent stat before and after"""
    s = t.session()
    s.create("/a")
    s.create("/a/b", b"x")
    s.exists("/a")
    s.delete("/a/b")
    s.exists("/a")
    s.exists("/a/b")
    s.get("/a/b")


@scenario()
def delete_errors(t):
    """delete: NoNode, BadVersion, NotEmpty, invalid path"""
    s = t.session()
    s.delete("/nothing")
    s.create("/a")
    s.create("/a/b")
    s.delete("/a")
    s.delete("/a/b", version=5)
    s.delete("/a/b", version=-2)
    s.delete("/a/b", version=0)
    s.delete("/a", version=0)
    s.delete("/a/")
    s.delete(Abs("a"))
    s.delete("//a")


@scenario()
def delete_version_after_set(t):
    """delete with a stale vs current version after setData"""
    s = t.session()
    s.create("/a")
    s.set("/a", b"1")
    s.set("/a", b"2")
    s.delete("/a", version=0)
    s.delete("/a", version=1)
    s.delete("/a", version=2)


@scenario()
def delete_reserved(t):
    """delete "/", "/zookeeper", "/zookeeper/quota", "/zookeeper/config"""
    s = t.session()
    for p in ("/", "/zookeeper", "/zookeeper/quota", "/zookeeper/config"):
        s.delete(Abs(p))
    s.exists(Abs("/zookeeper"))


@scenario()
def recreate_resets_stat(t):
    """delete and re-create: versions reset, zxids new"""
    s = t.session()
    s.create("/a", b"1")
    s.set("/a", b"2")
    s.set_acl("/a", z.OPEN_ACL_UNSAFE)
    s.create("/a/c")
    s.delete("/a/c")
    s.get("/a")
    s.delete("/a")
    s.create("/a", b"3")
    s.get("/a")


# ---------------------------------------------------------------- get/set/exists


@scenario()
def setdata_versions(t):
    """setData with -1, matching, stale and future versions"""
    s = t.session()
    s.create("/a", b"0")
    s.set("/a", b"1", -1)
    s.set("/a", b"2", 1)
    s.set("/a", b"3", 1)
    s.set("/a", b"4", 7)
    s.set("/a", b"5", -2)
    s.get("/a")


@scenario()
def setdata_nonode(t):
    """setData on a missing node and on invalid paths"""
    s = t.session()
    s.set("/nope", b"x")
    s.set("/nope/deeper", b"x", 3)
    s.set(Abs("bad"), b"x")
    s.set("/a/", b"x")


@scenario()
def setdata_same_data(t):
    """setData with identical data still bumps version and mzxid"""
    s = t.session()
    s.create("/a", b"same")
    s.set("/a", b"same")
    s.set("/a", b"same")
    s.get("/a")


@scenario()
def exists_variants(t):
    """exists on existing, missing, root, /zookeeper, invalid"""
    s = t.session()
    s.create("/a", b"abc")
    s.exists("/a")
    s.exists("/b")
    s.exists("/a/b/c")
    s.exists(Abs("/zookeeper"))
    s.exists(Abs("/zookeeper/quota"))
    s.exists(Abs("noslash"))
    s.exists("/a/")
    s.op("exists", path=Abs("/"), _mask=("cversion", "numChildren", "pzxid"))


@scenario()
def getdata_variants(t):
    """getData on missing and invalid paths"""
    s = t.session()
    s.get("/none")
    s.get(Abs(""))
    s.get(Abs("x"))
    s.get("/x/")
    s.get("//")


@scenario()
def get_children_variants(t):
    """getChildren/getChildren2 on empty node, missing node, many children"""
    s = t.session()
    s.ls("")
    s.ls2("")
    s.ls("/missing")
    s.ls2("/missing")
    s.create("/p")
    for c in ("b", "a", "c", "aa", "A", "0"):
        s.create("/p/" + c)
    s.ls("/p")
    s.ls2("/p")
    s.ls(Abs("bad"))


@scenario()
def unicode_names_below_a_parent(t):
    """non-ASCII components: lookups through them, getChildren in the server's own order (Java's hash of the UTF-16
    name, "Aa" and "BB" share one), deletes"""
    s = t.session()
    parent = "/\u00e9t\u00e9"
    s.create(parent)
    names = ["\u00fc", "\u00df", "a\u00e9", "\u65e5\u672c\u8a9e", "\u0416", "z", "\u00c0" * 3,
             "\u4e2d\u6587-1", "\u4e2d\u6587-2", "Aa", "BB", "\u00e9" * 70]
    for n in names:
        s.create(parent + "/" + n, n.encode("utf-8"))
    s.create(parent + "/\u65e5\u672c\u8a9e/\u5b50", b"deep")
    s.ls2(parent, _mask=("keep_order",))
    s.op("getChildren", path=parent, watch=False, _mask=("keep_order",))
    s.get(parent + "/\u65e5\u672c\u8a9e/\u5b50")
    s.get(parent + "/" + "\u00e9" * 70)
    s.delete(parent + "/\u00df")
    s.delete(parent + "/\u65e5\u672c\u8a9e")
    s.op("getChildren", path=parent, watch=False, _mask=("keep_order",))
    s.count(parent)


@scenario()
def get_children_many(t):
    """150 children via pipelined creates; counts, cversion and the order getChildren hands them out in"""
    s = t.session()
    s.create("/p")
    s.pipeline([("create", dict(path=f"/p/c{i:03d}", data=b"", acl=z.OPEN_ACL_UNSAFE, flags=0))
                for i in range(150)])
    s.ls2("/p", _mask=("keep_order",))
    s.count("/p")
    s.pipeline([("delete", dict(path=f"/p/c{i:03d}", version=-1)) for i in range(0, 150, 3)])
    s.ls2("/p", _mask=("keep_order",))


# ---------------------------------------------------------------- Stat semantics


@scenario()
def stat_cversion_counts_creates_and_deletes(t):
    """cversion: +1 per child create and per child delete; child setData no change"""
    s = t.session()
    s.create("/p")
    s.create("/p/a")
    s.exists("/p")
    s.delete("/p/a")
    s.exists("/p")
    s.create("/p/a")
    s.exists("/p")
    s.set("/p/a", b"x")
    s.exists("/p")
    s.create("/p/a/deep")
    s.exists("/p")


@scenario()
def stat_pzxid(t):
    """pzxid moves on child create/delete only, not on child setData or grandchildren"""
    s = t.session()
    s.create("/p")
    s.exists("/p")
    s.create("/p/c")
    s.exists("/p")
    s.set("/p/c", b"1")
    s.exists("/p")
    s.create("/p/c/g")
    s.exists("/p")
    s.exists("/p/c")
    s.delete("/p/c/g")
    s.delete("/p/c")
    s.exists("/p")
    s.set("/p", b"x")
    s.exists("/p")


@scenario()
def stat_failed_writes_consume_zxid(t):
    """failed writes get a zxid of their own; reads do not"""
    s = t.session()
    s.create("/a")
    s.create("/a")                 # NodeExists
    s.delete("/zz")                # NoNode
    s.set("/a", b"", 9)            # BadVersion
    s.get("/a")
    s.exists("/zz")
    s.create("/b")
    s.exists("/b")


@scenario()
def stat_versions(t):
    """version / aversion / cversion independent counters"""
    s = t.session()
    s.create("/a")
    for i in range(5):
        s.set("/a", str(i).encode())
    s.set_acl("/a", z.OPEN_ACL_UNSAFE)
    s.set_acl("/a", z.OPEN_ACL_UNSAFE, 1)
    s.set_acl("/a", z.OPEN_ACL_UNSAFE, 0)
    s.create("/a/c")
    s.get("/a")


@scenario()
def stat_datalength_numchildren(t):
    """dataLength and numChildren"""
    s = t.session()
    s.create("/a", b"x" * 1000)
    s.create("/a/1")
    s.create("/a/2", flags=z.EPHEMERAL)
    s.exists("/a")
    s.set("/a", b"")
    s.exists("/a")
    s.set("/a", None)
    s.exists("/a")


@scenario()
def stat_parent_mzxid_unchanged(t):
    """child operations do not change the parent's mzxid/version"""
    s = t.session()
    s.create("/p", b"d")
    s.create("/p/c")
    s.set("/p/c", b"1")
    s.delete("/p/c")
    s.get("/p")


# ---------------------------------------------------------------- ephemeral


@scenario()
def ephemeral_basic(t):
    """ephemeral owner in Stat and getEphemerals"""
    s1 = t.session()
    s2 = t.session()
    s1.create("/e1", b"a", flags=z.EPHEMERAL)
    s2.create2("/e2", b"b", flags=z.EPHEMERAL)
    s1.exists("/e2")
    s2.exists("/e1")
    s1.ephemerals("/")
    s2.ephemerals("")


@scenario()
def ephemeral_no_children(t):
    """children of an ephemeral: NoChildrenForEphemerals for every mode"""
    s = t.session()
    s.create("/e", flags=z.EPHEMERAL)
    for f in (0, 1, 2, 3):
        s.create("/e/c", flags=f)
    s.create2("/e/c")
    s.create_container("/e/c")
    s.create_ttl("/e/c", 10000)
    s.create("/e/missing/c")


@scenario()
def ephemeral_removed_on_close(t):
    """close deletes ephemerals; other session sees it"""
    s1 = t.session()
    s2 = t.session()
    s1.create("/p")
    s1.create("/p/e1", flags=z.EPHEMERAL)
    s1.create("/p/e2", flags=z.EPHEMERAL_SEQUENTIAL)
    s2.exists("/p/e1", watch=True)
    s2.ls2("/p", watch=True)
    s1.close()
    s2.ls2("/p")
    s2.exists("")


@scenario()
def ephemeral_delete_explicitly(t):
    """another session deletes an ephemeral; owner's getEphemerals"""
    s1 = t.session()
    s2 = t.session()
    s1.create("/e", flags=z.EPHEMERAL)
    s2.delete("/e")
    s1.ephemerals()
    s1.create("/e", flags=z.EPHEMERAL)
    s1.ephemerals()


@scenario()
def get_ephemerals_prefix(t):
    """getEphemerals prefix matching (string prefix, not path prefix)"""
    s = t.session()
    s.create("/ab")
    s.create("/ab/e1", flags=z.EPHEMERAL)
    s.create("/abc", flags=z.EPHEMERAL)
    s.create("/b", flags=z.EPHEMERAL)
    for pre in ("/", "", "/a", "/ab", "/ab/", "/abc", "/c", "/ab/e1"):
        s.ephemerals(pre)
    s.ephemerals(Abs("/"))


@scenario()
def get_all_children_number(t):
    """getAllChildrenNumber: recursive count, leaf, missing"""
    s = t.session()
    s.create("/a")
    s.create("/a/b")
    s.create("/a/b/c")
    s.create("/a/d", flags=z.EPHEMERAL)
    s.count("")
    s.count("/a")
    s.count("/a/b/c")
    s.count("/missing")
    s.count(Abs("/zookeeper"))
    s.count(Abs("bad"))


@scenario()
def sync_op(t):
    """sync on existing, missing, invalid and reserved paths"""
    s = t.session()
    s.create("/a")
    s.sync("/a")
    s.sync("/missing")
    s.sync(Abs("/"))
    s.sync(Abs("bad"))
    s.sync(Abs("/zookeeper"))


# ---------------------------------------------------------------- containers and TTL


@scenario()
def container_create(t):
    """createContainer: stat, ephemeralOwner shown as 0, NodeExists"""
    s = t.session()
    s.create_container("/c", b"d")
    s.get("/c")
    s.create_container("/c")
    s.create_container("/missing/c")
    s.create_container("/c/inner")
    s.ls2("/c")


@scenario()
def container_wrong_flags(t):
    """createContainer with non-container flags and create2 with container flag"""
    s = t.session()
    s.create_container("/c0", flags=0)
    s.create_container("/c1", flags=z.EPHEMERAL)
    s.create_container("/c5", flags=z.PERSISTENT_WITH_TTL)
    s.ls("")


@scenario(slow=True)
def container_deleted_after_last_child(t):
    """container removed by the server once its last child is gone; never-used one stays"""
    s = t.session()
    s.create_container("/c")
    s.create_container("/unused")
    s.create("/c/child")
    s.exists("/c", watch=True)
    s.ls("/c", watch=True)
    s.delete("/c/child")
    s.expect_events(1)
    t.wait_gone("/c")
    s.expect_events(0)
    s.exists("/c")
    s.exists("/unused")
    s.exists("", )


@scenario(slow=True)
def container_ephemeral_child_session_close(t):
    """container with an ephemeral child: deleted after the owner session closes"""
    s1 = t.session()
    s2 = t.session()
    s1.create_container("/c")
    s2.create("/c/e", flags=z.EPHEMERAL)
    s1.exists("/c", watch=True)
    s2.close()
    t.wait_gone("/c")
    s1.expect_events(1)
    s1.exists("/c")


@scenario(slow=True)
def container_sequential_children(t):
    """sequential children in a container; delete all via multi, container goes"""
    s = t.session()
    s.create_container("/c")
    s.create("/c/n", flags=z.PERSISTENT_SEQUENTIAL)
    s.create("/c/n", flags=z.PERSISTENT_SEQUENTIAL)
    s.ls2("/c")
    s.multi([m_delete("/c/n0000000000"), m_delete("/c/n0000000001")])
    t.wait_gone("/c")
    s.exists("/c")
    s.exists("")


@scenario(slow=True)
def container_nested(t):
    """nested containers cascade away"""
    s = t.session()
    s.create_container("/c")
    s.create_container("/c/d")
    s.create("/c/d/x")
    s.delete("/c/d/x")
    t.wait_gone("/c/d")
    t.wait_gone("/c")
    s.exists("/c")


@scenario()
def ttl_create(t):
    """createTTL: stat (ephemeralOwner 0), sequential TTL"""
    s = t.session()
    s.create_ttl("/t", 3600_000, b"v")
    s.get("/t")
    s.create_ttl("/t/", 3600_000, flags=z.PERSISTENT_SEQUENTIAL_WITH_TTL)
    s.create_ttl("/t/x", 3600_000)
    s.create_ttl("/t", 3600_000)
    s.ls2("/t")


@scenario()
def ttl_invalid(t):
    """createTTL with bad ttl values and non-TTL modes: BadArguments"""
    s = t.session()
    for ttl in (0, -1, 0xFFFFFFFFFF, 0xFFFFFFFFFF + 1, 1 << 62):
        s.create_ttl(f"/t{ttl & 0xff}_{ttl.bit_length()}", ttl)
    for f in (0, 1, 2, 3, 4, 7):
        s.create_ttl(f"/m{f}", 1000, flags=f)
    s.create_ttl("/missing/x", 1000)
    s.ls("")


@scenario(slow=True)
def ttl_expiry(t):
    """TTL node deleted after its ttl; watch fires"""
    s = t.session()
    s.create_ttl("/t", 200, b"x")
    s.exists("/t", watch=True)
    t.wait_gone("/t")
    s.expect_events(1)
    s.exists("/t")
    s.exists("")


@scenario(slow=True)
def ttl_with_children(t):
    """TTL node with a child survives until the child is gone"""
    s = t.session()
    s.create_ttl("/t", 300)
    s.create("/t/c")
    s.create_ttl("/u", 300)
    s.exists("/u", watch=True)
    t.wait_gone("/u")
    s.expect_events(1)
    s.exists("/t")
    s.delete("/t/c")
    t.wait_gone("/t")
    s.exists("/t")


# ---------------------------------------------------------------- sizes


def _create_frame_overhead(t, path):
    # RequestHeader(8) + path(4+n) + data len(4) + acl vector(4 + 4 + 4+5 + 4+6) + flags(4)
    return 8 + 4 + len(t.p(path).encode()) + 4 + (4 + 4 + 4 + 5 + 4 + 6) + 4


MAXBUF = 0xFFFFF


@scenario()
def size_at_maxbuffer(t):
    """create whose frame is exactly jute.maxbuffer bytes; read it back"""
    s = t.session()
    n = MAXBUF - _create_frame_overhead(t, "/big")
    s.create("/big", b"\xab" * n)
    s.exists("/big")
    s.get("/big")
    s.set("/big", b"small")
    s.get("/big")


@scenario()
def size_above_maxbuffer(t):
    """create one byte over jute.maxbuffer: connection closed; other session fine"""
    s = t.session()
    n = MAXBUF - _create_frame_overhead(t, "/big") + 1
    s.create("/big", b"\xab" * n)
    s.probe()
    t.alive_check()
    s2 = t.session()
    s2.exists("/big")


@scenario()
def size_setdata_near_limit(t):
    """setData of 1 MB minus overhead, then over the limit"""
    s = t.session()
    s.create("/a")
    over = 8 + 4 + len(t.p("/a").encode()) + 4 + 4
    s.set("/a", b"z" * (MAXBUF - over))
    s.exists("/a")
    s.set("/a", b"z" * (MAXBUF - over + 1))
    s.probe()
    s2 = t.session()
    s2.exists("/a")


@scenario()
def size_many_large_nodes_children(t):
    """getChildren with long names (reply larger than 64 KB)"""
    s = t.session()
    s.create("/p")
    s.pipeline([("create", dict(path="/p/" + ("%03d" % i) + "x" * 900, data=b"", acl=z.OPEN_ACL_UNSAFE, flags=0))
                for i in range(100)])
    r = s.ls2("/p")
    s.count("/p")
