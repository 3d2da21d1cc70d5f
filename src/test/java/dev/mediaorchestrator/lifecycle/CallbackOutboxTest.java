package dev.mediaorchestrator.lifecycle;

import com.standardwebhooks.Webhook;
import com.standardwebhooks.exceptions.WebhookVerificationException;
import dev.mediaorchestrator.common.Hmac;
import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.support.RunningApp;
import dev.mediaorchestrator.support.StubHttpServer;
import dev.mediaorchestrator.support.TestServers;
import dev.mediaorchestrator.support.Wait;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.net.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.mediaorchestrator.support.RunningApp.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 19 acceptance, the terminal callback as a receiver sees it: Standard Webhooks headers
 * checked with the official library ({@code com.standardwebhooks:standardwebhooks}) on every
 * request the app stand-in gets, the retry schedule (in seconds here), a restart between two
 * attempts, {@code 410} and {@code Retry-After}, the delivery log and a redelivery, and a secret
 * rotation. A job becomes terminal by its output appearing in the bucket (the runner stand-in
 * takes the job and stays silent).
 */
@IntegrationTest
class CallbackOutboxTest {
    private static final String OLD_SECRET = "the-previous-secret-0123456789";

    /** The app: answers each attempt with the next of {@code answers} (the last one repeats), verifying each with the library. */
    static final class App implements AutoCloseable {
        final StubHttpServer server = new StubHttpServer();
        final List<StubHttpServer.Recorded> attempts = new CopyOnWriteArrayList<>();
        final List<Long> arrivals = new CopyOnWriteArrayList<>();
        final List<String> verificationFailures = new CopyOnWriteArrayList<>();
        final AtomicInteger n = new AtomicInteger();

        App(List<Integer> answers, Map<String, String> headers, String... secrets) {
            server.on("/api/media/", ex -> StubHttpServer.respond(ex, 200, "application/octet-stream",
                    ex.getRequestURI().getPath().endsWith("/subtitles") ? "WEBVTT\n".getBytes() : new byte[1000]));
            server.on("/api/render/cf-callback", ex -> {
                StubHttpServer.Recorded r = server.record(ex);
                attempts.add(r);
                arrivals.add(System.nanoTime());
                for (String secret : secrets) {
                    try {
                        webhook(secret).verify(r.bodyText(), httpHeaders(r));
                    } catch (WebhookVerificationException e) {
                        verificationFailures.add(secret + ": " + e.getMessage());
                    }
                }
                int i = Math.min(n.getAndIncrement(), answers.size() - 1);
                headers.forEach((k, v) -> ex.getResponseHeaders().set(k, v));
                StubHttpServer.respond(ex, answers.get(i), "application/json", "{}".getBytes());
            });
        }

        @Override
        public void close() {
            server.close();
        }
    }

    static Webhook webhook(String secret) {
        return new Webhook("whsec_" + Base64.getEncoder().encodeToString(secret.getBytes(StandardCharsets.UTF_8)));
    }

    static HttpHeaders httpHeaders(StubHttpServer.Recorded r) {
        Map<String, List<String>> m = new HashMap<>();
        r.headers().forEach((k, v) -> m.put(k.toLowerCase(), List.of(v)));
        return HttpHeaders.of(m, (a, b) -> true);
    }

    private static Map<String, String> env(App app, Path dataDir, String schedule) {
        StubHttpServer runner = new StubHttpServer().answer("/render", 202, "{}")
                .answer("/status/", 200, "{\"status\":\"running\",\"progress\":0.5}");
        Map<String, String> env = new HashMap<>(Map.of("ROLES", "orchestrator", "NEXT_BASE_URL", app.server.base().toString(),
                "CONTAINER_BASE_URL", runner.base().toString(), "COMPLETION_POLL_INTERVAL_MS", "300",
                "CALLBACK_RETRY_SCHEDULE", schedule));
        if (dataDir != null) {
            env.put("DATA_DIR", dataDir.toString());
        }
        return env;
    }

    /** A burner job that completes at once: its output is put in the bucket right after it is created. */
    private static String completedJob(RunningApp app, String mediaId) throws Exception {
        var r = app.postSigned("/jobs", Map.of("mediaId", mediaId, "engine", "burner-ffmpeg", "ts", System.currentTimeMillis()));
        assertEquals(202, r.statusCode(), r.body());
        String jobId = (String) json(r).get("jobId");
        app.app.storage().put("outputs/by-media/" + mediaId + "/" + jobId + "/video.mp4", new ByteArrayInputStream(new byte[100]), "video/mp4");
        return jobId;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> deliveries(RunningApp app, String jobId) {
        return (List<Map<String, Object>>) doc(app, "/jobs/" + jobId + "/deliveries").get("deliveries");
    }

    private static Map<String, Object> doc(RunningApp app, String path) {
        try {
            return json(app.get(path));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void twoFailuresThenOneDeliveryWithTheSameWebhookIdAndALogOfThree() throws Exception {
        try (App next = new App(List.of(500, 500, 200), Map.of(), RunningApp.SECRET);
             RunningApp app = RunningApp.start(env(next, null, "1s,1s,1s"))) {
            String jobId = completedJob(app, "ob1");
            Wait.until("the callback delivered", Duration.ofSeconds(30),
                    () -> doc(app, "/jobs/" + jobId).get("callback") instanceof Map<?, ?> cb && Boolean.TRUE.equals(cb.get("delivered")));
            assertEquals(3, next.attempts.size());
            assertEquals(List.of(), next.verificationFailures, "the official library verified every attempt");
            String id = next.attempts.get(0).headers().get("webhook-id");
            assertTrue(next.attempts.stream().allMatch(a -> id.equals(a.headers().get("webhook-id"))), "one webhook-id");
            assertTrue(next.attempts.stream().allMatch(a -> new Hmac(RunningApp.SECRET).verify(a.body(), a.headers().get("x-signature"))),
                    "the original app's check passes too");
            List<Map<String, Object>> log = deliveries(app, jobId);
            assertEquals(List.of(500, 500, 200), log.stream().map(e -> ((Number) e.get("status")).intValue()).toList(), log.toString());
            assertTrue(log.stream().allMatch(e -> e.get("at") instanceof Number && e.get("durationMs") instanceof Number));
            Map<?, ?> cb = (Map<?, ?>) json(app.get("/jobs/" + jobId)).get("callback");
            assertEquals(3, ((Number) cb.get("attempts")).intValue());
            assertEquals(200, ((Number) cb.get("lastStatus")).intValue());
            String deliveriesText = app.get("/jobs/" + jobId + "/deliveries").body();
            assertFalse(deliveriesText.contains(RunningApp.SECRET) || deliveriesText.contains("v1,") || deliveriesText.contains("mediaId"),
                    "no secret, signature or body in the log: " + deliveriesText);

            // a redelivery: the same event (same webhook-id), now, answered with its result
            var again = app.postSigned("/jobs/" + jobId + "/callback/redeliver", Map.of("ts", System.currentTimeMillis()));
            assertEquals(200, again.statusCode(), again.body());
            assertEquals(true, json(again).get("delivered"));
            assertEquals(id, json(again).get("webhookId"));
            assertEquals(4, next.attempts.size());
            assertEquals(id, next.attempts.get(3).headers().get("webhook-id"));
            assertEquals(4, deliveries(app, jobId).size());
        }
    }

    @Test
    void aRestartBetweenTwoAttemptsContinuesTheSchedule() throws Exception {
        Path dataDir = TestServers.tempDir("mo-outbox-restart");
        try (App next = new App(List.of(500, 200), Map.of(), RunningApp.SECRET)) {
            Map<String, String> env = env(next, dataDir, "3s");
            String jobId;
            try (RunningApp app = RunningApp.start(env)) {
                jobId = completedJob(app, "ob2");
                Wait.until("the first attempt", Duration.ofSeconds(30), () -> next.attempts.size() == 1);
                Wait.until("the first attempt recorded", Duration.ofSeconds(10), () -> deliveries(app, jobId).size() == 1);
            }
            try (RunningApp app = RunningApp.start(env)) {
                Wait.until("the callback delivered after the restart", Duration.ofSeconds(30), () -> deliveries(app, jobId).size() == 2);
                assertEquals(2, next.attempts.size(), "one delivery in the end");
                assertEquals(next.attempts.get(0).headers().get("webhook-id"), next.attempts.get(1).headers().get("webhook-id"));
                assertEquals(List.of(), next.verificationFailures);
                Thread.sleep(1500);
                assertEquals(2, next.attempts.size(), "nothing after the delivery");
            }
        } finally {
            TestServers.deleteRecursively(dataDir);
        }
    }

    @Test
    void goneStopsAfterOneAttempt() throws Exception {
        try (App next = new App(List.of(410), Map.of(), RunningApp.SECRET);
             RunningApp app = RunningApp.start(env(next, null, "1s,1s,1s"))) {
            String jobId = completedJob(app, "ob3");
            Wait.until("the first attempt recorded", Duration.ofSeconds(30), () -> deliveries(app, jobId).size() == 1);
            Thread.sleep(2500);
            assertEquals(1, next.attempts.size(), "410 stops delivery");
            Map<String, Object> d = json(app.get("/jobs/" + jobId + "/deliveries"));
            assertEquals(true, d.get("abandoned"));
            assertEquals(null, d.get("nextAttemptAt"));
        }
    }

    @Test
    void retryAfterIsHonoured() throws Exception {
        try (App next = new App(List.of(503, 200), Map.of("Retry-After", "3"), RunningApp.SECRET);
             RunningApp app = RunningApp.start(env(next, null, "1s,1s"))) {
            String jobId = completedJob(app, "ob4");
            Wait.until("two attempts", Duration.ofSeconds(30), () -> next.attempts.size() == 2);
            long gapMs = (next.arrivals.get(1) - next.arrivals.get(0)) / 1_000_000;
            assertTrue(gapMs >= 2900, "the second attempt came " + gapMs + " ms after the first (Retry-After: 3, schedule 1 s)");
            Wait.until("delivered", Duration.ofSeconds(10), () -> deliveries(app, jobId).size() == 2);
        }
    }

    @Test
    void theLibraryRejectsATamperedBodyOrAnOldTimestamp() throws Exception {
        try (App next = new App(List.of(200), Map.of(), RunningApp.SECRET);
             RunningApp app = RunningApp.start(env(next, null, "1s"))) {
            completedJob(app, "ob5");
            Wait.until("a delivery", Duration.ofSeconds(30), () -> next.attempts.size() == 1);
            StubHttpServer.Recorded r = next.attempts.get(0);
            Webhook wh = webhook(RunningApp.SECRET);
            wh.verify(r.bodyText(), httpHeaders(r));
            assertThrows(WebhookVerificationException.class, () -> wh.verify(r.bodyText().replace("completed", "failed"), httpHeaders(r)));
            Map<String, List<String>> old = new HashMap<>(httpHeaders(r).map());
            old.put("webhook-timestamp", List.of(String.valueOf(System.currentTimeMillis() / 1000 - 3600)));
            assertThrows(WebhookVerificationException.class, () -> wh.verify(r.bodyText(), HttpHeaders.of(old, (a, b) -> true)));
            assertThrows(WebhookVerificationException.class, () -> webhook("another secret").verify(r.bodyText(), httpHeaders(r)));
        }
    }

    @Test
    void duringARotationThePreviousSecretIsAcceptedAndSignedWith() throws Exception {
        byte[] body = dev.mediaorchestrator.common.Json.writeBytes(Map.of("mediaId", "ob6", "engine", "burner-ffmpeg", "ts", System.currentTimeMillis()));
        String oldSignature = new Hmac(OLD_SECRET).sign(body);
        try (App next = new App(List.of(200), Map.of(), RunningApp.SECRET, OLD_SECRET)) {
            Map<String, String> env = env(next, null, "1s");
            env.put("JOB_CALLBACK_HMAC_SECRET_PREVIOUS", OLD_SECRET);
            try (RunningApp app = RunningApp.start(env)) {
                var r = app.postRaw("/jobs", body, Map.of("x-signature", oldSignature));
                assertEquals(202, r.statusCode(), r.body());
                String jobId = (String) json(r).get("jobId");
                app.app.storage().put("outputs/by-media/ob6/" + jobId + "/video.mp4", new ByteArrayInputStream(new byte[100]), "video/mp4");
                Wait.until("a delivery", Duration.ofSeconds(30), () -> next.attempts.size() == 1);
                assertEquals(List.of(), next.verificationFailures, "verifies with the new and with the old secret");
                assertEquals(2, next.attempts.get(0).headers().get("webhook-signature").split(" ").length, "one signature per secret");
            }
            try (RunningApp app = RunningApp.start(env(next, null, "1s"))) {
                var r = app.postRaw("/jobs", body, Map.of("x-signature", oldSignature));
                assertEquals(401, r.statusCode(), "the previous secret is refused once it is no longer set: " + r.body());
            }
        }
    }
}
