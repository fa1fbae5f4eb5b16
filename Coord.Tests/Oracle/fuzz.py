"""Seeded random-operation differential fuzzing.

    oracle.py fuzz --ref HOST:PORT --target HOST:PORT --seed N [--ops 300] [--sessions 3] [--count K]

The operation list is generated from the seed alone (never from server
replies), over a small path space, for several sessions.  It is applied in a
fixed interleaving: one request is sent, its reply awaited, the other sessions
are drained with a ping barrier, then the next request follows.  Both servers
get the same list; the normalized transcripts must be identical.
"""

import argparse
import random
import sys
import time

from harness import ScenarioDef, m_delete, m_set, m_check, m_get, m_ls
import zkwire as z

NAMES = ["a", "b", "c", "q0000000000", "q0000000001", "q0000000002", "q0000000003"]
BASIC = 2   # plain names are drawn from NAMES[:BASIC] most of the time
U1 = z.digest_id("u1", "p1")
# ACLs that always keep READ and DELETE for the teardown session
ACLS = [z.OPEN_ACL_UNSAFE, z.OPEN_ACL_UNSAFE, z.OPEN_ACL_UNSAFE,
        [(z.READ | z.CREATE | z.DELETE, "world", "anyone")],
        [(z.ALL & ~z.ADMIN, "world", "anyone")],
        [(z.READ | z.DELETE, "world", "anyone"), (z.ALL, "digest", U1)]]


class Gen:
    def __init__(self, seed, sessions):
        self.r = random.Random(seed)
        self.sessions = sessions
        self.known = []   # paths earlier create ops aimed at (a guess; never read from replies)

    def path(self, allow_root=True):
        r = self.r
        if allow_root and r.random() < 0.05:
            return ""
        if self.known and r.random() < 0.6:
            return r.choice(self.known)
        depth = r.choice((1, 1, 1, 1, 2, 2, 3))
        parts = [r.choice(NAMES[:BASIC]) if r.random() < 0.8 else r.choice(NAMES) for _ in range(depth)]
        return "/" + "/".join(parts)

    def new_path(self):
        r = self.r
        if self.known and r.random() < 0.5:
            base = r.choice(self.known)
            if base.count("/") < 3:
                return base + "/" + r.choice(NAMES[:BASIC])
        return self.path(allow_root=False)

    def data(self):
        r = self.r
        x = r.random()
        if x < 0.05:
            return None
        return bytes(r.randrange(256) for _ in range(r.choice((0, 1, 3, 8))))

    def version(self):
        return self.r.choice((-1, -1, -1, 0, 0, 1, 2, 5))

    def create_args(self):
        r = self.r
        flags = r.choice((0, 0, 0, 0, 1, 2, 3))
        path = self.new_path()
        if flags in (2, 3) and r.random() < 0.8:
            path = path.rsplit("/", 1)[0] + "/q"
        elif path not in self.known:
            self.known.append(path)
        return dict(path=path, data=self.data(), acl=r.choice(ACLS), flags=flags)

    def sub_op(self):
        r = self.r
        k = r.choice(("create", "create", "delete", "setData", "check", "create2"))
        if k in ("create", "create2"):
            a = self.create_args()
            return (k, a)
        if k == "delete":
            return m_delete(self.path(False), self.version())
        if k == "setData":
            return m_set(self.path(), self.data(), self.version())
        return m_check(self.path(), self.version())

    def op(self):
        r = self.r
        ops = [("create", 16), ("create2", 5), ("delete", 8), ("setData", 10), ("exists", 8),
               ("getData", 8), ("getChildren", 5), ("getChildren2", 5), ("getACL", 2), ("setACL", 3),
               ("sync", 1), ("multi", 6), ("multiRead", 3), ("checkWatches", 2), ("removeWatches", 3),
               ("addWatch", 3), ("getEphemerals", 2), ("getAllChildrenNumber", 2), ("restart", 1),
               ("reconnect", 1), ("auth", 1)]
        total = sum(w for _, w in ops)
        x = r.uniform(0, total)
        for name, w in ops:
            x -= w
            if x <= 0:
                break
        sess = r.randrange(self.sessions)
        if name in ("create", "create2"):
            return sess, name, self.create_args()
        if name == "delete":
            return sess, name, dict(path=self.path(False), version=self.version())
        if name == "setData":
            return sess, name, dict(path=self.path(), data=self.data(), version=self.version())
        if name in ("exists", "getData", "getChildren", "getChildren2"):
            return sess, name, dict(path=self.path(), watch=r.random() < 0.5)
        if name == "getACL":
            return sess, name, dict(path=self.path())
        if name == "setACL":
            return sess, name, dict(path=self.path(False), acl=r.choice(ACLS), version=r.choice((-1, 0, 1)))
        if name in ("sync", "getAllChildrenNumber"):
            return sess, name, dict(path=self.path())
        if name == "multi":
            return sess, name, dict(ops=[self.sub_op() for _ in range(r.randrange(1, 5))])
        if name == "multiRead":
            return sess, name, dict(ops=[r.choice((m_get, m_ls))(self.path()) for _ in range(r.randrange(1, 4))])
        if name in ("checkWatches", "removeWatches"):
            return sess, name, dict(path=self.path(), type=r.choice((1, 2, 3, 3, 4, 5)))
        if name == "addWatch":
            return sess, name, dict(path=self.path(), mode=r.choice((0, 1)))
        if name == "getEphemerals":
            return sess, name, dict(prefixPath=r.choice(("", "/a", "/b")))
        if name == "auth":
            return sess, name, dict(scheme="digest", auth=r.choice(("u1:p1", "u2:p2")))
        return sess, name, {}


def generate(seed, n_ops, sessions):
    g = Gen(seed, sessions)
    return [g.op() for _ in range(n_ops)]


def make_scenario(seed, n_ops, sessions):
    ops = generate(seed, n_ops, sessions)

    def body(t):
        slots = [t.session(label=f"s{i + 1}") for i in range(sessions)]
        gens = [1] * sessions
        for idx, (si, name, args) in enumerate(ops):
            s = slots[si]
            if name == "restart":
                t.log(f"# op {idx}: restart {s.label}")
                s.close()
                gens[si] += 1
                slots[si] = s = t.session(label=f"s{si + 1}.{gens[si]}")
                continue
            if name == "reconnect":
                t.log(f"# op {idx}: reconnect {s.label}")
                s.disconnect()
                s.reconnect()
                continue
            if name == "auth":
                s.auth(args["scheme"], args["auth"])
                continue
            s.op(name, **args)

    return ScenarioDef(f"fuzz-{seed}", body, f"fuzz seed {seed}")


def main(argv):
    ap = argparse.ArgumentParser(prog="oracle.py fuzz", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ref", required=True)
    ap.add_argument("--target", required=True)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--ops", type=int, default=300)
    ap.add_argument("--sessions", type=int, default=3)
    ap.add_argument("--count", type=int, default=1, help="run seeds seed..seed+count-1")
    ap.add_argument("--ignore-event-zxid", action="store_true",
                    help="mask the reply-header zxid of notifications")
    ap.add_argument("-v", "--verbose", action="store_true", help="print the ref transcript")
    args = ap.parse_args(argv)
    import harness
    harness.OPTIONS["event_zxid"] = not args.ignore_event_zxid
    from oracle import run_pair, diff_lines, reachable
    if not (reachable(args.ref) and reachable(args.target)):
        return 2
    failed = []
    t0 = time.monotonic()
    for seed in range(args.seed, args.seed + args.count):
        sdef = make_scenario(seed, args.ops, args.sessions)
        a, b = run_pair(args.ref, args.target, sdef)
        d = diff_lines(a.lines, b.lines)
        if args.verbose:
            for ln in a.lines:
                print("      " + ln)
        for w in a.warnings + b.warnings:
            print(f"    warning: {w.strip().splitlines()[-1]}")
        if d:
            failed.append(seed)
            print(f"FAIL fuzz seed={seed} ops={args.ops} sessions={args.sessions}")
            for ln in d[:80]:
                print("    " + ln)
            if len(d) > 80:
                print(f"    ... {len(d) - 80} more diff lines")
            print(f"    replay: /usr/bin/python3 {sys.argv[0]} fuzz --ref {args.ref} --target {args.target} "
                  f"--seed {seed} --ops {args.ops} --sessions {args.sessions}")
        else:
            print(f"PASS fuzz seed={seed} ({len(a.lines)} transcript lines)")
        sys.stdout.flush()
    print(f"\n{args.count - len(failed)} passed, {len(failed)} failed, {time.monotonic() - t0:.1f}s")
    return 1 if failed else 0
