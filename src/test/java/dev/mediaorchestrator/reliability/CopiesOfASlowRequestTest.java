package dev.mediaorchestrator.reliability;

import dev.mediaorchestrator.common.Json;
import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.support.RunningApp;
import dev.mediaorchestrator.support.StubHttpServer;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * A client that retries {@code POST /jobs} with the same {@code Idempotency-Key} while the
 * original is still mirroring a large source from the app (minutes, for a big video): each copy
 * waits for the original a bounded time, then gets a 503 with Retry-After, instead of holding one
 * of the API's worker threads for minutes (at JOBS_RATE_PER_MINUTE retries, every thread). Once the
 * original is answered, a copy gets its job.
 */
@IntegrationTest
class CopiesOfASlowRequestTest {

    private static byte[] body(String mediaId) {
        return Json.writeBytes(Map.of("mediaId", mediaId, "engine", "burner-ffmpeg", "ts", System.currentTimeMillis(),
                "nonce", UUID.randomUUID().toString()));
    }

    @Test
    void copiesOfARequestStillMirroringAreToldToRetryAndThenGetItsJob() throws Exception {
        CountDownLatch mirrorStarted = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        try (StubHttpServer nextApp = new StubHttpServer();
             StubHttpServer runner = new StubHttpServer().answer("/render", 202, "{}")) {
            nextApp.on("/api/media/slowcopy/source", ex -> {
                mirrorStarted.countDown();
                try {
                    release.await(60, TimeUnit.SECONDS); // a large source, still coming
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                StubHttpServer.respond(ex, 200, "video/mp4", "video".getBytes());
            });
            nextApp.answer("/api/media/slowcopy/subtitles", 200, "WEBVTT\n");
            try (RunningApp app = RunningApp.start(Map.of("NEXT_BASE_URL", nextApp.base().toString(),
                    "CONTAINER_BASE_URL", runner.base().toString()))) {
                Map<String, String> key = Map.of("Idempotency-Key", "order-slow-1");
                CompletableFuture<HttpResponse<String>> original = CompletableFuture.supplyAsync(() -> {
                    try {
                        return app.postRaw("/jobs", body("slowcopy"), key);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                mirrorStarted.await(30, TimeUnit.SECONDS);

                List<HttpResponse<String>> copies = assertTimeoutPreemptively(Duration.ofSeconds(40), () -> {
                    List<CompletableFuture<HttpResponse<String>>> sent = new ArrayList<>();
                    for (int i = 0; i < 4; i++) {
                        sent.add(CompletableFuture.supplyAsync(() -> {
                            try {
                                return app.postRaw("/jobs", body("slowcopy"), key);
                            } catch (Exception e) {
                                throw new IllegalStateException(e);
                            }
                        }));
                    }
                    List<HttpResponse<String>> out = new ArrayList<>();
                    for (CompletableFuture<HttpResponse<String>> f : sent) {
                        out.add(f.get());
                    }
                    return out;
                }, "copies of a request still mirroring are answered within a bound (before: each waited up to 5 minutes on a worker thread)");
                for (HttpResponse<String> copy : copies) {
                    assertEquals(503, copy.statusCode(), copy.body());
                    assertEquals(Map.of("error", "original request still in progress, retry"), Json.parseObject(copy.body().getBytes()));
                    assertNotNull(copy.headers().firstValue("retry-after").orElse(null), "with Retry-After");
                }

                release.countDown();
                HttpResponse<String> first = original.get(60, TimeUnit.SECONDS);
                assertEquals(202, first.statusCode(), first.body());
                String jobId = (String) Json.parseObject(first.body().getBytes()).get("jobId");
                HttpResponse<String> retry = app.postRaw("/jobs", body("slowcopy"), key);
                assertEquals(202, retry.statusCode(), retry.body());
                assertEquals(jobId, Json.parseObject(retry.body().getBytes()).get("jobId"), "the retry after the answer gets the job");
            }
        }
    }
}
