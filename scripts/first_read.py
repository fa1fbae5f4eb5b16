#!/usr/bin/env python3
"""Waits until a ZooKeeper-protocol server serves getData(PATH); prints the seconds it took.

usage: first_read.py HOST:PORT PATH [TIMEOUT_S]

Connection refused, a refused session and errors count as "not yet": the loop retries every 20 ms, so the figure is
the time from this script's start to the first successful read (within ~20 ms). Used by scripts/bigtree to time a
restart.
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Coord.Tests", "Oracle"))
import zkwire  # noqa: E402

RETRY_INTERVAL_S = 0.02


def main():
    host, port = sys.argv[1].rsplit(":", 1)
    path = sys.argv[2]
    timeout_s = float(sys.argv[3]) if len(sys.argv) > 3 else 300.0
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout_s:
        try:
            s = zkwire.Session(host, int(port), connect_timeout=1.0)
            try:
                s.connect(timeout_ms=30000)
                r = s.call("getData", path=path, watch=False, timeout=timeout_s)
                if r.err == 0:
                    print(f"{time.monotonic() - t0:.3f}")
                    return 0
            finally:
                s.close_socket()
        except Exception:  # refused, reset, not serving yet: try again
            pass
        time.sleep(RETRY_INTERVAL_S)
    print("timeout", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
