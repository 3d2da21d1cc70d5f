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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import static dev.mediaorchestrator.support.RunningApp.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * 200 concurrent POST /jobs from 20 threads against JOBS_RATE_PER_MINUTE=60 and MAX_ACTIVE_JOBS=4:
 * the excess gets 429 with Retry-After, every accepted job finishes, none is lost or run twice,
 * and no more than 4 run at once while the rest wait with a queue position.
 */
@IntegrationTest
class AdmissionTest {
    @Test
    void rateLimitAndActiveJobLimit() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        ExecutorService runnerWork = Executors.newFixedThreadPool(8);
        Map<String, AtomicInteger> rendersPerJob = new ConcurrentHashMap<>();
        AtomicInteger running = new AtomicInteger();
        AtomicInteger maxRunning = new AtomicInteger();
        // the runner works on nothing until the queue positions are looked at: the burst may take
        // longer than the queue takes to drain on a loaded machine
        CountDownLatch hold = new CountDownLatch(1);
        try (AppStandIn next = new AppStandIn(new Hmac(RunningApp.SECRET)); StubHttpServer runner = new StubHttpServer()) {
            next.media("adm", "source", "v".getBytes()).media("adm", "subtitles", "WEBVTT\n".getBytes());
            runner.on("/render", ex -> {
                Map<String, Object> p = Json.parseObject(runner.record(ex).body());
                rendersPerJob.computeIfAbsent((String) p.get("jobId"), k -> new AtomicInteger()).incrementAndGet();
                maxRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
                StubHttpServer.respond(ex, 202, "application/json", "{}".getBytes());
                runnerWork.submit(() -> {
                    hold.await(60, TimeUnit.SECONDS);
                    Thread.sleep(150);
                    running.decrementAndGet(); // done working; the upload completes the job
                    return http.send(HttpRequest.newBuilder(URI.create((String) p.get("outputPutUrl")))
                            .header("content-type", "video/mp4").PUT(HttpRequest.BodyPublishers.ofString("out")).build(),
                            HttpResponse.BodyHandlers.ofString()).statusCode();
                });
            });
            try (RunningApp app = RunningApp.start(Map.of("NEXT_BASE_URL", next.base().toString(),
                    "CONTAINER_BASE_URL", runner.base().toString(), "JOBS_RATE_PER_MINUTE", "60", "MAX_ACTIVE_JOBS", "4"))) {
                ExecutorService clients = Executors.newFixedThreadPool(20);
                long burstStart = System.nanoTime();
                List<Future<HttpResponse<String>>> fs = new ArrayList<>();
                for (int i = 0; i < 200; i++) {
                    fs.add(clients.submit(() -> app.postSigned("/jobs", Map.of("mediaId", "adm", "engine", "burner-ffmpeg",
                            "ts", System.currentTimeMillis(), "nonce", UUID.randomUUID().toString()))));
                }
                List<String> accepted = new ArrayList<>();
                int limited = 0;
                for (Future<HttpResponse<String>> f : fs) {
                    HttpResponse<String> r = f.get();
                    if (r.statusCode() == 202) {
                        accepted.add((String) json(r).get("jobId"));
                    } else {
                        assertEquals(429, r.statusCode(), r.body());
                        assertEquals("rate limited", json(r).get("error"));
                        int retryAfter = Integer.parseInt(r.headers().firstValue("retry-after").orElseThrow());
                        assertTrue(retryAfter >= 1 && retryAfter <= 60, "Retry-After " + retryAfter);
                        limited++;
                    }
                }
                clients.shutdown();
                // the burst of 60, and the 1 per second that refills while the 200 requests run
                long seconds = (System.nanoTime() - burstStart + 999_999_999L) / 1_000_000_000L;
                assertTrue(accepted.size() >= 60 && accepted.size() <= 60 + seconds + 1,
                        "about a minute's worth accepted: " + accepted.size() + " in " + seconds + " s");
                assertEquals(200 - accepted.size(), limited);
                // while the burst drains, waiting jobs show where they stand
                boolean sawQueuePosition = false;
                for (String jobId : accepted.subList(accepted.size() - 10, accepted.size())) {
                    Object pos = json(app.get("/jobs/" + jobId)).get("queuePosition");
                    sawQueuePosition |= pos instanceof Number n && n.intValue() > 0;
                }
                assertTrue(sawQueuePosition, "queued jobs show a queuePosition");
                hold.countDown();
                Set<String> acceptedSet = Set.copyOf(accepted);
                Wait.until("every accepted job's callback", Duration.ofSeconds(120),
                        () -> next.accepted.stream().map(m -> m.get("jobId")).filter(acceptedSet::contains).distinct().count() == accepted.size());
                Map<Object, Long> callbacks = next.accepted.stream().map(m -> m.get("jobId")).filter(acceptedSet::contains)
                        .collect(Collectors.groupingBy(x -> x, Collectors.counting()));
                assertTrue(callbacks.values().stream().allMatch(c -> c == 1), "one callback per job");
                assertTrue(next.acceptedFor("x").isEmpty());
                assertEquals(acceptedSet, rendersPerJob.keySet(), "every accepted job was run, no other");
                assertTrue(rendersPerJob.values().stream().allMatch(c -> c.get() == 1), "none run twice");
                assertTrue(maxRunning.get() <= 4, "at most MAX_ACTIVE_JOBS at once: " + maxRunning.get());
                for (String jobId : accepted) {
                    assertEquals("completed", json(app.get("/jobs/" + jobId)).get("status"));
                }
            }
        } finally {
            runnerWork.shutdownNow();
        }
    }
}
