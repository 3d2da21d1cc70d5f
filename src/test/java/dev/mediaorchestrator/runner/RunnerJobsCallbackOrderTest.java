package dev.mediaorchestrator.runner;

import dev.mediaorchestrator.common.Hmac;
import dev.mediaorchestrator.common.Json;
import dev.mediaorchestrator.common.SignedHttp;
import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.support.StubHttpServer;
import dev.mediaorchestrator.testutil.TestMedia;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A job's callbacks go out one at a time and in phase order, although two threads send them: the
 * progress timer (running progress) and the job's own thread (the next phase). Regression test
 * for a race where the job's {@code uploading} callback was sent while the timer's {@code running}
 * callback was still in flight, so the two could arrive in either order.
 */
@IntegrationTest
class RunnerJobsCallbackOrderTest {

    @Test
    void nextPhaseWaitsForAnInFlightProgressCallback() throws Exception {
        CountDownLatch progressArrived = new CountDownLatch(1);
        CountDownLatch otherArrivedMeanwhile = new CountDownLatch(1);
        AtomicBoolean overlapped = new AtomicBoolean();
        try (StubHttpServer server = new StubHttpServer(); TestMedia.TempDir dir = TestMedia.tempDir("runner-jobs")) {
            server.on("/cb", ex -> {
                Map<String, Object> body = Json.parseObject(server.record(ex).body());
                boolean timerProgress = "running".equals(body.get("status")) && ((Number) body.get("progress")).doubleValue() > 0.2;
                if (timerProgress) {
                    progressArrived.countDown();
                    // hold this callback open for a while: no other callback of the job may arrive meanwhile
                    try {
                        overlapped.set(otherArrivedMeanwhile.await(1500, TimeUnit.MILLISECONDS));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                } else if (progressArrived.getCount() == 0) {
                    otherArrivedMeanwhile.countDown();
                }
                StubHttpServer.respond(ex, 200, "application/json", "{\"ok\":true}".getBytes());
            });
            RunnerConfig rc = RunnerConfig.fromEnv(Map.of("RUNNER_WORK_DIR", dir.path().toString(), "RUNNER_MAX_CONCURRENCY", "1"));
            RunnerCallbacks callbacks = new RunnerCallbacks(new SignedHttp(new Hmac("secret")), Clock.systemUTC(), 10);
            RunnerJobs jobs = new RunnerJobs("burner-ffmpeg", rc, callbacks, new JobProcessExecutor(), Clock.systemUTC());
            RunnerJob job;
            try (DefaultCamelContext camel = new DefaultCamelContext()) {
                job = jobs.accept(Map.of("jobId", "job_order", "callbackUrl", server.base() + "/cb"), List.of(), new DefaultExchange(camel));
            }

            jobs.phase(job, "running", "running", 0.2);
            job.liveProgress = () -> 0.6;
            Thread timer = new Thread(jobs::reportProgress, "progress-timer");
            timer.start();
            assertTrue(progressArrived.await(10, TimeUnit.SECONDS), "the timer sent a running progress callback");

            // what the job's thread does when ffmpeg ends: stop live progress, move on
            job.liveProgress = null;
            jobs.phase(job, "uploading", "uploading", 0.95);
            timer.join(10_000);
            jobs.finish(job); // waits for the job's callbacks

            assertFalse(overlapped.get(), "uploading was sent while the running callback was still in flight");
            List<String> sent = server.requests("/cb").stream().map(r -> Json.parseObject(r.body()))
                    .map(m -> m.get("status") + "@" + m.get("progress")).toList();
            assertEquals(List.of("running@0.2", "running@0.6", "uploading@0.95"), sent);
        }
    }

    /**
     * #20: no phase waits for the orchestrator's answer. The receiver here takes 1.5 s to answer
     * each callback; the job's phases still follow each other at once, the callbacks arrive one at
     * a time in phase order with each phase's own state, and the job's last step waits for them all.
     */
    @Test
    void phasesDoNotWaitForTheOrchestratorButArriveInOrder() throws Exception {
        AtomicBoolean concurrent = new AtomicBoolean();
        CountDownLatch answer = new CountDownLatch(1);
        AtomicInteger inFlight = new AtomicInteger();
        try (StubHttpServer server = new StubHttpServer(); TestMedia.TempDir dir = TestMedia.tempDir("runner-async")) {
            server.on("/cb", ex -> {
                if (inFlight.incrementAndGet() > 1) {
                    concurrent.set(true);
                }
                server.record(ex);
                try {
                    answer.await(30, TimeUnit.SECONDS); // no answer until the phases are through
                    Thread.sleep(1500);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                inFlight.decrementAndGet();
                StubHttpServer.respond(ex, 200, "application/json", "{\"ok\":true}".getBytes());
            });
            RunnerConfig rc = RunnerConfig.fromEnv(Map.of("RUNNER_WORK_DIR", dir.path().toString(), "RUNNER_MAX_CONCURRENCY", "1"));
            RunnerCallbacks callbacks = new RunnerCallbacks(new SignedHttp(new Hmac("secret")), Clock.systemUTC(), 10);
            RunnerJobs jobs = new RunnerJobs("downloader", rc, callbacks, new JobProcessExecutor(), Clock.systemUTC());
            RunnerJob job;
            try (DefaultCamelContext camel = new DefaultCamelContext()) {
                job = jobs.accept(Map.of("jobId", "job_async", "callbackUrl", server.base() + "/cb"), List.of(), new DefaultExchange(camel));
            }
            long t0 = System.nanoTime();
            RunnerJob theJob = job;
            // the orchestrator answers nothing until the four phases are through: phases that waited
            // for its answers would never get through
            var phases = CompletableFuture.runAsync(() -> {
                jobs.phase(theJob, "preparing", "preparing", 0.05);
                jobs.phase(theJob, "fetching_metadata", "fetching_metadata", 0.1);
                jobs.phase(theJob, "downloading", "downloading", 0.6);
                jobs.completed(theJob, Map.of());
            });
            try {
                phases.get(20, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                fail("the phases waited for the orchestrator's answer");
            } finally {
                answer.countDown();
            }
            assertTrue(server.requests("/cb").size() < 4, "not all sent yet");

            jobs.finish(job);
            long allMs = (System.nanoTime() - t0) / 1_000_000;
            List<String> sent = server.requests("/cb").stream().map(r -> Json.parseObject(r.body()))
                    .map(m -> m.get("status") + "@" + m.get("progress")).toList();
            assertEquals(List.of("preparing@0.05", "fetching_metadata@0.1", "downloading@0.6", "completed@1.0"), sent,
                    "each callback carries the state of its own phase, in order");
            assertTrue(allMs >= 4 * 1500, "finish waited for all four answers: " + allMs + " ms");
            assertFalse(concurrent.get(), "one callback of a job at a time");
        }
    }
}
