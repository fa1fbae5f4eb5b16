"""Scenarios: ACL schemes, permissions, auth packets, whoAmI."""

from harness import scenario, Abs
import zkwire as z

U1 = z.digest_id("u1", "p1")
U2 = z.digest_id("u2", "p2")
WORLD = lambda perms: [(perms, "world", "anyone")]  # noqa: E731
ALL_BUT = lambda p: WORLD(z.ALL & ~p)  # noqa: E731


@scenario()
def acl_default_open(t):
    """getACL of an open node, of the root, of reserved nodes"""
    s = t.session()
    s.create("/a")
    s.get_acl("/a")
    s.get_acl("")
    s.op("getACL", path=Abs("/"), _mask=("cversion", "numChildren", "pzxid"))
    s.op("getACL", path=Abs("/zookeeper"), _mask=("cversion", "pzxid"))
    s.get_acl(Abs("/zookeeper/config"))
    s.get_acl(Abs("/zookeeper/quota"))
    s.get_acl("/missing")
    s.get_acl(Abs("bad"))


@scenario()
def acl_noauth_read(t):
    """node without READ: getData/getChildren/getChildren2 NoAuth; exists and others"""
    s1, s2 = t.session(), t.session()
    s1.create("/n", b"secret", acl=ALL_BUT(z.READ))
    s1.create("/n/c", b"")
    s2.get("/n")
    s2.get("/n", watch=True)
    s2.ls("/n")
    s2.ls2("/n", watch=True)
    s2.exists("/n", watch=True)
    s2.get_acl("/n")
    s2.count("/n")
    s2.sync("/n")
    s2.add_watch("/n", z.ADD_PERSISTENT)
    s2.check_watches("/n", z.W_ANY)
    s1.set("/n", b"changed")
    s1.delete("/n/c")


@scenario()
def acl_noauth_write(t):
    """node without WRITE: setData NoAuth (any version), other ops fine"""
    s = t.session()
    s.create("/n", b"x", acl=ALL_BUT(z.WRITE))
    s.set("/n", b"y")
    s.set("/n", b"y", 0)
    s.set("/n", b"y", 5)
    s.get("/n")
    s.create("/n/c")
    s.set_acl("/n", z.OPEN_ACL_UNSAFE)
    s.set("/n", b"z")


@scenario()
def acl_noauth_create(t):
    """parent without CREATE: every create mode is NoAuth"""
    s = t.session()
    s.create("/n", acl=ALL_BUT(z.CREATE))
    s.create("/n/a")
    s.create2("/n/a")
    s.create("/n/e", flags=z.EPHEMERAL)
    s.create("/n/s", flags=z.PERSISTENT_SEQUENTIAL)
    s.create("/n/es", flags=z.EPHEMERAL_SEQUENTIAL)
    s.create_container("/n/c")
    s.create_ttl("/n/t", 10000)
    s.create("/n/x/y")
    s.create("/n", b"dup")
    s.ls2("/n")
    s.set_acl("/n", z.OPEN_ACL_UNSAFE)
    s.create("/n/s", flags=z.PERSISTENT_SEQUENTIAL)


@scenario()
def acl_noauth_delete(t):
    """parent without DELETE: deleting a child is NoAuth; the node's own ACL is irrelevant"""
    s = t.session()
    s.create("/n", acl=ALL_BUT(z.DELETE))
    s.create("/n/c", acl=WORLD(z.READ))
    s.delete("/n/c")
    s.delete("/n/c", 7)
    s.delete("/n/none")
    s.create("/m")
    s.create("/m/c", acl=WORLD(0))
    s.delete("/m/c")
    s.set_acl("/n", z.OPEN_ACL_UNSAFE)
    s.delete("/n/c")


@scenario()
def acl_noauth_admin(t):
    """node without ADMIN: setACL NoAuth; getACL still allowed"""
    s = t.session()
    s.create("/n", acl=ALL_BUT(z.ADMIN))
    s.set_acl("/n", z.OPEN_ACL_UNSAFE)
    s.set_acl("/n", z.OPEN_ACL_UNSAFE, 0)
    s.set_acl("/n", z.OPEN_ACL_UNSAFE, 3)
    s.get_acl("/n")


@scenario()
def acl_no_permissions(t):
    """ACL with perms 0: everything except exists/delete-by-parent fails"""
    s = t.session()
    s.create("/n", b"d", acl=WORLD(0))
    s.get("/n")
    s.set("/n", b"x")
    s.create("/n/c")
    s.set_acl("/n", z.OPEN_ACL_UNSAFE)
    s.get_acl("/n")
    s.ls("/n")
    s.exists("/n")
    s.delete("/n")


@scenario()
def acl_perm_values(t):
    """unusual perms values are stored as given (or rejected)"""
    s = t.session()
    for i, p in enumerate((32, 63, -1, 0x7fffffff, -2147483648)):
        s.create(f"/p{i}", acl=[(p, "world", "anyone")])
        s.get_acl(f"/p{i}")
    s.ls("")


@scenario()
def acl_digest(t):
    """digest ACL: access only after addauth with the right password"""
    s1, s2 = t.session(), t.session()
    s1.auth("digest", "u1:p1")
    s1.create("/d", b"x", acl=[(z.ALL, "digest", U1)])
    s2.get("/d")
    s2.auth("digest", "u1:wrong")
    s2.get("/d")
    s2.auth("digest", "u1:p1")
    s2.get("/d")
    s2.set("/d", b"y")
    s2.get_acl("/d")


@scenario()
def acl_digest_two_users(t):
    """two digest entries with different permissions"""
    s1, s2, s3 = t.session(), t.session(), t.session()
    s1.create("/d", b"x", acl=[(z.READ, "digest", U1), (z.ALL, "digest", U2)])
    s1.get("/d")
    s2.auth("digest", "u1:p1")
    s2.get("/d")
    s2.set("/d", b"1")
    s3.auth("digest", "u2:p2")
    s3.set("/d", b"2")
    s3.get_acl("/d")
    s2.get_acl("/d")


@scenario()
def acl_auth_scheme(t):
    """'auth' ACL: InvalidACL without identities; expands to the caller's digest ids"""
    s1, s2 = t.session(), t.session()
    s1.create("/a", acl=z.CREATOR_ALL_ACL)
    s1.auth("digest", "u1:p1")
    s1.create("/a", acl=z.CREATOR_ALL_ACL)
    s1.get_acl("/a")
    s1.auth("digest", "u2:p2")
    s1.create("/b", acl=[(z.READ | z.WRITE, "auth", "")])
    s1.op("getACL", path="/b", _mask=("acl_order",))
    s1.create("/c", acl=[(z.ALL, "auth", "ignored-id")])
    s1.op("getACL", path="/c", _mask=("acl_order",))
    s2.get("/a")
    s1.set_acl("/a", [(z.ALL, "auth", "")])
    s1.op("getACL", path="/a", _mask=("acl_order",))


@scenario()
def acl_auth_scheme_ip_only(t):
    """'auth' ACL when the only identity is ip"""
    s = t.session()
    s.auth("ip", "")
    s.create("/a", acl=z.CREATOR_ALL_ACL)
    s.whoami()


@scenario()
def acl_ip(t):
    """ip ACLs: exact, subnet, non-matching"""
    s = t.session()
    s.create("/lo", b"1", acl=[(z.ALL, "ip", "127.0.0.1")])
    s.create("/net8", b"2", acl=[(z.ALL, "ip", "127.0.0.0/8")])
    s.create("/net32", b"3", acl=[(z.ALL, "ip", "127.0.0.1/32")])
    s.create("/other", b"4", acl=[(z.READ, "ip", "10.1.2.3"), (z.DELETE | z.CREATE, "world", "anyone")])
    s.create("/other16", b"5", acl=[(z.READ, "ip", "10.1.0.0/16"), (z.DELETE, "world", "anyone")])
    for p in ("/lo", "/net8", "/net32", "/other", "/other16"):
        s.get(p)
    s.set("/lo", b"w")
    s.create("/other/c")


@scenario()
def acl_ip_invalid(t):
    """invalid ip ACL ids"""
    s = t.session()
    for i, ident in enumerate(("abc", "127.0.0.1/33", "127.0.0.1/-1", "", "1.2.3", "1.2.3.4.5",
                               "300.1.1.1", "::1", "127.0.0.1/", "0.0.0.0/0")):
        s.create(f"/ip{i}", acl=[(z.ALL, "ip", ident)])
    s.ls("")


@scenario()
def acl_world_ids(t):
    """world scheme with ids other than 'anyone'"""
    s = t.session()
    for i, ident in enumerate(("anyone", "someone", "", "ANYONE")):
        s.create(f"/w{i}", acl=[(z.ALL, "world", ident)])
    s.ls("")


@scenario()
def acl_unknown_schemes(t):
    """unknown and unsupported schemes are InvalidACL"""
    s = t.session()
    for i, (sch, ident) in enumerate((("foo", "bar"), ("sasl", "user"), ("x509", "CN=x"),
                                      ("super", "x"), ("key", "k"), ("", ""), ("Digest", U1),
                                      ("IP", "127.0.0.1"), ("digest", "nocolon"),
                                      ("digest", "a:b:c"), ("digest", ":"), ("digest", "u1:notbase64"))):
        s.create(f"/s{i}", acl=[(z.ALL, sch, ident)])
    s.ls("")


@scenario()
def acl_empty_and_null(t):
    """empty ACL list and null ACL list"""
    s = t.session()
    s.create("/e", acl=[])
    s.op("create", path="/n", data=b"", acl=None, flags=0)
    s.create("/x")
    s.set_acl("/x", [])
    s.op("setACL", path="/x", acl=None, version=-1)
    s.ls("")


@scenario()
def acl_duplicates(t):
    """duplicate and overlapping ACL entries are kept / merged?"""
    s = t.session()
    s.create("/d", acl=[(z.READ, "world", "anyone"), (z.READ, "world", "anyone"),
                        (z.WRITE, "world", "anyone"), (z.ALL, "ip", "127.0.0.1")])
    s.get_acl("/d")
    s.set_acl("/d", [(z.ALL, "world", "anyone"), (z.ALL, "world", "anyone")])
    s.get_acl("/d")


@scenario()
def setacl_versions(t):
    """setACL version checks and aversion"""
    s = t.session()
    s.create("/a")
    s.set_acl("/a", WORLD(z.ALL), 1)
    s.set_acl("/a", WORLD(z.ALL), 0)
    s.set_acl("/a", WORLD(z.ALL), 0)
    s.set_acl("/a", WORLD(z.ALL), -1)
    s.set_acl("/a", WORLD(z.ALL), -2)
    s.exists("/a")


@scenario()
def setacl_errors(t):
    """setACL on missing node, invalid path, invalid ACL"""
    s = t.session()
    s.create("/a")
    s.set_acl("/none", z.OPEN_ACL_UNSAFE)
    s.set_acl(Abs("bad"), z.OPEN_ACL_UNSAFE)
    s.set_acl("/a", [(z.ALL, "foo", "bar")])
    s.set_acl("/a", z.CREATOR_ALL_ACL)
    s.set_acl("/a", [(z.ALL, "ip", "nope")])
    s.get_acl("/a")


@scenario()
def setacl_lock_out(t):
    """setACL that removes the caller's own access"""
    s = t.session()
    s.create("/a", b"x")
    s.set_acl("/a", WORLD(z.READ))
    s.set("/a", b"y")
    s.set_acl("/a", z.OPEN_ACL_UNSAFE)
    s.get_acl("/a")


@scenario()
def getacl_digest_visible(t):
    """getACL of digest entries with and without the caller's ADMIN"""
    s1, s2 = t.session(), t.session()
    s1.create("/a", acl=[(z.READ, "world", "anyone"), (z.ALL, "digest", U1)])
    s1.create("/b", acl=[(z.READ | z.ADMIN, "world", "anyone"), (z.ALL, "digest", U2)])
    s2.get_acl("/a")
    s2.get_acl("/b")
    s2.auth("digest", "u1:p1")
    s2.get_acl("/a")


@scenario()
def acl_failed_write_zxid(t):
    """NoAuth writes and their zxids"""
    s = t.session()
    s.create("/r", acl=WORLD(z.READ))
    s.set("/r", b"x")
    s.create("/r/c")
    s.set_acl("/r", z.OPEN_ACL_UNSAFE)
    s.create("/x")
    s.exists("/x")


@scenario()
def acl_sequential_noauth_counter(t):
    """a sequential create denied by ACL does not advance the counter"""
    s = t.session()
    s.create("/q", acl=[(z.ALL, "digest", U1), (z.READ | z.DELETE | z.ADMIN, "world", "anyone")])
    s.create("/q/n", flags=z.PERSISTENT_SEQUENTIAL)
    s.auth("digest", "u1:p1")
    s.create("/q/n", flags=z.PERSISTENT_SEQUENTIAL)
    s.ls2("/q")


@scenario()
def acl_ephemeral_on_restricted_parent(t):
    """ephemeral creation under a parent whose CREATE is digest-only"""
    s1, s2 = t.session(), t.session()
    s1.create("/p", acl=[(z.CREATE | z.READ, "digest", U1), (z.READ | z.DELETE, "world", "anyone")])
    s2.create("/p/e", flags=z.EPHEMERAL)
    s2.auth("digest", "u1:p1")
    s2.create("/p/e", flags=z.EPHEMERAL)
    s1.ls2("/p")
    s2.close()
    s1.ls2("/p")


@scenario()
def acl_auth_not_kept_across_reconnect(t):
    """digest identities are per connection: lost after reconnect"""
    s = t.session()
    s.auth("digest", "u1:p1")
    s.create("/d", b"x", acl=[(z.ALL, "digest", U1)])
    s.get("/d")
    s.whoami()
    s.disconnect()
    s.reconnect()
    s.whoami()
    s.get("/d")


# ---------------------------------------------------------------- auth packets and whoAmI


@scenario()
def auth_digest_ok(t):
    """auth digest replies on xid -4; whoAmI lists identities"""
    s = t.session()
    s.whoami()
    s.auth("digest", "u1:p1")
    s.whoami()
    s.auth("digest", "u2:p2")
    s.whoami()
    s.auth("digest", "u1:p1")
    s.whoami()
    s.auth("digest", "u1:other")
    s.whoami()


@scenario()
def auth_digest_odd_credentials(t):
    """digest auth with empty user/password and extra colons"""
    s = t.session()
    for cred in (":", "u:", ":p", "a:b:c", "\u00fc:\u00df"):
        s.auth("digest", cred)
    s.whoami()


@scenario()
def auth_digest_malformed(t):
    """digest auth without a colon: AuthFailed and the connection closes"""
    s = t.session()
    s.auth("digest", "nocolon")
    s.probe()
    t.alive_check()


@scenario()
def auth_unknown_scheme(t):
    """auth with an unknown scheme: AuthFailed, connection closes"""
    s = t.session()
    s.auth("foo", "bar")
    s.probe()
    s2 = t.session()
    s2.auth("", "")
    s2.probe()
    t.alive_check()


@scenario()
def auth_world_and_super_scheme(t):
    """auth with scheme world / super / sasl / x509"""
    for sch in ("world", "super", "sasl", "x509"):
        s = t.session()
        s.auth(sch, "anyone")
        s.probe()


@scenario()
def auth_ip_scheme(t):
    """auth ip: succeeds; whoAmI"""
    s = t.session()
    s.auth("ip", "10.0.0.1")
    s.whoami()
    s.create("/x", acl=[(z.ALL, "ip", "127.0.0.1")])
    s.get("/x")


@scenario()
def auth_pipelined_overtakes(t):
    """auth pipelined between requests: all answered (auth is handled out of band,
    so its reply position is timing-dependent and logged in request order)"""
    s = t.session()
    s.create("/a")
    s.pipeline([("setData", dict(path="/a", data=b"1", version=-1)),
                ("auth", dict(scheme="digest", auth=b"u1:p1")),
                ("getData", dict(path="/a", watch=False))], arrival_order=False)
    t.creds.add("u1:p1")
    s.whoami()


@scenario()
def auth_type_field(t):
    """AuthPacket.type other than 0"""
    s = t.session()
    s.op("auth", scheme="digest", auth=b"u1:p1", type=5)
    s.whoami()
