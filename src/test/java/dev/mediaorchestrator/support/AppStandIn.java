package dev.mediaorchestrator.support;

import dev.mediaorchestrator.common.Hmac;
import dev.mediaorchestrator.common.Json;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The Next app, standing in: serves media sources from memory and receives terminal callbacks at
 * {@code /api/render/cf-callback}, checking their signatures the way the contract says. It can be
 * told to fail the first N callbacks.
 */
public final class AppStandIn implements AutoCloseable {
    public final StubHttpServer server = new StubHttpServer();
    public final List<Map<String, Object>> accepted = new CopyOnWriteArrayList<>();
    public final List<Map<String, Object>> attempts = new CopyOnWriteArrayList<>();
    public final AtomicInteger badSignatures = new AtomicInteger();
    public final AtomicInteger failNext = new AtomicInteger();
    private final Map<String, byte[]> media = new ConcurrentHashMap<>();

    public AppStandIn(Hmac hmac) {
        server.on("/api/render/cf-callback", ex -> {
            StubHttpServer.Recorded r = server.record(ex);
            if (!hmac.verify(r.body(), r.headers().get("x-signature"))) {
                badSignatures.incrementAndGet();
                StubHttpServer.respond(ex, 401, "application/json", "{\"error\":\"invalid signature\"}".getBytes());
                return;
            }
            Map<String, Object> body = Json.parseObject(r.body());
            attempts.add(body);
            if (failNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                StubHttpServer.respond(ex, 500, "application/json", "{\"error\":\"boom\"}".getBytes());
                return;
            }
            accepted.add(body);
            StubHttpServer.respond(ex, 200, "application/json", "{\"ok\":true}".getBytes());
        });
        server.on("/api/media/", ex -> {
            server.record(ex);
            byte[] b = media.get(ex.getRequestURI().getPath());
            if (b == null) {
                StubHttpServer.respond(ex, 404, "text/plain", "no such media".getBytes());
            } else {
                StubHttpServer.respond(ex, 200, "application/octet-stream", b);
            }
        });
    }

    /** Serves {@code bytes} at {@code /api/media/{mediaId}/{what}} (source, subtitles, comments-data). */
    public AppStandIn media(String mediaId, String what, byte[] bytes) {
        media.put("/api/media/" + mediaId + "/" + what, bytes);
        return this;
    }

    public URI base() {
        return server.base();
    }

    public List<Map<String, Object>> acceptedFor(String jobId) {
        return accepted.stream().filter(m -> jobId.equals(m.get("jobId"))).toList();
    }

    @Override
    public void close() {
        server.close();
    }
}
