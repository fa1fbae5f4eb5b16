import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.api.transaction.CuratorTransactionResult;
import org.apache.curator.framework.api.transaction.OperationType;
import org.apache.curator.framework.recipes.atomic.AtomicValue;
import org.apache.curator.framework.recipes.atomic.DistributedAtomicLong;
import org.apache.curator.framework.recipes.barriers.DistributedBarrier;
import org.apache.curator.framework.recipes.barriers.DistributedDoubleBarrier;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.leader.LeaderLatchListener;
import org.apache.curator.framework.recipes.leader.LeaderSelector;
import org.apache.curator.framework.recipes.leader.LeaderSelectorListenerAdapter;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.framework.recipes.locks.InterProcessReadWriteLock;
import org.apache.curator.framework.recipes.locks.InterProcessSemaphoreV2;
import org.apache.curator.framework.recipes.locks.Lease;
import org.apache.curator.framework.recipes.nodes.GroupMember;
import org.apache.curator.framework.recipes.nodes.PersistentNode;
import org.apache.curator.framework.recipes.queue.DistributedQueue;
import org.apache.curator.framework.recipes.queue.QueueBuilder;
import org.apache.curator.framework.recipes.queue.QueueConsumer;
import org.apache.curator.framework.recipes.queue.QueueSerializer;
import org.apache.curator.framework.recipes.shared.SharedCount;
import org.apache.curator.framework.recipes.shared.SharedCountListener;
import org.apache.curator.framework.recipes.shared.SharedCountReader;
import org.apache.curator.framework.recipes.shared.VersionedValue;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.curator.retry.RetryNTimes;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;

/**
 * Apache Curator 5.4 recipes against a ZooKeeper-compatible server.
 * usage: java CuratorSuite host:port
 */
public class CuratorSuite {
    static final int SESSION_MS = 10_000;
    static String hp;
    static String root;
    static final List<CuratorFramework> clients = Collections.synchronizedList(new ArrayList<>());

    static byte[] b(String s) { return s.getBytes(StandardCharsets.UTF_8); }
    static String s(byte[] b) { return b == null ? null : new String(b, StandardCharsets.UTF_8); }

    static CuratorFramework client() throws Exception {
        CuratorFramework c = CuratorFrameworkFactory.newClient(hp, SESSION_MS, 10_000, new ExponentialBackoffRetry(100, 5));
        clients.add(c);
        c.start();
        if (!c.blockUntilConnected(15, TimeUnit.SECONDS)) throw new AssertionError("curator could not connect to " + hp);
        return c;
    }

    static void closeAll(Collection<? extends AutoCloseable> xs) {
        for (AutoCloseable x : xs) {
            try { x.close(); } catch (Exception ignored) { }
        }
    }

    /** Runs n tasks on their own threads and waits for all of them (bounded). */
    static void parallel(int n, long timeoutMs, Task t) throws Exception {
        ExecutorService ex = Executors.newFixedThreadPool(n);
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                final int idx = i;
                fs.add(ex.submit(() -> { t.run(idx); return null; }));
            }
            long deadline = System.currentTimeMillis() + timeoutMs;
            for (Future<?> f : fs) Harness.get(f, Math.max(1, deadline - System.currentTimeMillis()), "parallel task");
        } finally {
            ex.shutdownNow();
        }
    }

    interface Task { void run(int idx) throws Exception; }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: CuratorSuite host:port");
            System.exit(2);
        }
        hp = args[0];
        root = "/coordtest-curator-" + Long.toHexString(System.nanoTime());
        Harness h = new Harness("CuratorSuite", 30_000, 150_000);
        final CuratorFramework[] main = new CuratorFramework[1];

        h.check("connect", () -> {
            main[0] = client();
            main[0].create().creatingParentsIfNeeded().forPath(root, b("root"));
            return "ok";
        });
        if (main[0] == null) h.finish();
        final CuratorFramework cf = main[0];

        h.check("InterProcessMutex.contention", () -> {
            String lockPath = root + "/mutex";
            String counter = root + "/mutex-counter";
            cf.create().forPath(counter, b("0"));
            int nClients = 5, perClient = 20;
            List<CuratorFramework> cs = new ArrayList<>();
            for (int i = 0; i < nClients; i++) cs.add(client());
            AtomicInteger holders = new AtomicInteger();
            AtomicInteger maxHolders = new AtomicInteger();
            AtomicInteger violations = new AtomicInteger();
            try {
                parallel(nClients, 28_000, idx -> {
                    CuratorFramework c = cs.get(idx);
                    InterProcessMutex m = new InterProcessMutex(c, lockPath);
                    for (int k = 0; k < perClient; k++) {
                        if (!m.acquire(20, TimeUnit.SECONDS)) throw new AssertionError("acquire timed out");
                        try {
                            int now = holders.incrementAndGet();
                            maxHolders.accumulateAndGet(now, Math::max);
                            Stat st = new Stat();
                            int v = Integer.parseInt(s(c.getData().storingStatIn(st).forPath(counter)));
                            try {
                                c.setData().withVersion(st.getVersion()).forPath(counter, b(Integer.toString(v + 1)));
                            } catch (KeeperException.BadVersionException e) {
                                violations.incrementAndGet();
                            }
                            holders.decrementAndGet();
                        } finally {
                            m.release();
                        }
                    }
                });
                int total = Integer.parseInt(s(cf.getData().forPath(counter)));
                Harness.eq(nClients * perClient, total, "shared counter");
                Harness.eq(1, maxHolders.get(), "max simultaneous holders");
                Harness.eq(0, violations.get(), "lost updates");
                Harness.eq(List.of(), cf.getChildren().forPath(lockPath), "lock nodes left behind");
                return nClients + "x" + perClient + " acquisitions, counter=" + total;
            } finally {
                closeAll(cs);
            }
        });

        h.check("LeaderLatch.failover", () -> {
            String path = root + "/latch";
            List<CuratorFramework> cs = new ArrayList<>();
            List<LeaderLatch> latches = new ArrayList<>();
            BlockingQueue<String> leaders = new LinkedBlockingQueue<>();
            try {
                for (int i = 0; i < 3; i++) {
                    CuratorFramework c = client();
                    cs.add(c);
                    LeaderLatch l = new LeaderLatch(c, path, "p" + i);
                    final String id = "p" + i;
                    l.addListener(new LeaderLatchListener() {
                        public void isLeader() { leaders.add(id); }
                        public void notLeader() { }
                    });
                    latches.add(l);
                    l.start();
                }
                String first = leaders.poll(15, TimeUnit.SECONDS);
                Harness.require(first != null, "no leader elected");
                int idx = Integer.parseInt(first.substring(1));
                Harness.require(latches.get(idx).hasLeadership(), "leader latch disagrees");
                int others = 0;
                for (int i = 0; i < 3; i++) if (i != idx && latches.get(i).hasLeadership()) others++;
                Harness.eq(0, others, "other leaders");
                Harness.eq(first, latches.get((idx + 1) % 3).getLeader().getId(), "leader id seen by participant");
                long t0 = System.nanoTime();
                cs.get(idx).close(); // session closes -> leader's ephemeral node disappears
                String second = leaders.poll(SESSION_MS, TimeUnit.MILLISECONDS);
                long took = (System.nanoTime() - t0) / 1_000_000;
                Harness.require(second != null, "no new leader within session timeout");
                Harness.require(!second.equals(first), "same leader re-elected");
                int nowLeaders = 0;
                for (int i = 0; i < 3; i++) if (i != idx && latches.get(i).hasLeadership()) nowLeaders++;
                Harness.eq(1, nowLeaders, "leaders among survivors");
                return first + " -> " + second + " in " + took + " ms";
            } finally {
                closeAll(latches);
                closeAll(cs);
            }
        });

        h.check("LeaderSelector", () -> {
            String path = root + "/selector";
            List<CuratorFramework> cs = new ArrayList<>();
            List<LeaderSelector> sels = new ArrayList<>();
            AtomicInteger inside = new AtomicInteger();
            AtomicInteger overlap = new AtomicInteger();
            List<String> order = Collections.synchronizedList(new ArrayList<>());
            CountDownLatch done = new CountDownLatch(3);
            try {
                for (int i = 0; i < 3; i++) {
                    CuratorFramework c = client();
                    cs.add(c);
                    final String id = "s" + i;
                    LeaderSelector sel = new LeaderSelector(c, path, new LeaderSelectorListenerAdapter() {
                        @Override
                        public void takeLeadership(CuratorFramework client) throws Exception {
                            if (inside.incrementAndGet() != 1) overlap.incrementAndGet();
                            order.add(id);
                            client.create().withMode(CreateMode.EPHEMERAL).forPath(root + "/selector-leader-" + id);
                            client.delete().forPath(root + "/selector-leader-" + id);
                            inside.decrementAndGet();
                            done.countDown();
                        }
                    });
                    sel.setId(id);
                    sels.add(sel);
                }
                for (LeaderSelector s : sels) s.start();
                Harness.await(done, 25_000, "all three selectors to lead");
                Harness.eq(0, overlap.get(), "overlapping leadership");
                Harness.eq(3, new HashSet<>(order).size(), "distinct leaders");
                // let the last leader release its lock node before the selectors are closed
                Harness.awaitCondition(() -> {
                    try {
                        return cf.getChildren().forPath(path).isEmpty();
                    } catch (Exception ex) {
                        return false;
                    }
                }, 10_000, "selector lock nodes to be released");
                return "order " + order;
            } finally {
                closeAll(sels);
                closeAll(cs);
            }
        });

        h.check("InterProcessSemaphoreV2", () -> {
            String path = root + "/semaphore";
            CuratorFramework a = client(), bc = client();
            try {
                InterProcessSemaphoreV2 sa = new InterProcessSemaphoreV2(a, path, 2);
                InterProcessSemaphoreV2 sb = new InterProcessSemaphoreV2(bc, path, 2);
                Collection<Lease> two = sa.acquire(2, 10, TimeUnit.SECONDS);
                Harness.require(two != null && two.size() == 2, "could not take both leases");
                Lease none = sb.acquire(300, TimeUnit.MILLISECONDS);
                Harness.require(none == null, "third lease granted beyond maxLeases");
                Lease one = two.iterator().next();
                sa.returnLease(one);
                Lease got = sb.acquire(10, TimeUnit.SECONDS);
                Harness.require(got != null, "lease not granted after one was returned");
                sb.returnLease(got);
                for (Lease l : two) if (l != one) sa.returnLease(l);
                // concurrency never exceeds maxLeases
                List<CuratorFramework> cs = new ArrayList<>();
                for (int i = 0; i < 4; i++) cs.add(client());
                AtomicInteger in = new AtomicInteger(), max = new AtomicInteger();
                try {
                    parallel(4, 25_000, idx -> {
                        InterProcessSemaphoreV2 sem = new InterProcessSemaphoreV2(cs.get(idx), path, 2);
                        for (int k = 0; k < 5; k++) {
                            Lease l = sem.acquire(20, TimeUnit.SECONDS);
                            if (l == null) throw new AssertionError("lease timeout");
                            max.accumulateAndGet(in.incrementAndGet(), Math::max);
                            cs.get(idx).checkExists().forPath(path);
                            in.decrementAndGet();
                            sem.returnLease(l);
                        }
                    });
                } finally {
                    closeAll(cs);
                }
                Harness.require(max.get() <= 2, "max concurrent leases " + max.get());
                return "max concurrent=" + max.get();
            } finally {
                a.close();
                bc.close();
            }
        });

        h.check("InterProcessReadWriteLock", () -> {
            String path = root + "/rwlock";
            CuratorFramework c1 = client(), c2 = client(), c3 = client();
            try {
                InterProcessReadWriteLock l1 = new InterProcessReadWriteLock(c1, path);
                InterProcessReadWriteLock l2 = new InterProcessReadWriteLock(c2, path);
                InterProcessReadWriteLock l3 = new InterProcessReadWriteLock(c3, path);
                Harness.require(l1.readLock().acquire(10, TimeUnit.SECONDS), "reader 1");
                Harness.require(l2.readLock().acquire(10, TimeUnit.SECONDS), "reader 2 shares the lock");
                Harness.require(!l3.writeLock().acquire(300, TimeUnit.MILLISECONDS), "writer got in while readers hold");
                l1.readLock().release();
                l2.readLock().release();
                Harness.require(l3.writeLock().acquire(10, TimeUnit.SECONDS), "writer after readers released");
                Harness.require(!l1.readLock().acquire(300, TimeUnit.MILLISECONDS), "reader got in while writer holds");
                Harness.require(l3.readLock().acquire(10, TimeUnit.SECONDS), "writer can downgrade to read");
                l3.writeLock().release();
                Harness.require(!l2.writeLock().acquire(300, TimeUnit.MILLISECONDS), "other writer got in while reader holds");
                l3.readLock().release();
                Harness.require(l2.writeLock().acquire(10, TimeUnit.SECONDS), "writer 2");
                l2.writeLock().release();
                return "ok";
            } finally {
                c1.close();
                c2.close();
                c3.close();
            }
        });

        h.check("DistributedAtomicLong", () -> {
            String path = root + "/atomic";
            List<CuratorFramework> cs = new ArrayList<>();
            for (int i = 0; i < 3; i++) cs.add(client());
            try {
                parallel(3, 25_000, idx -> {
                    DistributedAtomicLong al = new DistributedAtomicLong(cs.get(idx), path, new RetryNTimes(50, 5));
                    for (int k = 0; k < 10; k++) {
                        AtomicValue<Long> v = al.increment();
                        int tries = 0;
                        while (!v.succeeded()) {
                            if (++tries > 20) throw new AssertionError("increment kept failing");
                            v = al.increment();
                        }
                        if (v.postValue() != v.preValue() + 1) throw new AssertionError("post != pre+1");
                    }
                });
                DistributedAtomicLong al = new DistributedAtomicLong(cf, path, new RetryNTimes(3, 10));
                Harness.eq(30L, al.get().postValue(), "value after 3x10 increments");
                Harness.require(al.compareAndSet(30L, 100L).succeeded(), "CAS 30->100");
                Harness.require(!al.compareAndSet(30L, 5L).succeeded(), "stale CAS succeeded");
                Harness.eq(100L, al.get().postValue(), "value after CAS");
                return "30 then CAS to 100";
            } finally {
                closeAll(cs);
            }
        });

        h.check("SharedCount", () -> {
            String path = root + "/sharedcount";
            CuratorFramework c2 = client();
            SharedCount a = new SharedCount(cf, path, 0);
            SharedCount bsc = new SharedCount(c2, path, 0);
            try {
                a.start();
                bsc.start();
                CountDownLatch saw7 = new CountDownLatch(1);
                bsc.addListener(new SharedCountListener() {
                    public void countHasChanged(SharedCountReader r, int n) { if (n == 7) saw7.countDown(); }
                    public void stateChanged(CuratorFramework c, ConnectionState s) { }
                });
                a.setCount(7);
                Harness.await(saw7, 10_000, "listener on other client to see 7");
                Harness.eq(7, bsc.getCount(), "count seen by other client");
                VersionedValue<Integer> vv = a.getVersionedValue();
                Harness.require(a.trySetCount(vv, 8), "trySetCount with current version");
                Harness.require(!a.trySetCount(vv, 9), "trySetCount with stale version succeeded");
                Harness.eq(8, a.getCount(), "count");
                return "ok";
            } finally {
                a.close();
                bsc.close();
                c2.close();
            }
        });

        h.check("DistributedBarrier", () -> {
            String path = root + "/barrier";
            DistributedBarrier owner = new DistributedBarrier(cf, path);
            owner.setBarrier();
            List<CuratorFramework> cs = new ArrayList<>();
            for (int i = 0; i < 3; i++) cs.add(client());
            try {
                Harness.require(!new DistributedBarrier(cs.get(0), path).waitOnBarrier(300, TimeUnit.MILLISECONDS),
                        "waitOnBarrier returned while barrier set");
                CountDownLatch started = new CountDownLatch(3);
                ExecutorService ex = Executors.newFixedThreadPool(3);
                List<Future<Boolean>> fs = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    final CuratorFramework c = cs.get(i);
                    fs.add(ex.submit(() -> {
                        started.countDown();
                        return new DistributedBarrier(c, path).waitOnBarrier(20, TimeUnit.SECONDS);
                    }));
                }
                Harness.await(started, 5_000, "waiters");
                owner.removeBarrier();
                for (Future<Boolean> f : fs) Harness.require(Harness.get(f, 20_000, "barrier waiter"), "waiter timed out");
                ex.shutdownNow();
                return "3 waiters released";
            } finally {
                closeAll(cs);
            }
        });

        h.check("DistributedDoubleBarrier", () -> {
            String path = root + "/dbarrier";
            List<CuratorFramework> cs = new ArrayList<>();
            for (int i = 0; i < 3; i++) cs.add(client());
            AtomicInteger arrived = new AtomicInteger();
            AtomicInteger left = new AtomicInteger();
            try {
                parallel(3, 25_000, idx -> {
                    DistributedDoubleBarrier db = new DistributedDoubleBarrier(cs.get(idx), path, 3);
                    arrived.incrementAndGet();
                    if (!db.enter(20, TimeUnit.SECONDS)) throw new AssertionError("enter timed out");
                    if (arrived.get() != 3) throw new AssertionError("entered before all arrived: " + arrived.get());
                    if (!db.leave(20, TimeUnit.SECONDS)) throw new AssertionError("leave timed out");
                    left.incrementAndGet();
                });
                Harness.eq(3, left.get(), "members left");
                return "3 members entered and left";
            } finally {
                closeAll(cs);
            }
        });

        h.check("DistributedQueue", () -> {
            String path = root + "/queue";
            QueueSerializer<String> ser = new QueueSerializer<>() {
                public byte[] serialize(String item) { return b(item); }
                public String deserialize(byte[] bytes) { return s(bytes); }
            };
            BlockingQueue<String> got = new LinkedBlockingQueue<>();
            QueueConsumer<String> consumer = new QueueConsumer<>() {
                public void consumeMessage(String message) { got.add(message); }
                public void stateChanged(CuratorFramework c, ConnectionState s) { }
            };
            CuratorFramework c2 = client();
            DistributedQueue<String> producer = QueueBuilder.builder(cf, null, ser, path).buildQueue();
            DistributedQueue<String> cons = QueueBuilder.builder(c2, consumer, ser, path).buildQueue();
            try {
                producer.start();
                cons.start();
                int n = 20;
                for (int i = 0; i < n; i++) producer.put("m" + i);
                List<String> seen = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    String m = got.poll(15, TimeUnit.SECONDS);
                    Harness.require(m != null, "only " + seen.size() + " messages consumed");
                    seen.add(m);
                }
                for (int i = 0; i < n; i++) Harness.eq("m" + i, seen.get(i), "FIFO order at " + i);
                return n + " messages in order";
            } finally {
                producer.close();
                cons.close();
                c2.close();
            }
        });

        h.check("CuratorCache", () -> {
            String path = root + "/cache";
            cf.create().forPath(path, b("base"));
            cf.create().forPath(path + "/pre", b("p"));
            BlockingQueue<String> ev = new LinkedBlockingQueue<>();
            CountDownLatch init = new CountDownLatch(1);
            CuratorCache cache = CuratorCache.build(cf, path);
            cache.listenable().addListener(CuratorCacheListener.builder()
                    .forCreates(n -> ev.add("create " + n.getPath() + " " + s(n.getData())))
                    .forChanges((o, n) -> ev.add("change " + n.getPath() + " " + s(o.getData()) + "->" + s(n.getData())))
                    .forDeletes(o -> ev.add("delete " + o.getPath()))
                    .forInitialized(init::countDown)
                    .build());
            try {
                cache.start();
                Harness.await(init, 10_000, "cache initialised");
                Set<String> initial = new HashSet<>();
                String e;
                while ((e = ev.poll()) != null) initial.add(e);
                Harness.eq(Set.of("create " + path + " base", "create " + path + "/pre p"), initial, "initial events");
                cf.create().forPath(path + "/x", b("1"));
                Harness.eq("create " + path + "/x 1", ev.poll(10, TimeUnit.SECONDS), "create event");
                cf.setData().forPath(path + "/x", b("2"));
                Harness.eq("change " + path + "/x 1->2", ev.poll(10, TimeUnit.SECONDS), "change event");
                cf.create().forPath(path + "/x/y", b("3"));
                Harness.eq("create " + path + "/x/y 3", ev.poll(10, TimeUnit.SECONDS), "nested create event");
                cf.delete().deletingChildrenIfNeeded().forPath(path + "/x");
                Set<String> dels = new HashSet<>();
                for (int i = 0; i < 2; i++) dels.add(ev.poll(10, TimeUnit.SECONDS));
                Harness.eq(Set.of("delete " + path + "/x", "delete " + path + "/x/y"), dels, "delete events");
                Harness.eq(2, cache.size(), "cache size");
                return "create/change/delete ok";
            } finally {
                cache.close();
            }
        });

        h.check("PersistentNode", () -> {
            String path = root + "/persistent-node";
            CuratorFramework c2 = client();
            PersistentNode pn = new PersistentNode(c2, CreateMode.EPHEMERAL, false, path, b("pn"));
            try {
                pn.start();
                Harness.require(pn.waitForInitialCreate(10, TimeUnit.SECONDS), "initial create");
                Harness.eq("pn", s(cf.getData().forPath(path)), "node data");
                Stat st = cf.checkExists().forPath(path);
                cf.delete().forPath(path); // someone else deletes it: it must come back
                Harness.awaitCondition(() -> {
                    try {
                        Stat now = cf.checkExists().forPath(path);
                        return now != null && now.getCzxid() != st.getCzxid();
                    } catch (Exception ex) {
                        return false;
                    }
                }, 10_000, "PersistentNode to recreate the deleted node");
                pn.setData(b("pn2")); // written in the background
                Harness.awaitCondition(() -> {
                    try {
                        return "pn2".equals(s(cf.getData().forPath(path)));
                    } catch (Exception ex) {
                        return false;
                    }
                }, 10_000, "setData through PersistentNode");
                pn.close();
                Harness.require(cf.checkExists().forPath(path) == null, "node left after close");
                return "recreated after delete";
            } finally {
                try { pn.close(); } catch (Exception ignored) { }
                c2.close();
            }
        });

        h.check("GroupMember", () -> {
            String path = root + "/group";
            CuratorFramework c2 = client();
            GroupMember m1 = new GroupMember(cf, path, "m1", b("one"));
            GroupMember m2 = new GroupMember(c2, path, "m2", b("two"));
            try {
                m1.start();
                m2.start();
                Harness.awaitCondition(() -> m1.getCurrentMembers().keySet().equals(Set.of("m1", "m2")), 10_000,
                        "both members visible");
                Map<String, byte[]> mem = m1.getCurrentMembers();
                Harness.eq("two", s(mem.get("m2")), "member payload");
                m2.close();
                Harness.awaitCondition(() -> m1.getCurrentMembers().keySet().equals(Set.of("m1")), 10_000,
                        "m2 gone after close");
                return "ok";
            } finally {
                m1.close();
                m2.close();
                c2.close();
            }
        });

        h.check("transaction", () -> {
            String p = root + "/txn";
            cf.create().forPath(p);
            List<CuratorTransactionResult> res = cf.transaction().forOperations(
                    cf.transactionOp().create().forPath(p + "/t1", b("a")),
                    cf.transactionOp().create().withMode(CreateMode.PERSISTENT_SEQUENTIAL).forPath(p + "/s-", b("s")),
                    cf.transactionOp().setData().forPath(p + "/t1", b("b")),
                    cf.transactionOp().check().withVersion(1).forPath(p + "/t1"),
                    cf.transactionOp().delete().forPath(p + "/s-0000000001"));
            Harness.eq(5, res.size(), "result count");
            Harness.eq(OperationType.CREATE, res.get(0).getType(), "op 0 type");
            Harness.eq(p + "/t1", res.get(0).getResultPath(), "op 0 path");
            Harness.eq(p + "/s-0000000001", res.get(1).getResultPath(), "sequential path");
            Harness.eq(OperationType.SET_DATA, res.get(2).getType(), "op 2 type");
            Harness.eq(1, res.get(2).getResultStat().getVersion(), "setData version");
            Harness.eq(OperationType.CHECK, res.get(3).getType(), "op 3 type");
            Harness.eq(OperationType.DELETE, res.get(4).getType(), "op 4 type");
            Harness.eq("b", s(cf.getData().forPath(p + "/t1")), "data");
            try {
                cf.transaction().forOperations(
                        cf.transactionOp().create().forPath(p + "/t3"),
                        cf.transactionOp().check().withVersion(99).forPath(p + "/t1"));
                throw new AssertionError("transaction with bad check committed");
            } catch (KeeperException.BadVersionException expected) {
                // ok
            }
            Harness.require(cf.checkExists().forPath(p + "/t3") == null, "failed transaction partially applied");
            return "ok";
        });

        h.check("ServiceDiscovery", () -> {
            Class<?> k;
            try {
                k = Class.forName("CuratorDiscoveryCheck");
            } catch (ClassNotFoundException e) {
                throw new Harness.SkipException("curator-x-discovery not installed");
            }
            CuratorFramework c2 = client();
            try {
                return (String) k.getMethod("run", CuratorFramework.class, CuratorFramework.class, String.class)
                        .invoke(null, cf, c2, root + "/services");
            } catch (java.lang.reflect.InvocationTargetException e) {
                if (e.getCause() instanceof Exception) throw (Exception) e.getCause();
                throw e;
            } finally {
                c2.close();
            }
        });

        h.check("cleanup", () -> {
            cf.delete().deletingChildrenIfNeeded().forPath(root);
            Harness.require(cf.checkExists().forPath(root) == null, "root still exists");
            return "ok";
        });
        closeAll(new ArrayList<>(clients));
        h.finish();
    }
}
