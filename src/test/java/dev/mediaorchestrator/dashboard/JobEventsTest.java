package dev.mediaorchestrator.dashboard;

import dev.mediaorchestrator.orchestrator.Engine;
import dev.mediaorchestrator.orchestrator.Job;
import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.support.RunningApp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Isolated;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import java.lang.reflect.Method;
import java.net.InetSocketAddress;
import java.util.Collections;
import java.util.function.BooleanSupplier;

/**
 * Issue 21: {@code GET /jobs/events} — 50 idle clients and one that never reads: the heap stays
 * flat and the others still get every event; {@code Last-Event-ID} resumes; a heartbeat comes.
 * Events are published straight into the service's JobEvents (the same path a job change takes),
 * so that tens of megabytes of them go by in seconds.
 */
@IntegrationTest
@Isolated // it measures the heap of the JVM it shares with the service
class JobEventsTest {
    private static final String JOB_PREFIX = "job_eeeeeeeeeeeeeeeeeeee";

    private static Job job(int i, String error) {
        String suffix = Integer.toString(i % (1 << 30), 32);
        String id = JOB_PREFIX + "a".repeat(6 - suffix.length()) + suffix.replace('0', 'a').replace('1', 'b')
                .replace('8', 'c').replace('9', 'd');
        Job.Draft d = new Job(id, "m" + i, Engine.BURNER, Map.of(), 1000 + i, "n").draft();
        d.status = "running";
        d.phase = "running";
        d.progress = (i % 100) / 100.0;
        d.error = error;
        return d.build();
    }

    /** A client that reads its stream on its own thread and remembers the last event id (and every id, if asked). */
    private static final class Reader implements AutoCloseable {
        final Socket socket;
        final AtomicReference<String> lastId = new AtomicReference<>();
        final List<String> ids = Collections.synchronizedList(new ArrayList<>());
        final List<String> lines = Collections.synchronizedList(new ArrayList<>());
        final Thread thread;

        Reader(int port, String lastEventId, boolean keepLines) throws Exception {
            socket = new Socket("127.0.0.1", port);
            OutputStream out = socket.getOutputStream();
            out.write(("GET /jobs/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
                    + (lastEventId == null ? "" : "Last-Event-ID: " + lastEventId + "\r\n") + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            thread = new Thread(() -> {
                try {
                    for (String line; (line = in.readLine()) != null; ) {
                        if (line.startsWith("id: ")) {
                            lastId.set(line.substring(4));
                            if (keepLines) {
                                ids.add(line.substring(4));
                            }
                        }
                        if (keepLines) {
                            lines.add(line);
                        }
                    }
                } catch (Exception e) {
                    // closed
                }
            });
            thread.setDaemon(true);
            thread.start();
        }

        @Override
        public void close() throws Exception {
            socket.close();
        }
    }

    /**
     * The heap after a collection, plus Netty's direct memory: what a write queue holds is in
     * Netty's outbound buffer, which copies heap buffers to direct ones.
     */
    private static long memoryAfterGc() throws InterruptedException {
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(100);
            used = Math.min(used, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        }
        return used + nettyDirect();
    }

    private static long nettyDirect() {
        long pooled = io.netty.buffer.PooledByteBufAllocator.DEFAULT.metric().usedDirectMemory();
        long unpooled = Math.max(0, io.netty.util.internal.PlatformDependent.usedDirectMemory());
        return pooled + unpooled;
    }

    private static JobEvents events(RunningApp app) {
        return app.app.camelContext().getRegistry().lookupByNameAndType("jobEvents", JobEvents.class);
    }

    private static int port(RunningApp app) {
        return app.base.getPort();
    }

    private static Socket neverReads(int port) throws Exception {
        Socket stuck = new Socket();
        stuck.setReceiveBufferSize(4096); // a small window, and nothing is ever taken from it
        stuck.connect(new InetSocketAddress("127.0.0.1", port));
        stuck.getOutputStream().write("GET /jobs/events HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        return stuck;
    }

    @Test
    void aClientThatNeverReadsCannotGrowTheHeapAndTheOthersGetEveryEvent() throws Exception {
        try (RunningApp app = RunningApp.start(Map.of())) {
            JobEvents events = events(app);
            String error = "x".repeat(4000); // ~4 KB events
            List<Reader> idle = new ArrayList<>();
            Socket stuck = null;
            try {
                // 1. fifty idle browsers and one that never reads: the fifty get every event of a busy
                //    minute's burst (1,000 events of 1 KB in about 2 s)
                for (int i = 0; i < 50; i++) {
                    idle.add(new Reader(port(app), null, false));
                }
                stuck = neverReads(port(app));
                waitFor(() -> events.clients() == 51);
                for (int i = 0; i < 1000; i++) {
                    events.publish(job(i, error.substring(0, 800) + i));
                    if (i % 10 == 9) {
                        Thread.sleep(20);
                    }
                }
                String lastId = lastEventId(events);
                long deadline = System.currentTimeMillis() + 60_000;
                while (System.currentTimeMillis() < deadline && idle.stream().anyMatch(r -> !lastId.equals(r.lastId.get()))) {
                    Thread.sleep(50);
                }
                for (Reader r : idle) {
                    assertEquals(lastId, r.lastId.get(), "an idle client got the last event (dropped " + events.dropped()
                            + ", open " + events.clients() + ", readers ended " + idle.stream().filter(x -> !x.thread.isAlive()).count() + ")");
                }
                assertEquals(0, idle.stream().filter(r -> !r.thread.isAlive()).count(), "the idle clients are still connected");
            } finally {
                for (Reader r : idle) {
                    r.close();
                }
                if (stuck != null) {
                    stuck.close();
                }
            }

            // 2. the heap: 120 MB of events published as fast as they come at one that never reads
            waitFor(() -> events.clients() == 0);
            stuck = neverReads(port(app));
            try {
                waitFor(() -> events.clients() == 1);
                long before = memoryAfterGc();
                int n = 30_000;
                for (int i = 0; i < n; i++) {
                    events.publish(job(100_000 + i, error + i));
                }
                long after = memoryAfterGc();
                long grown = after - before;
                assertTrue(grown < 32L * 1024 * 1024, "heap and direct memory grew " + (grown >> 20) + " MiB (direct now "
                        + (nettyDirect() >> 20) + " MiB) while " + ((long) n * 4000 >> 20)
                        + " MiB of events went to a client that never reads");
                assertEquals(1, events.dropped(), "the client that never reads was disconnected");
            } finally {
                stuck.close();
            }
        }
    }

    private static String lastEventId(JobEvents events) throws Exception {
        Method m = JobEvents.class.getDeclaredMethod("lastEventId");
        m.setAccessible(true);
        return (String) m.invoke(events);
    }

    @Test
    void lastEventIdResumesAndAHeartbeatComes() throws Exception {
        try (RunningApp app = RunningApp.start(Map.of("DASHBOARD_EVENTS_HEARTBEAT_SECONDS", "1"))) {
            JobEvents events = events(app);
            events.publish(job(1, null));
            String first;
            try (Reader r = new Reader(port(app), null, true)) {
                waitFor(() -> events.clients() == 1);
                events.publish(job(2, null));
                waitFor(() -> r.lastId.get() != null);
                first = r.lastId.get();
                waitFor(() -> r.lines.contains(": heartbeat"));
            }
            waitFor(() -> events.clients() == 0);
            events.publish(job(3, null));
            events.publish(job(4, null));
            Map<String, Boolean> seen = new ConcurrentHashMap<>();
            try (Reader r = new Reader(port(app), first, true)) {
                waitFor(() -> r.ids.size() >= 2);
                Thread.sleep(300);
                assertEquals(2, r.ids.size(), "exactly the two it missed: " + r.ids);
                r.lines.stream().filter(l -> l.startsWith("data: ")).forEach(l -> seen.put(l.contains("\"mediaId\":\"m3\"") ? "m3" : l.contains("\"mediaId\":\"m4\"") ? "m4" : "other", true));
                assertEquals(Map.of("m3", true, "m4", true), seen);
            }
            try (Reader r = new Reader(port(app), "someoneelse-12", true)) {
                waitFor(() -> r.lines.contains("event: reset"));
            }
        }
    }

    private static void waitFor(BooleanSupplier c) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 10_000;
        while (!c.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("timed out");
            }
            Thread.sleep(20);
        }
    }
}
