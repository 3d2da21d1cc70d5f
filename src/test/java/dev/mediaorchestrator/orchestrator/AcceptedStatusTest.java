package dev.mediaorchestrator.orchestrator;

import dev.mediaorchestrator.common.Hmac;
import dev.mediaorchestrator.common.Json;
import dev.mediaorchestrator.support.AppStandIn;
import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.support.RunnerCallback;
import dev.mediaorchestrator.support.RunningApp;
import dev.mediaorchestrator.support.StubHttpServer;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.Map;

import static dev.mediaorchestrator.support.RunningApp.json;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The 202 of {@code POST /jobs} says {@code queued} (CONTRACT.md: {@code queued|running}) even when
 * the runner's first callback reaches the orchestrator before that answer is written: a runner
 * that reports {@code preparing} before it even answers the dispatch.
 */
@IntegrationTest
class AcceptedStatusTest {

    @Test
    void theAnswerIsQueuedEvenWhenTheRunnerHasAlreadyReportedPreparing() throws Exception {
        try (AppStandIn next = new AppStandIn(new Hmac(RunningApp.SECRET));
             StubHttpServer runner = new StubHttpServer()) {
            runner.on("/render", ex -> {
                Map<String, Object> p = Json.parseObject(runner.record(ex).body());
                try {
                    assertEquals(200, RunnerCallback.send(p, Map.of("status", "preparing", "phase", "preparing", "progress", 0.05)));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                StubHttpServer.respond(ex, 202, "application/json", Json.writeBytes(Map.of("jobId", p.get("jobId"))));
            });
            try (RunningApp app = RunningApp.start(Map.of("NEXT_BASE_URL", next.base().toString(),
                    "CONTAINER_BASE_URL", runner.base().toString()))) {
                HttpResponse<String> r = app.postSigned("/jobs", Map.of("mediaId", "fast1", "engine", "media-downloader",
                        "options", Map.of("url", "https://example.com/v"), "ts", System.currentTimeMillis()));
                assertEquals(202, r.statusCode(), r.body());
                assertEquals("queued", json(r).get("status"), "the 202 reports the job as recorded");
                assertEquals("preparing", json(app.get("/jobs/" + json(r).get("jobId"))).get("status"),
                        "the runner's callback did reach the job before the answer");
            }
        }
    }
}
