#!/usr/bin/python3
"""Raw-socket ZooKeeper wire capture tool (stdlib only).

Used to measure the reference server (Apache ZooKeeper 3.8.0) byte for byte and
to write golden files (<name>.hex) for Coord.Tests.

Library use:
    from capture import *
    c = Conn(port=21810)
    req, resp = c.handshake()                 # ConnectRequest / ConnectResponse frames
    req, resp = c.call(OP_CREATE, create_body('/a', b'x', OPEN_ACL, 0))
    print(c.decode_reply(resp))
    c.close()

CLI:
    capture.py [--host H] [--port P] 4lw ruok
    capture.py [--host H] [--port P] raw <hexframe> [<hexframe> ...]
        does the 45-byte handshake, then sends each hex frame (whole frame
        incl. 4-byte length) and prints every frame received for 1s after.
    capture.py [--host H] [--port P] connect-only
"""
import socket
import struct
import sys
import time

# ---------------------------------------------------------------- constants
OP_NOTIFICATION = 0
OP_CREATE = 1
OP_DELETE = 2
OP_EXISTS = 3
OP_GETDATA = 4
OP_SETDATA = 5
OP_GETACL = 6
OP_SETACL = 7
OP_GETCHILDREN = 8
OP_SYNC = 9
OP_PING = 11
OP_GETCHILDREN2 = 12
OP_CHECK = 13
OP_MULTI = 14
OP_CREATE2 = 15
OP_RECONFIG = 16
OP_CHECKWATCHES = 17
OP_REMOVEWATCHES = 18
OP_CREATECONTAINER = 19
OP_DELETECONTAINER = 20
OP_CREATETTL = 21
OP_MULTIREAD = 22
OP_AUTH = 100
OP_SETWATCHES = 101
OP_SASL = 102
OP_GETEPHEMERALS = 103
OP_GETALLCHILDRENNUMBER = 104
OP_SETWATCHES2 = 105
OP_ADDWATCH = 106
OP_WHOAMI = 107
OP_CLOSESESSION = -11
OP_ERROR = -1

XID_NOTIFICATION = -1
XID_PING = -2
XID_AUTH = -4
XID_SETWATCHES = -8

PERM_ALL = 31
OPEN_ACL = [(PERM_ALL, 'world', 'anyone')]


# ---------------------------------------------------------------- jute encoding
def i32(v):
    return struct.pack('>i', v)


def i64(v):
    return struct.pack('>q', v)


def boolean(v):
    return b'\x01' if v else b'\x00'


def buf(b):
    """jute buffer: int length + bytes; None -> length -1."""
    if b is None:
        return i32(-1)
    return i32(len(b)) + b


def ustr(s):
    """jute ustring: int length + utf-8; None -> -1."""
    if s is None:
        return i32(-1)
    if isinstance(s, str):
        s = s.encode('utf-8')
    return i32(len(s)) + s


def vec(items, enc):
    if items is None:
        return i32(-1)
    return i32(len(items)) + b''.join(enc(x) for x in items)


def acl(a):
    perms, scheme, ident = a
    return i32(perms) + ustr(scheme) + ustr(ident)


def acl_list(acls):
    return vec(acls, acl)


def frame(payload):
    return i32(len(payload)) + payload


def header(xid, op):
    return i32(xid) + i32(op)


# request bodies ------------------------------------------------------------
def connect_body(protocol_version=0, last_zxid=0, timeout=30000, session_id=0,
                 passwd=b'\x00' * 16, read_only=None):
    b = i32(protocol_version) + i64(last_zxid) + i32(timeout) + i64(session_id) + buf(passwd)
    if read_only is not None:
        b += boolean(read_only)
    return b


def path_body(path):  # sync, getACL, getAllChildrenNumber, getEphemerals
    return ustr(path)


def path_watch_body(path, watch=False):  # exists, getData, getChildren(2)
    return ustr(path) + boolean(watch)


def create_body(path, data, acls, flags):
    return ustr(path) + buf(data) + acl_list(acls) + i32(flags)


def create_ttl_body(path, data, acls, flags, ttl):
    return ustr(path) + buf(data) + acl_list(acls) + i32(flags) + i64(ttl)


def delete_body(path, version=-1):
    return ustr(path) + i32(version)


def setdata_body(path, data, version=-1):
    return ustr(path) + buf(data) + i32(version)


def setacl_body(path, acls, version=-1):
    return ustr(path) + acl_list(acls) + i32(version)


def check_body(path, version):
    return ustr(path) + i32(version)


def watches_body(path, wtype):  # checkWatches / removeWatches
    return ustr(path) + i32(wtype)


def addwatch_body(path, mode):
    return ustr(path) + i32(mode)


def auth_body(scheme, auth, type_=0):
    return i32(type_) + ustr(scheme) + buf(auth)


def setwatches_body(rel_zxid, data=(), exist=(), child=()):
    s = lambda x: ustr(x)
    return i64(rel_zxid) + vec(list(data), s) + vec(list(exist), s) + vec(list(child), s)


def setwatches2_body(rel_zxid, data=(), exist=(), child=(), persistent=(), recursive=()):
    s = lambda x: ustr(x)
    return (i64(rel_zxid) + vec(list(data), s) + vec(list(exist), s) + vec(list(child), s)
            + vec(list(persistent), s) + vec(list(recursive), s))


def reconfig_body(joining='', leaving='', new_members='', cur_config_id=-1):
    return ustr(joining) + ustr(leaving) + ustr(new_members) + i64(cur_config_id)


def multi_body(ops):
    """ops: list of (opcode, body). Each op: MultiHeader{type, done=false, err=-1} + body.
    Terminated by MultiHeader{-1, true, -1}."""
    out = b''
    for op, body in ops:
        out += i32(op) + boolean(False) + i32(-1) + body
    out += i32(-1) + boolean(True) + i32(-1)
    return out


# ---------------------------------------------------------------- decoding
class Reader:
    def __init__(self, b, pos=0):
        self.b = b
        self.p = pos

    def i32(self):
        v = struct.unpack_from('>i', self.b, self.p)[0]
        self.p += 4
        return v

    def i64(self):
        v = struct.unpack_from('>q', self.b, self.p)[0]
        self.p += 8
        return v

    def boolean(self):
        v = self.b[self.p]
        self.p += 1
        return v != 0

    def buf(self):
        n = self.i32()
        if n < 0:
            return None
        v = self.b[self.p:self.p + n]
        self.p += n
        return v

    def ustr(self):
        v = self.buf()
        return None if v is None else v.decode('utf-8', 'replace')

    def vec(self, f):
        n = self.i32()
        if n < 0:
            return None
        return [f() for _ in range(n)]

    def stat(self):
        names = ['czxid', 'mzxid', 'ctime', 'mtime', 'version', 'cversion', 'aversion',
                 'ephemeralOwner', 'dataLength', 'numChildren', 'pzxid']
        kinds = ['q', 'q', 'q', 'q', 'i', 'i', 'i', 'q', 'i', 'i', 'q']
        d = {}
        for n, k in zip(names, kinds):
            d[n] = self.i64() if k == 'q' else self.i32()
        return d

    def acl(self):
        return (self.i32(), self.ustr(), self.ustr())

    def rest(self):
        return self.b[self.p:]

    def left(self):
        return len(self.b) - self.p


def decode_connect_response(frame_bytes):
    r = Reader(frame_bytes, 4)
    d = {'len': struct.unpack_from('>i', frame_bytes, 0)[0],
         'protocolVersion': r.i32(), 'timeOut': r.i32(), 'sessionId': r.i64(),
         'passwd': r.buf()}
    if r.left() >= 1:
        d['readOnly'] = r.boolean()
    d['trailing'] = r.rest()
    return d


def decode_reply_header(frame_bytes):
    r = Reader(frame_bytes, 4)
    return r.i32(), r.i64(), r.i32(), r  # xid, zxid, err, reader at body


# ---------------------------------------------------------------- connection
class Closed(Exception):
    pass


class Conn:
    def __init__(self, host='127.0.0.1', port=21810, timeout=5.0):
        self.host, self.port = host, port
        self.s = socket.create_connection((host, port), timeout=timeout)
        self.s.settimeout(timeout)
        self.xid = 0
        self.session_id = None
        self.passwd = None
        self.log = []  # list of ('>'|'<', bytes)

    # raw io ---------------------------------------------------------------
    def send(self, b):
        self.log.append(('>', b))
        self.s.sendall(b)

    def _recvn(self, n):
        out = b''
        while len(out) < n:
            chunk = self.s.recv(n - len(out))
            if not chunk:
                raise Closed('EOF after %d/%d bytes (got %s)' % (len(out), n, out.hex()))
            out += chunk
        return out

    def recv_frame(self, timeout=None):
        """Return whole frame incl. 4-byte length. Raises Closed on EOF,
        socket.timeout on timeout."""
        old = self.s.gettimeout()
        if timeout is not None:
            self.s.settimeout(timeout)
        try:
            hdr = self._recvn(4)
            n = struct.unpack('>i', hdr)[0]
            body = self._recvn(n)
            f = hdr + body
            self.log.append(('<', f))
            return f
        finally:
            self.s.settimeout(old)

    def recv_all_until_quiet(self, quiet=1.0):
        """Collect frames until nothing arrives for `quiet` s. Returns (frames, closed)."""
        frames = []
        while True:
            try:
                frames.append(self.recv_frame(timeout=quiet))
            except socket.timeout:
                return frames, False
            except (Closed, ConnectionResetError) as e:
                return frames, True

    def is_closed(self, wait=1.0):
        """True if the peer closed (EOF/RST) within `wait` s without sending data."""
        self.s.settimeout(wait)
        try:
            d = self.s.recv(1)
            if d == b'':
                return True
            raise RuntimeError('unexpected data %r' % d)
        except socket.timeout:
            return False
        except ConnectionResetError:
            return True

    # protocol -------------------------------------------------------------
    def handshake(self, read_only=False, timeout=30000, session_id=0, passwd=b'\x00' * 16,
                  last_zxid=0, protocol_version=0):
        """read_only=None sends the 44-byte variant (no readOnly byte)."""
        req = frame(connect_body(protocol_version, last_zxid, timeout, session_id, passwd, read_only))
        self.send(req)
        resp = self.recv_frame()
        d = decode_connect_response(resp)
        self.session_id = d['sessionId']
        self.passwd = d['passwd']
        self.negotiated_timeout = d['timeOut']
        return req, resp

    def next_xid(self):
        self.xid += 1
        return self.xid

    def request_frame(self, op, body=b'', xid=None):
        if xid is None:
            xid = self.next_xid()
        return frame(header(xid, op) + body)

    def call(self, op, body=b'', xid=None, skip_notifications=True):
        """Send a request, return (request_frame, response_frame).
        Notifications (xid -1) received before the reply are stored in self.notifications."""
        req = self.request_frame(op, body, xid)
        self.send(req)
        want = struct.unpack_from('>i', req, 4)[0]
        self.notifications = getattr(self, 'notifications', [])
        while True:
            resp = self.recv_frame()
            x = struct.unpack_from('>i', resp, 4)[0]
            if x == -1 and skip_notifications and want != -1:
                self.notifications.append(resp)
                continue
            return req, resp

    def close(self):
        try:
            self.s.close()
        except Exception:
            pass


# ---------------------------------------------------------------- four letter words
def four_letter(word, host='127.0.0.1', port=21810, timeout=5.0):
    s = socket.create_connection((host, port), timeout=timeout)
    s.sendall(word.encode() if isinstance(word, str) else word)
    out = b''
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            out += d
    except (socket.timeout, ConnectionResetError):
        pass
    s.close()
    return out


# ---------------------------------------------------------------- golden files
def write_golden(path, comments, pairs):
    """pairs: list of (label_or_None, request_bytes_or_None, response_bytes_or_None).
    Format: '# comment' lines, 'request: <hex>', 'response: <hex>'."""
    with open(path, 'w') as f:
        for c in comments:
            for line in c.split('\n'):
                f.write('# ' + line + '\n')
        for label, req, resp in pairs:
            if label:
                f.write('# ' + label + '\n')
            if req is not None:
                f.write('request: ' + req.hex() + '\n')
            if resp is not None:
                if isinstance(resp, (list, tuple)):
                    for r in resp:
                        f.write('response: ' + r.hex() + '\n')
                else:
                    f.write('response: ' + resp.hex() + '\n')


# ---------------------------------------------------------------- CLI
def _main(argv):
    host, port = '127.0.0.1', 21810
    while argv and argv[0].startswith('--'):
        if argv[0] == '--host':
            host = argv[1]
        elif argv[0] == '--port':
            port = int(argv[1])
        argv = argv[2:]
    if not argv:
        print(__doc__)
        return 2
    cmd = argv[0]
    if cmd == '4lw':
        sys.stdout.write(four_letter(argv[1], host, port).decode('utf-8', 'replace'))
        return 0
    c = Conn(host, port)
    req, resp = c.handshake()
    print('> ' + req.hex())
    print('< ' + resp.hex())
    if cmd == 'raw':
        for h in argv[1:]:
            b = bytes.fromhex(h)
            c.send(b)
            print('> ' + b.hex())
            frames, closed = c.recv_all_until_quiet(1.0)
            for f in frames:
                print('< ' + f.hex())
            if closed:
                print('<closed>')
                break
    c.close()
    return 0


if __name__ == '__main__':
    sys.exit(_main(sys.argv[1:]))
