import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;

/**
 * The load generator's workloads driven by Apache ZooKeeper's own Java client (3.8), so that benchmark figures do not
 * depend on Coord's load generator alone. Each session keeps OUTSTANDING async requests in flight on its own node
 * (/javaload/n<i>) for SECONDS, then prints one line in Coord.LoadGen's format:
 *
 *   ops=N errors=E ops/s=X p50=Ams p99=Bms p99.9=Cms [server_cpu_s=S server_cpu_us_per_op=U]
 *
 * usage: java -cp CP JavaLoad HOST:PORT WORKLOAD(get|set|mix90|mix50) SESSIONS OUTSTANDING VALUE_BYTES SECONDS [SERVER_PID]
 */
public final class JavaLoad {
    /** Latencies kept per session: enough for SECONDS of saturated load on these machines. */
    private static final int MAX_SAMPLES_PER_SESSION = 4_000_000;
    private static final int CONNECT_TIMEOUT_SECONDS = 15;
    private static final int SESSION_TIMEOUT_MS = 30_000;

    public static void main(String[] args) throws Exception {
        if (args.length < 6) {
            System.err.println("usage: JavaLoad HOST:PORT get|set|mix90|mix50 SESSIONS OUTSTANDING VALUE_BYTES SECONDS [SERVER_PID]");
            System.exit(2);
        }
        String server = args[0], workload = args[1];
        int sessions = Integer.parseInt(args[2]), outstanding = Integer.parseInt(args[3]);
        int valueBytes = Integer.parseInt(args[4]);
        double seconds = Double.parseDouble(args[5]);
        long serverPid = args.length > 6 ? Long.parseLong(args[6]) : 0;
        int writePercent = switch (workload) {
            case "get" -> 0;
            case "set" -> 100;
            case "mix90" -> 10;
            case "mix50" -> 50;
            default -> throw new IllegalArgumentException("unknown workload " + workload);
        };
        byte[] value = new byte[valueBytes];
        Arrays.fill(value, (byte) 'v');

        List<ZooKeeper> clients = new ArrayList<>();
        for (int i = 0; i < sessions; i++) clients.add(connect(server));
        try {
            try { clients.get(0).create("/javaload", new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT); }
            catch (KeeperException.NodeExistsException e) { /* left from an earlier run */ }
            for (int i = 0; i < sessions; i++) {
                try { clients.get(0).create("/javaload/n" + i, value, ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT); }
                catch (KeeperException.NodeExistsException e) { clients.get(0).setData("/javaload/n" + i, value, -1); }
            }

            long[][] latencies = new long[sessions][];
            int[] counts = new int[sessions];
            AtomicLong errors = new AtomicLong();
            double cpu0 = serverCpuSeconds(serverPid);
            long start = System.nanoTime();
            long deadline = start + (long) (seconds * 1e9);
            Thread[] drivers = new Thread[sessions];
            for (int i = 0; i < sessions; i++) {
                final int s = i;
                latencies[s] = new long[MAX_SAMPLES_PER_SESSION];
                drivers[s] = new Thread(() -> drive(clients.get(s), "/javaload/n" + s, value, writePercent, outstanding,
                        deadline, latencies[s], counts, s, errors));
                drivers[s].start();
            }
            for (Thread t : drivers) t.join();
            double elapsed = (System.nanoTime() - start) / 1e9;
            double cpu = serverCpuSeconds(serverPid) - cpu0;

            int total = 0;
            for (int c : counts) total += c;
            long[] all = new long[total];
            int at = 0;
            for (int s = 0; s < sessions; s++) { System.arraycopy(latencies[s], 0, all, at, counts[s]); at += counts[s]; }
            Arrays.sort(all);
            System.out.printf("workload=%s client=java sessions=%d outstanding=%d value=%dB seconds=%.1f%n", workload, sessions, outstanding, valueBytes, elapsed);
            System.out.printf("ops=%d errors=%d ops/s=%.0f p50=%.3fms p99=%.3fms p99.9=%.3fms%s%n", total, errors.get(), total / elapsed,
                    pct(all, 0.50), pct(all, 0.99), pct(all, 0.999),
                    serverPid > 0 ? String.format(" server_cpu_s=%.2f server_cpu_us_per_op=%.1f", cpu, cpu * 1e6 / Math.max(1, total)) : "");
            for (int i = 0; i < sessions; i++) clients.get(0).delete("/javaload/n" + i, -1);
        } finally {
            for (ZooKeeper zk : clients) zk.close();
        }
    }

    /** One session: OUTSTANDING requests in flight, each completion records its latency and releases a slot. */
    private static void drive(ZooKeeper zk, String path, byte[] value, int writePercent, int outstanding, long deadline,
                              long[] latencies, int[] counts, int s, AtomicLong errors) {
        Semaphore slots = new Semaphore(outstanding);
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        try {
            while (System.nanoTime() < deadline) {
                if (!slots.tryAcquire(100, TimeUnit.MILLISECONDS)) continue;
                long sent = System.nanoTime();
                if (rnd.nextInt(100) < writePercent) {
                    zk.setData(path, value, -1, (rc, p, ctx, stat) -> done(rc, sent, latencies, counts, s, errors, slots), null);
                } else {
                    zk.getData(path, false, (rc, p, ctx, data, stat) -> done(rc, sent, latencies, counts, s, errors, slots), null);
                }
            }
            // Wait for the in-flight requests, so every completion is counted and none lands after the totals.
            if (!slots.tryAcquire(outstanding, 30, TimeUnit.SECONDS)) errors.incrementAndGet();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Completion callbacks of one session run on its one event thread, so counts[s] needs no lock. */
    private static void done(int rc, long sent, long[] latencies, int[] counts, int s, AtomicLong errors, Semaphore slots) {
        if (rc != 0) errors.incrementAndGet();
        else if (counts[s] < latencies.length) latencies[counts[s]++] = (System.nanoTime() - sent) / 1000;
        slots.release();
    }

    private static double pct(long[] sorted, double q) {
        return sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, (int) (q * sorted.length))] / 1000.0;
    }

    private static ZooKeeper connect(String server) throws Exception {
        CountDownLatch connected = new CountDownLatch(1);
        ZooKeeper zk = new ZooKeeper(server, SESSION_TIMEOUT_MS, e -> {
            if (e.getState() == Watcher.Event.KeeperState.SyncConnected) connected.countDown();
        });
        if (!connected.await(CONNECT_TIMEOUT_SECONDS, TimeUnit.SECONDS)) throw new IllegalStateException("could not connect to " + server);
        return zk;
    }

    /** utime + stime of the server process from /proc/PID/stat, in seconds (clock ticks of 1/100 s). */
    private static double serverCpuSeconds(long pid) throws Exception {
        if (pid <= 0) return 0;
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"), StandardCharsets.US_ASCII);
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
    }
}
