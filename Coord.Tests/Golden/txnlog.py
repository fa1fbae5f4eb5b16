#!/usr/bin/python3
"""Dump a ZooKeeper txn log (dataDir/version-2/log.*): zxid, session, cxid, type, path. Handles type 13.
Usage: txnlog.py <dataDir> [sinceZxidHex]"""
import struct, sys, glob, os
NAMES = {-10:'createSession',-11:'closeSession',-1:'error',1:'create',2:'delete',5:'setData',7:'setACL',13:'check',14:'multi',15:'create2',19:'createContainer',20:'deleteContainer',21:'createTTL',16:'reconfig'}
def dump(path, since=0):
    b = open(path,'rb').read()
    p = 16
    out = []
    while p + 12 <= len(b):
        crc, n = struct.unpack_from('>qi', b, p); p += 12
        if n == 0: break
        t = b[p:p+n]; p += n + 1
        sid, cxid, zxid, tm, typ = struct.unpack_from('>qiqqi', t, 0)
        if zxid < since: continue
        rest = t[32:]
        extra = ''
        if typ == -1: extra = 'err=%d' % struct.unpack_from('>i', rest)[0]
        elif typ in (1,15,19,21,2,5,13,20):
            l = struct.unpack_from('>i', rest)[0]; extra = 'path=%r' % rest[4:4+l]
            if typ==13: extra += ' ver=%d' % struct.unpack_from('>i', rest, 4+l)[0]
        out.append('zxid 0x%x sess 0x%x cxid %d %s %s [%s]' % (zxid, sid, cxid, NAMES.get(typ, typ), extra, rest.hex()[:80]))
    return out
if __name__ == '__main__':
    d = sys.argv[1]; since = int(sys.argv[2], 16) if len(sys.argv) > 2 else 0
    for f in sorted(glob.glob(d + '/version-2/log.*'), key=lambda x: int(x.split('.')[-1],16)):
        for l in dump(f, since): print(l)
