package dev.mediaorchestrator.reliability;

import dev.mediaorchestrator.common.Hmac;
import dev.mediaorchestrator.common.Json;
import dev.mediaorchestrator.common.SignedHttp;
import dev.mediaorchestrator.orchestrator.Engine;
import dev.mediaorchestrator.orchestrator.Job;
import dev.mediaorchestrator.orchestrator.JobKeys;
import dev.mediaorchestrator.orchestrator.JobStore;
import dev.mediaorchestrator.storage.EmbeddedS3;
import dev.mediaorchestrator.storage.Storage;
import dev.mediaorchestrator.support.AppStandIn;
import dev.mediaorchestrator.support.FaultyStore;
import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.support.Put;
import dev.mediaorchestrator.support.RunningApp;
import dev.mediaorchestrator.support.StubHttpServer;
import dev.mediaorchestrator.support.TestServers;
import dev.mediaorchestrator.support.Wait;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static dev.mediaorchestrator.support.RunningApp.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 29: R2 allows one write per second per key and answers 429 beyond. The orchestrator runs on
 * a store that does exactly that ({@link FaultyStore.Mode#R2_WRITE_LIMIT}) while a burst of 50 fast
 * jobs goes through, each with a stand-in runner that uploads its outputs and reports at once, as
 * this project's runners do. Every job is accepted (no 503 to the app), every runner callback is
 * taken (none refused), every job completes with one callback.
 */
@IntegrationTest
class R2WriteLimitTest {
    private static final int JOBS = 50;

    @Test
    void aBurstOf50FastJobsCompletesOnAStoreThatTakesOneWritePerSecondPerKey() throws Exception {
        Path dir = TestServers.tempDir("mo-r2-limit");
        EmbeddedS3 store = TestServers.embeddedS3(dir);
        store.createBucket("vidgen-render");
        FaultyStore r2 = new FaultyStore(store.endpoint()).mode(FaultyStore.Mode.R2_WRITE_LIMIT).latency(20);
        AppStandIn next = new AppStandIn(new Hmac(RunningApp.SECRET));
        SignedHttp signed = new SignedHttp(new Hmac(RunningApp.SECRET));
        ExecutorService work = Executors.newCachedThreadPool(); // each job runs at once, as on 50 runners
        List<String> refused = new CopyOnWriteArrayList<>();
        Set<String> running = ConcurrentHashMap.newKeySet();
        StubHttpServer runner = new StubHttpServer();
        runner.on("/render", ex -> {
            Map<String, Object> p = Json.parseObject(runner.record(ex).body());
            running.add((String) p.get("jobId"));
            StubHttpServer.respond(ex, 202, "application/json", Json.writeBytes(Map.of("jobId", p.get("jobId"))));
            work.submit(() -> runFast(p, signed, refused));
        });
        runner.on("/status/", ex -> { // a quiet job is asked how it is (RUNNER_PROBE_SECONDS)
            String jobId = ex.getRequestURI().getPath().substring("/status/".length());
            runner.record(ex);
            StubHttpServer.respond(ex, running.contains(jobId) ? 200 : 404, "application/json",
                    Json.writeBytes(Map.of("jobId", jobId, "status", "running", "progress", 0.5)));
        });
        RunningApp app = null;
        ExecutorService clients = Executors.newFixedThreadPool(10);
        try {
            Map<String, String> env = new HashMap<>();
            env.put("NEXT_BASE_URL", next.base().toString());
            env.put("CONTAINER_BASE_URL", runner.base().toString());
            env.put("R2_S3_ENDPOINT", r2.endpoint().toString());
            env.put("R2_ACCESS_KEY_ID", store.accessKey());
            env.put("R2_SECRET_ACCESS_KEY", store.secretKey());
            env.put("TRANSFER_MODE", "direct");
            app = RunningApp.start(env);
            RunningApp a = app;
            List<Future<HttpResponse<String>>> submitted = new ArrayList<>();
            for (int i = 0; i < JOBS; i++) {
                int n = i;
                submitted.add(clients.submit(() -> a.postSigned("/jobs", Map.of("mediaId", "r2-" + n, "engine", "media-downloader",
                        "options", Map.of("url", "https://example.com/v" + n), "ts", System.currentTimeMillis(),
                        "nonce", UUID.randomUUID().toString()))));
            }
            List<String> jobIds = new ArrayList<>();
            for (Future<HttpResponse<String>> f : submitted) {
                HttpResponse<String> r = f.get();
                assertEquals(202, r.statusCode(), "no 503 to the app: " + r.body());
                jobIds.add((String) json(r).get("jobId"));
            }
            Wait.until("every job's callback", Duration.ofSeconds(300),
                    () -> jobIds.stream().allMatch(id -> !next.acceptedFor(id).isEmpty()));
            for (String id : jobIds) {
                assertEquals("completed", a.awaitDeliveryRecorded(id).get("status"), id);
            }
            Thread.sleep(1000); // a second callback of any job would come now
            for (String id : jobIds) {
                assertEquals(1, next.attempts.stream().filter(c -> id.equals(c.get("jobId"))).count(), "one callback for " + id);
                assertEquals("completed", next.acceptedFor(id).get(0).get("status"));
            }
            assertEquals(List.of(), refused, "no runner callback refused");
            assertTrue(r2.limited.get() > 0, "the store did refuse writes (" + r2.limited.get() + " answered 429)");
            System.out.printf("R2 limit: %d jobs, %d writes answered 429, %d record writes (%.1f per job)%n", JOBS, r2.limited.get(),
                    r2.writesUnder(JobKeys.STATE_PREFIX), r2.writesUnder(JobKeys.STATE_PREFIX) / (double) JOBS);
        } finally {
            clients.shutdownNow();
            work.shutdownNow();
            if (app != null) {
                app.close();
            }
            runner.close();
            r2.close();
            store.close();
            next.close();
            TestServers.deleteRecursively(dir);
        }
    }

    /**
     * The moments a fast job's record has several writers at once (the runner's callback, the
     * dispatcher recording the runner's answer, the completion check, the delivery of the app's
     * callback), on the two orchestrator replicas the manifests run: three writers on each, at the same
     * moment, on a store that takes one write per second per key. Each change gets through, once.
     */
    @Test
    void writersOfOneRecordOnTwoReplicasAtOnceAllGetThrough() throws Exception {
        Path dir = TestServers.tempDir("mo-r2-writers");
        EmbeddedS3 store = TestServers.embeddedS3(dir);
        store.createBucket("vidgen-render");
        FaultyStore r2 = new FaultyStore(store.endpoint()).mode(FaultyStore.Mode.R2_WRITE_LIMIT);
        FaultyStore r2b = r2.anotherFront();
        Storage storageA = new Storage(r2.endpoint(), store.accessKey(), store.secretKey(), "auto", "vidgen-render");
        Storage storageB = new Storage(r2b.endpoint(), store.accessKey(), store.secretKey(), "auto", "vidgen-render");
        ExecutorService writers = Executors.newFixedThreadPool(6);
        try (JobStore a = new JobStore(Duration.ofHours(1), storageA, new Hmac("r2-writers"), Clock.systemUTC());
             JobStore b = new JobStore(Duration.ofHours(1), storageB, new Hmac("r2-writers"), Clock.systemUTC())) {
            Job job = a.create(new Job(JobKeys.newJobId(), "m", Engine.DOWNLOADER, Map.of("url", "https://example.com/v"),
                    System.currentTimeMillis(), UUID.randomUUID().toString()));
            CountDownLatch go = new CountDownLatch(1);
            List<Future<?>> done = new ArrayList<>();
            for (JobStore replica : List.of(a, a, a, b, b, b)) {
                done.add(writers.submit(() -> {
                    go.await();
                    return replica.transition(job.jobId, j -> {
                        Job.Draft d = j.draft();
                        d.progress = j.progress + 0.1;
                        return d.build();
                    });
                }));
            }
            go.countDown();
            List<String> failed = new ArrayList<>();
            for (Future<?> f : done) {
                try {
                    f.get(60, TimeUnit.SECONDS);
                } catch (ExecutionException e) {
                    failed.add(e.getCause().toString());
                }
            }
            assertEquals(List.of(), failed, "no writer refused (" + r2.limited.get() + " writes answered 429)");
            assertEquals(0.6, a.fresh(job.jobId).orElseThrow().progress, 1e-9, "each change applied once");
        } finally {
            writers.shutdownNow();
            storageA.close();
            storageB.close();
            r2b.close();
            r2.close();
            store.close();
            TestServers.deleteRecursively(dir);
        }
    }

    /**
     * What this project's downloader sends for a job that takes no time (DownloaderSteps): each phase,
     * each output's provenance once it is up (the last one lets the orchestrator complete the job at
     * once, while the runner still reports), then {@code completed}; each callback after the answer to
     * the one before, as RunnerCallbacks sends them.
     */
    private static void runFast(Map<String, Object> p, SignedHttp signed, List<String> refused) {
        String jobId = (String) p.get("jobId");
        try {
            callback(p, signed, refused, phase("preparing", "preparing", 0.02));
            callback(p, signed, refused, phase("fetching_metadata", "fetching_metadata", 0.05));
            callback(p, signed, refused, phase("running", "downloading", 0.1));
            callback(p, signed, refused, phase("running", "extracting_audio", 0.6));
            Map<String, Object> uploading = phase("uploading", "uploading", 0.85);
            uploading.put("metadata", Map.of("title", "t", "author", "u"));
            callback(p, signed, refused, uploading);
            Map<String, Object> outputs = new LinkedHashMap<>();
            outputs.put("metadata", upload(p, signed, refused, "metadata", "{\"title\":\"t\",\"uploader\":\"u\"}".getBytes(StandardCharsets.UTF_8)));
            outputs.put("video", upload(p, signed, refused, "video", new byte[2048]));
            callback(p, signed, refused, phase("uploading", "uploading", 0.9));
            outputs.put("audio", upload(p, signed, refused, "audio", new byte[1024]));
            Map<String, Object> done = phase("completed", "completed", 1.0);
            done.put("metadata", Map.of("title", "t", "author", "u"));
            done.put("outputs", outputs);
            callback(p, signed, refused, done);
        } catch (Exception e) {
            refused.add(jobId + ": " + e);
        }
    }

    private static Map<String, Object> phase(String status, String phase, double progress) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("status", status);
        m.put("phase", phase);
        m.put("progress", progress);
        m.put("provenance", true);
        return m;
    }

    /** Uploads one output to its presigned URL and reports it (key, size, type, sha256), as RunnerJobs.uploaded does. */
    private static Map<String, Object> upload(Map<String, Object> p, SignedHttp signed, List<String> refused, String kind, byte[] body)
            throws Exception {
        String field = "output" + Character.toUpperCase(kind.charAt(0)) + kind.substring(1);
        String contentType = switch (kind) {
            case "video" -> "video/mp4";
            case "audio" -> "audio/mpeg";
            default -> "application/json";
        };
        int code = Put.put(URI.create((String) p.get(field + "PutUrl")), contentType, body);
        if (code / 100 != 2) {
            throw new IllegalStateException("upload of " + kind + " answered " + code);
        }
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("key", p.get(field + "Key"));
        info.put("size", body.length);
        info.put("contentType", contentType);
        info.put("sha256", HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body)));
        Map<String, Object> report = phase("uploading", "uploading", 0.9);
        report.put("outputs", Map.of(kind, info));
        callback(p, signed, refused, report);
        return info;
    }

    private static void callback(Map<String, Object> p, SignedHttp signed, List<String> refused, Map<String, Object> fields) throws Exception {
        Map<String, Object> cb = new LinkedHashMap<>();
        cb.put("jobId", p.get("jobId"));
        cb.putAll(fields);
        cb.put("ts", System.currentTimeMillis());
        cb.put("nonce", UUID.randomUUID().toString());
        // as this project's runners send them: 10 s to answer, and a progress report is sent once
        SignedHttp.Response r = signed.post(URI.create((String) p.get("callbackUrl")), cb, Duration.ofSeconds(10));
        if (!r.ok()) {
            refused.add(p.get("jobId") + " " + fields.get("status") + ": " + r.status() + " " + r.body());
        }
    }
}
