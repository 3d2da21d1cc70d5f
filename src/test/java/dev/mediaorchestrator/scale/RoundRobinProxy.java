package dev.mediaorchestrator.scale;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.mediaorchestrator.common.Json;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Predicate;

/**
 * What a Kubernetes Service is to its pods, for the scale-out run on one machine: one address in
 * front of several processes, each request to the next one in turn. A backend that refuses the
 * connection (killed, not started yet) is skipped for the next one, as an endpoint that is not
 * ready is; a request that a backend took and then lost (killed mid-answer) is a 502, as it is
 * through a Service. Request bodies are small JSON (jobs, dispatches, callbacks; media goes to the
 * bucket with presigned URLs, not through here) and are read whole so that a refused connection
 * can be retried; answers are streamed.
 *
 * <p>It also notes, for {@code POST /render} answered 2xx, which backend took which job and when:
 * the run's proof that the jobs of a killed runner completed on another; and every request with
 * the backend it went to ({@link #seen}).
 *
 * <p>{@link #perConnection(boolean) Per connection}, it balances as kube-proxy does: each new TCP
 * connection goes to the next backend, and every request on that connection to the same one (an HTTP
 * client that keeps its connection alive talks to one pod for as long as it keeps it).
 */
final class RoundRobinProxy implements AutoCloseable {
    private static final Set<String> HOP_BY_HOP = Set.of("connection", "content-length", "host", "transfer-encoding", "upgrade",
            "expect", "keep-alive", "te", "trailer", "proxy-connection");

    /** A dispatch a runner accepted: the job, the backend's index, when (ms since epoch). */
    record Taken(String jobId, int backend, long at) {
    }

    /** A request and the backend it went to (-1: none answered). */
    record Seen(int backend, String method, String path) {
    }

    private final String name;
    private final List<URI> backends;
    private final HttpServer server;
    private final ExecutorService pool = Executors.newCachedThreadPool();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2))
            .version(HttpClient.Version.HTTP_1_1).build();
    private final AtomicInteger next = new AtomicInteger();
    final AtomicLongArray requests;
    final AtomicLongArray refused;
    final AtomicLongArray busy;
    final AtomicInteger lost = new AtomicInteger();
    final List<Taken> taken = new CopyOnWriteArrayList<>();
    final List<Seen> seen = new CopyOnWriteArrayList<>();
    private volatile boolean perConnection;
    /** Per connection (the client's address and port): its backend. */
    private final Map<String, Integer> pinned = new ConcurrentHashMap<>();
    /** Requests whose body matches wait here before they reach a backend ({@link #hold}). */
    private volatile Predicate<String> holding; // null: nothing held
    private final AtomicInteger held = new AtomicInteger();

    RoundRobinProxy(String name, List<URI> backends) throws IOException {
        this(name, new InetSocketAddress("127.0.0.1", 0), backends);
    }

    /** A proxy listening on {@code bind} (a Service's own address and port). */
    RoundRobinProxy(String name, InetSocketAddress bind, List<URI> backends) throws IOException {
        this.name = name;
        this.backends = List.copyOf(backends);
        requests = new AtomicLongArray(backends.size());
        refused = new AtomicLongArray(backends.size());
        busy = new AtomicLongArray(backends.size());
        server = HttpServer.create(bind, 128);
        server.setExecutor(pool);
        server.createContext("/", this::handle);
        server.start();
    }

    URI base() {
        return URI.create("http://" + server.getAddress().getAddress().getHostAddress() + ":" + server.getAddress().getPort());
    }

    /** Balances connections (true) or requests (false, the default); from the next request on. */
    void perConnection(boolean on) {
        pinned.clear();
        perConnection = on;
    }

    /** The backend the next request goes to first. */
    private int pick(HttpExchange ex) {
        if (!perConnection) {
            return Math.floorMod(next.getAndIncrement(), backends.size());
        }
        return pinned.computeIfAbsent(ex.getRemoteAddress().toString(), k -> Math.floorMod(next.getAndIncrement(), backends.size()));
    }

    String name() {
        return name;
    }

    /** From the next request on, one whose body matches {@code which} waits until {@link #release()}: a slow network on that path. */
    void hold(Predicate<String> which) {
        held.set(0);
        holding = which;
    }

    /** Lets the held requests through, and the next ones pass. */
    synchronized void release() {
        holding = null;
        notifyAll();
    }

    /** How many requests {@link #hold} has stopped since it was set. */
    int held() {
        return held.get();
    }

    private synchronized void waitIfHeld(byte[] body) throws InterruptedException {
        if (holding == null) {
            return;
        }
        String text = new String(body, StandardCharsets.UTF_8);
        if (holding.test(text)) {
            held.incrementAndGet();
            while (holding != null && holding.test(text)) {
                wait();
            }
        }
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            byte[] body = ex.getRequestBody().readAllBytes();
            try {
                waitIfHeld(body);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                answer(ex, 503, "{\"error\":\"interrupted\"}");
                return;
            }
            String method = ex.getRequestMethod();
            String pathAndQuery = ex.getRequestURI().getRawPath() + (ex.getRequestURI().getRawQuery() == null ? "" : "?" + ex.getRequestURI().getRawQuery());
            int start = pick(ex);
            for (int i = 0; i < backends.size(); i++) {
                int b = (start + i) % backends.size();
                HttpRequest.Builder rb = HttpRequest.newBuilder(URI.create(backends.get(b) + pathAndQuery)).timeout(Duration.ofSeconds(60))
                        .method(method, body.length == 0 ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
                ex.getRequestHeaders().forEach((k, values) -> {
                    if (!HOP_BY_HOP.contains(k.toLowerCase(Locale.ROOT))) {
                        values.forEach(v -> rb.header(k, v));
                    }
                });
                HttpResponse<InputStream> r;
                try {
                    requests.incrementAndGet(b);
                    r = http.send(rb.build(), HttpResponse.BodyHandlers.ofInputStream());
                } catch (ConnectException e) {
                    refused.incrementAndGet(b); // not listening: the next backend, as a Service skips an endpoint that is gone
                    continue;
                } catch (IOException e) {
                    lost.incrementAndGet();
                    answer(ex, 502, "{\"error\":\"" + name + " backend " + b + " lost the request: " + e.getClass().getSimpleName() + "\"}");
                    return;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    answer(ex, 503, "{\"error\":\"interrupted\"}");
                    return;
                }
                seen.add(new Seen(b, method, ex.getRequestURI().getPath()));
                if (r.statusCode() == 429) {
                    busy.incrementAndGet(b);
                }
                if (method.equals("POST") && ex.getRequestURI().getPath().endsWith("/render") && r.statusCode() / 100 == 2) {
                    Object jobId = Json.parseObject(body).get("jobId");
                    if (jobId instanceof String id) {
                        taken.add(new Taken(id, b, System.currentTimeMillis()));
                    }
                }
                relay(ex, r);
                return;
            }
            seen.add(new Seen(-1, method, ex.getRequestURI().getPath()));
            answer(ex, 503, "{\"error\":\"" + name + ": no backend answers\"}");
        }
    }

    private static void relay(HttpExchange ex, HttpResponse<InputStream> r) throws IOException {
        r.headers().map().forEach((k, values) -> {
            if (!HOP_BY_HOP.contains(k.toLowerCase(Locale.ROOT)) && !k.startsWith(":")) {
                values.forEach(v -> ex.getResponseHeaders().add(k, v));
            }
        });
        long length = r.headers().firstValueAsLong("content-length").orElse(-1);
        try (InputStream in = r.body()) {
            if (length == 0 || ex.getRequestMethod().equals("HEAD") || r.statusCode() == 204 || r.statusCode() == 304) {
                ex.sendResponseHeaders(r.statusCode(), -1);
                return;
            }
            ex.sendResponseHeaders(r.statusCode(), length < 0 ? 0 : length);
            OutputStream out = ex.getResponseBody();
            in.transferTo(out);
        }
    }

    private static void answer(HttpExchange ex, int status, String json) throws IOException {
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("content-type", "application/json");
        ex.sendResponseHeaders(status, b.length);
        ex.getResponseBody().write(b);
    }

    /** One line: requests per backend, refused connections, 429s, lost requests. */
    String summary() {
        StringBuilder s = new StringBuilder(name).append(": ");
        for (int i = 0; i < backends.size(); i++) {
            s.append(i == 0 ? "" : ", ").append("#").append(i + 1).append(" ").append(requests.get(i)).append(" requests");
            if (refused.get(i) > 0) {
                s.append(" (").append(refused.get(i)).append(" refused)");
            }
            if (busy.get(i) > 0) {
                s.append(" (").append(busy.get(i)).append(" busy 429)");
            }
        }
        if (lost.get() > 0) {
            s.append("; ").append(lost.get()).append(" lost mid-request (502)");
        }
        return s.toString();
    }

    @Override
    public void close() {
        server.stop(0);
        pool.shutdownNow();
    }
}
