package dev.mediaorchestrator.reliability;

import dev.mediaorchestrator.common.Hmac;
import dev.mediaorchestrator.common.Json;
import dev.mediaorchestrator.support.AppStandIn;
import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.support.RunningApp;
import dev.mediaorchestrator.support.StubHttpServer;
import dev.mediaorchestrator.support.Wait;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

import static dev.mediaorchestrator.support.RunningApp.json;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Two orchestrators on one bucket both see a job complete: the delivery claim lets only one call the app. */
@IntegrationTest
class TwoOrchestratorsTest {
    @Test
    void oneJobOneCallback() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        try (AppStandIn next = new AppStandIn(new Hmac(RunningApp.SECRET));
             StubHttpServer runner = new StubHttpServer()) {
            runner.on("/render", ex -> {
                runner.record(ex);
                StubHttpServer.respond(ex, 202, "application/json", "{}".getBytes());
            });
            next.media("two", "source", "v".getBytes()).media("two", "subtitles", "WEBVTT\n".getBytes());
            try (RunningApp a = RunningApp.start(Map.of("NEXT_BASE_URL", next.base().toString(),
                    "CONTAINER_BASE_URL", runner.base().toString(), "COMPLETION_POLL_INTERVAL_MS", "100"))) {
                var s3 = a.app.embeddedS3();
                try (RunningApp b = RunningApp.start(Map.of("NEXT_BASE_URL", next.base().toString(),
                        "CONTAINER_BASE_URL", runner.base().toString(), "COMPLETION_POLL_INTERVAL_MS", "100",
                        "R2_S3_ENDPOINT", s3.endpoint().toString(), "R2_ACCESS_KEY_ID", s3.accessKey(),
                        "R2_SECRET_ACCESS_KEY", s3.secretKey()))) {
                    int rounds = 5;
                    for (int i = 0; i < rounds; i++) {
                        HttpResponse<String> r = a.postSigned("/jobs", Map.of("mediaId", "two", "engine", "burner-ffmpeg", "ts", System.currentTimeMillis()));
                        String jobId = (String) json(r).get("jobId");
                        assertEquals(200, b.get("/jobs/" + jobId).statusCode(), "B knows the job from the bucket");
                        // either replica may send it (B's timer can claim it before A's request does)
                        Wait.until("the job at the runner", Duration.ofSeconds(10), () -> runner.requests("/render").stream()
                                .anyMatch(p -> jobId.equals(Json.parseObject(p.body()).get("jobId"))));
                        Map<String, Object> payload = runner.requests("/render").stream().map(p -> Json.parseObject(p.body()))
                                .filter(p -> jobId.equals(p.get("jobId"))).findFirst().orElseThrow();
                        // the output lands in the shared bucket; both orchestrators' timers see it
                        HttpResponse<String> up = http.send(HttpRequest.newBuilder(URI.create((String) payload.get("outputPutUrl")))
                                .header("content-type", "video/mp4").PUT(HttpRequest.BodyPublishers.ofString("out")).build(),
                                HttpResponse.BodyHandlers.ofString());
                        assertEquals(200, up.statusCode());
                        Wait.until("the callback", Duration.ofSeconds(30), () -> !next.acceptedFor(jobId).isEmpty());
                        Wait.until("B to see it completed", Duration.ofSeconds(30), () -> {
                            try {
                                return "completed".equals(json(b.get("/jobs/" + jobId)).get("status"));
                            } catch (Exception e) {
                                return false;
                            }
                        });
                        Thread.sleep(800);
                        assertEquals(1, next.acceptedFor(jobId).size(), "round " + i);
                        assertEquals(1, next.attempts.stream().filter(m -> jobId.equals(m.get("jobId"))).count(), "round " + i);
                    }
                }
            }
        }
    }
}
