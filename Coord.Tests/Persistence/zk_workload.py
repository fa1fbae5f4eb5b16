"""Drives a ZooKeeper-protocol server for the persistence interop tests (Coord.Tests/Persistence).

  zk_workload.py write HOST:PORT
      Creates every kind of node and txn the on-disk formats must carry, then exits without closing session A
      (so its ephemerals survive in the server's files). Prints one JSON object: the session ids and each step's
      error code.
  zk_workload.py bulk HOST:PORT COUNT BYTES
      Creates /bulk and /bulk/b0../bulk/b<COUNT-1>, each with BYTES of data (half seeded-random, half repetitive
      text), so a snapshot spans many compression blocks. Prints {"created": COUNT}.
  zk_workload.py dump HOST:PORT PATH...
      Prints one JSON object: for each path, its data (hex, or null), Stat and ACL, or the error code.

Uses the raw wire client in ../Oracle/zkwire.py (stdlib only); every call has a timeout.
"""

import json
import os
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Oracle"))
import zkwire as z  # noqa: E402


def write(hostport):
    out = {"steps": []}
    a = connect_when_serving(hostport, timeout_ms=30000)
    out["sessionA"] = a.session_id

    def step(name, **args):
        r = a.call(name, **args)
        out["steps"].append([name, args.get("path"), r.err])
        return r

    step("create", path="/p", data=b"hello")
    step("create", path="/p/e", data=b"eph", flags=z.EPHEMERAL)
    step("create", path="/p/s-", data=b"seq", flags=z.PERSISTENT_SEQUENTIAL)
    step("create", path="/p/es-", data=b"", flags=z.EPHEMERAL_SEQUENTIAL)
    step("create", path="/p/nul", data=None)
    step("createContainer", path="/c", data=b"box", flags=z.CONTAINER)
    step("create", path="/c/x", data=b"")
    step("create", path="/c/y", data=b"")
    step("createTTL", path="/t", data=b"ttl", flags=z.PERSISTENT_WITH_TTL, ttl=600000)
    step("createTTL", path="/t-", data=b"", flags=z.PERSISTENT_SEQUENTIAL_WITH_TTL, ttl=700000)
    step("create", path="/acl", data=b"secret", acl=[(z.ALL, "digest", z.digest_id("u", "p")), (z.READ, "world", "anyone")])
    step("create", path="/ro", data=b"r", acl=z.READ_ACL_UNSAFE)
    a.auth("digest", b"u:p")
    step("create", path="/mine", data=b"m", acl=z.CREATOR_ALL_ACL)
    step("setData", path="/p", data=b"world")
    step("setACL", path="/acl", acl=[(z.ALL, "digest", z.digest_id("u", "p"))])
    step("create", path="/p", data=b"")                       # NodeExists: an error txn
    step("multi", ops=[("create", dict(path="/m1", data=b"1")), ("setData", dict(path="/p", data=b"m")),
                       ("check", dict(path="/p", version=2))])
    step("multi", ops=[("create", dict(path="/m2", data=b"2")), ("delete", dict(path="/nonexistent"))])
    step("delete", path="/c/x")
    step("create", path="/many", data=b"")
    for i in range(20):
        step("create", path=f"/many/n{i}", data=str(i).encode())
    step("delete", path="/many/n3")
    step("create", path="/deep", data=b"")
    path = "/deep"
    for i in range(6):
        path += f"/d{i}"
        step("create", path=path, data=b"d")

    b = z.connect(hostport, timeout_ms=20000)
    out["sessionB"] = b.session_id
    rb = b.call("create", path="/b-eph", data=b"B", flags=z.EPHEMERAL)
    out["steps"].append(["create", "/b-eph", rb.err])
    b.close_session()
    b.close_socket()

    # A last write from A after B's closeSession, then leave A open (the process just exits).
    step("setData", path="/m1", data=b"last")
    a.close_socket()
    print(json.dumps(out))


def bulk_data(i, size):
    half = size // 2
    return random.Random(i).randbytes(half) + (f"node {i} " * size).encode()[: size - half]


def bulk(hostport, count, size):
    s = connect_when_serving(hostport, timeout_ms=30000)
    for path, data in [("/bulk", b"")] + [(f"/bulk/b{i}", bulk_data(i, size)) for i in range(count)]:
        r = s.call("create", path=path, data=data)
        if r.err != 0:
            sys.exit(f"create {path}: error {r.err}")
    s.close_session()
    s.close_socket()
    print(json.dumps({"created": count}))


def connect_when_serving(hostport, timeout_ms, within=90.0):
    """A server that is still loading its database accepts TCP but closes the connection (or, racing its startup,
    never answers); like every ZooKeeper client, try again on a new connection, bounded by `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        s = None
        try:
            host, port = hostport.rsplit(":", 1)
            s = z.Session(host, int(port))
            s.connect(timeout_ms=timeout_ms, wait=5.0)
            return s
        except (z.ConnectionClosed, z.Timeout, ConnectionError, OSError):
            if s is not None:
                s.close_socket()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)  # client reconnect back-off


def dump(hostport, paths):
    s = connect_when_serving(hostport, timeout_ms=10000)
    out = {}
    for p in paths:
        r = s.call("getData", path=p)
        if r.err != 0:
            out[p] = {"err": r.err}
            continue
        acl = s.call("getACL", path=p)
        data = r.body["data"]
        out[p] = {
            "data": None if data is None else data.hex(),
            "stat": r.body["stat"],
            "acl": [list(x) for x in acl.body.get("acl", [])],
        }
    s.close_session()
    s.close_socket()
    print(json.dumps(out))


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "write":
        write(sys.argv[2])
    elif len(sys.argv) == 5 and sys.argv[1] == "bulk":
        bulk(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif len(sys.argv) >= 3 and sys.argv[1] == "dump":
        dump(sys.argv[2], sys.argv[3:])
    else:
        sys.exit(__doc__)
