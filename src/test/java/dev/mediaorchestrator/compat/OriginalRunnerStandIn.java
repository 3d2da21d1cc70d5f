package dev.mediaorchestrator.compat;

import dev.mediaorchestrator.common.Json;
import dev.mediaorchestrator.support.Put;
import dev.mediaorchestrator.support.RunnerCallback;
import dev.mediaorchestrator.support.StubHttpServer;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A runner that behaves as the original node containers do (CONTRACT.md, "Compatibility with the
 * original's parts"): it answers {@code POST /render} with 202 and then works in silence, keeping
 * only its own {@code GET /status/{jobId}} ({@code 200 {"jobId","status","progress"}}, 404 for a job
 * it does not know). What it does with a job is chosen per mediaId ({@link #behave}).
 *
 * <p>{@link #withoutStatus()} is the original {@code renderer-remotion}: it serves {@code POST /render}
 * and nothing else ({@code 404 {"error":"not found"}} for every other method and path,
 * {@code /status/{jobId}} included), and it renders a job again each time it is sent one, even one
 * it is already rendering.
 */
final class OriginalRunnerStandIn implements AutoCloseable {
    /** What the stand-in does with one job after accepting it. */
    interface Behaviour {
        void run(OriginalRunnerStandIn runner, Map<String, Object> payload) throws Exception;
    }

    /** The original containers' answer for a path they do not serve or a job they do not know. */
    private static final byte[] NOT_FOUND = "{\"error\":\"not found\"}".getBytes(StandardCharsets.UTF_8);

    final StubHttpServer server = new StubHttpServer();
    private final ExecutorService work = Executors.newCachedThreadPool();
    private final Map<String, Behaviour> behaviours = new ConcurrentHashMap<>();
    private final Map<String, Map<String, Object>> status = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> probesInFlight = new ConcurrentHashMap<>();
    final Map<String, Integer> maxProbesInFlight = new ConcurrentHashMap<>();
    private final Map<String, Long> statusDelayMs = new ConcurrentHashMap<>();
    /** Jobs whose probes get no answer at all (the connection is dropped), as from a runner that died. */
    private final Set<String> vanished = ConcurrentHashMap.newKeySet();

    OriginalRunnerStandIn() {
        this(true);
    }

    /** The original renderer-remotion: {@code POST /render} only. */
    static OriginalRunnerStandIn withoutStatus() {
        return new OriginalRunnerStandIn(false);
    }

    private OriginalRunnerStandIn(boolean servesStatus) {
        server.on("/render", ex -> {
            if (!ex.getRequestMethod().equals("POST")) {
                server.record(ex);
                StubHttpServer.respond(ex, 404, "application/json", NOT_FOUND);
                return;
            }
            Map<String, Object> p = Json.parseObject(server.record(ex).body());
            String jobId = (String) p.get("jobId");
            vanished.remove(jobId); // started again: it answers
            setStatus(jobId, "running", 0.05);
            StubHttpServer.respond(ex, 202, "application/json", Json.writeBytes(Map.of("jobId", jobId)));
            Behaviour b = behaviours.get((String) p.get("mediaId"));
            work.submit(() -> {
                b.run(this, p);
                return null;
            });
        });
        if (servesStatus) {
            serveStatus();
        } else {
            // express's answer to any route it does not have
            server.on("/", ex -> {
                server.record(ex);
                String path = ex.getRequestURI().getPath();
                if (path.startsWith("/status/") && vanished.contains(path.substring("/status/".length()))) {
                    return; // closed without an answer
                }
                StubHttpServer.respond(ex, 404, "application/json", NOT_FOUND);
            });
        }
    }

    private void serveStatus() {
        server.on("/status/", ex -> {
            String jobId = ex.getRequestURI().getPath().substring("/status/".length());
            server.record(ex);
            AtomicInteger inFlight = probesInFlight.computeIfAbsent(jobId, k -> new AtomicInteger());
            maxProbesInFlight.merge(jobId, inFlight.incrementAndGet(), Math::max);
            try {
                Thread.sleep(statusDelayMs.getOrDefault(jobId, 0L));
                Map<String, Object> s = status.get(jobId);
                if (s == null) {
                    StubHttpServer.respond(ex, 404, "application/json", NOT_FOUND);
                } else {
                    StubHttpServer.respond(ex, 200, "application/json", Json.writeBytes(s));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                inFlight.decrementAndGet();
            }
        });
    }

    OriginalRunnerStandIn behave(String mediaId, Behaviour b) {
        behaviours.put(mediaId, b);
        return this;
    }

    URI base() {
        return server.base();
    }

    void setStatus(String jobId, String s, double progress) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("jobId", jobId);
        doc.put("status", s);
        doc.put("progress", progress);
        status.put(jobId, doc);
    }

    /** The job's {@code /status} answers take this long (longer than a probe interval: probes must not pile up). */
    void slowStatus(String jobId, long delayMs) {
        statusDelayMs.put(jobId, delayMs);
    }

    int probes(String jobId) {
        return server.requests("/status/" + jobId).size();
    }

    /** How many times the job was sent to this runner ({@code POST /render}). */
    int renders(String jobId) {
        return (int) server.requests("/render").stream()
                .filter(r -> r.method().equals("POST") && jobId.equals(Json.parseObject(r.body()).get("jobId"))).count();
    }

    /** From now on the job's probes get no answer (until it is sent the job again): the process that had it died. */
    void vanish(String jobId) {
        vanished.add(jobId);
    }

    /** A PUT to one of the payload's URLs, as the original containers upload (status checked). */
    static void put(Map<String, Object> payload, String field, String contentType, byte[] body) throws Exception {
        int code = Put.put(URI.create((String) payload.get(field)), contentType, body);
        if (code / 100 != 2) {
            throw new IllegalStateException("upload to " + field + " answered " + code);
        }
    }

    /** A signed callback to the payload's {@code callbackUrl}, as the original containers send one. */
    int callback(Map<String, Object> payload, Map<String, Object> fields) throws Exception {
        return RunnerCallback.send(payload, fields);
    }

    @Override
    public void close() {
        work.shutdownNow();
        server.close();
    }
}
