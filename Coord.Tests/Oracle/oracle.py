#!/usr/bin/python3
"""Differential oracle: run scenarios against a reference ZooKeeper and a
target server, normalize both transcripts, and diff them.

    oracle.py --ref HOST:PORT --target HOST:PORT [--scenario NAME ...] [--list]
    oracle.py --record HOST:PORT [--scenario NAME ...]
    oracle.py fuzz --ref HOST:PORT --target HOST:PORT --seed N [--ops 300] [--sessions 3]
    oracle.py mutate --ref HOST:PORT --target HOST:PORT --seed N [--cases K]   (malformed input, see mutate.py)

See README.md for the normalization rules.
"""

import argparse
import difflib
import fnmatch
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from harness import SCENARIOS, T, run_scenario  # noqa: E402

# --------------------------------------------------------------------------
# comparing


def run_pair(ref, target, sdef):
    res = {}

    def go(key, hp):
        try:
            res[key] = run_scenario(hp, sdef)
        except Exception as e:  # connection refused etc.
            tt = T(hp, sdef.name)
            tt.log(f"HARNESS ERROR {e!r}")
            res[key] = tt
    th = [threading.Thread(target=go, args=("ref", ref)), threading.Thread(target=go, args=("target", target))]
    for x in th:
        x.start()
    for x in th:
        x.join()
    return res["ref"], res["target"]


def diff_lines(a, b):
    return list(difflib.unified_diff(a, b, "ref", "target", lineterm="", n=3))


def load_scenarios():
    import scenarios_basic  # noqa: F401
    import scenarios_watch  # noqa: F401
    import scenarios_multi  # noqa: F401
    import scenarios_acl  # noqa: F401
    import scenarios_session  # noqa: F401
    import scenarios_misc  # noqa: F401


def select(names, include_all, skip_slow=False):
    if not names:
        return [s for s in SCENARIOS.values()
                if (include_all or not s.divergent) and not (skip_slow and s.slow)]
    out = []
    for pat in names:
        hits = [s for n, s in SCENARIOS.items() if fnmatch.fnmatch(n, pat)]
        if not hits:
            raise SystemExit(f"no scenario matches {pat!r} (see --list)")
        out.extend(h for h in hits if h not in out)
    return out


def reachable(hostport):
    import socket
    host, port = hostport.rsplit(":", 1)
    try:
        socket.create_connection((host, int(port)), timeout=3).close()
        return True
    except OSError as e:
        print(f"cannot connect to {hostport}: {e}")
        return False


def cmd_compare(args):
    if not (reachable(args.ref) and reachable(args.target)):
        return 2
    sel = select(args.scenario, args.all, args.skip_slow)
    t0 = time.monotonic()
    failed = []
    for sdef in sel:
        ts = time.monotonic()
        a, b = run_pair(args.ref, args.target, sdef)
        d = diff_lines(a.lines, b.lines)
        dt = time.monotonic() - ts
        if d:
            failed.append(sdef.name)
            print(f"FAIL {sdef.name} ({dt:.2f}s)" + (f"  [known divergence: {sdef.divergent}]" if sdef.divergent else ""))
            for ln in d:
                print("    " + ln)
        else:
            print(f"PASS {sdef.name} ({dt:.2f}s)")
        for w in a.warnings:
            print(f"    warning (ref): {w.strip().splitlines()[-1]}")
        for w in b.warnings:
            print(f"    warning (target): {w.strip().splitlines()[-1]}")
        if args.verbose:
            for ln in a.lines:
                print("      " + ln)
        sys.stdout.flush()
    total = time.monotonic() - t0
    print(f"\n{len(sel) - len(failed)} passed, {len(failed)} failed, {len(sel)} scenarios, {total:.1f}s")
    if failed:
        print("failed: " + " ".join(failed))
    return 1 if failed else 0


def cmd_record(args):
    if not reachable(args.record):
        return 2
    sel = select(args.scenario, args.all, args.skip_slow)
    for sdef in sel:
        t = run_scenario(args.record, sdef)
        print(f"=== {sdef.name}")
        for ln in t.lines:
            print("  " + ln)
        for w in t.warnings:
            print(f"  warning: {w.strip().splitlines()[-1]}")
    return 0


def cmd_list(args):
    for n, s in SCENARIOS.items():
        mark = f"  [divergent: {s.divergent}]" if s.divergent else ""
        print(f"{n:45s} {s.doc}{mark}")
    print(f"\n{len(SCENARIOS)} scenarios")
    return 0


def cmd_areas(args):
    """name<TAB>area, the area being the scenario file (scenarios_<area>.py); used for the compatibility matrix."""
    for n, s in SCENARIOS.items():
        mod = getattr(s.fn, "__module__", "") or ""
        area = mod.split("scenarios_", 1)[1] if "scenarios_" in mod else mod
        print(f"{n}\t{area}")
    return 0


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    load_scenarios()
    if argv and argv[0] == "fuzz":
        import fuzz
        return fuzz.main(argv[1:])
    if argv and argv[0] == "mutate":
        import mutate
        return mutate.main(argv[1:])
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ref", help="reference server host:port")
    ap.add_argument("--target", help="server under test host:port")
    ap.add_argument("--record", metavar="HOST:PORT", help="print transcripts from one server")
    ap.add_argument("--scenario", action="append", help="scenario name or glob (repeatable)")
    ap.add_argument("--all", action="store_true", help="also run scenarios marked as known divergences")
    ap.add_argument("--list", action="store_true", help="list scenarios")
    ap.add_argument("--areas", action="store_true", help="print 'scenario<TAB>area' lines")
    ap.add_argument("--skip-slow", action="store_true",
                    help="skip scenarios that wait for server timers (containers, TTL, session expiry)")
    ap.add_argument("--ignore-event-zxid", action="store_true",
                    help="mask the reply-header zxid of notifications (-1 in 3.8, the txn zxid since 3.9)")
    ap.add_argument("-v", "--verbose", action="store_true", help="print the ref transcript of every scenario")
    args = ap.parse_args(argv)
    harness.OPTIONS["event_zxid"] = not args.ignore_event_zxid
    if args.list:
        return cmd_list(args)
    if args.areas:
        return cmd_areas(args)
    if args.record:
        return cmd_record(args)
    if not (args.ref and args.target):
        ap.error("--ref and --target are required (or --record / --list)")
    return cmd_compare(args)


if __name__ == "__main__":
    sys.exit(main())
