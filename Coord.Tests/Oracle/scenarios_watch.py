"""Scenarios: one-shot, persistent and recursive watches, their removal."""

from harness import scenario, Abs, m_create, m_delete, m_set, m_check
import zkwire as z


# ---------------------------------------------------------------- one-shot data / exist / child


@scenario()
def watch_data_on_set(t):
    """getData watch fires NodeDataChanged once, for another session's write"""
    s1, s2 = t.session(), t.session()
    s1.create("/a", b"0")
    s2.get("/a", watch=True)
    s1.set("/a", b"1")
    s1.set("/a", b"2")
    s2.get("/a")


@scenario()
def watch_data_on_delete(t):
    """getData watch fires NodeDeleted on delete"""
    s1, s2 = t.session(), t.session()
    s1.create("/a")
    s2.get("/a", watch=True)
    s1.delete("/a")
    s1.create("/a")


@scenario()
def watch_self_triggered(t):
    """a session's own write: event arrives before the write's reply"""
    s = t.session()
    s.create("/a")
    s.get("/a", watch=True)
    s.exists("/a", watch=True)
    s.ls("/a", watch=True)
    s.set("/a", b"x")
    s.create("/a/c")
    s.delete("/a/c")


@scenario()
def watch_exists_missing_then_create(t):
    """exists watch on a missing node fires NodeCreated"""
    s1, s2 = t.session(), t.session()
    s2.exists("/a", watch=True)
    s1.create("/a")
    s1.delete("/a")
    s2.exists("/a")


@scenario()
def watch_exists_existing(t):
    """exists watch on an existing node: NodeDataChanged, then re-armed NodeDeleted"""
    s1, s2 = t.session(), t.session()
    s1.create("/a")
    s2.exists("/a", watch=True)
    s1.set("/a", b"1")
    s2.exists("/a", watch=True)
    s1.delete("/a")
    s2.exists("/a", watch=True)
    s1.create("/a")


@scenario()
def watch_getdata_missing_no_watch(t):
    """getData / getChildren on a missing node leave no watch"""
    s1, s2 = t.session(), t.session()
    s2.get("/a", watch=True)
    s2.ls("/a", watch=True)
    s2.ls2("/a", watch=True)
    s1.create("/a")
    s1.create("/a/b")
    s1.set("/a", b"x")
    s2.check_watches("/a", z.W_ANY)


@scenario()
def watch_child_create_delete(t):
    """getChildren watch: NodeChildrenChanged on child create and delete"""
    s1, s2 = t.session(), t.session()
    s1.create("/p")
    s2.ls("/p", watch=True)
    s1.create("/p/a")
    s1.create("/p/b")
    s2.ls2("/p", watch=True)
    s1.delete("/p/a")


@scenario()
def watch_child_not_on_child_data(t):
    """child watch does not fire on a child's setData or on the parent's setData"""
    s1, s2 = t.session(), t.session()
    s1.create("/p")
    s1.create("/p/a")
    s2.ls("/p", watch=True)
    s1.set("/p/a", b"x")
    s1.set("/p", b"y")
    s1.create("/p/a/deep")
    s1.create("/p/b")


@scenario()
def watch_child_on_parent_delete(t):
    """child watch on a deleted node fires NodeDeleted"""
    s1, s2 = t.session(), t.session()
    s1.create("/p")
    s2.ls("/p", watch=True)
    s1.delete("/p")


@scenario()
def watch_all_three_on_delete(t):
    """data + exists + child watch on one node, plus parent child watch, on delete"""
    s1, s2 = t.session(), t.session()
    s1.create("/p")
    s1.create("/p/a")
    s2.get("/p/a", watch=True)
    s2.exists("/p/a", watch=True)
    s2.ls("/p/a", watch=True)
    s2.ls("/p", watch=True)
    s1.delete("/p/a")


@scenario()
def watch_all_three_on_create(t):
    """exists watch on child and child watch on parent, on create"""
    s1, s2 = t.session(), t.session()
    s1.create("/p")
    s2.exists("/p/a", watch=True)
    s2.ls("/p", watch=True)
    s2.get("/p", watch=True)
    s1.create("/p/a")


@scenario()
def watch_duplicate_registration(t):
    """the same watch set several times fires once"""
    s1, s2 = t.session(), t.session()
    s1.create("/a")
    for _ in range(3):
        s2.get("/a", watch=True)
        s2.exists("/a", watch=True)
    s1.set("/a", b"1")
    s1.set("/a", b"2")


@scenario()
def watch_multiple_sessions(t):
    """three sessions watching one node all get the event"""
    s1, s2, s3 = t.session(), t.session(), t.session()
    s1.create("/a")
    s1.get("/a", watch=True)
    s2.get("/a", watch=True)
    s3.exists("/a", watch=True)
    s2.set("/a", b"x")
    s3.delete("/a")


@scenario()
def watch_multiple_paths_order(t):
    """events for several paths arrive in commit order"""
    s1, s2 = t.session(), t.session()
    for n in ("a", "b", "c"):
        s1.create("/" + n)
        s2.get("/" + n, watch=True)
    s1.set("/c", b"1")
    s1.set("/a", b"1")
    s1.delete("/b")


@scenario()
def watch_setacl_does_not_fire(t):
    """setACL does not trigger data watches"""
    s1, s2 = t.session(), t.session()
    s1.create("/a")
    s2.get("/a", watch=True)
    s1.set_acl("/a", z.READ_ACL_UNSAFE + [(z.ALL, "ip", "127.0.0.1")])
    s1.set("/a", b"x")


@scenario()
def watch_sync_and_reads_do_not_fire(t):
    """reads and sync never trigger watches"""
    s1, s2 = t.session(), t.session()
    s1.create("/a")
    s2.get("/a", watch=True)
    s2.ls("/a", watch=True)
    s1.get("/a")
    s1.ls2("/a")
    s1.sync("/a")
    s1.exists("/a")
    s1.get_acl("/a")
    s1.delete("/a")


@scenario()
def watch_failed_write_does_not_fire(t):
    """failed writes trigger nothing"""
    s1, s2 = t.session(), t.session()
    s1.create("/a")
    s1.create("/a/b")
    s2.get("/a", watch=True)
    s2.ls("/a", watch=True)
    s1.set("/a", b"x", 9)
    s1.delete("/a")
    s1.create("/a/b")
    s1.delete("/a/b", 4)
    s1.set("/a", b"ok")


@scenario()
def watch_sequential_child(t):
    """child watch fires for sequential and ephemeral-sequential children"""
    s1, s2 = t.session(), t.session()
    s1.create("/q")
    s2.ls("/q", watch=True)
    s1.create("/q/n", flags=z.PERSISTENT_SEQUENTIAL)
    s2.ls("/q", watch=True)
    s1.create("/q/e", flags=z.EPHEMERAL_SEQUENTIAL)
    s2.ls("/q", watch=True)
    s1.close()


@scenario()
def watch_ephemeral_owner_close(t):
    """closing the owner fires NodeDeleted / NodeChildrenChanged to watchers"""
    s1, s2, s3 = t.session(), t.session(), t.session()
    s1.create("/p")
    s1.create("/p/e", flags=z.EPHEMERAL)
    s1.create("/f", flags=z.EPHEMERAL)
    s2.exists("/p/e", watch=True)
    s2.get("/f", watch=True)
    s3.ls("/p", watch=True)
    s1.close()


@scenario()
def watch_on_reserved_path(t):
    """watches on /zookeeper paths and the scenario root"""
    s1, s2 = t.session(), t.session()
    s2.ls(Abs("/zookeeper"), watch=True)
    s2.get(Abs("/zookeeper/quota"), watch=True)
    s2.ls("", watch=True)
    s1.create("/x")


@scenario()
def watch_data_same_value(t):
    """setData with unchanged data still fires NodeDataChanged"""
    s1, s2 = t.session(), t.session()
    s1.create("/a", b"v")
    s2.get("/a", watch=True)
    s1.set("/a", b"v")


# ---------------------------------------------------------------- persistent watches


@scenario()
def persistent_basic(t):
    """persistent watch fires repeatedly for data, child and delete/create"""
    s1, s2 = t.session(), t.session()
    s1.create("/a")
    s2.add_watch("/a", z.ADD_PERSISTENT)
    s1.set("/a", b"1")
    s1.set("/a", b"2")
    s1.create("/a/c")
    s1.set("/a/c", b"x")
    s1.create("/a/c/g")
    s1.delete("/a/c/g")
    s1.delete("/a/c")
    s1.delete("/a")
    s1.create("/a")
    s1.set("/a", b"3")


@scenario()
def persistent_on_missing_path(t):
    """addWatch on a node that does not exist yet"""
    s1, s2 = t.session(), t.session()
    s2.add_watch("/a", z.ADD_PERSISTENT)
    s2.add_watch("/b", z.ADD_PERSISTENT_RECURSIVE)
    s1.create("/a")
    s1.create("/b")
    s1.create("/b/c")


@scenario()
def persistent_recursive_basic(t):
    """recursive watch: created/deleted/changed for the subtree, no NodeChildrenChanged"""
    s1, s2 = t.session(), t.session()
    s1.create("/r")
    s2.add_watch("/r", z.ADD_PERSISTENT_RECURSIVE)
    s1.create("/r/a")
    s1.create("/r/a/b")
    s1.set("/r/a/b", b"x")
    s1.set("/r", b"y")
    s1.create("/r/a/b/c", flags=z.EPHEMERAL)
    s1.delete("/r/a/b/c")
    s1.delete("/r/a/b")
    s1.create("/r/s", flags=z.PERSISTENT_SEQUENTIAL)
    s1.create("/other")


@scenario()
def persistent_recursive_prefix_sibling(t):
    """recursive watch on /r does not see /rx (string prefix, not path prefix)"""
    s1, s2 = t.session(), t.session()
    s2.add_watch("/r", z.ADD_PERSISTENT_RECURSIVE)
    s1.create("/rx")
    s1.create("/r")
    s1.create("/r/x")
    s1.create("/rx/y")


@scenario()
def persistent_and_oneshot_same_path(t):
    """persistent watch plus one-shot data and child watches on one path"""
    s1, s2 = t.session(), t.session()
    s1.create("/a")
    s2.get("/a", watch=True)
    s2.ls("/a", watch=True)
    s2.add_watch("/a", z.ADD_PERSISTENT)
    s1.set("/a", b"1")
    s1.create("/a/c")
    s1.set("/a", b"2")


@scenario()
def persistent_then_recursive_same_path(t):
    """addWatch persistent then recursive on the same path (mode replaced?)"""
    s1, s2 = t.session(), t.session()
    s1.create("/a")
    s2.add_watch("/a", z.ADD_PERSISTENT)
    s2.add_watch("/a", z.ADD_PERSISTENT_RECURSIVE)
    s1.create("/a/c")
    s1.create("/a/c/d")
    s1.set("/a", b"x")
    s2.check_watches("/a", z.W_PERSISTENT)
    s2.check_watches("/a", z.W_PERSISTENT_RECURSIVE)


@scenario()
def recursive_then_persistent_same_path(t):
    """addWatch recursive then persistent on the same path"""
    s1, s2 = t.session(), t.session()
    s1.create("/a")
    s2.add_watch("/a", z.ADD_PERSISTENT_RECURSIVE)
    s2.add_watch("/a", z.ADD_PERSISTENT)
    s1.create("/a/c")
    s1.create("/a/c/d")
    s1.set("/a", b"x")


@scenario()
def recursive_and_oneshot_child(t):
    """recursive watch on a parent and a one-shot child watch on the same parent"""
    s1, s2 = t.session(), t.session()
    s1.create("/a")
    s2.ls("/a", watch=True)
    s2.add_watch("/a", z.ADD_PERSISTENT_RECURSIVE)
    s1.create("/a/c")
    s1.create("/a/d")


@scenario()
def recursive_nested_watchers(t):
    """recursive watches on /r and /r/a from one session: one event per trigger"""
    s1, s2 = t.session(), t.session()
    s1.create("/r")
    s1.create("/r/a")
    s2.add_watch("/r", z.ADD_PERSISTENT_RECURSIVE)
    s2.add_watch("/r/a", z.ADD_PERSISTENT_RECURSIVE)
    s2.add_watch("/r/a", z.ADD_PERSISTENT_RECURSIVE)
    s1.set("/r/a", b"1")
    s1.create("/r/a/b")
    s2.get("/r/a/b", watch=True)
    s1.delete("/r/a/b")


@scenario()
def recursive_on_scenario_root_many_sessions(t):
    """two sessions with recursive watches, one with plain persistent"""
    s1, s2, s3 = t.session(), t.session(), t.session()
    s2.add_watch("", z.ADD_PERSISTENT_RECURSIVE)
    s3.add_watch("", z.ADD_PERSISTENT)
    s1.create("/x")
    s1.create("/x/y")
    s1.multi([m_set("/x/y", b"1"), m_delete("/x/y"), m_delete("/x")])


@scenario()
def addwatch_invalid(t):
    """addWatch with bad modes and bad paths"""
    s = t.session()
    s.add_watch("/a", 2)
    s.add_watch("/a", -1)
    s.add_watch(Abs("nope"), 0)
    s.add_watch("/a/", 1)
    s.check_watches("/a", z.W_ANY)


@scenario()
def persistent_on_session_close_of_other(t):
    """persistent watch sees ephemeral deletion on the owner's close"""
    s1, s2 = t.session(), t.session()
    s2.add_watch("", z.ADD_PERSISTENT_RECURSIVE)
    s1.create("/e", flags=z.EPHEMERAL)
    s1.create("/f", flags=z.EPHEMERAL_SEQUENTIAL)
    s1.close()


# ---------------------------------------------------------------- checkWatches / removeWatches


@scenario()
def check_watches_each_type(t):
    """checkWatches for every WatcherType against every kind of watch"""
    s = t.session()
    s.create("/d")
    s.create("/c")
    s.create("/e")
    s.create("/p")
    s.create("/r")
    s.get("/d", watch=True)
    s.ls("/c", watch=True)
    s.exists("/e", watch=True)
    s.add_watch("/p", z.ADD_PERSISTENT)
    s.add_watch("/r", z.ADD_PERSISTENT_RECURSIVE)
    for p in ("/d", "/c", "/e", "/p", "/r", "/none"):
        for ty in (1, 2, 3, 4, 5):
            s.check_watches(p, ty)


@scenario()
def check_watches_invalid(t):
    """checkWatches with invalid types and paths"""
    s = t.session()
    s.create("/d")
    s.get("/d", watch=True)
    for ty in (0, 6, -1, 99):
        s.check_watches("/d", ty)
    s.check_watches(Abs("bad"), 3)
    s.check_watches("/d/", 3)


@scenario()
def check_watches_other_session(t):
    """checkWatches only sees the caller's own watches"""
    s1, s2 = t.session(), t.session()
    s1.create("/a")
    s1.get("/a", watch=True)
    s2.check_watches("/a", z.W_DATA)
    s1.check_watches("/a", z.W_DATA)


@scenario()
def remove_watches_data(t):
    """removeWatches Data: the data watch is gone; child watch stays"""
    s1, s2 = t.session(), t.session()
    s1.create("/a")
    s2.get("/a", watch=True)
    s2.exists("/a", watch=True)
    s2.ls("/a", watch=True)
    s2.remove_watches("/a", z.W_DATA)
    s2.remove_watches("/a", z.W_DATA)
    s1.set("/a", b"x")
    s1.create("/a/c")


@scenario()
def remove_watches_children(t):
    """removeWatches Children: child watch gone, data watch stays"""
    s1, s2 = t.session(), t.session()
    s1.create("/a")
    s2.get("/a", watch=True)
    s2.ls("/a", watch=True)
    s2.remove_watches("/a", z.W_CHILDREN)
    s2.remove_watches("/a", z.W_CHILDREN)
    s1.create("/a/c")
    s1.set("/a", b"x")


@scenario()
def remove_watches_any(t):
    """removeWatches Any removes data, child and exists watches"""
    s1, s2 = t.session(), t.session()
    s1.create("/a")
    s2.get("/a", watch=True)
    s2.ls("/a", watch=True)
    s2.remove_watches("/a", z.W_ANY)
    s2.remove_watches("/a", z.W_ANY)
    s1.create("/a/c")
    s1.set("/a", b"x")
    s2.exists("/b", watch=True)
    s2.remove_watches("/b", z.W_ANY)
    s1.create("/b")


@scenario()
def remove_watches_persistent(t):
    """removeWatches for persistent / recursive watches by each type"""
    s1, s2 = t.session(), t.session()
    s1.create("/p")
    s1.create("/r")
    s2.add_watch("/p", z.ADD_PERSISTENT)
    s2.add_watch("/r", z.ADD_PERSISTENT_RECURSIVE)
    s2.remove_watches("/p", z.W_DATA)
    s2.remove_watches("/p", z.W_CHILDREN)
    s2.remove_watches("/r", z.W_PERSISTENT)
    s2.remove_watches("/p", z.W_PERSISTENT_RECURSIVE)
    s1.set("/p", b"1")
    s1.create("/r/x")
    s2.remove_watches("/p", z.W_PERSISTENT)
    s2.remove_watches("/r", z.W_PERSISTENT_RECURSIVE)
    s1.set("/p", b"2")
    s1.create("/r/y")


@scenario()
def remove_watches_persistent_by_any(t):
    """removeWatches Any removes persistent and recursive watches"""
    s1, s2 = t.session(), t.session()
    s1.create("/p")
    s2.add_watch("/p", z.ADD_PERSISTENT)
    s2.add_watch("/q", z.ADD_PERSISTENT_RECURSIVE)
    s2.remove_watches("/p", z.W_ANY)
    s2.remove_watches("/q", z.W_ANY)
    s1.set("/p", b"x")
    s1.create("/q")


@scenario()
def remove_watches_none(t):
    """removeWatches without any watch: NoWatcher; invalid type / path"""
    s = t.session()
    s.create("/a")
    for ty in (1, 2, 3, 4, 5, 0, 9):
        s.remove_watches("/a", ty)
    s.remove_watches("/missing", 3)
    s.remove_watches(Abs("bad"), 3)


@scenario()
def remove_watches_other_session_unaffected(t):
    """removeWatches by one session leaves another's watch"""
    s1, s2, s3 = t.session(), t.session(), t.session()
    s1.create("/a")
    s2.get("/a", watch=True)
    s3.get("/a", watch=True)
    s2.remove_watches("/a", z.W_DATA)
    s1.set("/a", b"x")


@scenario()
def remove_watches_exists_on_missing(t):
    """exists watch on a missing node removed as Data watch"""
    s1, s2 = t.session(), t.session()
    s2.exists("/a", watch=True)
    s2.check_watches("/a", z.W_DATA)
    s2.check_watches("/a", z.W_CHILDREN)
    s2.remove_watches("/a", z.W_DATA)
    s1.create("/a")


# ---------------------------------------------------------------- multi and watches


@scenario()
def watch_multi_events_order(t):
    """a multi's events are delivered in op order"""
    s1, s2 = t.session(), t.session()
    s1.create("/p")
    s1.create("/p/a")
    s2.ls("/p", watch=True)
    s2.get("/p/a", watch=True)
    s2.exists("/p/b", watch=True)
    s1.multi([m_set("/p/a", b"1"), m_create("/p/b"), m_delete("/p/a")])


@scenario()
def watch_failed_multi_no_events(t):
    """a failed multi triggers no watches"""
    s1, s2 = t.session(), t.session()
    s1.create("/a")
    s2.get("/a", watch=True)
    s2.exists("/b", watch=True)
    s1.multi([m_set("/a", b"1"), m_create("/b"), m_check("/a", 7)])
    s1.set("/a", b"2")
