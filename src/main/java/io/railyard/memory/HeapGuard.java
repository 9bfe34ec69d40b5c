package io.railyard.memory;

import com.sun.management.GarbageCollectionNotificationInfo;
import com.sun.management.HotSpotDiagnosticMXBean;
import io.quarkus.runtime.StartupEvent;
import io.railyard.config.RailyardConfig;
import io.railyard.metrics.Meters;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;

/**
 * The gateway's defence of its own heap, in the manner of Envoy's overload manager: after every collection it reads
 * how much of the maximum heap is still in use, and above {@code railyard.overload.high-water} it is overloaded until
 * a collection shows less than {@code low-water}. While overloaded, new requests are shed (503, {@code -32002}),
 * the cache admits nothing and holds half its bound, and readiness is DOWN; liveness stays UP, since a restart would
 * only start the cache cold. While shedding, little is allocated and so little is collected: a collection is asked
 * for every {@code recheck-interval} to see whether memory came back.
 */
@ApplicationScoped
public class HeapGuard {

    private static final Logger LOG = Logger.getLogger(HeapGuard.class);

    @Inject
    RailyardConfig config;

    @Inject
    Meters meters;

    @Inject
    Vertx vertx;

    private volatile boolean ranOutOfMemory;

    private volatile boolean overloaded;
    private volatile double occupancy;
    private final List<Consumer<Boolean>> listeners = new CopyOnWriteArrayList<>();
    private final List<Runnable> detach = new CopyOnWriteArrayList<>();
    private ScheduledExecutorService recheck;

    void start(@Observes StartupEvent event) {
        meters.overloadGauge(this, g -> g.overloaded ? 1 : 0);
        watchForOutOfMemory();
        if (!config.overload().enabled()) {
            return;
        }
        NotificationListener afterCollection = (notification, handback) -> {
            if (GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(notification.getType())) {
                measure();
            }
        };
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            if (gc instanceof NotificationEmitter emitter) {
                emitter.addNotificationListener(afterCollection, null, null);
                detach.add(() -> {
                    try {
                        emitter.removeNotificationListener(afterCollection);
                    } catch (Exception e) {
                        // already gone
                    }
                });
            }
        }
        recheck = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "railyard-heap-recheck");
            t.setDaemon(true);
            return t;
        });
        long every = config.overload().recheckInterval().toMillis();
        recheck.scheduleWithFixedDelay(() -> {
            if (overloaded) {
                // Nothing else would collect while requests are shed; the notification then measures.
                System.gc();
            }
        }, every, every, TimeUnit.MILLISECONDS);
    }

    @PreDestroy
    void stop() {
        detach.forEach(Runnable::run);
        if (recheck != null) {
            recheck.shutdownNow();
        }
    }

    /**
     * An OutOfMemoryError must not be survived silently: a process that threw one may have lost any handler, timer
     * or connection mid-way and stay live while serving nothing. The image and chart exit on it
     * ({@code -XX:+ExitOnOutOfMemoryError}); without that flag, liveness goes DOWN instead, so the orchestrator
     * restarts the process, and startup says the flag is missing.
     */
    private void watchForOutOfMemory() {
        Handler<Throwable> vertxHandler = vertx.exceptionHandler();
        vertx.exceptionHandler(t -> {
            noticeOutOfMemory(t);
            if (vertxHandler != null) {
                vertxHandler.handle(t);
            }
        });
        Thread.UncaughtExceptionHandler threadHandler = Thread.getDefaultUncaughtExceptionHandler();
        detach.add(() -> Thread.setDefaultUncaughtExceptionHandler(threadHandler));
        Thread.setDefaultUncaughtExceptionHandler((thread, t) -> {
            noticeOutOfMemory(t);
            if (threadHandler != null) {
                threadHandler.uncaughtException(thread, t);
            }
        });
        HotSpotDiagnosticMXBean hotspot = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
        if (hotspot != null && !"true".equals(hotspot.getVMOption("ExitOnOutOfMemoryError").getValue())) {
            LOG.warn("the JVM runs without -XX:+ExitOnOutOfMemoryError: after an OutOfMemoryError liveness goes DOWN"
                    + " rather than the process exiting (the image and the chart set the flag; pass it when running the jar)");
        }
    }

    private void noticeOutOfMemory(Throwable t) {
        if (t instanceof OutOfMemoryError && !ranOutOfMemory) {
            ranOutOfMemory = true;
            LOG.error("OutOfMemoryError: this process can no longer be trusted to serve; liveness is DOWN", t);
        }
    }

    /** Whether an OutOfMemoryError reached a handler of this process; it is then no longer live. */
    public boolean ranOutOfMemory() {
        return ranOutOfMemory;
    }

    /** Whether new requests are shed now. */
    public boolean isOverloaded() {
        return overloaded;
    }

    /** Share of the maximum heap in use after the latest collection that was measured. */
    public double occupancy() {
        return occupancy;
    }

    /** Counts one request shed because of memory. */
    public void shed(String network) {
        meters.overloadShed(network);
    }

    /** Called with {@code true} on entering overload and {@code false} on leaving it, on the measuring thread. */
    public void onChange(Consumer<Boolean> listener) {
        listeners.add(listener);
    }

    /**
     * Takes one measurement: {@code usedAfterCollection} bytes of {@code maxHeap} in use after a collection. Called
     * after every collection; tests call it to drive the guard without filling a heap.
     */
    public synchronized void assess(long usedAfterCollection, long maxHeap) {
        double share = maxHeap <= 0 ? 0 : (double) usedAfterCollection / maxHeap;
        occupancy = share;
        boolean next = nextState(overloaded, share, config.overload().lowWater(), config.overload().highWater());
        if (next == overloaded) {
            return;
        }
        overloaded = next;
        if (next) {
            LOG.warnf("heap %.0f %% full after a collection (high-water %.0f %%): shedding new requests, the cache"
                    + " admits nothing and holds half its bound", share * 100, config.overload().highWater() * 100);
        } else {
            LOG.infof("heap %.0f %% full after a collection (low-water %.0f %%): serving again", share * 100,
                    config.overload().lowWater() * 100);
        }
        listeners.forEach(l -> l.accept(next));
    }

    /** The rule with its hysteresis: overloaded above high-water, and until below low-water. */
    static boolean nextState(boolean overloaded, double occupancy, double lowWater, double highWater) {
        return overloaded ? occupancy >= lowWater : occupancy > highWater;
    }

    private void measure() {
        long used = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            MemoryUsage afterCollection = pool.getType() == MemoryType.HEAP ? pool.getCollectionUsage() : null;
            if (afterCollection != null) {
                used += afterCollection.getUsed();
            }
        }
        assess(used, Runtime.getRuntime().maxMemory());
    }
}
