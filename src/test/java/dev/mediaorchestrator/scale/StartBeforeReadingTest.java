package dev.mediaorchestrator.scale;

import dev.mediaorchestrator.common.Hmac;
import dev.mediaorchestrator.orchestrator.Engine;
import dev.mediaorchestrator.orchestrator.Job;
import dev.mediaorchestrator.orchestrator.JobKeys;
import dev.mediaorchestrator.orchestrator.JobStore;
import dev.mediaorchestrator.orchestrator.StateObjects;
import dev.mediaorchestrator.storage.Storage;
import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.support.RunningApp;
import dev.mediaorchestrator.support.StubHttpServer;
import dev.mediaorchestrator.support.TestServers;
import dev.mediaorchestrator.support.Wait;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.mediaorchestrator.support.RunningApp.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 29: a replica's start does not grow with the open jobs in the bucket. 300 open jobs of this
 * replica are in the bucket (written directly, as a replica killed with them would leave them) and
 * every read of a job record takes 100 ms: the service answers ready and serves {@code GET /jobs/{id}}
 * of one of them (read from the bucket on demand) before it has read them all, and reads them all
 * in the background. Before, {@code App.start} read every open record before the service was up.
 */
@IntegrationTest
class StartBeforeReadingTest {
    private static final int OPEN_JOBS = 300;

    @Test
    void theServiceIsReadyAndAnswersBeforeItHasReadTheOpenJobs() throws Exception {
        Path work = TestServers.tempDir("mo-lazy-start");
        try (SharedBucket bucket = new SharedBucket(work.resolve("bucket"), TestServers.freePort());
             StubHttpServer runner = new StubHttpServer();
             Storage storage = new Storage(bucket.endpoint(), bucket.accessKey, bucket.secretKey, "auto", SharedBucket.BUCKET)) {
            runner.on("/healthz", ex -> StubHttpServer.respond(ex, 200, "application/json", "{\"ok\":true}".getBytes()));
            // the replica's identity (DATA_DIR/instance-id) and its open jobs, recorded under it
            Path dataDir = work.resolve("data");
            Files.createDirectories(dataDir);
            Files.writeString(dataDir.resolve("instance-id"), "replica-under-test\n", StandardCharsets.UTF_8);
            List<String> ids = new ArrayList<>();
            try (JobStore writer = new JobStore(Duration.ofDays(1), StateObjects.of(storage), new Hmac(RunningApp.SECRET), Clock.systemUTC())) {
                for (int i = 0; i < OPEN_JOBS; i++) {
                    Job.Draft d = new Job(JobKeys.newJobId(), "m" + i, Engine.BURNER, Map.of(), System.currentTimeMillis(), "n" + i).draft();
                    d.owner = "replica-under-test";
                    ids.add(writer.create(d.build()).jobId);
                }
            }
            storage.putSmall("state/index-v1", "{}".getBytes(StandardCharsets.UTF_8), "application/json", null, false);

            AtomicInteger recordReads = new AtomicInteger();
            bucket.beforeRequest = (type, key) -> {
                if ("GET".equals(type) && key != null && key.startsWith(JobKeys.STATE_PREFIX)) {
                    recordReads.incrementAndGet();
                    try {
                        Thread.sleep(100);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            };
            try (RunningApp app = RunningApp.start(Map.of("DATA_DIR", dataDir.toString(),
                    "R2_S3_ENDPOINT", bucket.endpoint().toString(), "R2_ACCESS_KEY_ID", bucket.accessKey,
                    "R2_SECRET_ACCESS_KEY", bucket.secretKey, "R2_BUCKET_NAME", SharedBucket.BUCKET,
                    "CONTAINER_BASE_URL", runner.base().toString(), "CONTAINER_BASE_URL_DOWNLOADER", runner.base().toString(),
                    "RUNNER_PROBE_SECONDS", "3600"))) {
                String last = ids.get(ids.size() - 1);
                assertEquals(200, app.get("/health/ready").statusCode(), "ready at once");
                assertEquals("queued", json(app.get("/jobs/" + last)).get("status"), "a job not read yet is answered from the bucket");
                int readSoFar = recordReads.get();
                assertTrue(readSoFar < OPEN_JOBS, "ready and serving after " + readSoFar + " of " + OPEN_JOBS
                        + " record reads: the start did not wait for the open jobs");
                Wait.until("every open job read in the background", Duration.ofSeconds(120),
                        () -> app.app.jobs().worked().size() == OPEN_JOBS);
            }
        } finally {
            TestServers.deleteRecursively(work);
        }
    }
}
