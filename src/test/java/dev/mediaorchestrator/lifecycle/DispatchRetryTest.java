package dev.mediaorchestrator.lifecycle;

import dev.mediaorchestrator.common.Json;
import dev.mediaorchestrator.support.AppStandIn;
import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.support.RunningApp;
import dev.mediaorchestrator.support.StubHttpServer;
import dev.mediaorchestrator.support.TestServers;
import dev.mediaorchestrator.support.Wait;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.mediaorchestrator.support.RunningApp.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A busy runner gets the job again with backoff; a runner down past the deadline fails the job, once. */
@IntegrationTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DispatchRetryTest {
    private AppStandIn next;
    private StubHttpServer runner;
    private RunningApp app;
    private RunningApp appWithoutRunner;
    private final AtomicInteger busyAnswers = new AtomicInteger(2);

    @BeforeAll
    void start() throws Exception {
        next = new AppStandIn(new dev.mediaorchestrator.common.Hmac(RunningApp.SECRET));
        runner = new StubHttpServer();
        runner.on("/render", ex -> {
            runner.record(ex);
            if (busyAnswers.getAndDecrement() > 0) {
                ex.getResponseHeaders().set("Retry-After", "1");
                StubHttpServer.respond(ex, 429, "application/json", "{\"error\":\"busy\"}".getBytes());
            } else {
                StubHttpServer.respond(ex, 202, "application/json", "{}".getBytes());
            }
        });
        app = RunningApp.start(Map.of("NEXT_BASE_URL", next.base().toString(), "CONTAINER_BASE_URL", runner.base().toString()));
        appWithoutRunner = RunningApp.start(Map.of("NEXT_BASE_URL", next.base().toString(),
                "CONTAINER_BASE_URL", "http://127.0.0.1:" + TestServers.freePort(), "DISPATCH_DEADLINE_SECONDS", "3"));
    }

    @AfterAll
    void stop() {
        app.close();
        appWithoutRunner.close();
        runner.close();
        next.close();
    }

    private static Map<String, Object> body(String mediaId) {
        return Map.of("mediaId", mediaId, "engine", "media-downloader", "options", Map.of("url", "https://example.com/" + mediaId),
                "ts", System.currentTimeMillis());
    }

    @Test
    void aBusyRunnerGetsTheJobAgainUntilItTakesIt() throws Exception {
        HttpResponse<String> r = app.postSigned("/jobs", body("busy1"));
        assertEquals(202, r.statusCode());
        String jobId = (String) json(r).get("jobId");
        Wait.until("the runner to accept", Duration.ofSeconds(30), () -> {
            try {
                return Boolean.TRUE.equals(((Map<?, ?>) json(app.get("/jobs/" + jobId)).get("dispatch")).get("accepted"));
            } catch (Exception e) {
                return false;
            }
        });
        List<StubHttpServer.Recorded> renders = runner.requests("/render");
        assertEquals(3, renders.size(), "dispatched three times");
        assertEquals(1, renders.stream().map(x -> Json.parseObject(x.body()).get("nonce")).distinct().count(),
                "the same dispatch event keeps its nonce");
        Map<String, Object> doc = json(app.get("/jobs/" + jobId));
        assertEquals(3, doc.get("attempts"));
        assertEquals("queued", doc.get("status"));
        Thread.sleep(1500);
        assertEquals(3, runner.requests("/render").size(), "and never again once accepted");
    }

    @Test
    void aRunnerDownPastTheDeadlineFailsTheJobWithOneCallback() throws Exception {
        HttpResponse<String> r = appWithoutRunner.postSigned("/jobs", body("down1"));
        String jobId = (String) json(r).get("jobId");
        Wait.until("the failed callback", Duration.ofSeconds(30), () -> !next.acceptedFor(jobId).isEmpty());
        Map<String, Object> cb = next.acceptedFor(jobId).get(0);
        assertEquals("failed", cb.get("status"));
        assertTrue(((String) cb.get("error")).startsWith("no runner accepted the job within 3 s"), (String) cb.get("error"));
        Map<String, Object> doc = json(appWithoutRunner.get("/jobs/" + jobId));
        assertEquals("failed", doc.get("status"));
        assertTrue(((Number) doc.get("attempts")).intValue() >= 2, "retried before giving up: " + doc.get("attempts"));
        Thread.sleep(1500);
        assertEquals(1, next.acceptedFor(jobId).size());
    }
}
