package dev.mediaorchestrator.reliability;

import dev.mediaorchestrator.common.Hmac;
import dev.mediaorchestrator.common.Json;
import dev.mediaorchestrator.support.AppStandIn;
import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.support.RunnerCallback;
import dev.mediaorchestrator.support.RunningApp;
import dev.mediaorchestrator.support.StubHttpServer;
import dev.mediaorchestrator.support.Wait;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static dev.mediaorchestrator.support.RunningApp.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 27, item 2: {@code runs} and {@code attempts} count every run, whichever the orchestrator
 * hears first, the answer to {@code POST /render} or the runner's first callback. The runner here
 * always calls back {@code preparing} (and waits for the orchestrator's answer) before it answers the
 * dispatch, and then forgets the job (its {@code /status} says 404, as a restarted runner would): with
 * {@code JOB_MAX_ATTEMPTS=2} the job runs exactly twice and fails saying so.
 */
@IntegrationTest
class CallbackBeforeAnswerTest {

    /** Calls back before it answers each dispatch; knows no job afterwards. */
    private static StubHttpServer callbackFirstRunner() {
        StubHttpServer runner = new StubHttpServer();
        runner.on("/render", ex -> {
            Map<String, Object> payload = Json.parseObject(runner.record(ex).body());
            try {
                int status = RunnerCallback.send(payload, Map.of("status", "preparing", "phase", "preparing", "progress", 0.05));
                if (status != 200) {
                    throw new IllegalStateException("callback answered " + status);
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            StubHttpServer.respond(ex, 202, "application/json", Json.writeBytes(Map.of("jobId", payload.get("jobId"))));
        });
        runner.answer("/status/", 404, "{\"error\":\"not found\"}");
        return runner;
    }

    private static long renders(StubHttpServer runner, String jobId) {
        return runner.requests("/render").stream().filter(r -> jobId.equals(Json.parseObject(r.body()).get("jobId"))).count();
    }

    @Test
    void twoAttemptsAllowExactlyTwoRunsWhenEachCallbackComesBeforeTheAnswer() throws Exception {
        try (AppStandIn next = new AppStandIn(new Hmac(RunningApp.SECRET));
             StubHttpServer runner = callbackFirstRunner();
             RunningApp app = RunningApp.start(Map.of("NEXT_BASE_URL", next.base().toString(), "CONTAINER_BASE_URL", runner.base().toString(),
                     "RUNNER_PROBE_SECONDS", "1", "COMPLETION_POLL_INTERVAL_MS", "300", "JOB_MAX_ATTEMPTS", "2"))) {
            next.media("cbfirst", "source", "video".getBytes(StandardCharsets.UTF_8))
                    .media("cbfirst", "subtitles", "WEBVTT\n".getBytes(StandardCharsets.UTF_8));
            var r = app.postSigned("/jobs", Map.of("mediaId", "cbfirst", "engine", "burner-ffmpeg", "ts", System.currentTimeMillis()));
            assertEquals(202, r.statusCode(), r.body());
            String jobId = (String) json(r).get("jobId");
            // the callback, or a third run (which a count that misses runs allows)
            Wait.until("the job's end or a third run", Duration.ofSeconds(60),
                    () -> !next.acceptedFor(jobId).isEmpty() || renders(runner, jobId) > 2);
            assertEquals(2, renders(runner, jobId), "JOB_MAX_ATTEMPTS=2: two runs");
            List<Map<String, Object>> cbs = next.acceptedFor(jobId);
            assertEquals(1, cbs.size());
            Map<String, Object> cb = cbs.get(0);
            assertEquals("failed", cb.get("status"));
            assertTrue(((String) cb.get("error")).startsWith("runner lost the job") && ((String) cb.get("error")).endsWith("after 2 runs"),
                    (String) cb.get("error"));
            assertEquals(2, ((Number) cb.get("runs")).intValue(), "runs");
            assertEquals(2, ((Number) cb.get("attempts")).intValue(), "attempts");
            Map<String, Object> doc = json(app.get("/jobs/" + jobId));
            assertEquals(2, ((Number) doc.get("runs")).intValue());
            assertEquals(2, ((Number) doc.get("attempts")).intValue());
        }
    }
}
