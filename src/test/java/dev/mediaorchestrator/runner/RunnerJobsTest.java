package dev.mediaorchestrator.runner;

import dev.mediaorchestrator.support.IntegrationTest;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mediaorchestrator.common.Hmac;
import dev.mediaorchestrator.common.Json;
import dev.mediaorchestrator.common.SignedHttp;
import dev.mediaorchestrator.support.StubHttpServer;
import dev.mediaorchestrator.support.TestServers;
import dev.mediaorchestrator.support.Wait;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;

@IntegrationTest
class RunnerJobsTest {

    /**
     * The progress timer and the job thread both send callbacks for one job. A progress callback
     * still in flight when the job moves to its next phase must be answered before the phase's
     * callback leaves, or the receiver can apply them in the wrong order. The receiver here holds
     * the timer's callback until the next phase's callback arrives (at most 3 s): when the two are
     * sent one at a time, the phase callback arrives only after that.
     */
    @Test
    void aProgressCallbackInFlightIsAnsweredBeforeTheNextPhaseIsSent() throws Exception {
        Path work = TestServers.tempDir("runner-jobs");
        List<String> arrived = new CopyOnWriteArrayList<>();
        List<String> applied = new CopyOnWriteArrayList<>();
        CountDownLatch nextPhaseArrived = new CountDownLatch(1);
        try (StubHttpServer orchestrator = new StubHttpServer();
             DefaultCamelContext camel = new DefaultCamelContext()) {
            orchestrator.on("/cb", ex -> {
                Map<String, Object> body = Json.parseObject(orchestrator.record(ex).body());
                String what = body.get("phase") + "@" + body.get("progress");
                arrived.add(what);
                if (what.equals("running@0.5")) {
                    try {
                        nextPhaseArrived.await(3, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    applied.add(what);
                } else {
                    applied.add(what);
                    if (what.startsWith("uploading")) {
                        nextPhaseArrived.countDown();
                    }
                }
                StubHttpServer.respond(ex, 200, "application/json", "{\"ok\":true}".getBytes(StandardCharsets.UTF_8));
            });
            RunnerConfig config = RunnerConfig.fromEnv(Map.of("RUNNER_WORK_DIR", work.toString()));
            RunnerJobs jobs = new RunnerJobs("test-engine", config,
                    new RunnerCallbacks(new SignedHttp(new Hmac("secret")), Clock.systemUTC(), 10),
                    new JobProcessExecutor(), Clock.systemUTC());
            RunnerJob job = jobs.accept(Map.of("jobId", "job_1", "callbackUrl", orchestrator.base() + "/cb"), List.of(),
                    new DefaultExchange(camel));
            jobs.phase(job, "running", "running", 0.2);
            job.liveProgress = () -> 0.5;

            Thread timer = new Thread(jobs::reportProgress, "progress-timer");
            timer.start();
            Wait.until("the progress callback reached the receiver", Duration.ofSeconds(30), () -> arrived.contains("running@0.5"));
            Thread jobThread = new Thread(() -> {
                job.liveProgress = null;
                jobs.phase(job, "uploading", "uploading", 0.95);
            }, "job");
            jobThread.start();
            timer.join(30_000);
            jobThread.join(30_000);
            jobs.finish(job); // the job's last step: its callbacks are all sent (in the background, in order)

            assertEquals(List.of("running@0.2", "running@0.5", "uploading@0.95"), applied);
        } finally {
            TestServers.deleteRecursively(work);
        }
    }
}
