import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooKeeper;

/**
 * Minimal test harness shared by the Java client suites.
 *
 * Every check runs on its own thread with a per-check timeout; a watchdog thread
 * halts the JVM if the whole suite exceeds its global budget. Output lines:
 *   PASS name details / FAIL name reason / SKIP name reason
 * followed by a SUMMARY line. exit code 0 only when nothing failed.
 */
public final class Harness {
    public static final class SkipException extends RuntimeException {
        public SkipException(String msg) { super(msg); }
    }

    public interface Check { String run() throws Exception; }

    private final String suite;
    private final long checkTimeoutMs;
    private final long started = System.nanoTime();
    private int passed, failed, skipped;
    private final ExecutorService exec = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "check");
        t.setDaemon(true);
        return t;
    });

    public Harness(String suite, long checkTimeoutMs, long globalTimeoutMs) {
        this.suite = suite;
        this.checkTimeoutMs = checkTimeoutMs;
        Thread wd = new Thread(() -> {
            try {
                Thread.sleep(globalTimeoutMs); // watchdog only, not synchronisation
            } catch (InterruptedException e) {
                return;
            }
            synchronized (System.out) {
                System.out.println("FAIL " + suite + ".global-timeout suite exceeded " + globalTimeoutMs + " ms");
                System.out.println("SUMMARY " + suite + " passed=" + passed + " failed=" + (failed + 1) + " skipped=" + skipped);
                System.out.flush();
            }
            Runtime.getRuntime().halt(3);
        }, "watchdog");
        wd.setDaemon(true);
        wd.start();
    }

    public synchronized void check(String name, Check c) {
        check(name, checkTimeoutMs, c);
    }

    public synchronized void check(String name, long timeoutMs, Check c) {
        long t0 = System.nanoTime();
        Future<String> f = exec.submit((Callable<String>) c::run);
        String line;
        try {
            String details = f.get(timeoutMs, TimeUnit.MILLISECONDS);
            passed++;
            line = "PASS " + name + " " + (details == null ? "" : details) + " (" + ms(t0) + " ms)";
        } catch (TimeoutException e) {
            f.cancel(true);
            failed++;
            line = "FAIL " + name + " timeout after " + timeoutMs + " ms";
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof SkipException) {
                skipped++;
                line = "SKIP " + name + " " + cause.getMessage();
            } else {
                failed++;
                line = "FAIL " + name + " " + describe(cause);
                cause.printStackTrace();
            }
        } catch (InterruptedException e) {
            failed++;
            line = "FAIL " + name + " interrupted";
        }
        synchronized (System.out) {
            System.out.println(line.replace('\n', ' '));
            System.out.flush();
        }
    }

    public void skip(String name, String reason) {
        synchronized (this) { skipped++; }
        synchronized (System.out) {
            System.out.println("SKIP " + name + " " + reason);
            System.out.flush();
        }
    }

    private static String describe(Throwable t) {
        String s = t.getClass().getSimpleName() + ": " + t.getMessage();
        return s;
    }

    private static long ms(long t0) { return (System.nanoTime() - t0) / 1_000_000; }

    /** Prints the summary, flushes and halts the JVM (client threads may be non-daemon). */
    public void finish() {
        int code;
        synchronized (System.out) {
            System.out.println("SUMMARY " + suite + " passed=" + passed + " failed=" + failed + " skipped=" + skipped
                    + " elapsed_ms=" + ms(started));
            System.out.flush();
            code = failed == 0 ? 0 : 1;
        }
        System.err.flush();
        Runtime.getRuntime().halt(code);
    }

    // ------------------------------------------------------------------ assertions

    public static void require(boolean cond, String msg) {
        if (!cond) throw new AssertionError(msg);
    }

    public static void eq(Object expected, Object actual, String what) {
        if (!Objects.equals(expected, actual))
            throw new AssertionError(what + ": expected <" + expected + "> but was <" + actual + ">");
    }

    public static void await(CountDownLatch l, long ms, String what) throws InterruptedException {
        if (!l.await(ms, TimeUnit.MILLISECONDS)) throw new AssertionError("timed out waiting for " + what);
    }

    /** Polls a condition (bounded); used only where no notification is available. */
    public static void awaitCondition(BooleanSupplier cond, long ms, String what) throws InterruptedException {
        long deadline = System.nanoTime() + ms * 1_000_000L;
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting for " + what);
            Thread.sleep(20);
        }
    }

    public static <T> T get(Future<T> f, long ms, String what) throws Exception {
        try {
            return f.get(ms, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError("timed out waiting for " + what);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception) throw (Exception) e.getCause();
            throw e;
        }
    }

    // ------------------------------------------------------------------ zookeeper helpers

    /** Watcher that records every event in a queue. */
    public static final class Events implements Watcher {
        public final BlockingQueue<WatchedEvent> q = new LinkedBlockingQueue<>();
        public final CountDownLatch connected = new CountDownLatch(1);

        @Override
        public void process(WatchedEvent e) {
            if (e.getType() == Event.EventType.None) {
                if (e.getState() == Event.KeeperState.SyncConnected) connected.countDown();
                return;
            }
            q.add(e);
        }

        public WatchedEvent next(long ms) throws InterruptedException {
            WatchedEvent e = q.poll(ms, TimeUnit.MILLISECONDS);
            if (e == null) throw new AssertionError("no watch event within " + ms + " ms");
            return e;
        }

        public WatchedEvent expect(Event.EventType type, String path, long ms) throws InterruptedException {
            WatchedEvent e = next(ms);
            if (e.getType() != type || !Objects.equals(path, e.getPath()))
                throw new AssertionError("expected " + type + " " + path + " but got " + e.getType() + " " + e.getPath());
            return e;
        }

        public void expectNone(String what) {
            WatchedEvent e = q.poll();
            if (e != null) throw new AssertionError("unexpected event (" + what + "): " + e.getType() + " " + e.getPath());
        }
    }

    public static ZooKeeper connect(String hostPort, int sessionTimeoutMs, Events w) throws Exception {
        ZooKeeper zk = new ZooKeeper(hostPort, sessionTimeoutMs, w);
        if (!w.connected.await(15, TimeUnit.SECONDS)) {
            zk.close();
            throw new AssertionError("could not connect to " + hostPort + " within 15 s");
        }
        return zk;
    }

    /**
     * Round trip through the client's event thread. ZooKeeper delivers watch events
     * before the responses that follow them, and the Java client dispatches events and
     * async callbacks on one thread in order, so when this returns every watch event
     * caused by earlier requests of this session has already been processed.
     */
    public static void eventBarrier(ZooKeeper zk) throws Exception {
        CountDownLatch l = new CountDownLatch(1);
        zk.sync("/", (rc, path, ctx) -> l.countDown(), null);
        await(l, 10_000, "sync barrier");
    }
}
