import java.util.Collection;
import java.util.Set;
import java.util.TreeSet;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.x.discovery.ServiceCache;
import org.apache.curator.x.discovery.ServiceDiscovery;
import org.apache.curator.x.discovery.ServiceDiscoveryBuilder;
import org.apache.curator.x.discovery.ServiceInstance;
import org.apache.curator.x.discovery.ServiceProvider;
import org.apache.curator.x.discovery.details.JsonInstanceSerializer;

/**
 * curator-x-discovery check, compiled only when the jar is installed (called reflectively
 * from CuratorSuite so that the suite still builds without it).
 */
public final class CuratorDiscoveryCheck {
    private CuratorDiscoveryCheck() { }

    public static String run(CuratorFramework a, CuratorFramework b, String base) throws Exception {
        ServiceDiscovery<String> da = ServiceDiscoveryBuilder.builder(String.class).client(a).basePath(base)
                .serializer(new JsonInstanceSerializer<>(String.class)).build();
        ServiceDiscovery<String> db = ServiceDiscoveryBuilder.builder(String.class).client(b).basePath(base)
                .serializer(new JsonInstanceSerializer<>(String.class)).build();
        ServiceCache<String> cache = null;
        ServiceProvider<String> provider = null;
        try {
            da.start();
            db.start();
            ServiceInstance<String> i1 = ServiceInstance.<String>builder().name("svc").id("i1").address("10.0.0.1")
                    .port(1111).payload("one").build();
            ServiceInstance<String> i2 = ServiceInstance.<String>builder().name("svc").id("i2").address("10.0.0.2")
                    .port(2222).payload("two").build();
            ServiceInstance<String> o = ServiceInstance.<String>builder().name("other").id("o1").address("10.0.0.3")
                    .port(3333).build();
            da.registerService(i1);
            db.registerService(i2);
            da.registerService(o);
            Harness.eq(Set.of("svc", "other"), new TreeSet<>(db.queryForNames()), "service names");
            Collection<ServiceInstance<String>> svc = db.queryForInstances("svc");
            Set<String> ids = new TreeSet<>();
            for (ServiceInstance<String> s : svc) ids.add(s.getId() + "@" + s.getAddress() + ":" + s.getPort() + "=" + s.getPayload());
            Harness.eq(Set.of("i1@10.0.0.1:1111=one", "i2@10.0.0.2:2222=two"), ids, "instances");
            Harness.eq("10.0.0.1", da.queryForInstance("svc", "i1").getAddress(), "queryForInstance");

            cache = da.serviceCacheBuilder().name("svc").build();
            cache.start();
            final ServiceCache<String> c = cache;
            Harness.eq(2, c.getInstances().size(), "service cache size");
            provider = da.serviceProviderBuilder().serviceName("svc").build();
            provider.start();
            Harness.require(provider.getInstance() != null, "provider returned no instance");

            db.unregisterService(i2);
            Harness.eq(1, da.queryForInstances("svc").size(), "instances after unregister");
            Harness.awaitCondition(() -> c.getInstances().size() == 1, 10_000, "service cache to drop i2");
            // ephemeral registration disappears when the owning client closes
            db.close();
            b.close();
            da.unregisterService(o);
            Harness.eq(0, da.queryForInstances("other").size(), "other unregistered");
            return "names+instances+cache+provider ok";
        } finally {
            if (provider != null) provider.close();
            if (cache != null) cache.close();
            da.close();
            try { db.close(); } catch (Exception ignored) { }
        }
    }
}
