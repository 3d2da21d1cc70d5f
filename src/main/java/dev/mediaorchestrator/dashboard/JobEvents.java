package dev.mediaorchestrator.dashboard;

import dev.mediaorchestrator.common.Json;
import dev.mediaorchestrator.orchestrator.Job;
import dev.mediaorchestrator.orchestrator.JobListing;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code GET /jobs/events}: Server-Sent Events of the jobs this process learns of (new jobs, each
 * change of status, phase or progress; another replica's changes as this one reads them).
 * <ul>
 * <li>Each event: {@code id: <epoch>-<seq>}, {@code event: job}, {@code data: <summary JSON>}.
 * The last {@value #HISTORY} events are kept: a client that reconnects with
 * {@code Last-Event-ID} gets what it missed; one whose id is older, or from another process, gets
 * {@code event: reset} (reload the listing).</li>
 * <li>A comment line every {@code DASHBOARD_EVENTS_HEARTBEAT_SECONDS} keeps proxies from closing it.</li>
 * <li>Bounded per client: a client with more than {@value #CLIENT_BUFFER_BYTES} bytes unsent that has
 * taken nothing for {@value #STALL_MS} ms (it does not read), or with more than
 * {@value #CLIENT_BUFFER_MAX_BYTES} unsent, is disconnected; it may reconnect and resume. A slow
 * browser cannot grow the heap.</li>
 * </ul>
 * On the Vert.x router itself, not a Camel route: platform-http ends the response when its route
 * ends, so a stream that stays open would hold a worker thread for each client.
 */
public final class JobEvents implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(JobEvents.class);
    public static final String PATH = "/jobs/events";
    static final int HISTORY = 1000;
    /** Unsent bytes beyond which a client that has taken nothing for {@value #STALL_MS} ms is disconnected. */
    static final int CLIENT_BUFFER_BYTES = 512 * 1024;
    static final long STALL_MS = 30_000;
    /** Unsent bytes beyond which any client is disconnected (a burst faster than the event loop can write). */
    static final int CLIENT_BUFFER_MAX_BYTES = 8 * 1024 * 1024;

    private final DashboardAccess access;
    private final String epoch = Long.toString(System.currentTimeMillis(), 36);
    private final ArrayDeque<Event> history = new ArrayDeque<>();

    /** One event as sent: its sequence number and its frame. */
    private record Event(long seq, String frame) {
    }
    private long seq;
    private final Set<Client> clients = ConcurrentHashMap.newKeySet();

    /**
     * One open stream. Its unsent bytes are counted by the completion of each write (the bytes are
     * on the wire): {@code writeQueueFull()} cannot be used from the threads that publish, because
     * Vert.x counts its queue on the event loop, after the writes queued behind it.
     */
    private static final class Client {
        final HttpServerResponse response;
        final AtomicLong unsent = new AtomicLong();
        /** When a write to it last completed (or it connected). */
        volatile long progressAt = System.currentTimeMillis();

        Client(HttpServerResponse response) {
            this.response = response;
        }
    }
    /** What was last told per job, so a version read twice, or a write the dashboard does not show, is no event (bounded). */
    private final Map<String, Long> told = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
            return size() > 20_000;
        }
    };
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong sent = new AtomicLong();
    private Vertx vertx;
    private long timer = -1;

    public JobEvents(DashboardAccess access) {
        this.access = access;
    }

    /** Registers the stream on the platform-http router (before the Camel routes: {@code /jobs/{jobId}} would take it) and starts the heartbeat. */
    public void install(io.vertx.ext.web.Router router, Vertx vertx, long heartbeatMs) {
        this.vertx = vertx;
        router.get(PATH).order(-100).handler(this::handle);
        timer = vertx.setPeriodic(heartbeatMs, id -> broadcast(": heartbeat\n\n"));
    }

    /** A job changed (a step of {@code direct:job-changed}): an event when what the dashboard shows of it changed. */
    public void publish(Job job) {
        Map<String, Object> data = JobListing.Summary.of(job).toMap();
        Map<String, Object> shown = new LinkedHashMap<>(data);
        shown.remove("ts"); // every write moves it
        long key = fnv64(Json.write(shown));
        synchronized (told) {
            Long last = told.put(job.jobId, key);
            if (last != null && last == key) {
                return;
            }
        }
        String frame;
        synchronized (history) {
            seq++;
            frame = "id: " + epoch + "-" + seq + "\nevent: job\ndata: " + Json.write(data) + "\n\n";
            history.addLast(new Event(seq, frame));
            while (history.size() > HISTORY) {
                history.removeFirst();
            }
        }
        broadcast(frame);
    }

    private void broadcast(String frame) {
        for (Client c : clients) {
            send(c, frame);
        }
    }

    private void send(Client c, String frame) {
        HttpServerResponse r = c.response;
        if (r.closed() || r.ended()) {
            clients.remove(c);
            return;
        }
        int bytes = frame.length(); // ASCII but for the JSON's text: a bound, not an exact count
        long unsent = c.unsent.addAndGet(bytes);
        if (unsent > CLIENT_BUFFER_MAX_BYTES
                || (unsent > CLIENT_BUFFER_BYTES && System.currentTimeMillis() - c.progressAt > STALL_MS)) {
            clients.remove(c);
            dropped.incrementAndGet();
            LOG.debug("an event stream client does not read: disconnected (it may reconnect with Last-Event-ID)");
            r.reset();
            return;
        }
        r.write(frame).onComplete(done -> {
            c.unsent.addAndGet(-bytes);
            c.progressAt = System.currentTimeMillis();
        });
        sent.incrementAndGet();
    }

    void handle(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        HttpServerResponse response = ctx.response();
        if (!access.allowed(request.getHeader("Authorization"), request.getHeader("Cookie"))) {
            response.setStatusCode(401).putHeader("Content-Type", "application/json")
                    .end(Json.write(Map.of("error", access.denied().getError())));
            return;
        }
        response.setStatusCode(200).setChunked(true)
                .putHeader("Content-Type", "text/event-stream; charset=utf-8")
                .putHeader("Cache-Control", "no-store")
                .putHeader("X-Accel-Buffering", "no");
        Client client = new Client(response);
        StringBuilder start = new StringBuilder("retry: 2000\n\n");
        String last = request.getHeader("Last-Event-ID");
        if (last == null) {
            last = request.getParam("lastEventId");
        }
        synchronized (history) {
            if (last != null && !last.isEmpty()) {
                List<String> missed = missedSince(last);
                if (missed == null) {
                    start.append("event: reset\ndata: {}\n\n");
                } else {
                    missed.forEach(start::append);
                }
            }
            send(client, start.toString());
            clients.add(client);
        }
        response.closeHandler(v -> clients.remove(client));
        response.exceptionHandler(e -> clients.remove(client));
    }

    /** The frames after {@code lastId}, or null when that id is not one this process can resume from. */
    private List<String> missedSince(String lastId) {
        int dash = lastId.lastIndexOf('-');
        if (dash < 0 || !lastId.substring(0, dash).equals(epoch)) {
            return null;
        }
        long after;
        try {
            after = Long.parseLong(lastId.substring(dash + 1));
        } catch (NumberFormatException e) {
            return null;
        }
        if (after > seq || (!history.isEmpty() && after < history.peekFirst().seq() - 1)) {
            return null;
        }
        List<String> out = new ArrayList<>();
        for (Event e : history) {
            if (e.seq() > after) {
                out.add(e.frame());
            }
        }
        return out;
    }

    /** A 64-bit FNV-1a hash: what was told is remembered in 8 bytes, not as its text. */
    static long fnv64(String s) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0; i < s.length(); i++) {
            h ^= s.charAt(i);
            h *= 0x100000001b3L;
        }
        return h;
    }

    /** The id of the last event, or null before the first. */
    String lastEventId() {
        synchronized (history) {
            return history.isEmpty() ? null : epoch + "-" + history.peekLast().seq();
        }
    }

    /** Open streams now. */
    public int clients() {
        return clients.size();
    }

    /** Streams closed because their client did not read. */
    public long dropped() {
        return dropped.get();
    }

    @Override
    public void close() {
        if (vertx != null && timer >= 0) {
            vertx.cancelTimer(timer);
        }
        clients.forEach(c -> {
            try {
                c.response.end();
            } catch (RuntimeException e) {
                // closing anyway
            }
        });
        clients.clear();
    }
}
