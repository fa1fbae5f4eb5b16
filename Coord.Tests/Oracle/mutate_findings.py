#!/usr/bin/python3
"""Minimal repros of the differences `oracle.py mutate` found between ZooKeeper 3.8.0 and Coord.

    mutate_findings.py --ref HOST:PORT --target HOST:PORT [NAME ...] [--list]

Each entry is a few exact bytes sent on one connection (after a normal handshake unless it says `raw`),
below the node /mutate-findings (created, and emptied, by an admin session; /mutate-findings/x = "old" exists
while an entry runs).  The servers must have no other clients while this runs (zxid counts).  Printed per server: every
frame received (xid, error, `zxid=txn` if the reply carries a new zxid, `zxid=last` if it carries the last
committed one, body hex), whether the connection was closed or still open after 1 s, how many zxids the
bytes consumed (measured with admin writes before and after), and, where the entry asks, what a later read
shows.  `SAME` / `DIFFERENT` compares the two.  Exit status 1 if any entry differs.
"""

import argparse
import hashlib
import os
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import zkwire as z  # noqa: E402

BASE = "/mutate-findings"


def I(v):  # noqa: E743
    return struct.pack(">i", v)


def Q(v):
    return struct.pack(">q", v)


def S(b):
    return I(len(b)) + b


def fr(b):
    return I(len(b)) + b


def H(op, xid=1):
    return I(xid) + I(op)


def MH(typ, done=0):
    """multi sub-op header: type, done byte, err -1"""
    return I(typ) + bytes([done]) + I(-1)


END = MH(-1, 1)
P = BASE.encode()
ACL_OPEN = I(1) + I(31) + S(b"world") + S(b"anyone")

# name -> (severity, title, bytes, check) ; check: None or a path whose data/existence is read afterwards
FINDINGS = [
    ("multi_type0_ends_list", 1,
     "multi: a sub-op header with type 0 (done=false) -- ZooKeeper: MarshallingError, nothing applied; "
     "Coord at 277e925: the list ended there, the ops before it were committed (fixed in 0ba07ce)",
     fr(H(14) + MH(5) + S(P + b"/x") + S(b"new") + I(-1) + MH(0) + S(P + b"/x") + I(-1) + END), BASE + "/x"),
    ("multi_type0_first", 1,
     "multi whose first sub-op header has type 0",
     fr(H(14) + MH(0) + MH(5) + S(P + b"/x") + S(b"new") + I(-1) + END), BASE + "/x"),
    ("multiread_type0", 1,
     "multiRead getData + a sub-op header with type 0",
     fr(H(22) + MH(4) + S(P + b"/x") + b"\x00" + MH(0) + S(P + b"/x") + b"\x00" + END), None),
    ("pipelined_write_then_bad_length", 2,
     "a valid create followed, in the same write, by a frame length of -1: ZooKeeper executes the create "
     "before closing, Coord drops it",
     fr(H(1) + S(P + b"/p") + S(b"") + ACL_OPEN + I(0)) + I(-1), BASE + "/p"),
    ("pipelined_headeronly_delete_then_bad_length", 2,
     "a header-only delete followed by a frame length of -1 (ZooKeeper logs an error txn for the delete)",
     fr(H(2)) + I(-1), None),
    ("create_acl_count_negative", 3,
     "create with ACL vector count -5 (jute reads any negative count but -1 as an empty vector; fixed in 658dd08)",
     fr(H(1) + S(P + b"/a") + S(b"") + I(-5) + I(0)), None),
    ("setacl_acl_count_negative", 3,
     "setACL with ACL vector count -5",
     fr(H(7) + S(P) + I(-5) + I(-1)), None),
    ("setwatches_vector_count_negative", 3,
     "setWatches with data-watch vector count -2",
     fr(H(101, -8) + Q(0) + I(-2) + I(0) + I(0)), None),
    ("setwatches_null_vector", 3,
     "setWatches with a null child-watch vector (count -1; ZooKeeper fails on the null list; fixed in fdeb1f7)",
     fr(H(101, -8) + Q(0) + I(0) + I(0) + I(-1)), None),
    ("sync_null_path", 3, "sync with a null path (string length -1; fixed in a43dfa6)", fr(H(9) + I(-1)), None),
    ("getephemerals_null_prefix", 3, "getEphemerals with a null prefix (all of them, as a blank one; fixed in fdeb1f7)", fr(H(103) + I(-1)), None),
    ("addwatch_null_path", 3, "addWatch with a null path (OK; fixed in fdeb1f7)", fr(H(106) + I(-1) + I(0)), None),
    ("removewatches_null_path", 3, "removeWatches with a null path (NoWatcher; fixed in fdeb1f7)", fr(H(18) + I(-1) + I(1)), None),
    ("setdata_null_path", 3, "setData with a null path", fr(H(5) + I(-1) + S(b"") + I(-1)), None),
    ("multi_null_path", 3,
     "multi with a delete whose path is null (ZooKeeper: empty MultiResponse body, a zxid burned but no txn; "
     "fixed in fdeb1f7)",
     fr(H(14) + MH(2) + I(-1) + I(-1) + END), None),
    ("multiread_null_path", 3, "multiRead with a getData whose path is null (fixed in fdeb1f7)",
     fr(H(22) + MH(4) + I(-1) + b"\x00" + END), None),
    ("reconfig_header_only", 3, "reconfig with an empty body: MarshallingError on both, zxid consumed only by Coord",
     fr(H(16)), None),
    ("reconfig_truncated", 3, "reconfig cut before configId", fr(H(16) + I(-1) + S(b"1") + I(-1)), None),
    ("sasl_null_token", 4, "sasl with a null token (length -1)", fr(H(102) + I(-1)), None),
    ("sasl_negative_length", 4, "sasl with token length INT_MIN", fr(H(102) + I(-2 ** 31)), None),
    ("sasl_header_only", 4, "sasl with an empty body", fr(H(102)), None),
    ("sync_utf16_surrogate", 3, "sync of \"/\" + ED A0 80 (an encoded UTF-16 surrogate): the path echoed back (fixed in 7273458)",
     fr(H(9) + S(b"/\xed\xa0\x80")), None),
    ("getallchildrennumber_empty_path", 3, "getAllChildrenNumber of \"\" (ZooKeeper also counts its \"/\" alias of the root; fixed in fdeb1f7)",
     fr(H(104) + S(b"")), None),
    ("getallchildrennumber_root", 0, "control: getAllChildrenNumber of \"/\"", fr(H(104) + S(b"/")), None),
    ("multi_null_path_after_ok_op", 3,
     "multi: a setData that would succeed, then a delete with a null path (nothing applied, zxid burned)",
     fr(H(14) + MH(5) + S(P + b"/x") + S(b"new") + I(-1) + MH(2) + I(-1) + I(-1) + END), BASE + "/x"),
    ("multi_create_null_path", 3, "multi: a create with a null path",
     fr(H(14) + MH(1) + I(-1) + S(b"") + ACL_OPEN + I(0) + END), None),
    ("multi_null_path_then_getdata", 3,
     "multi: a null path and a getData (the read op fails decoding first: an error txn)",
     fr(H(14) + MH(2) + I(-1) + I(-1) + MH(4) + S(P + b"/x") + b"\x00" + END), None),
    ("multiread_results_then_null_path", 3,
     "multiRead: getChildren, a NoNode getData, then a null path (the results so far are sent)",
     fr(H(22) + MH(8) + S(P) + b"\x00" + MH(4) + S(P + b"/nope") + b"\x00" + MH(4) + I(-1) + b"\x00" + END), None),
    ("pipelined_create_then_null_path_multi", 3,
     "a create, a multi with a null path and an exists, pipelined: replies in order, two zxids used",
     fr(H(1, 1) + S(P + b"/p") + S(b"") + ACL_OPEN + I(0)) + fr(H(14, 2) + MH(2) + I(-1) + I(-1) + END)
     + fr(H(3, 3) + S(P + b"/nope") + b"\x00"), BASE + "/p"),
    ("setacl_null_path", 3, "setACL with a null path (BadArguments, an error txn)",
     fr(H(7) + I(-1) + ACL_OPEN + I(-1)), None),
    ("removewatches_null_after_addwatch_null", 3,
     "addWatch of a null path, then removeWatches of it (ZooKeeper cannot remove it: MarshallingError)",
     fr(H(106, 1) + I(-1) + I(0)) + fr(H(18, 2) + I(-1) + I(3)), None),
    ("setwatches_null_data_path", 3, "setWatches with a null path in the data-watch list",
     fr(H(101, -8) + Q(0) + I(1) + I(-1) + I(0) + I(0)), None),
    ("setwatches_null_exist_path", 3, "setWatches with a null path in the exist-watch list",
     fr(H(101, -8) + Q(0) + I(0) + I(1) + I(-1) + I(0)), None),
    ("setwatches_fires_then_null_child_list", 3,
     "setWatches: data watches that fire (a deleted and a changed node), then a null child list",
     fr(H(101, -8) + Q(0) + I(2) + S(P + b"/gone") + S(P + b"/x") + I(1) + S(P + b"/x") + I(-1)), None),
    ("setwatches2_null_persistent_path", 3, "setWatches2 with a null path in the persistent list (registered, OK)",
     fr(H(105, -8) + Q(0) + I(0) + I(0) + I(0) + I(1) + I(-1) + I(0)), None),
    ("setacl_world_null_id", 3, "setACL with world:<null> (a NullPointerException in fixupACL: MarshallingError)",
     fr(H(7) + S(P + b"/x") + I(1) + I(31) + S(b"world") + I(-1) + I(-1)), None),
    ("create_digest_null_id", 3, "create with digest:<null>",
     fr(H(1) + S(P + b"/c") + S(b"") + I(1) + I(31) + S(b"digest") + I(-1) + I(0)), None),
    ("multi_create_ip_null_id", 3, "multi: a create with ip:<null> (the whole multi fails, one error txn)",
     fr(H(14) + MH(1) + S(P + b"/c") + S(b"") + I(1) + I(31) + S(b"ip") + I(-1) + I(0) + END), None),
    ("create_auth_null_id", 0, "control: create with auth:<null> and no credentials (InvalidACL)",
     fr(H(1) + S(P + b"/c") + S(b"") + I(1) + I(31) + S(b"auth") + I(-1) + I(0)), None),
    ("sync_outside_bmp", 3,
     "sync of a path with U+1F600: echoed char by char, CESU-8 (ED A0 BD ED B8 80), as jute's writeString does",
     fr(H(9) + S(P + b"/\xf0\x9f\x98\x80")), None),
    ("whoami_digest_outside_bmp", 3, "digest auth as a user with U+1F600, then whoAmI (the user comes back CESU-8)",
     fr(H(100, -4) + I(0) + S(b"digest") + S(b"u\xf0\x9f\x98\x80:p")) + fr(H(107, 2)), None),
    ("auth_digest_null_credentials", 3,
     "digest auth whose credentials buffer is null, then 5 stray bytes (mutate seed 43 case 271): ZooKeeper's digest "
     "provider fails on it, AuthFailed and close; Coord answered OK until this entry",
     fr(H(100, -4) + I(0) + S(b"digest") + I(-1) + b"u1:p1"), None),
    ("auth_digest_empty_credentials", 0, "control: digest auth with an empty buffer (OK, the user \"\"), then whoAmI",
     fr(H(100, -4) + I(0) + S(b"digest") + S(b"")) + fr(H(107, 2)), None),
    ("auth_digest_malformed_utf8", 3, "digest auth as u FF FE : p, then whoAmI (decoded as JDK 17 decodes it)",
     fr(H(100, -4) + I(0) + S(b"digest") + S(b"u\xff\xfe:p")) + fr(H(107, 2)), None),
    ("headeronly_then_unknown_opcode", 5,
     "header-only getACL, then a frame with opcode 99 (ZooKeeper answers the unknown opcode out of band; "
     "whether the getACL's MarshallingError gets out before the close varies from run to run)",
     fr(H(6)) + fr(H(99, 2)), None),
    ("check_standalone_failing", 3,
     "a failing standalone check: ZooKeeper 3.8.0 answers its error and logs an error txn (Coord answered "
     "Unimplemented until aefe6c8)",
     fr(H(13) + S(P) + I(7)), None),
    ("check_standalone_passing", 0,
     "known divergence: a passing standalone check, then exists (3.8.0 logs a check txn and never answers it; Coord "
     "logs it and answers Unimplemented)",
     fr(H(13, 1) + S(P) + I(-1)) + fr(H(3, 2) + S(P + b"/nope") + b"\x00"), None),
    ("auth_truncated", 0, "control: auth cut inside the scheme (same outcome; Coord logs an InvalidCastException)",
     fr(H(100, -4) + I(0) + I(6) + b"dig"), None),
]


def _admin(hp):
    a = z.connect(hp)
    if a.call("exists", path=BASE).err != 0:
        a.call("create", path=BASE, data=b"", acl=z.OPEN_ACL_UNSAFE, flags=0)
    return a


def _clean(a):
    r = a.call("getChildren", path=BASE)
    for c in sorted(r.body.get("children") or [], key=len, reverse=True):
        a.call("delete", path=BASE + "/" + c, version=-1)
    a.call("setData", path=BASE, data=b"", version=-1)


def _fmt_body(b):
    if len(b) <= 24:
        return b.hex() or "-"
    return f"<{len(b)} bytes {b[:12].hex()}.. sha1 {hashlib.sha1(b).hexdigest()[:12]}>"


def observe(hp, data, check):
    a = _admin(hp)
    _clean(a)
    a.call("create", path=BASE + "/x", data=b"old", acl=z.OPEN_ACL_UNSAFE, flags=0)
    z0 = a.call("setData", path=BASE, data=b"0", version=-1).zxid
    s = z.connect(hp)
    s.send_raw(data)
    out = []
    try:
        while True:
            f = s.read_frame(1.0)
            xid, zx, err = struct.unpack(">iqi", f[:16])
            kind = "last" if zx == z0 + 1 else ("txn" if zx > z0 + 1 else str(zx))
            out.append(f"xid={xid} {z.ERR.get(err, err)} zxid={kind} body={_fmt_body(f[16:])}")
    except z.ConnectionClosed:
        out.append("CLOSED")
    except z.Timeout:
        out.append("open")
    except z.DecodeError as e:
        out.append(f"undecodable ({e})")
    z1 = a.call("setData", path=BASE, data=b"1", version=-1).zxid
    out.append(f"zxids consumed={z1 - z0 - 2}")
    if check:
        r = a.call("getData", path=check, watch=False)
        out.append(f"afterwards {check}: " + (f"data={r.body['data']!r}" if r.err == 0 else z.ERR.get(r.err, r.err)))
    if not s.closed:
        try:
            s.close_session(timeout=2.0)
        except (z.ConnectionClosed, z.Timeout, z.DecodeError):
            pass
    else:   # resume the dropped session and close it, so that it does not expire later
        try:
            s2 = z.Session(*hp.rsplit(":", 1))
            if s2.connect(session_id=s.session_id, passwd=s.passwd)["timeOut"] > 0:
                s2.close_session(timeout=2.0)
        except (z.ConnectionClosed, z.Timeout, z.DecodeError, OSError):
            pass
    _clean(a)
    a.close_session()
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ref")
    ap.add_argument("--target")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--skip", action="append", default=[], metavar="NAME", help="leave this entry out (repeatable)")
    ap.add_argument("names", nargs="*")
    args = ap.parse_args(argv)
    sel = [f for f in FINDINGS if (not args.names or f[0] in args.names) and f[0] not in args.skip]
    if args.list or not (args.ref and args.target):
        for name, sev, title, data, _ in sel:
            print(f"{name}: {title}\n    bytes after the handshake: {data.hex()}")
        return 0
    ndiff = 0
    for name, sev, title, data, check in sel:
        r = observe(args.ref, data, check)
        time.sleep(0.05)
        t = observe(args.target, data, check)
        same = r == t
        ndiff += not same
        print(f"{'SAME     ' if same else 'DIFFERENT'} {name}: {title}")
        print(f"    bytes after the handshake: {data.hex()}")
        print(f"    reference: {'; '.join(r)}")
        print(f"    target:    {'; '.join(t)}")
    print(f"\n{len(sel) - ndiff} same, {ndiff} different")
    return 1 if ndiff else 0


if __name__ == "__main__":
    sys.exit(main())
