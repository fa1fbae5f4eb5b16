#!/usr/bin/env node
/*
 * node-zookeeper-client (npm, version pinned in package.json) against a ZooKeeper-compatible server.
 *
 * usage: node suite.js host:port        (run `npm ci` in this directory first)
 *
 * Prints `PASS <name> <details>`, `FAIL <name> <reason>` or `SKIP <name> <reason>` lines and a
 * `SUMMARY` line; exits 0 only if nothing failed. Every check is bounded (CHECK_TIMEOUT_MS), every wait
 * for an event is bounded (WAIT_MS), and a watchdog ends the process after SUITE_TIMEOUT_MS. Nothing
 * sleeps for synchronisation: waits are on watch events / replies, and "no further event arrived" is
 * proven with a round trip on the watching session (the server queues a session's watch events before
 * any later reply, and this client dispatches both in wire order).
 *
 * Works under a random root /coordtest-node-<hex> and deletes it at the end.
 */
'use strict';

const crypto = require('crypto');
const zookeeper = require('node-zookeeper-client');

const { CreateMode, ACL, Id, Permission, Exception, Event } = zookeeper;

const HP = process.argv[2];
if (!HP) {
    process.stderr.write('usage: node suite.js host:port\n');
    process.exit(2);
}

const CHECK_TIMEOUT_MS = 20000;
const SUITE_TIMEOUT_MS = 120000;
const WAIT_MS = 10000;
const SESSION_TIMEOUT_MS = 10000;
const ROOT = '/coordtest-node-' + crypto.randomBytes(6).toString('hex');

const counts = { passed: 0, failed: 0, skipped: 0 };
const started = Date.now();
const clients = [];
let currentCheck = '(setup)';

function emit(line) {
    process.stdout.write(line.replace(/\n/g, ' ') + '\n');
}

class Skip extends Error {}

function summaryAndExit(extraFail) {
    const failed = counts.failed + (extraFail || 0);
    emit(`SUMMARY node_suite passed=${counts.passed} failed=${failed} skipped=${counts.skipped} ` +
        `elapsed_ms=${Date.now() - started}`);
    for (const c of clients) {
        try { c.close(); } catch (e) { /* already closed */ }
    }
    process.exit(failed === 0 ? 0 : 1);
}

const watchdog = setTimeout(() => {
    emit(`FAIL node_suite.global-timeout suite exceeded ${SUITE_TIMEOUT_MS} ms (in ${currentCheck})`);
    summaryAndExit(1);
}, SUITE_TIMEOUT_MS);

process.on('uncaughtException', (e) => {
    emit(`FAIL ${currentCheck} uncaught exception: ${describe(e)}`);
    process.stderr.write(String(e && e.stack) + '\n');
    summaryAndExit(1);
});
process.on('unhandledRejection', (e) => {
    emit(`FAIL ${currentCheck} unhandled rejection: ${describe(e)}`);
    process.stderr.write(String(e && e.stack) + '\n');
    summaryAndExit(1);
});

function describe(e) {
    if (e instanceof Exception) return `${e.name}[${e.code}]${e.path ? '@' + e.path : ''}`;
    return e && e.message ? e.message : String(e);
}

function withTimeout(promise, ms, what) {
    let timer;
    const t = new Promise((_, rej) => {
        timer = setTimeout(() => rej(new Error(`timeout after ${ms} ms waiting for ${what}`)), ms);
    });
    return Promise.race([promise, t]).finally(() => clearTimeout(timer));
}

async function check(name, fn, timeoutMs) {
    const t0 = Date.now();
    currentCheck = name;
    try {
        const details = await withTimeout(Promise.resolve().then(fn), timeoutMs || CHECK_TIMEOUT_MS, `check ${name}`);
        counts.passed += 1;
        emit(`PASS ${name} ${details || ''} (${Date.now() - t0} ms)`);
    } catch (e) {
        if (e instanceof Skip) {
            counts.skipped += 1;
            emit(`SKIP ${name} ${e.message}`);
        } else {
            counts.failed += 1;
            emit(`FAIL ${name} ${describe(e)}`);
            process.stderr.write(`--- ${name}\n${e && e.stack}\n`);
        }
    }
}

function assert(cond, msg) {
    if (!cond) throw new Error(msg);
}

function eq(actual, expected, what) {
    const a = JSON.stringify(actual), e = JSON.stringify(expected);
    if (a !== e) throw new Error(`${what}: expected ${e}, got ${a}`);
}

async function expectError(promise, codeName, what) {
    let r;
    try {
        r = await promise;
    } catch (e) {
        if (e instanceof Exception && e.code === Exception[codeName]) return;
        throw new Error(`${what}: expected ${codeName}, got ${describe(e)}`);
    }
    throw new Error(`${what}: expected ${codeName}, got success ${JSON.stringify(r)}`);
}

function hex(buf) { return Buffer.isBuffer(buf) ? buf.toString('hex') : String(buf); }
function isZero(buf) { return Buffer.isBuffer(buf) && buf.every((b) => b === 0); }
function zxidOf(buf) { return BigInt('0x' + hex(buf)); }

/* Promise wrappers around one client. */
function wrap(client, name) {
    const cb = (res, rej) => (e, v) => (e ? rej(e) : res(v));
    return {
        client,
        name,
        sessionId: () => hex(client.getSessionId()),
        create: (path, data, acls, mode) =>
            new Promise((res, rej) => client.create(path, data, acls, mode, cb(res, rej))),
        remove: (path, version) =>
            new Promise((res, rej) => client.remove(path, version === undefined ? -1 : version, cb(res, rej))),
        exists: (path, watcher) =>
            new Promise((res, rej) => client.exists(path, watcher, cb(res, rej))),
        getData: (path, watcher) =>
            new Promise((res, rej) => client.getData(path, watcher,
                (e, data, stat) => (e ? rej(e) : res({ data, stat })))),
        setData: (path, data, version) =>
            new Promise((res, rej) => client.setData(path, data, version === undefined ? -1 : version, cb(res, rej))),
        getChildren: (path, watcher) =>
            new Promise((res, rej) => client.getChildren(path, watcher,
                (e, children, stat) => (e ? rej(e) : res({ children, stat })))),
        getACL: (path) =>
            new Promise((res, rej) => client.getACL(path, (e, acls, stat) => (e ? rej(e) : res({ acls, stat })))),
        setACL: (path, acls, version) =>
            new Promise((res, rej) => client.setACL(path, acls, version === undefined ? -1 : version, cb(res, rej))),
        // resolves with { error, results }: a failed multi reports both the first error and per-op results
        commit: (tx) => new Promise((res) => tx.commit((error, results) => res({ error, results }))),
        // a round trip: every watch event queued for this session before it has been dispatched afterwards
        barrier: () => new Promise((res, rej) => client.exists('/', cb(res, rej))),
        close: () => client.close(),
    };
}

async function connect(name, chroot) {
    const client = zookeeper.createClient(HP + (chroot || ''),
        { sessionTimeout: SESSION_TIMEOUT_MS, spinDelay: 200, retries: 0 });
    clients.push(client);
    const ready = new Promise((res, rej) => {
        client.once('connected', res);
        client.once('expired', () => rej(new Error(`${name}: session expired while connecting`)));
        client.once('authenticationFailed', () => rej(new Error(`${name}: authentication failed`)));
    });
    client.connect();
    await withTimeout(ready, WAIT_MS, `${name} to connect to ${HP}`);
    return wrap(client, name);
}

/* A watcher function that records events; wait(n) resolves once n events arrived (bounded). */
function recorder() {
    const events = [];
    let waiters = [];
    const fn = (ev) => {
        events.push(ev);
        const ready = waiters.filter((w) => events.length >= w.n);
        waiters = waiters.filter((w) => events.length < w.n);
        ready.forEach((w) => w.res());
    };
    fn.events = events;
    fn.wait = (n, what) => withTimeout(new Promise((res) => {
        if (events.length >= n) res(); else waiters.push({ n, res });
    }), WAIT_MS, what || `${n} watch event(s)`);
    fn.names = () => events.map((e) => `${e.getName()}@${e.getPath()}`);
    return fn;
}

function digestId(user, password) {
    return user + ':' + crypto.createHash('sha1').update(`${user}:${password}`).digest('base64');
}

function aclStr(acls) {
    return (acls || []).map((a) => `${a.id.scheme}:${a.id.id}=${a.permission}`).sort();
}

async function main() {
    let c1, c2;

    await check('connect', async () => {
        c1 = await connect('c1');
        c2 = await connect('c2');
        const s1 = c1.sessionId(), s2 = c2.sessionId();
        assert(!/^0+$/.test(s1) && !/^0+$/.test(s2), `zero session id: ${s1} ${s2}`);
        assert(s1 !== s2, `two sessions got the same id ${s1}`);
        eq(c1.client.getSessionTimeout(), SESSION_TIMEOUT_MS, 'negotiated session timeout');
        eq(c1.client.getSessionPassword().length, 16, 'session password length');
        eq(c1.client.getState().getName(), 'SYNC_CONNECTED', 'state');
        return `sessions 0x${s1} 0x${s2} timeout=${c1.client.getSessionTimeout()}`;
    });
    if (!c1 || !c2) {
        emit('FAIL node_suite.setup could not connect two clients; remaining checks not run');
        summaryAndExit(1);
    }

    await check('create.persistent', async () => {
        eq(await c1.create(ROOT, Buffer.from('root'), undefined, CreateMode.PERSISTENT), ROOT, 'created path');
        const { data, stat } = await c1.getData(ROOT);
        eq(data.toString(), 'root', 'data');
        eq([stat.version, stat.cversion, stat.aversion, stat.numChildren, stat.dataLength], [0, 0, 0, 0, 4],
            'stat version/cversion/aversion/numChildren/dataLength');
        assert(isZero(stat.ephemeralOwner), `ephemeralOwner ${hex(stat.ephemeralOwner)} != 0`);
        assert(zxidOf(stat.czxid) === zxidOf(stat.mzxid) && zxidOf(stat.czxid) === zxidOf(stat.pzxid),
            'czxid/mzxid/pzxid differ on a fresh node');
        await expectError(c2.create(ROOT), 'NODE_EXISTS', 'create existing');
        await expectError(c1.create(`${ROOT}/no/parent`), 'NO_NODE', 'create without parent');
        // no data → empty data
        await c1.create(`${ROOT}/empty`);
        const e = await c1.getData(`${ROOT}/empty`);
        eq([e.data === null || e.data === undefined ? 0 : e.data.length, e.stat.dataLength], [0, 0], 'empty node data');
        return `czxid=0x${hex(stat.czxid)}; NodeExists, NoNode ok`;
    });

    await check('create.ephemeral', async () => {
        const p = `${ROOT}/eph`;
        eq(await c1.create(p, Buffer.from('e'), undefined, CreateMode.EPHEMERAL), p, 'created path');
        const st = await c2.exists(p);
        assert(st, 'not visible to second client');
        eq(hex(st.ephemeralOwner), c1.sessionId(), 'ephemeralOwner = creator session');
        await expectError(c1.create(`${p}/child`), 'NO_CHILDREN_FOR_EPHEMERALS', 'child of ephemeral');
        return `owner=0x${hex(st.ephemeralOwner)}; NoChildrenForEphemerals ok`;
    });

    await check('create.sequential', async () => {
        const dir = `${ROOT}/seq`;
        await c1.create(dir);
        const got = [];
        for (let i = 0; i < 3; i++) got.push(await c1.create(`${dir}/n-`, undefined, undefined, CreateMode.PERSISTENT_SEQUENTIAL));
        eq(got, [`${dir}/n-0000000000`, `${dir}/n-0000000001`, `${dir}/n-0000000002`], 'sequential paths');
        await c1.remove(`${dir}/n-0000000001`);
        const fourth = await c2.create(`${dir}/n-`, undefined, undefined, CreateMode.PERSISTENT_SEQUENTIAL);
        eq(fourth, `${dir}/n-0000000003`, 'suffix after 3 creates + 1 delete');
        const { children, stat } = await c1.getChildren(dir);
        eq(children.sort(), ['n-0000000000', 'n-0000000002', 'n-0000000003'], 'children');
        eq([stat.cversion, stat.numChildren], [5, 3], 'parent cversion/numChildren (4 creates, 1 delete)');
        const st = await c1.exists(fourth);
        assert(isZero(st.ephemeralOwner), 'persistent-sequential node has an ephemeralOwner');
        return `${got.map((x) => x.slice(-10)).join(',')} then ${fourth.slice(-10)}; cversion=5`;
    });

    await check('create.ephemeral-sequential', async () => {
        const dir = `${ROOT}/eseq`;
        await c1.create(dir);
        const a = await c1.create(`${dir}/e-`, Buffer.from('a'), undefined, CreateMode.EPHEMERAL_SEQUENTIAL);
        const b = await c2.create(`${dir}/e-`, Buffer.from('b'), undefined, CreateMode.EPHEMERAL_SEQUENTIAL);
        eq([a, b], [`${dir}/e-0000000000`, `${dir}/e-0000000001`], 'paths');
        const sa = await c2.exists(a), sb = await c1.exists(b);
        eq([hex(sa.ephemeralOwner), hex(sb.ephemeralOwner)], [c1.sessionId(), c2.sessionId()], 'owners');
        await c1.remove(a);
        await c2.remove(b);
        return `${a.slice(-12)} owner c1, ${b.slice(-12)} owner c2`;
    });

    await check('create.container', async () => {
        if (CreateMode.CONTAINER === undefined) {
            throw new Skip('node-zookeeper-client ' + require('node-zookeeper-client/package.json').version +
                ' has no CreateMode.CONTAINER (modes: ' + Object.keys(CreateMode).join(',') +
                ') and no createContainer request');
        }
        throw new Skip('CreateMode.CONTAINER present but not exercised by this suite version');
    });

    await check('data.get-set-versions', async () => {
        const p = `${ROOT}/data`;
        await c1.create(p, Buffer.from('v0'));
        let r = await c2.getData(p);
        eq([r.data.toString(), r.stat.version], ['v0', 0], 'initial data/version');
        const s1 = await c1.setData(p, Buffer.from('v1'), 0);
        eq([s1.version, s1.dataLength], [1, 2], 'setData(version 0) stat');
        assert(zxidOf(s1.mzxid) > zxidOf(s1.czxid), 'mzxid did not advance');
        await expectError(c2.setData(p, Buffer.from('stale'), 0), 'BAD_VERSION', 'setData with stale version');
        r = await c2.getData(p);
        eq([r.data.toString(), r.stat.version, hex(r.stat.mzxid)], ['v1', 1, hex(s1.mzxid)], 'unchanged after BadVersion');
        const s2 = await c2.setData(p, Buffer.from('v2-longer'), -1);
        eq([s2.version, s2.dataLength], [2, 9], 'setData(-1) stat');
        const s3 = await c1.setData(p, Buffer.alloc(0), 2);
        eq([s3.version, s3.dataLength], [3, 0], 'setData(empty, version 2) stat');
        await expectError(c1.getData(`${ROOT}/missing`), 'NO_NODE', 'getData missing');
        await expectError(c1.setData(`${ROOT}/missing`, Buffer.from('x'), -1), 'NO_NODE', 'setData missing');
        const big = crypto.randomBytes(100000);
        await c1.setData(p, big, 3);
        r = await c2.getData(p);
        assert(Buffer.compare(r.data, big) === 0 && r.stat.dataLength === big.length, '100 kB round trip differs');
        return 'versions 0→1→(BadVersion)→2→3→4, 100 kB data ok';
    });

    await check('watch.exists', async () => {
        const p = `${ROOT}/w`;
        const created = recorder();
        eq(await c1.exists(p, created), null, 'exists on missing node');
        await c2.create(p, Buffer.from('x'));
        await created.wait(1, 'NodeCreated');
        eq(created.names(), [`NODE_CREATED@${p}`], 'events after create');
        // one-shot: a later change does not fire the consumed watch
        await c2.setData(p, Buffer.from('y'));
        await c1.barrier();
        eq(created.events.length, 1, 'events on consumed exists watch after setData');
        const changed = recorder();
        assert(await c1.exists(p, changed), 'exists on existing node returned null');
        await c2.setData(p, Buffer.from('z'));
        await changed.wait(1, 'NodeDataChanged');
        eq(changed.names(), [`NODE_DATA_CHANGED@${p}`], 'events after setData');
        const deleted = recorder();
        await c1.exists(p, deleted);
        await c2.remove(p);
        await deleted.wait(1, 'NodeDeleted');
        eq(deleted.names(), [`NODE_DELETED@${p}`], 'events after delete');
        eq(deleted.events[0].getType(), Event.NODE_DELETED, 'event type code');
        // getData watch fires too
        await c2.create(p, Buffer.from('again'));
        const dataW = recorder();
        await c1.getData(p, dataW);
        await c2.setData(p, Buffer.from('again2'));
        await dataW.wait(1, 'NodeDataChanged (getData watch)');
        eq(dataW.names(), [`NODE_DATA_CHANGED@${p}`], 'getData watch events');
        return 'NodeCreated, (none after consumed), NodeDataChanged, NodeDeleted, getData→NodeDataChanged';
    });

    await check('watch.children', async () => {
        const p = `${ROOT}/ch`;
        await c1.create(p);
        const w = recorder();
        const r0 = await c1.getChildren(p, w);
        eq(r0.children, [], 'initial children');
        await c2.create(`${p}/a`);
        await w.wait(1, 'NodeChildrenChanged');
        eq(w.names(), [`NODE_CHILDREN_CHANGED@${p}`], 'events after child create');
        await c2.create(`${p}/b`);
        await c2.setData(p, Buffer.from('data change is no child event'));
        await c1.barrier();
        eq(w.events.length, 1, 'events on consumed child watch');
        const w2 = recorder();
        const r1 = await c1.getChildren(p, w2);
        eq([r1.children.sort(), r1.stat.numChildren], [['a', 'b'], 2], 'children/numChildren');
        await c2.setData(`${p}/a`, Buffer.from('child data'));
        await c1.barrier();
        eq(w2.events.length, 0, 'child watch fired on a child\'s data change');
        await c2.remove(`${p}/a`);
        await w2.wait(1, 'NodeChildrenChanged on child delete');
        eq(w2.names(), [`NODE_CHILDREN_CHANGED@${p}`], 'events after child delete');
        await expectError(c1.getChildren(`${ROOT}/missing`, recorder()), 'NO_NODE', 'getChildren missing');
        return 'create→NodeChildrenChanged, one-shot, delete→NodeChildrenChanged';
    });

    await check('delete', async () => {
        const p = `${ROOT}/del`;
        await c1.create(p, Buffer.from('d'));
        await c1.create(`${p}/kid`);
        await expectError(c1.remove(p, -1), 'NOT_EMPTY', 'delete non-empty');
        await c1.setData(p, Buffer.from('d1'), 0);
        await expectError(c2.remove(`${p}/kid`, 3), 'BAD_VERSION', 'delete with wrong version');
        await c2.remove(`${p}/kid`, 0);
        await expectError(c2.remove(p, 0), 'BAD_VERSION', 'delete with stale version');
        await c2.remove(p, 1);
        eq(await c1.exists(p), null, 'exists after delete');
        await expectError(c1.remove(p, -1), 'NO_NODE', 'delete again');
        return 'NotEmpty, BadVersion, versioned delete, NoNode';
    });

    await check('multi.success', async () => {
        const p = `${ROOT}/tx`;
        const tx = c1.client.transaction()
            .create(p, Buffer.from('t'))
            .create(`${p}/a`, Buffer.from('a'))
            .setData(p, Buffer.from('t2'))
            .check(p, 1)
            .remove(`${p}/a`)
            .create(`${p}/s-`, Buffer.from('s'), CreateMode.PERSISTENT_SEQUENTIAL);
        const { error, results } = await c1.commit(tx);
        assert(!error, `commit failed: ${describe(error)}`);
        eq(results.map((r) => r.type), [1, 1, 5, 13, 2, 1], 'result types (create,create,setData,check,delete,create)');
        eq([results[0].path, results[1].path, results[5].path], [p, `${p}/a`, `${p}/s-0000000001`], 'created paths');
        const st = results[2].stat;
        eq(st.version, 1, 'setData result version');
        eq(hex(st.czxid), hex(st.mzxid), 'czxid = mzxid (all ops of one multi share a zxid)');
        const { children, stat } = await c2.getChildren(p);
        eq([children, stat.cversion], [['s-0000000001'], 3], 'children/cversion after multi');
        eq(hex(stat.pzxid), hex(st.czxid), 'parent pzxid = multi zxid');
        return `6 ops at zxid 0x${hex(st.mzxid)}: ${results.map((r) => r.path || (r.stat ? 'stat' : r.type)).join(', ')}`;
    });

    await check('multi.partial-failure', async () => {
        const p = `${ROOT}/tx`;
        let { error, results } = await c1.commit(c1.client.transaction()
            .create(`${ROOT}/tx-new`, Buffer.from('n'))
            .setData(`${ROOT}/tx-missing`, Buffer.from('m'))
            .create(`${ROOT}/tx-new2`));
        assert(error && error.code === Exception.NO_NODE, `commit error: expected NO_NODE, got ${describe(error)}`);
        assert(Array.isArray(results), 'no per-op results for a failed multi');
        eq(results.map((r) => [r.type, r.err]), [[-1, 0], [-1, -101], [-1, -2]], 'per-op results [type, err]');
        eq([await c2.exists(`${ROOT}/tx-new`), await c2.exists(`${ROOT}/tx-new2`)], [null, null], 'nothing applied');
        ({ error, results } = await c1.commit(c1.client.transaction()
            .check(p, 7)
            .setData(p, Buffer.from('never'))
            .remove(`${p}/s-0000000001`)));
        assert(error && error.code === Exception.BAD_VERSION, `commit error: expected BAD_VERSION, got ${describe(error)}`);
        eq(results.map((r) => [r.type, r.err]), [[-1, -103], [-1, -2], [-1, -2]], 'per-op results [type, err]');
        const r = await c2.getData(p);
        eq([r.data.toString(), r.stat.version], ['t2', 1], 'data unchanged');
        ({ error, results } = await c1.commit(c1.client.transaction()
            .create(`${p}/x`)
            .create(`${p}/x`)));
        assert(error && error.code === Exception.NODE_EXISTS, `expected NODE_EXISTS, got ${describe(error)}`);
        eq(results.map((r) => r.err), [0, -110], 'duplicate create in one multi');
        eq(await c2.exists(`${p}/x`), null, 'first create rolled back');
        return '[0,NoNode,RuntimeInconsistency] / [BadVersion,-2,-2] / [0,NodeExists], nothing applied';
    });

    const alice = digestId('alice', 'secret');
    let ca;
    await check('acl.digest-auth', async () => {
        ca = await connect('alice');
        ca.client.addAuthInfo('digest', Buffer.from('alice:secret'));
        const pub = `${ROOT}/acl`;
        const priv = `${ROOT}/acl-priv`;
        await ca.create(pub, Buffer.from('pub'), [
            new ACL(Permission.ALL, new Id('digest', alice)),
            new ACL(Permission.READ, Id.ANYONE_ID_UNSAFE),
        ]);
        await ca.create(priv, Buffer.from('priv'), [new ACL(Permission.ALL, new Id('digest', alice))]);
        eq((await c1.getData(pub)).data.toString(), 'pub', 'world READ for unauthenticated');
        await expectError(c1.setData(pub, Buffer.from('x')), 'NO_AUTH', 'unauthenticated setData');
        await expectError(c1.create(`${pub}/kid`), 'NO_AUTH', 'unauthenticated create child');
        await expectError(c1.getData(priv), 'NO_AUTH', 'unauthenticated getData on digest-only node');
        // exists needs no permission: the digest-only node is visible to everyone
        assert(await c1.exists(priv), 'exists on digest-only node returned null for an unauthenticated client');
        eq((await ca.setData(pub, Buffer.from('pub2'))).version, 1, 'authenticated setData version');
        eq((await ca.getData(priv)).data.toString(), 'priv', 'authenticated getData');
        const wrong = await connect('mallory');
        wrong.client.addAuthInfo('digest', Buffer.from('alice:wrong'));
        await expectError(wrong.getData(priv), 'NO_AUTH', 'wrong password getData');
        wrong.close();
        // auth:: ACL (CREATOR_ALL_ACL) becomes the creator's digest identity
        const creator = `${ROOT}/acl-creator`;
        await ca.create(creator, Buffer.from('c'), ACL.CREATOR_ALL_ACL);
        eq(aclStr((await ca.getACL(creator)).acls), [`digest:${alice}=31`], 'auth:: expanded');
        await expectError(c2.create(`${ROOT}/acl-noauth`, undefined, ACL.CREATOR_ALL_ACL), 'INVALID_ACL',
            'auth:: ACL by unauthenticated client');
        // adding auth mid-session takes effect for the following requests
        c2.client.addAuthInfo('digest', Buffer.from('alice:secret'));
        eq((await c2.getData(priv)).data.toString(), 'priv', 'getData after addAuthInfo');
        return `digest id ${alice}; NoAuth for unauthenticated/wrong password; InvalidACL for auth:: unauthenticated`;
    });

    await check('acl.get-set', async () => {
        if (!ca) throw new Error('acl.digest-auth did not connect the authenticated client');
        const pub = `${ROOT}/acl`;
        const priv = `${ROOT}/acl-priv`;
        let r = await ca.getACL(pub);
        eq(aclStr(r.acls), [`digest:${alice}=31`, 'world:anyone=1'].sort(), 'getACL by ADMIN holder');
        eq(r.stat.aversion, 0, 'aversion');
        r = await c1.getACL(pub);
        eq(aclStr(r.acls), ['digest:alice:x=31', 'world:anyone=1'].sort(), 'getACL without ADMIN (digest masked)');
        await expectError(c1.getACL(priv), 'NO_AUTH', 'getACL without READ');
        await expectError(c1.setACL(pub, ACL.OPEN_ACL_UNSAFE, -1), 'NO_AUTH', 'setACL without ADMIN');
        await expectError(ca.setACL(pub, ACL.OPEN_ACL_UNSAFE, 5), 'BAD_VERSION', 'setACL wrong aversion');
        const st = await ca.setACL(pub, ACL.OPEN_ACL_UNSAFE, 0);
        eq([st.aversion, st.version], [1, 1], 'setACL stat aversion/version');
        eq((await c1.setData(pub, Buffer.from('open now'), 1)).version, 2, 'unauthenticated setData after opening ACL');
        r = await c1.getACL(pub);
        eq([aclStr(r.acls), r.stat.aversion], [['world:anyone=31'], 1], 'getACL after setACL');
        await expectError(ca.setACL(`${ROOT}/missing`, ACL.OPEN_ACL_UNSAFE, -1), 'NO_NODE', 'setACL missing');
        await expectError(c1.getACL(`${ROOT}/missing`), 'NO_NODE', 'getACL missing');
        // open the private nodes again so the cleanup can delete them
        await ca.setACL(priv, ACL.OPEN_ACL_UNSAFE, -1);
        await ca.setACL(`${ROOT}/acl-creator`, ACL.OPEN_ACL_UNSAFE, -1);
        return 'full/masked getACL, NoAuth, BadVersion, aversion 0→1';
    });

    await check('session.close-removes-ephemerals', async () => {
        const dir = `${ROOT}/sess`;
        await c1.create(dir);
        const c5 = await connect('c5');
        const e1 = await c5.create(`${dir}/e1`, Buffer.from('1'), undefined, CreateMode.EPHEMERAL);
        const e2 = await c5.create(`${dir}/e2-`, Buffer.from('2'), undefined, CreateMode.EPHEMERAL_SEQUENTIAL);
        const per = await c5.create(`${dir}/p`, Buffer.from('p'), undefined, CreateMode.PERSISTENT);
        const w1 = recorder(), w2 = recorder(), wc = recorder();
        eq(hex((await c2.exists(e1, w1)).ephemeralOwner), c5.sessionId(), 'e1 owner');
        eq(hex((await c2.exists(e2, w2)).ephemeralOwner), c5.sessionId(), 'e2 owner');
        eq((await c2.getChildren(dir, wc)).children.sort(), ['e1', 'e2-0000000001', 'p'], 'children before close');
        c5.close();
        await w1.wait(1, `NodeDeleted ${e1}`);
        await w2.wait(1, `NodeDeleted ${e2}`);
        await wc.wait(1, `NodeChildrenChanged ${dir}`);
        eq([w1.names(), w2.names(), wc.names()],
            [[`NODE_DELETED@${e1}`], [`NODE_DELETED@${e2}`], [`NODE_CHILDREN_CHANGED@${dir}`]], 'events seen by c2');
        eq((await c2.getChildren(dir)).children, ['p'], 'children after close');
        eq([await c1.exists(e1), await c1.exists(e2), !!(await c1.exists(per))], [null, null, true],
            'ephemerals gone, persistent kept');
        return `closing 0x${c5.sessionId()} deleted ${e1.slice(dir.length + 1)}, ${e2.slice(dir.length + 1)} (seen by c2)`;
    });

    await check('recipe.lock-3-clients', async () => {
        const dir = `${ROOT}/lock`;
        const counter = `${ROOT}/lock-counter`;
        const ROUNDS = 5;
        await c1.create(dir);
        await c1.create(counter, Buffer.from('0'));
        const lockers = [await connect('L1'), await connect('L2'), await connect('L3')];
        const st = { holders: 0, maxHolders: 0, acquisitions: 0, waits: 0, order: [] };

        async function acquire(z) {
            const me = await z.create(`${dir}/lock-`, Buffer.from(z.name), undefined, CreateMode.EPHEMERAL_SEQUENTIAL);
            const mine = me.slice(dir.length + 1);
            for (;;) {
                const sorted = (await z.getChildren(dir)).children.sort();
                const idx = sorted.indexOf(mine);
                if (idx < 0) throw new Error(`${z.name}: own lock node ${mine} vanished`);
                if (idx === 0) return me;
                const prev = `${dir}/${sorted[idx - 1]}`;
                const w = recorder();
                if ((await z.exists(prev, w)) === null) continue;
                st.waits += 1;
                await w.wait(1, `${z.name}: deletion of predecessor ${prev}`);
            }
        }

        async function worker(z) {
            for (let i = 0; i < ROUNDS; i++) {
                const me = await acquire(z);
                st.holders += 1;
                st.maxHolders = Math.max(st.maxHolders, st.holders);
                st.acquisitions += 1;
                st.order.push(z.name);
                // read-modify-write under the lock; the versioned setData fails if anyone else wrote meanwhile
                const { data, stat } = await z.getData(counter);
                await z.barrier();
                await z.setData(counter, Buffer.from(String(Number(data.toString()) + 1)), stat.version);
                st.holders -= 1;
                await z.remove(me);
            }
        }

        await Promise.all(lockers.map(worker));
        const final = await c1.getData(counter);
        eq(st.maxHolders, 1, 'max simultaneous holders');
        eq(st.acquisitions, 3 * ROUNDS, 'acquisitions');
        eq(final.data.toString(), String(3 * ROUNDS), 'counter after locked increments');
        eq(final.stat.version, 3 * ROUNDS, 'counter version');
        eq((await c1.getChildren(dir)).children, [], 'lock nodes left');
        assert(st.waits >= 2, `only ${st.waits} waits: the clients did not contend`);
        lockers.forEach((z) => z.close());
        return `3 clients x ${ROUNDS} rounds, max holders ${st.maxHolders}, counter ${final.data.toString()}, ` +
            `${st.waits} waits on predecessors, order ${st.order.join('')}`;
    });

    await check('recipe.election-failover', async () => {
        const dir = `${ROOT}/elect`;
        await c1.create(dir);
        const cands = [];
        for (const n of ['E1', 'E2', 'E3']) {
            const z = await connect(n);
            const me = await z.create(`${dir}/n-`, Buffer.from(n), undefined, CreateMode.EPHEMERAL_SEQUENTIAL);
            cands.push({ z, me, leader: false });
        }
        const leaders = [];
        function run(c) {
            let watching;
            const isWatching = new Promise((res) => { watching = res; });
            const elected = (async () => {
                const mine = c.me.slice(dir.length + 1);
                for (;;) {
                    const sorted = (await c.z.getChildren(dir)).children.sort();
                    const idx = sorted.indexOf(mine);
                    if (idx < 0) throw new Error(`${c.z.name}: own node vanished`);
                    if (idx === 0) break;
                    const w = recorder();
                    if ((await c.z.exists(`${dir}/${sorted[idx - 1]}`, w)) === null) continue;
                    watching();
                    await w.wait(1, `${c.z.name}: predecessor deletion`);
                }
                c.leader = true;
                leaders.push(c.z.name);
                watching();
            })();
            return { isWatching, elected };
        }
        const runs = cands.map(run);
        await runs[0].elected;
        await runs[1].isWatching;
        await runs[2].isWatching;
        eq(cands.map((c) => c.leader), [true, false, false], 'leaders after start');
        cands[0].z.close();
        await runs[1].elected;
        await cands[2].z.barrier();
        eq(cands.map((c) => c.leader), [true, true, false], 'leaders after E1 closed');
        cands[1].z.close();
        await runs[2].elected;
        eq(leaders, ['E1', 'E2', 'E3'], 'leadership order');
        eq((await c1.getChildren(dir)).children, [cands[2].me.slice(dir.length + 1)], 'nodes left');
        cands[2].z.close();
        return `leaders ${leaders.join('→')} (each closeSession hands over to the next ephemeral-sequential node)`;
    });

    await check('chroot', async () => {
        const cr = await connect('chrooted', ROOT + '/seq');
        const { children } = await cr.getChildren('/');
        eq(children.sort(), ['n-0000000000', 'n-0000000002', 'n-0000000003'], 'children of chroot /');
        const p = await cr.create('/c-', Buffer.from('c'), undefined, CreateMode.PERSISTENT_SEQUENTIAL);
        eq(p, '/c-0000000004', 'created path under chroot');
        const w = recorder();
        await cr.exists('/c-0000000004', w);
        await c1.remove(`${ROOT}/seq/c-0000000004`);
        await w.wait(1, 'NodeDeleted under chroot');
        eq(w.names(), ['NODE_DELETED@/c-0000000004'], 'event path relative to chroot');
        cr.close();
        return 'paths and event paths relative to the chroot';
    });

    await check('cleanup', async () => {
        // own post-order delete: the client's removeRecursive (1.1.3) lists only the first level under async 3
        async function deleteTree(path) {
            for (const child of (await c1.getChildren(path)).children) await deleteTree(`${path}/${child}`);
            await c1.remove(path, -1);
        }
        await deleteTree(ROOT);
        eq(await c2.exists(ROOT), null, 'root after removeRecursive');
        return `removed ${ROOT}`;
    });

    clearTimeout(watchdog);
    summaryAndExit(0);
}

main().catch((e) => {
    emit(`FAIL ${currentCheck} ${describe(e)}`);
    summaryAndExit(1);
});
