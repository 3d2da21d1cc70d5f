package dev.mediaorchestrator.support;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A real local HTTP server for tests (standing in for the Next app or a runner): handlers per path
 * prefix, and a record of every request (method, path, headers, body).
 *
 * <p>Every request it receives on an operation of {@code openapi.yaml} (a runner's {@code /render},
 * {@code /status}, {@code /cancel}, {@code /healthz}; the app's {@code /api/media} and terminal
 * callback; {@code /callbacks/container}) is checked against the document: what the service sends
 * must be what the document says. A problem fails the test when the server is closed
 * ({@link #close} throws), with the request and the rule it broke.
 */
public final class StubHttpServer implements AutoCloseable {
    private final HttpServer server;
    private final Map<String, HttpHandler> handlers = new ConcurrentHashMap<>();
    public final List<Recorded> requests = new CopyOnWriteArrayList<>();
    private final List<String> contractProblems = new CopyOnWriteArrayList<>();

    public StubHttpServer() {
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        // the document is read once per JVM, seconds on a busy machine: here, not in the first request's
        // answer, where a caller's short timeout (a readiness probe's 3 s) would see a server that hangs
        OpenApiCheck.served();
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/", this::handle);
        server.start();
    }

    public URI base() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** Handles requests whose path starts with {@code prefix}; the longest matching prefix wins. */
    public StubHttpServer on(String prefix, HttpHandler handler) {
        handlers.put(prefix, handler);
        return this;
    }

    /** Records every request under {@code prefix} and answers it with {@code status} and a JSON {@code body}. */
    public StubHttpServer answer(String prefix, int status, String body) {
        return on(prefix, ex -> {
            record(ex);
            respond(ex, status, "application/json", body.getBytes(StandardCharsets.UTF_8));
        });
    }

    /** Requests whose path starts with {@code prefix}. */
    public List<Recorded> requests(String prefix) {
        return requests.stream().filter(r -> r.path().startsWith(prefix)).toList();
    }

    private void handle(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        String best = null;
        for (String p : handlers.keySet()) {
            if (path.startsWith(p) && (best == null || p.length() > best.length())) {
                best = p;
            }
        }
        try {
            checkRequest(ex);
            if (best == null) {
                byte[] body = ex.getRequestBody().readAllBytes();
                requests.add(new Recorded(ex.getRequestMethod(), path, ex.getRequestURI().getRawQuery(), Map.copyOf(flat(ex)), body));
                ex.sendResponseHeaders(404, -1);
            } else {
                handlers.get(best).handle(ex);
            }
        } finally {
            ex.close();
        }
    }

    /**
     * Checks the request against {@code openapi.yaml} (its JSON body read here and given back to the
     * handler); a problem is kept for {@link #close}.
     */
    private void checkRequest(HttpExchange ex) throws IOException {
        String type = ex.getRequestHeaders().getFirst("content-type");
        byte[] body = null;
        if (type != null && type.toLowerCase(Locale.ROOT).contains("json")) {
            body = ex.getRequestBody().readAllBytes();
            ex.setStreams(new ByteArrayInputStream(body), null);
        } else if (ex.getRequestHeaders().getFirst("content-length") == null && ex.getRequestHeaders().getFirst("transfer-encoding") == null) {
            body = new byte[0];
        }
        WireExchange x = new WireExchange(ex.getRequestMethod(), WireExchange.target(ex.getRequestURI()), ex.getRequestHeaders(), body,
                0, Map.of(), null);
        List<String> problems = OpenApiCheck.served().requestProblems(x);
        if (!problems.isEmpty()) {
            contractProblems.add(ex.getRequestMethod() + " " + x.target() + " (sent to a stand-in):\n    " + String.join("\n    ", problems));
        }
    }

    /** What the requests received so far broke of {@code openapi.yaml} (empty: nothing). */
    public List<String> contractProblems() {
        return List.copyOf(contractProblems);
    }

    static Map<String, String> flat(HttpExchange ex) {
        Map<String, String> m = new ConcurrentHashMap<>();
        ex.getRequestHeaders().forEach((k, v) -> m.put(k.toLowerCase(Locale.ROOT), String.join(",", v)));
        return m;
    }

    /** Reads and records the body of a request; handlers call it to see the body. */
    public Recorded record(HttpExchange ex) throws IOException {
        byte[] body = ex.getRequestBody().readAllBytes();
        Recorded r = new Recorded(ex.getRequestMethod(), ex.getRequestURI().getPath(), ex.getRequestURI().getRawQuery(), Map.copyOf(flat(ex)), body);
        requests.add(r);
        return r;
    }

    public static void respond(HttpExchange ex, int status, String contentType, byte[] body) throws IOException {
        if (contentType != null) {
            ex.getResponseHeaders().set("content-type", contentType);
        }
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            ex.getResponseBody().write(body);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        ((ExecutorService) server.getExecutor()).shutdownNow();
        if (!contractProblems.isEmpty()) {
            throw new AssertionError("openapi.yaml: requests the service sent are not what the document says (fix "
                    + "src/main/resources/openapi.yaml, or the code where it breaks /work/shared/CONTRACT.md):\n  "
                    + String.join("\n  ", contractProblems));
        }
    }

    public record Recorded(String method, String path, String query, Map<String, String> headers, byte[] body) {
        public String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }
}
