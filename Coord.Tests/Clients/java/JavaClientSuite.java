import static org.apache.zookeeper.Watcher.Event.EventType.DataWatchRemoved;
import static org.apache.zookeeper.Watcher.Event.EventType.NodeChildrenChanged;
import static org.apache.zookeeper.Watcher.Event.EventType.NodeCreated;
import static org.apache.zookeeper.Watcher.Event.EventType.NodeDataChanged;
import static org.apache.zookeeper.Watcher.Event.EventType.NodeDeleted;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;

import org.apache.zookeeper.AddWatchMode;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.KeeperException.Code;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.OpResult;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZKUtil;
import org.apache.zookeeper.ZooDefs.Ids;
import org.apache.zookeeper.ZooDefs.Perms;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.ClientInfo;
import org.apache.zookeeper.data.Id;
import org.apache.zookeeper.data.Stat;
import org.apache.zookeeper.server.auth.DigestAuthenticationProvider;

/**
 * Exercises the plain Apache ZooKeeper Java client (sync + async API) against a server.
 * usage: java JavaClientSuite host:port
 */
public class JavaClientSuite {
    static final long T = 10_000; // per wait
    static final List<ACL> OPEN = Ids.OPEN_ACL_UNSAFE;

    static String hp;
    static String root;
    static ZooKeeper zk;
    static Harness.Events ev;

    static String hex(long v) { return "0x" + Long.toHexString(v); }

    static byte[] b(String s) { return s.getBytes(StandardCharsets.UTF_8); }
    static String s(byte[] b) { return b == null ? null : new String(b, StandardCharsets.UTF_8); }

    interface Call { Object run() throws Exception; }

    static void expectCode(Code code, Call op) throws Exception {
        try {
            op.run();
        } catch (KeeperException e) {
            Harness.eq(code, e.code(), "error code");
            return;
        }
        throw new AssertionError("expected " + code + " but call succeeded");
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: JavaClientSuite host:port");
            System.exit(2);
        }
        hp = args[0];
        root = "/coordtest-java-" + Long.toHexString(System.nanoTime());
        Harness h = new Harness("JavaClientSuite", 30_000, 120_000);

        h.check("connect", () -> {
            ev = new Harness.Events();
            zk = Harness.connect(hp, 10_000, ev);
            Harness.require(zk.getSessionId() != 0, "session id is 0");
            Harness.require(zk.getSessionTimeout() > 0, "negotiated session timeout " + zk.getSessionTimeout());
            zk.create(root, b("root"), OPEN, CreateMode.PERSISTENT);
            return String.format("session=0x%x timeout=%d", zk.getSessionId(), zk.getSessionTimeout());
        });
        if (zk == null) h.finish();

        h.check("create.persistent", () -> {
            Stat st = new Stat();
            String p = zk.create(root + "/p", b("hello"), OPEN, CreateMode.PERSISTENT, st);
            Harness.eq(root + "/p", p, "returned path");
            Harness.eq(0, st.getVersion(), "version");
            Harness.eq(0, st.getCversion(), "cversion");
            Harness.eq(0, st.getAversion(), "aversion");
            Harness.eq(5, st.getDataLength(), "dataLength");
            Harness.eq(0, st.getNumChildren(), "numChildren");
            Harness.eq(0L, st.getEphemeralOwner(), "ephemeralOwner");
            Harness.eq(st.getCzxid(), st.getMzxid(), "czxid==mzxid");
            Harness.eq(st.getCzxid(), st.getPzxid(), "czxid==pzxid");
            Harness.eq(st.getCtime(), st.getMtime(), "ctime==mtime");
            Stat st2 = zk.exists(root + "/p", false);
            Harness.eq(st, st2, "exists stat");
            Stat parent = zk.exists(root, false);
            Harness.eq(1, parent.getNumChildren(), "parent numChildren");
            Harness.eq(1, parent.getCversion(), "parent cversion");
            Harness.eq(st.getCzxid(), parent.getPzxid(), "parent pzxid");
            expectCode(Code.NODEEXISTS, () -> zk.create(root + "/p", b(""), OPEN, CreateMode.PERSISTENT));
            expectCode(Code.NONODE, () -> zk.create(root + "/missing/x", b(""), OPEN, CreateMode.PERSISTENT));
            return "czxid=" + st.getCzxid();
        });

        h.check("create.sequential", () -> {
            zk.create(root + "/seq", null, OPEN, CreateMode.PERSISTENT);
            String a = zk.create(root + "/seq/n-", b("a"), OPEN, CreateMode.PERSISTENT_SEQUENTIAL);
            String c = zk.create(root + "/seq/n-", b("b"), OPEN, CreateMode.EPHEMERAL_SEQUENTIAL);
            zk.create(root + "/seq/plain", null, OPEN, CreateMode.PERSISTENT);
            zk.delete(root + "/seq/plain", -1);
            String d = zk.create(root + "/seq/", b("c"), OPEN, CreateMode.PERSISTENT_SEQUENTIAL);
            Harness.eq(root + "/seq/n-0000000000", a, "first sequential");
            Harness.eq(root + "/seq/n-0000000001", c, "second sequential (ephemeral)");
            // ZooKeeper stores the number of child *creations* in the parent and uses it as the
            // sequence number; the cversion it reports is 2*creations - numChildren
            // (i.e. creations + deletions). 3 creates + 1 delete before -> suffix 3.
            Harness.eq(root + "/seq/0000000003", d, "sequence after create/delete of a plain child");
            Stat parent = zk.exists(root + "/seq", false);
            Harness.eq(5, parent.getCversion(), "parent cversion after 4 creates and 1 delete");
            Harness.eq(3, parent.getNumChildren(), "parent numChildren");
            Stat st = zk.exists(c, false);
            Harness.eq(zk.getSessionId(), st.getEphemeralOwner(), "ephemeral owner");
            return a + " " + c + " " + d;
        });

        h.check("create.ephemeral", () -> {
            Stat st = new Stat();
            zk.create(root + "/eph", b("e"), OPEN, CreateMode.EPHEMERAL, st);
            Harness.eq(zk.getSessionId(), st.getEphemeralOwner(), "ephemeralOwner");
            expectCode(Code.NOCHILDRENFOREPHEMERALS,
                    () -> zk.create(root + "/eph/child", b(""), OPEN, CreateMode.PERSISTENT));
            return String.format("owner=0x%x", st.getEphemeralOwner());
        });

        h.check("create.container", () -> {
            Stat st = new Stat();
            String c = root + "/container";
            zk.create(c, b("c"), OPEN, CreateMode.CONTAINER, st);
            // containers are stored with owner 0x8000000000000000 but ZooKeeper reports 0 to clients
            Harness.eq("0x0", hex(st.getEphemeralOwner()), "container ephemeralOwner as seen by clients");
            zk.create(c + "/child", null, OPEN, CreateMode.PERSISTENT);
            zk.delete(c + "/child", -1);
            // the empty container must be reaped by the container manager
            CountDownLatch gone = new CountDownLatch(1);
            Stat again = zk.exists(c, e -> { if (e.getType() == NodeDeleted) gone.countDown(); });
            Harness.require(again != null, "container vanished too early");
            long t0 = System.nanoTime();
            Harness.await(gone, 20_000, "container deletion after last child removed");
            Harness.require(zk.exists(c, false) == null, "container still exists");
            return "reaped after " + (System.nanoTime() - t0) / 1_000_000 + " ms";
        });

        h.check("create.ttl", () -> {
            Stat st = new Stat();
            String p = root + "/ttl";
            zk.create(p, b("t"), OPEN, CreateMode.PERSISTENT_WITH_TTL, st, 500);
            // TTL nodes are stored with owner 0xFF<<56|ttl but ZooKeeper reports 0 to clients
            Harness.eq("0x0", hex(st.getEphemeralOwner()), "ttl ephemeralOwner as seen by clients");
            String sp = zk.create(root + "/ttlseq-", b("t"), OPEN, CreateMode.PERSISTENT_SEQUENTIAL_WITH_TTL, st, 500);
            Harness.require(sp.matches(".*/ttlseq-\\d{10}"), "sequential ttl name " + sp);
            Harness.eq("0x0", hex(st.getEphemeralOwner()), "seq ttl ephemeralOwner as seen by clients");
            CountDownLatch gone = new CountDownLatch(2);
            Watcher w = e -> { if (e.getType() == NodeDeleted) gone.countDown(); };
            Harness.require(zk.exists(p, w) != null, "ttl node vanished too early");
            Harness.require(zk.exists(sp, w) != null, "seq ttl node vanished too early");
            long t0 = System.nanoTime();
            Harness.await(gone, 20_000, "TTL node expiry");
            return "expired after " + (System.nanoTime() - t0) / 1_000_000 + " ms";
        });

        h.check("data.versions", () -> {
            String p = root + "/data";
            zk.create(p, b("v0"), OPEN, CreateMode.PERSISTENT);
            Stat st = new Stat();
            Harness.eq("v0", s(zk.getData(p, false, st)), "initial data");
            Harness.eq(0, st.getVersion(), "initial version");
            Stat s1 = zk.setData(p, b("v1"), 0);
            Harness.eq(1, s1.getVersion(), "version after set");
            Harness.require(s1.getMzxid() > s1.getCzxid(), "mzxid advanced");
            expectCode(Code.BADVERSION, () -> zk.setData(p, b("stale"), 0));
            Stat s2 = zk.setData(p, b("v2"), -1);
            Harness.eq(2, s2.getVersion(), "version after unconditional set");
            Harness.eq("v2", s(zk.getData(p, false, st)), "data after sets");
            Harness.eq(s2, st, "getData stat equals setData stat");
            zk.setData(p, null, -1);
            byte[] empty = zk.getData(p, false, st);
            Harness.require(empty == null || empty.length == 0, "null data round trip");
            Harness.eq(0, st.getDataLength(), "dataLength after null");
            byte[] big = new byte[500_000];
            Arrays.fill(big, (byte) 'x');
            zk.setData(p, big, -1);
            Harness.require(Arrays.equals(big, zk.getData(p, false, st)), "500 KB round trip");
            expectCode(Code.NONODE, () -> zk.getData(root + "/nope", false, null));
            expectCode(Code.NONODE, () -> zk.setData(root + "/nope", b(""), -1));
            Harness.require(zk.exists(root + "/nope", false) == null, "exists on missing node");
            return "version=" + st.getVersion();
        });

        h.check("watch.exists", () -> {
            Harness.Events w = new Harness.Events();
            String p = root + "/wexists";
            Harness.require(zk.exists(p, w) == null, "node should not exist");
            zk.create(p, b("1"), OPEN, CreateMode.PERSISTENT);
            w.expect(NodeCreated, p, T);
            Harness.require(zk.exists(p, w) != null, "node should exist");
            zk.setData(p, b("2"), -1);
            w.expect(NodeDataChanged, p, T);
            zk.getData(p, w, null);
            zk.setData(p, b("3"), -1); // fires
            zk.setData(p, b("4"), -1); // watch already consumed: must not fire
            Harness.eventBarrier(zk);
            w.expect(NodeDataChanged, p, T);
            w.expectNone("one-shot data watch fired twice");
            zk.exists(p, w);
            zk.delete(p, -1);
            w.expect(NodeDeleted, p, T);
            return "created/changed/deleted events";
        });

        h.check("watch.children", () -> {
            Harness.Events w = new Harness.Events();
            String p = root + "/wkids";
            zk.create(p, null, OPEN, CreateMode.PERSISTENT);
            Stat st = new Stat();
            Harness.eq(List.of(), zk.getChildren(p, w, st), "initial children");
            zk.create(p + "/a", null, OPEN, CreateMode.PERSISTENT);
            w.expect(NodeChildrenChanged, p, T);
            zk.create(p + "/b", null, OPEN, CreateMode.PERSISTENT);
            List<String> kids = new ArrayList<>(zk.getChildren(p, w, st));
            Collections.sort(kids);
            Harness.eq(List.of("a", "b"), kids, "children");
            Harness.eq(2, st.getNumChildren(), "numChildren");
            Harness.eq(2, st.getCversion(), "cversion");
            zk.setData(p + "/a", b("x"), -1); // child data change: no child event
            zk.delete(p + "/a", -1);
            w.expect(NodeChildrenChanged, p, T);
            zk.getChildren(p, w);
            zk.delete(p + "/b", -1);
            w.expect(NodeChildrenChanged, p, T);
            zk.getChildren(p, w);
            zk.delete(p, -1);
            w.expect(NodeDeleted, p, T);
            Harness.eventBarrier(zk);
            w.expectNone("after delete");
            expectCode(Code.NONODE, () -> zk.getChildren(p, false));
            return "child events ok";
        });

        h.check("delete", () -> {
            String p = root + "/del";
            zk.create(p, null, OPEN, CreateMode.PERSISTENT);
            zk.create(p + "/c", null, OPEN, CreateMode.PERSISTENT);
            expectCode(Code.NOTEMPTY, () -> { zk.delete(p, -1); return null; });
            expectCode(Code.BADVERSION, () -> { zk.delete(p + "/c", 7); return null; });
            zk.delete(p + "/c", 0);
            zk.delete(p, -1);
            expectCode(Code.NONODE, () -> { zk.delete(p, -1); return null; });
            return "NotEmpty/BadVersion/NoNode ok";
        });

        h.check("multi.success", () -> {
            String p = root + "/multi";
            zk.create(p, b("m"), OPEN, CreateMode.PERSISTENT);
            List<OpResult> res = zk.multi(List.of(
                    Op.create(p + "/a", b("a"), OPEN, CreateMode.PERSISTENT),
                    Op.create(p + "/s-", b("s"), OPEN, CreateMode.PERSISTENT_SEQUENTIAL),
                    Op.setData(p, b("m2"), 0),
                    Op.check(p, 1),
                    Op.delete(p + "/a", 0)));
            Harness.eq(5, res.size(), "result count");
            Harness.eq(p + "/a", ((OpResult.CreateResult) res.get(0)).getPath(), "create result path");
            Harness.eq(p + "/s-0000000001", ((OpResult.CreateResult) res.get(1)).getPath(), "sequential create result path");
            Stat st = ((OpResult.SetDataResult) res.get(2)).getStat();
            Harness.eq(1, st.getVersion(), "setData result version");
            Harness.require(res.get(3) instanceof OpResult.CheckResult, "check result type " + res.get(3));
            Harness.require(res.get(4) instanceof OpResult.DeleteResult, "delete result type " + res.get(4));
            Harness.require(zk.exists(p + "/a", false) == null, "a deleted in same txn");
            Harness.eq("m2", s(zk.getData(p, false, null)), "data set in multi");
            // all ops of a multi share one zxid
            Stat seq = zk.exists(p + "/s-0000000001", false);
            Harness.eq(st.getMzxid(), seq.getCzxid(), "multi ops share one zxid");
            // read-only multi
            List<OpResult> reads = zk.multi(List.of(Op.getData(p), Op.getChildren(p)));
            Harness.eq("m2", s(((OpResult.GetDataResult) reads.get(0)).getData()), "multiRead getData");
            Harness.eq(List.of("s-0000000001"), ((OpResult.GetChildrenResult) reads.get(1)).getChildren(), "multiRead getChildren");
            return "5 ops + read multi";
        });

        h.check("multi.partial-failure", () -> {
            String p = root + "/multifail";
            zk.create(p, b("x"), OPEN, CreateMode.PERSISTENT);
            Stat before = zk.exists(p, false);
            try {
                zk.multi(List.of(
                        Op.create(p + "/a", null, OPEN, CreateMode.PERSISTENT),
                        Op.setData(p, b("y"), -1),
                        Op.check(p, 42),
                        Op.create(p + "/b", null, OPEN, CreateMode.PERSISTENT)));
                throw new AssertionError("multi with bad check succeeded");
            } catch (KeeperException e) {
                Harness.eq(Code.BADVERSION, e.code(), "multi error code");
                List<OpResult> r = e.getResults();
                Harness.require(r != null && r.size() == 4, "results size " + (r == null ? null : r.size()));
                int[] errs = new int[4];
                for (int i = 0; i < 4; i++) {
                    Harness.require(r.get(i) instanceof OpResult.ErrorResult, "result " + i + " not ErrorResult: " + r.get(i));
                    errs[i] = ((OpResult.ErrorResult) r.get(i)).getErr();
                }
                Harness.eq(Arrays.toString(new int[] {0, 0, Code.BADVERSION.intValue(), Code.RUNTIMEINCONSISTENCY.intValue()}),
                        Arrays.toString(errs), "per-op error codes");
            }
            Harness.require(zk.exists(p + "/a", false) == null, "create before failure was rolled back");
            Harness.eq("x", s(zk.getData(p, false, null)), "setData before failure was rolled back");
            Harness.eq(before, zk.exists(p, false), "stat unchanged");
            // async multi failure
            CompletableFuture<Object[]> f = new CompletableFuture<>();
            zk.multi(List.of(Op.delete(p + "/nope", -1)), (rc, path, ctx, results) -> f.complete(new Object[] {rc, results}), null);
            Object[] out = Harness.get(f, T, "async multi");
            Harness.eq(Code.NONODE.intValue(), out[0], "async multi rc");
            return "per-op results [0,0,-103,-2]";
        });

        h.check("async.api", () -> {
            String p = root + "/async";
            CompletableFuture<String> created = new CompletableFuture<>();
            zk.create(p, b("a1"), OPEN, CreateMode.PERSISTENT, (rc, path, ctx, name, stat) -> {
                if (rc == 0 && stat != null && "ctx".equals(ctx)) created.complete(name);
                else created.completeExceptionally(new AssertionError("create rc=" + rc));
            }, "ctx");
            Harness.eq(p, Harness.get(created, T, "async create"), "async create name");
            CompletableFuture<String> data = new CompletableFuture<>();
            zk.getData(p, false, (rc, path, ctx, d, stat) -> data.complete(rc + ":" + s(d) + ":" + stat.getVersion()), null);
            Harness.eq("0:a1:0", Harness.get(data, T, "async getData"), "async getData");
            CompletableFuture<Integer> set = new CompletableFuture<>();
            zk.setData(p, b("a2"), 5, (rc, path, ctx, stat) -> set.complete(rc), null);
            Harness.eq(Code.BADVERSION.intValue(), Harness.get(set, T, "async setData"), "async setData bad version rc");
            CompletableFuture<Integer> set2 = new CompletableFuture<>();
            zk.setData(p, b("a2"), 0, (rc, path, ctx, stat) -> set2.complete(rc == 0 ? stat.getVersion() : -1000 + rc), null);
            Harness.eq(1, Harness.get(set2, T, "async setData"), "async setData version");
            CompletableFuture<Integer> ex = new CompletableFuture<>();
            zk.exists(p + "/none", false, (rc, path, ctx, stat) -> ex.complete(rc), null);
            Harness.eq(Code.NONODE.intValue(), Harness.get(ex, T, "async exists"), "async exists rc on missing");
            CompletableFuture<List<String>> kids = new CompletableFuture<>();
            zk.getChildren(root + "/seq", false, (rc, path, ctx, children, stat) -> kids.complete(children), null);
            Harness.eq(3, Harness.get(kids, T, "async getChildren").size(), "async getChildren size");
            CompletableFuture<Integer> del = new CompletableFuture<>();
            zk.delete(p, -1, (rc, path, ctx) -> del.complete(rc), null);
            Harness.eq(0, Harness.get(del, T, "async delete"), "async delete rc");
            // many pipelined async requests complete in order
            int n = 200;
            List<Integer> order = Collections.synchronizedList(new ArrayList<>());
            CountDownLatch all = new CountDownLatch(n);
            zk.create(p, null, OPEN, CreateMode.PERSISTENT);
            for (int i = 0; i < n; i++) {
                final int idx = i;
                if (i % 2 == 0)
                    zk.setData(p, b("v" + i), -1, (rc, path, ctx, stat) -> { order.add(idx); all.countDown(); }, null);
                else
                    zk.getData(p, false, (rc, path, ctx, d, stat) -> {
                        if (("v" + (idx - 1)).equals(s(d))) order.add(idx); else order.add(-idx);
                        all.countDown();
                    }, null);
            }
            Harness.await(all, 20_000, "pipelined async ops");
            for (int i = 0; i < n; i++) Harness.eq(i, order.get(i), "pipelined completion order / read-your-writes");
            return n + " pipelined ops in order";
        });

        h.check("acl.digest", () -> {
            String p = root + "/acl";
            String digest = DigestAuthenticationProvider.generateDigest("alice:secret");
            Id alice = new Id("digest", digest);
            zk.create(p, b("private"), Arrays.asList(new ACL(Perms.ALL, alice)), CreateMode.PERSISTENT);
            expectCode(Code.NOAUTH, () -> zk.getData(p, false, null));
            expectCode(Code.NOAUTH, () -> zk.setData(p, b("x"), -1));
            Harness.require(zk.exists(p, false) != null, "exists needs no permission");
            expectCode(Code.NOAUTH, () -> zk.getACL(p, null)); // getACL needs READ or ADMIN
            Harness.Events w2 = new Harness.Events();
            ZooKeeper z2 = Harness.connect(hp, 10_000, w2);
            try {
                z2.addAuthInfo("digest", b("alice:secret"));
                Harness.eq("private", s(z2.getData(p, false, null)), "authorised read");
                Stat st = new Stat();
                List<ACL> acl = z2.getACL(p, st);
                Harness.eq(Arrays.asList(new ACL(Perms.ALL, alice)), acl, "getACL");
                Harness.eq(0, st.getAversion(), "aversion");
                expectCode(Code.BADVERSION, () -> z2.setACL(p, OPEN, 3));
                Stat s2 = z2.setACL(p, Arrays.asList(new ACL(Perms.ALL, alice), new ACL(Perms.READ, Ids.ANYONE_ID_UNSAFE)), 0);
                Harness.eq(1, s2.getAversion(), "aversion after setACL");
                Harness.eq("private", s(zk.getData(p, false, null)), "world READ after setACL");
                expectCode(Code.NOAUTH, () -> zk.setData(p, b("x"), -1));
                expectCode(Code.NOAUTH, () -> zk.create(p + "/c", null, OPEN, CreateMode.PERSISTENT));
                // auth scheme ACL: CREATOR_ALL_ACL expands to the creator's digest identity
                z2.create(p + "/mine", b("m"), Ids.CREATOR_ALL_ACL, CreateMode.PERSISTENT);
                List<ACL> mine = z2.getACL(p + "/mine", null);
                Harness.eq(Arrays.asList(new ACL(Perms.ALL, alice)), mine, "CREATOR_ALL_ACL expanded");
                // unauthenticated client cannot use the auth scheme
                zk.create(root + "/noauthparent", null, OPEN, CreateMode.PERSISTENT);
                expectCode(Code.INVALIDACL, () -> zk.create(root + "/noauthparent/x", null, Ids.CREATOR_ALL_ACL, CreateMode.PERSISTENT));
                // wrong password
                Harness.Events w3 = new Harness.Events();
                ZooKeeper z3 = Harness.connect(hp, 10_000, w3);
                try {
                    z3.addAuthInfo("digest", b("alice:wrong"));
                    expectCode(Code.NOAUTH, () -> z3.setData(p, b("x"), -1));
                } finally {
                    z3.close();
                }
                z2.delete(p + "/mine", -1);
                z2.setACL(p, OPEN, -1);
                return "digest " + digest;
            } finally {
                z2.close();
            }
        });

        h.check("whoami", () -> {
            List<ClientInfo> anon = zk.whoAmI();
            Harness.require(anon.size() >= 1, "whoAmI empty");
            Harness.require(anon.stream().anyMatch(c -> c.getAuthScheme().equals("ip")), "ip identity missing: " + anon);
            Harness.Events w2 = new Harness.Events();
            ZooKeeper z2 = Harness.connect(hp, 10_000, w2);
            try {
                z2.addAuthInfo("digest", b("bob:pw"));
                List<ClientInfo> who = z2.whoAmI();
                Harness.require(who.stream().anyMatch(c -> c.getAuthScheme().equals("digest") && c.getUser().equals("bob")),
                        "digest identity missing: " + who);
                return "anon=" + anon + " auth=" + who;
            } finally {
                z2.close();
            }
        });

        h.check("watch.persistent-recursive", () -> {
            String p = root + "/rec";
            zk.create(p, null, OPEN, CreateMode.PERSISTENT);
            Harness.Events w = new Harness.Events();
            zk.addWatch(p, w, AddWatchMode.PERSISTENT_RECURSIVE);
            zk.create(p + "/a", b("1"), OPEN, CreateMode.PERSISTENT);
            zk.create(p + "/a/b", b("1"), OPEN, CreateMode.PERSISTENT);
            zk.setData(p + "/a/b", b("2"), -1);
            zk.setData(p + "/a/b", b("3"), -1);
            zk.delete(p + "/a/b", -1);
            zk.setData(p, b("r"), -1);
            w.expect(NodeCreated, p + "/a", T);
            w.expect(NodeCreated, p + "/a/b", T);
            w.expect(NodeDataChanged, p + "/a/b", T);
            w.expect(NodeDataChanged, p + "/a/b", T);
            w.expect(NodeDeleted, p + "/a/b", T);
            w.expect(NodeDataChanged, p, T);
            Harness.eventBarrier(zk);
            w.expectNone("recursive watches do not send NodeChildrenChanged");
            // removal of a persistent recursive watch
            zk.removeWatches(p, w, Watcher.WatcherType.Any, false);
            w.expect(Watcher.Event.EventType.PersistentWatchRemoved, p, T);
            zk.create(p + "/a/z", null, OPEN, CreateMode.PERSISTENT);
            Harness.eventBarrier(zk);
            w.expectNone("after removing recursive watch");
            // non-recursive persistent watch: fires repeatedly, child events for the node itself only
            String q = root + "/pers";
            zk.create(q, null, OPEN, CreateMode.PERSISTENT);
            Harness.Events pw = new Harness.Events();
            zk.addWatch(q, pw, AddWatchMode.PERSISTENT);
            zk.setData(q, b("x"), -1);
            zk.setData(q, b("y"), -1);
            zk.create(q + "/c", null, OPEN, CreateMode.PERSISTENT);
            zk.create(q + "/c/deep", null, OPEN, CreateMode.PERSISTENT);
            zk.delete(q + "/c/deep", -1);
            zk.delete(q + "/c", -1);
            zk.delete(q, -1);
            zk.create(q, null, OPEN, CreateMode.PERSISTENT);
            pw.expect(NodeDataChanged, q, T);
            pw.expect(NodeDataChanged, q, T);
            pw.expect(NodeChildrenChanged, q, T);
            pw.expect(NodeChildrenChanged, q, T);
            pw.expect(NodeDeleted, q, T);
            pw.expect(NodeCreated, q, T);
            Harness.eventBarrier(zk);
            pw.expectNone("PERSISTENT watch must not see grandchildren");
            zk.removeAllWatches(q, Watcher.WatcherType.Any, false);
            pw.expect(Watcher.Event.EventType.PersistentWatchRemoved, q, T);
            return "recursive + persistent ok";
        });

        h.check("watch.remove", () -> {
            String p = root + "/rm";
            zk.create(p, null, OPEN, CreateMode.PERSISTENT);
            Harness.Events w = new Harness.Events();
            zk.getData(p, w, null);
            zk.removeWatches(p, w, Watcher.WatcherType.Data, false);
            w.expect(DataWatchRemoved, p, T);
            zk.setData(p, b("1"), -1);
            Harness.eventBarrier(zk);
            w.expectNone("removed data watch fired");
            try {
                zk.removeWatches(p, w, Watcher.WatcherType.Data, false);
                throw new AssertionError("removing a non-existent watch succeeded");
            } catch (KeeperException.NoWatcherException expected) {
                // ok
            }
            // removeAllWatches goes to the server
            Harness.Events w2 = new Harness.Events();
            zk.getChildren(p, w2);
            zk.exists(p, w2);
            zk.removeAllWatches(p, Watcher.WatcherType.Any, false);
            WatchedEventSet got = new WatchedEventSet(w2, 2);
            Harness.require(got.types.contains("ChildWatchRemoved") && got.types.contains("DataWatchRemoved"),
                    "removed events " + got.types);
            zk.create(p + "/c", null, OPEN, CreateMode.PERSISTENT);
            Harness.eventBarrier(zk);
            w2.expectNone("removed child watch fired");
            // server says NoWatcher when nothing is registered there
            expectCode(Code.NOWATCHER, () -> { zk.removeAllWatches(p, Watcher.WatcherType.Data, false); return null; });
            return "removeWatches ok";
        });

        h.check("getEphemerals", () -> {
            String p = root + "/ephs";
            zk.create(p, null, OPEN, CreateMode.PERSISTENT);
            zk.create(p + "/e1", null, OPEN, CreateMode.EPHEMERAL);
            zk.create(p + "/e2", null, OPEN, CreateMode.EPHEMERAL);
            List<String> mine = new ArrayList<>(zk.getEphemerals(p));
            Collections.sort(mine);
            Harness.eq(List.of(p + "/e1", p + "/e2"), mine, "getEphemerals(prefix)");
            List<String> all = zk.getEphemerals();
            Harness.require(all.containsAll(mine) && all.contains(root + "/eph"), "getEphemerals() " + all);
            CompletableFuture<List<String>> f = new CompletableFuture<>();
            zk.getEphemerals(p + "/e1", (rc, ctx, paths) -> f.complete(paths), null);
            Harness.eq(List.of(p + "/e1"), Harness.get(f, T, "async getEphemerals"), "async getEphemerals");
            return mine.toString();
        });

        h.check("getAllChildrenNumber", () -> {
            String p = root + "/cnt";
            zk.create(p, null, OPEN, CreateMode.PERSISTENT);
            Harness.eq(0, zk.getAllChildrenNumber(p), "empty");
            zk.create(p + "/a", null, OPEN, CreateMode.PERSISTENT);
            zk.create(p + "/a/b", null, OPEN, CreateMode.PERSISTENT);
            zk.create(p + "/a/b/c", null, OPEN, CreateMode.PERSISTENT);
            zk.create(p + "/d", null, OPEN, CreateMode.EPHEMERAL);
            Harness.eq(4, zk.getAllChildrenNumber(p), "descendants");
            Harness.eq(2, zk.getAllChildrenNumber(p + "/a"), "descendants of a");
            expectCode(Code.NONODE, () -> zk.getAllChildrenNumber(p + "/zzz"));
            return "4";
        });

        h.check("sync", () -> {
            CompletableFuture<String> f = new CompletableFuture<>();
            zk.sync(root, (rc, path, ctx) -> {
                if (rc == 0) f.complete(path); else f.completeExceptionally(new AssertionError("sync rc=" + rc));
            }, null);
            Harness.eq(root, Harness.get(f, T, "sync"), "sync path");
            return "ok";
        });

        h.check("chroot", () -> {
            zk.create(root + "/chroot", null, OPEN, CreateMode.PERSISTENT);
            Harness.Events w = new Harness.Events();
            ZooKeeper c = Harness.connect(hp + root + "/chroot", 10_000, w);
            try {
                Harness.eq("/x", c.create("/x", b("c"), OPEN, CreateMode.PERSISTENT), "create under chroot");
                Harness.eq("c", s(zk.getData(root + "/chroot/x", false, null)), "visible from root");
                Harness.Events cw = new Harness.Events();
                c.exists("/x", cw);
                zk.setData(root + "/chroot/x", b("d"), -1);
                cw.expect(NodeDataChanged, "/x", T);
                return "ok";
            } finally {
                c.close();
            }
        });

        h.check("session.close-removes-ephemerals", () -> {
            Harness.Events wa = new Harness.Events();
            ZooKeeper a = Harness.connect(hp, 10_000, wa);
            String p = root + "/owned";
            a.create(p, b("a"), OPEN, CreateMode.EPHEMERAL);
            Harness.Events w = new Harness.Events();
            Stat st = zk.exists(p, w);
            Harness.require(st != null && st.getEphemeralOwner() == a.getSessionId(), "owner mismatch");
            zk.getChildren(root, w);
            long t0 = System.nanoTime();
            a.close();
            WatchedEventSet got = new WatchedEventSet(w, 2);
            Harness.require(got.types.contains("NodeDeleted") && got.types.contains("NodeChildrenChanged"), "events " + got.types);
            Harness.require(zk.exists(p, false) == null, "ephemeral survived close");
            return "ephemeral gone " + (System.nanoTime() - t0) / 1_000_000 + " ms after close";
        });

        h.check("cleanup", () -> {
            ZKUtil.deleteRecursive(zk, root);
            Harness.require(zk.exists(root, false) == null, "root still exists");
            zk.close();
            return "ok";
        });

        h.finish();
    }

    /** Collects exactly n events from a queue (bounded wait) for order-insensitive checks. */
    static final class WatchedEventSet {
        final List<String> types = new ArrayList<>();

        WatchedEventSet(Harness.Events w, int n) throws InterruptedException {
            for (int i = 0; i < n; i++) types.add(w.next(T).getType().toString());
        }
    }
}
