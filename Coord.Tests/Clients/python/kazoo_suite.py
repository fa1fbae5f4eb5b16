#!/usr/bin/python3
"""kazoo (python3-kazoo 2.8) recipes and APIs against a ZooKeeper-compatible server.

usage: /usr/bin/python3 kazoo_suite.py host:port

Prints PASS/FAIL/SKIP <name> <details> lines and a SUMMARY line; exits 0 only if
nothing failed. Every check runs in its own thread with a bounded wait; a watchdog
ends the process if the whole suite exceeds its budget.
"""
import logging
import os
import queue
import re
import sys
import threading
import time
import traceback
import uuid

from kazoo.client import KazooClient
from kazoo.exceptions import (BadVersionError, LockTimeout, NoNodeError, NodeExistsError,
                              NotEmptyError, RolledBackError, RuntimeInconsistency)
from kazoo.protocol.states import EventType, KazooState
from kazoo.recipe.cache import TreeCache, TreeEvent

CHECK_TIMEOUT = 30.0
SUITE_TIMEOUT = 150.0
T = 10.0  # single wait

logging.basicConfig(level=logging.CRITICAL)

_out_lock = threading.Lock()
_counts = {"passed": 0, "failed": 0, "skipped": 0}
_started = time.monotonic()


def emit(line):
    with _out_lock:
        sys.stdout.write(line.replace("\n", " ") + "\n")
        sys.stdout.flush()


class Skip(Exception):
    pass


def summary_and_exit(extra_fail=0):
    c = _counts
    emit("SUMMARY kazoo_suite passed=%d failed=%d skipped=%d elapsed_ms=%d" % (
        c["passed"], c["failed"] + extra_fail, c["skipped"], (time.monotonic() - _started) * 1000))
    sys.stderr.flush()
    os._exit(0 if c["failed"] + extra_fail == 0 else 1)


def _watchdog():
    emit("FAIL kazoo_suite.global-timeout suite exceeded %d s" % SUITE_TIMEOUT)
    summary_and_exit(extra_fail=1)


def check(name, fn, timeout=CHECK_TIMEOUT):
    result = {}

    def runner():
        try:
            result["details"] = fn()
        except BaseException as e:  # noqa
            result["error"] = e
            result["tb"] = traceback.format_exc()

    t0 = time.monotonic()
    th = threading.Thread(target=runner, name="check-" + name, daemon=True)
    th.start()
    th.join(timeout)
    ms = int((time.monotonic() - t0) * 1000)
    if th.is_alive():
        _counts["failed"] += 1
        emit("FAIL %s timeout after %d s" % (name, timeout))
    elif "error" in result:
        e = result["error"]
        if isinstance(e, Skip):
            _counts["skipped"] += 1
            emit("SKIP %s %s" % (name, e))
        else:
            _counts["failed"] += 1
            sys.stderr.write(result["tb"])
            emit("FAIL %s %s: %s" % (name, type(e).__name__, e))
    else:
        _counts["passed"] += 1
        emit("PASS %s %s (%d ms)" % (name, result.get("details") or "", ms))


def require(cond, msg):
    if not cond:
        raise AssertionError(msg)


def eq(expected, actual, what):
    if expected != actual:
        raise AssertionError("%s: expected %r but was %r" % (what, expected, actual))


def wait_for(cond, timeout, what):
    """Bounded poll; only used where no notification is available."""
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.02)


def run_threads(n, target, timeout):
    """Runs target(i) on n threads, re-raises the first error, bounded by timeout."""
    errors = []

    def wrap(i):
        try:
            target(i)
        except BaseException as e:  # noqa
            errors.append(e)

    ths = [threading.Thread(target=wrap, args=(i,), daemon=True) for i in range(n)]
    for t in ths:
        t.start()
    deadline = time.monotonic() + timeout
    for t in ths:
        t.join(max(0.0, deadline - time.monotonic()))
        if t.is_alive():
            raise AssertionError("worker thread still running after %d s" % timeout)
    if errors:
        raise errors[0]


def try_acquire(lock, timeout):
    """kazoo raises LockTimeout instead of returning False."""
    try:
        return lock.acquire(timeout=timeout)
    except LockTimeout:
        return False


HP = None
ROOT = None
_clients = []


def client():
    c = KazooClient(hosts=HP, timeout=10.0)
    c.start(timeout=15)
    _clients.append(c)
    return c


def close(*cs):
    for c in cs:
        try:
            c.stop()
            c.close()
        except Exception:
            pass


def main():
    global HP, ROOT
    if len(sys.argv) < 2:
        sys.stderr.write("usage: kazoo_suite.py host:port\n")
        sys.exit(2)
    HP = sys.argv[1]
    ROOT = "/coordtest-kazoo-" + uuid.uuid4().hex[:12]
    wd = threading.Timer(SUITE_TIMEOUT, _watchdog)
    wd.daemon = True
    wd.start()

    zk_holder = []

    def t_connect():
        zk = client()
        eq(KazooState.CONNECTED, zk.state, "state")
        zk.create(ROOT, b"root")
        zk_holder.append(zk)
        return "session=0x%x" % zk.client_id[0]

    check("connect", t_connect)
    if not zk_holder:
        summary_and_exit()
    zk = zk_holder[0]

    # ------------------------------------------------------------------ basic API
    def t_basic():
        p = ROOT + "/basic"
        zk.create(p, b"v0")
        data, st = zk.get(p)
        eq(b"v0", data, "data")
        eq(0, st.version, "version")
        st2 = zk.set(p, b"v1", version=0)
        eq(1, st2.version, "version after set")
        try:
            zk.set(p, b"x", version=0)
            raise AssertionError("stale set succeeded")
        except BadVersionError:
            pass
        try:
            zk.create(p)
            raise AssertionError("duplicate create succeeded")
        except NodeExistsError:
            pass
        zk.create(p + "/c")
        try:
            zk.delete(p)
            raise AssertionError("delete of non-empty node succeeded")
        except NotEmptyError:
            pass
        s1 = zk.create(p + "/s-", sequence=True)
        s2 = zk.create(p + "/s-", sequence=True, ephemeral=True)
        eq(p + "/s-0000000001", s1, "sequential name")
        eq(p + "/s-0000000002", s2, "sequential name")
        eq(sorted(["c", "s-0000000001", "s-0000000002"]), sorted(zk.get_children(p)), "children")
        eq(zk.client_id[0], zk.exists(s2).ephemeralOwner, "ephemeral owner")
        zk.ensure_path(p + "/deep/er/path")
        require(zk.exists(p + "/deep/er/path") is not None, "ensure_path")
        zk.delete(p, recursive=True)
        require(zk.exists(p) is None, "recursive delete")
        try:
            zk.get(p)
            raise AssertionError("get on deleted node succeeded")
        except NoNodeError:
            pass
        # async API
        a = zk.create_async(p, b"async")
        eq(p, a.get(timeout=T), "create_async")
        eq(b"async", zk.get_async(p).get(timeout=T)[0], "get_async")
        eq(1, zk.set_async(p, b"2").get(timeout=T).version, "set_async")
        zk.delete_async(p).get(timeout=T)
        return "ok"

    check("basic-api", t_basic)

    # ------------------------------------------------------------------ Lock
    def t_lock():
        path = ROOT + "/lock"
        counter = ROOT + "/lock-counter"
        zk.create(counter, b"0")
        n_clients, per = 4, 10
        cs = [client() for _ in range(n_clients)]
        holders = [0]
        max_holders = [0]
        mu = threading.Lock()
        lost = [0]

        def worker(i):
            c = cs[i]
            lock = c.Lock(path, "worker-%d" % i)
            for _ in range(per):
                if not lock.acquire(timeout=20):
                    raise AssertionError("lock acquire timed out")
                try:
                    with mu:
                        holders[0] += 1
                        max_holders[0] = max(max_holders[0], holders[0])
                    data, st = c.get(counter)
                    try:
                        c.set(counter, str(int(data) + 1).encode(), version=st.version)
                    except BadVersionError:
                        lost[0] += 1
                    with mu:
                        holders[0] -= 1
                finally:
                    lock.release()

        try:
            run_threads(n_clients, worker, 28)
        finally:
            close(*cs)
        total = int(zk.get(counter)[0])
        eq(n_clients * per, total, "counter")
        eq(1, max_holders[0], "max simultaneous holders")
        eq(0, lost[0], "lost updates")
        # contenders() and timeout while held
        c1, c2 = client(), client()
        try:
            l1 = c1.Lock(path, "one")
            l2 = c2.Lock(path, "two")
            require(l1.acquire(timeout=10), "l1 acquire")
            require(not try_acquire(l2, 0.3), "l2 acquired a held lock")
            eq(["one"], l1.contenders(), "contenders")
            l1.release()
            require(l2.acquire(timeout=10), "l2 acquire after release")
            l2.release()
        finally:
            close(c1, c2)
        return "%dx%d acquisitions, counter=%d" % (n_clients, per, total)

    check("Lock", t_lock)

    # ------------------------------------------------------------------ Semaphore
    def t_semaphore():
        path = ROOT + "/semaphore"
        cs = [client() for _ in range(3)]
        try:
            s = [c.Semaphore(path, "s%d" % i, max_leases=2) for i, c in enumerate(cs)]
            require(s[0].acquire(timeout=10), "lease 1")
            require(s[1].acquire(timeout=10), "lease 2")
            require(not try_acquire(s[2], 0.3), "third lease granted")
            eq(["s0", "s1"], sorted(s[2].lease_holders()), "lease holders")
            s[0].release()
            require(s[2].acquire(timeout=10), "lease after release")
            s[1].release()
            s[2].release()
            return "ok"
        finally:
            close(*cs)

    check("Semaphore", t_semaphore)

    # ------------------------------------------------------------------ ReadLock / WriteLock
    def t_rwlock():
        path = ROOT + "/rwlock"
        c1, c2, c3 = client(), client(), client()
        try:
            r1, r2, w3 = c1.ReadLock(path), c2.ReadLock(path), c3.WriteLock(path)
            require(r1.acquire(timeout=10), "reader 1")
            require(r2.acquire(timeout=10), "reader 2 shares")
            require(not try_acquire(w3, 0.3), "writer got in while readers hold")
            r1.release()
            r2.release()
            require(w3.acquire(timeout=10), "writer after readers left")
            r1b = c1.ReadLock(path)
            require(not try_acquire(r1b, 0.3), "reader got in while writer holds")
            w3.release()
            require(r1b.acquire(timeout=10), "reader after writer left")
            r1b.release()
            return "ok"
        finally:
            close(c1, c2, c3)

    check("ReadLock-WriteLock", t_rwlock)

    # ------------------------------------------------------------------ Election
    def t_election():
        path = ROOT + "/election"
        cs = [client() for _ in range(3)]
        leaders = queue.Queue()
        release = {i: threading.Event() for i in range(3)}
        inside = [0]
        overlap = [0]
        mu = threading.Lock()
        elections = [c.Election(path, "e%d" % i) for i, c in enumerate(cs)]

        def lead(i):
            with mu:
                inside[0] += 1
                if inside[0] != 1:
                    overlap[0] += 1
            leaders.put(i)
            release[i].wait(20)
            with mu:
                inside[0] -= 1

        ths = [threading.Thread(target=elections[i].run, args=(lead, i), daemon=True) for i in range(3)]
        try:
            for t in ths:
                t.start()
            first = leaders.get(timeout=T)
            wait_for(lambda: len(elections[first].contenders()) == 3, T, "3 contenders")
            eq("e%d" % first, elections[first].contenders()[0], "leader is first contender")
            order = [first]
            release[first].set()
            second = leaders.get(timeout=T)
            order.append(second)
            release[second].set()
            third = leaders.get(timeout=T)
            order.append(third)
            release[third].set()
            for t in ths:
                t.join(T)
            eq(0, overlap[0], "overlapping leaders")
            eq({0, 1, 2}, set(order), "each contender led once")
            return "order %s" % order
        finally:
            for e in release.values():
                e.set()
            for e in elections:
                e.cancel()
            close(*cs)

    check("Election", t_election)

    # ------------------------------------------------------------------ Counter
    def t_counter():
        path = ROOT + "/counter"
        cs = [client() for _ in range(3)]
        try:
            def worker(i):
                c = cs[i].Counter(path)
                for _ in range(10):
                    c += 1

            run_threads(3, worker, 25)
            c = zk.Counter(path)
            eq(30, c.value, "counter after 3x10 increments")
            c -= 5
            eq(25, c.value, "after decrement")
            f = zk.Counter(ROOT + "/fcounter", default=0.5)
            f += 0.25
            eq(0.75, f.value, "float counter")
            return "30 -> 25"
        finally:
            close(*cs)

    check("Counter", t_counter)

    # ------------------------------------------------------------------ Barrier
    def t_barrier():
        path = ROOT + "/barrier"
        b = zk.Barrier(path)
        b.create()
        cs = [client() for _ in range(3)]
        try:
            require(not cs[0].Barrier(path).wait(timeout=0.3), "wait returned while barrier up")
            results = []
            started = threading.Barrier(4, timeout=T)

            def waiter(i):
                started.wait()
                results.append(cs[i].Barrier(path).wait(timeout=20))

            ths = [threading.Thread(target=waiter, args=(i,), daemon=True) for i in range(3)]
            for t in ths:
                t.start()
            started.wait()
            b.remove()
            for t in ths:
                t.join(25)
            eq([True, True, True], results, "waiters released")
            return "3 waiters released"
        finally:
            close(*cs)

    check("Barrier", t_barrier)

    # ------------------------------------------------------------------ DoubleBarrier
    def t_double_barrier():
        path = ROOT + "/dbarrier"
        cs = [client() for _ in range(3)]
        arrived = [0]
        entered_with = []
        mu = threading.Lock()
        try:
            def member(i):
                db = cs[i].DoubleBarrier(path, 3, identifier="m%d" % i)
                with mu:
                    arrived[0] += 1
                db.enter()
                with mu:
                    entered_with.append(arrived[0])
                db.leave()

            run_threads(3, member, 25)
            eq([3, 3, 3], entered_with, "members entered only when all arrived")
            return "ok"
        finally:
            close(*cs)

    check("DoubleBarrier", t_double_barrier)

    # ------------------------------------------------------------------ Queue
    def t_queue():
        path = ROOT + "/queue"
        q = zk.Queue(path)
        for i in range(10):
            q.put(b"m%d" % i)
        q.put(b"urgent", priority=1)
        eq(11, len(q), "queue length")
        c2 = client()
        try:
            q2 = c2.Queue(path)
            got = [q2.get() for _ in range(11)]
            eq([b"urgent"] + [b"m%d" % i for i in range(10)], got, "priority then FIFO order")
            eq(None, q2.get(), "empty queue get")
            return "11 items"
        finally:
            close(c2)

    check("Queue", t_queue)

    # ------------------------------------------------------------------ LockingQueue
    def t_locking_queue():
        path = ROOT + "/lqueue"
        q = zk.LockingQueue(path)
        q.put(b"a")
        q.put_all([b"b", b"c"], priority=50)
        eq(3, len(q), "length")
        c2 = client()
        try:
            q2 = c2.LockingQueue(path)
            item = q2.get(timeout=T)
            eq(b"b", item, "highest priority first")
            require(q2.holds_lock(), "consumer holds the item lock")
            require(q2.consume(), "consume")
            item = q2.get(timeout=T)
            eq(b"c", item, "next item")
            require(q2.release(), "release without consuming")
            eq(3 - 1, len(q), "released item stays queued")
            got = []
            for _ in range(2):
                got.append(q2.get(timeout=T))
                q2.consume()
            eq([b"c", b"a"], got, "remaining items")
            eq(0, len(q), "empty")
            eq(None, q2.get(timeout=0.3), "get on empty queue times out")
            return "ok"
        finally:
            close(c2)

    check("LockingQueue", t_locking_queue)

    # ------------------------------------------------------------------ Party
    def t_party():
        path = ROOT + "/party"
        c2 = client()
        try:
            p1 = zk.Party(path, "alice")
            p2 = c2.Party(path, "bob")
            p1.join()
            p2.join()
            eq(["alice", "bob"], sorted(list(p1)), "members")
            eq(2, len(p1), "len")
            p2.leave()
            eq(["alice"], list(p1), "after leave")
            sp = c2.ShallowParty(path + "-shallow", "carol")
            sp.join()
            eq(["carol"], list(zk.ShallowParty(path + "-shallow")), "shallow party")
            close(c2)  # session close removes the ephemeral membership
            eq(0, len(zk.ShallowParty(path + "-shallow")), "shallow party after session close")
            p1.leave()
            return "ok"
        finally:
            close(c2)

    check("Party", t_party)

    # ------------------------------------------------------------------ ChildrenWatch
    def t_children_watch():
        path = ROOT + "/cwatch"
        zk.create(path)
        seen = queue.Queue()

        @zk.ChildrenWatch(path)
        def watcher(children):
            seen.put(sorted(children))

        eq([], seen.get(timeout=T), "initial call")
        zk.create(path + "/a")
        eq(["a"], seen.get(timeout=T), "after create a")
        zk.create(path + "/b")
        eq(["a", "b"], seen.get(timeout=T), "after create b")
        zk.delete(path + "/a")
        eq(["b"], seen.get(timeout=T), "after delete a")
        return "ok"

    check("ChildrenWatch", t_children_watch)

    # ------------------------------------------------------------------ DataWatch
    def t_data_watch():
        path = ROOT + "/dwatch"
        seen = queue.Queue()

        @zk.DataWatch(path)
        def watcher(data, stat, event):
            seen.put((data, stat.version if stat else None, event.type if event else None))

        eq((None, None, None), seen.get(timeout=T), "initial call on missing node")
        zk.create(path, b"1")
        eq((b"1", 0, EventType.CREATED), seen.get(timeout=T), "created")
        zk.set(path, b"2")
        eq((b"2", 1, EventType.CHANGED), seen.get(timeout=T), "changed")
        zk.delete(path)
        eq((None, None, EventType.DELETED), seen.get(timeout=T), "deleted")
        return "ok"

    check("DataWatch", t_data_watch)

    # ------------------------------------------------------------------ TreeCache
    def t_tree_cache():
        path = ROOT + "/tcache"
        zk.create(path, b"base")
        zk.create(path + "/pre", b"p")
        events = queue.Queue()
        cache = TreeCache(zk, path)

        def listener(ev):
            events.put(ev)

        cache.listen(listener)
        cache.start()
        try:
            initial = set()
            while True:
                ev = events.get(timeout=T)
                if ev.event_type == TreeEvent.INITIALIZED:
                    break
                initial.add((ev.event_type, ev.event_data.path))
            eq({(TreeEvent.NODE_ADDED, path), (TreeEvent.NODE_ADDED, path + "/pre")}, initial, "initial events")

            def next_ev():
                ev = events.get(timeout=T)
                return (ev.event_type, ev.event_data.path, ev.event_data.data)

            zk.create(path + "/x", b"1")
            eq((TreeEvent.NODE_ADDED, path + "/x", b"1"), next_ev(), "added")
            zk.set(path + "/x", b"2")
            eq((TreeEvent.NODE_UPDATED, path + "/x", b"2"), next_ev(), "updated")
            zk.create(path + "/x/y", b"3")
            eq((TreeEvent.NODE_ADDED, path + "/x/y", b"3"), next_ev(), "nested added")
            eq(b"3", cache.get_data(path + "/x/y").data, "cache get_data")
            eq(["pre", "x"], sorted(cache.get_children(path)), "cache get_children")
            zk.delete(path + "/x", recursive=True)
            got = {next_ev()[:2], next_ev()[:2]}
            eq({(TreeEvent.NODE_REMOVED, path + "/x"), (TreeEvent.NODE_REMOVED, path + "/x/y")}, got, "removed")
            return "ok"
        finally:
            cache.close()

    check("TreeCache", t_tree_cache)

    # ------------------------------------------------------------------ transactions
    def t_transaction():
        p = ROOT + "/txn"
        zk.create(p, b"x")
        t = zk.transaction()
        t.create(p + "/a", b"a")
        t.create(p + "/s-", b"s", sequence=True)
        t.set_data(p, b"y", version=0)
        t.check(p, 1)
        t.delete(p + "/a")
        res = t.commit()
        eq(5, len(res), "result count")
        eq(p + "/a", res[0], "create result")
        eq(p + "/s-0000000001", res[1], "sequential create result")
        eq(1, res[2].version, "set_data result stat")
        eq(True, res[3], "check result")
        eq(True, res[4], "delete result")
        eq(b"y", zk.get(p)[0], "data")
        t = zk.transaction()
        t.create(p + "/b")
        t.set_data(p, b"z")
        t.check(p, 42)
        t.create(p + "/c")
        res = t.commit()
        eq([RolledBackError, RolledBackError, BadVersionError, RuntimeInconsistency],
           [type(r) for r in res], "failed transaction results")
        require(zk.exists(p + "/b") is None, "rolled back create visible")
        eq(b"y", zk.get(p)[0], "rolled back set_data visible")
        with zk.transaction() as t2:
            t2.create(p + "/ctx")
        require(zk.exists(p + "/ctx") is not None, "context-manager transaction")
        return "ok"

    check("transaction", t_transaction)

    # ------------------------------------------------------------------ session / ephemerals
    def t_session():
        p = ROOT + "/eph"
        c2 = client()
        c2.create(p, b"e", ephemeral=True)
        ev = threading.Event()
        got = []

        def w(event):
            got.append(event.type)
            ev.set()

        require(zk.exists(p, watch=w) is not None, "ephemeral exists")
        close(c2)
        require(ev.wait(T), "no delete event after owner session closed")
        eq([EventType.DELETED], got, "event")
        require(zk.exists(p) is None, "ephemeral survived session close")
        return "ok"

    check("session-close-ephemeral", t_session)

    # ------------------------------------------------------------------ auth / ACL
    def t_acl():
        from kazoo.security import make_digest_acl, make_acl
        p = ROOT + "/acl"
        acl = make_digest_acl("kz", "pw", all=True)
        c2 = client()
        try:
            c2.add_auth("digest", "kz:pw")
            c2.create(p, b"secret", acl=[acl])
            from kazoo.exceptions import NoAuthError
            try:
                zk.get(p)
                raise AssertionError("unauthenticated read succeeded")
            except NoAuthError:
                pass
            eq(b"secret", c2.get(p)[0], "authorised read")
            acls, st = c2.get_acls(p)
            eq([acl], acls, "get_acls")
            c2.set_acls(p, [acl, make_acl("world", "anyone", read=True)], version=0)
            eq(b"secret", zk.get(p)[0], "world read after set_acls")
            eq(1, c2.exists(p).aversion, "aversion")
            return "ok"
        finally:
            close(c2)

    check("acl-digest", t_acl)

    # ------------------------------------------------------------------ four letter words
    def t_4lw():
        # keep a watch and an ephemeral so wchs/wchc/wchp/dump have something to show
        p = ROOT + "/fourlw"
        zk.create(p, b"", ephemeral=True)
        zk.exists(p, watch=lambda e: None)
        sid = "0x%x" % zk.client_id[0]
        out = {}
        for cmd in ["ruok", "isro", "srvr", "stat", "mntr", "conf", "envi", "cons", "wchs", "wchc", "wchp",
                    "dump", "dirs", "crst", "srst"]:
            out[cmd] = zk.command(cmd.encode())
        eq("imok", out["ruok"], "ruok")
        eq("rw", out["isro"], "isro")
        for cmd in ("srvr", "stat"):
            txt = out[cmd]
            require(txt.startswith("Zookeeper version: "), cmd + " version line: %r" % txt[:80])
            require(re.search(r"^Mode: (standalone|leader|follower|observer)$", txt, re.M), cmd + " Mode line")
            require(re.search(r"^Node count: \d+$", txt, re.M), cmd + " Node count line")
            require(re.search(r"^Zxid: 0x[0-9a-f]+$", txt, re.M), cmd + " Zxid line")
            require(re.search(r"^Latency min/avg/max: \d+/[\d.]+/\d+$", txt, re.M), cmd + " latency line")
        require("Clients:\n" in out["stat"], "stat Clients section")
        mntr = dict(l.split("\t", 1) for l in out["mntr"].splitlines() if "\t" in l)
        for k in ("zk_version", "zk_server_state", "zk_znode_count", "zk_watch_count", "zk_ephemerals_count",
                  "zk_num_alive_connections", "zk_outstanding_requests", "zk_approximate_data_size"):
            require(k in mntr, "mntr key " + k)
        require(mntr["zk_server_state"] in ("standalone", "leader", "follower", "observer"), "zk_server_state")
        require(int(mntr["zk_znode_count"]) >= 3, "zk_znode_count")
        require(int(mntr["zk_ephemerals_count"]) >= 1, "zk_ephemerals_count")
        require(int(mntr["zk_watch_count"]) >= 1, "zk_watch_count")
        port = HP.rsplit(":", 1)[1]
        require(re.search(r"^clientPort=%s$" % port, out["conf"], re.M), "conf clientPort")
        require(out["envi"].startswith("Environment:\n"), "envi header")
        require("sid=" + sid in out["cons"], "cons lists our session")
        require(re.match(r"\d+ connections watching \d+ paths\nTotal watches:\d+", out["wchs"]), "wchs format: %r" % out["wchs"])
        require(sid in out["wchc"] and p in out["wchc"], "wchc lists our session and path")
        require(sid in out["wchp"] and p in out["wchp"], "wchp lists our path and session")
        require("SessionTracker dump:" in out["dump"] or "Session Sets" in out["dump"], "dump sessions section")
        require(p in out["dump"], "dump lists our ephemeral")
        require(out["dirs"].startswith("datadir_size:"), "dirs")
        eq("Connection stats reset.\n", out["crst"], "crst")
        eq("Server stats reset.\n", out["srst"], "srst")
        zk.delete(p)
        return "15 commands"

    check("four-letter-words", t_4lw)

    def t_cleanup():
        zk.delete(ROOT, recursive=True)
        require(zk.exists(ROOT) is None, "root still exists")
        return "ok"

    check("cleanup", t_cleanup)
    close(*_clients)
    summary_and_exit()


if __name__ == "__main__":
    main()
