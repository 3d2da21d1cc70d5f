package dev.mediaorchestrator.scale;

import dev.mediaorchestrator.burner.SegmentedOutputChecks;
import dev.mediaorchestrator.common.Hmac;
import dev.mediaorchestrator.storage.Storage;
import dev.mediaorchestrator.support.AppStandIn;
import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.support.RunningApp;
import dev.mediaorchestrator.support.TestServers;
import dev.mediaorchestrator.support.Wait;
import dev.mediaorchestrator.testutil.TestMedia;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static dev.mediaorchestrator.support.RunningApp.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 32 end to end: a burn job longer than {@code BURN_SEGMENT_SECONDS} (4 s here; the input is
 * 12 s of 320×180 with a keyframe every 2 s, {@link SegmentedOutputChecks}) through {@code POST /jobs}
 * to the app's terminal callback, split by the orchestrator into a plan, three segments and a join,
 * burned by two burner processes behind one address ({@link RoundRobinProxy} on {@code 127.0.0.1:P},
 * the burners on {@code 127.0.0.2:P} and {@code 127.0.0.3:P}, one slot each: pods behind a Service).
 *
 * <p>The burners run real ffmpeg through a wrapper that injects faults chosen by a test: a file
 * {@code fail-{key}} fails the first ffmpeg whose task's work directory has {@code key} in its name
 * (a task id: {@code -s001-}), a file {@code gate-{key}} holds such a run until it is removed.
 */
@IntegrationTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SegmentedBurnJobTest {
    private static final String MEDIA = "long-talk";

    private final HttpClient http = HttpClient.newHttpClient();
    private Path tools;
    private Path faults;
    private Path work;
    private Path orchestratorData;
    private TestMedia.TempDir media;
    private AppStandIn next;
    private BurnerPods pods;
    private RoundRobinProxy service;
    private RunningApp orchestrator;
    private int orchestratorPort;

    @BeforeAll
    void start() throws Exception {
        tools = TestServers.tempDir("mo-seg-tools");
        faults = Files.createDirectories(tools.resolve("faults"));
        work = TestServers.tempDir("mo-seg-work");
        orchestratorData = TestServers.tempDir("mo-seg-orch");
        Path ffmpeg = tools.resolve("ffmpeg");
        Files.writeString(ffmpeg, """
                #!/bin/sh
                # ffmpeg, with the faults a test chose (files in FAULTS), matched against the task's work dir
                FAULTS='%s'
                for f in "$FAULTS"/fail-*; do
                  [ -e "$f" ] || continue
                  case "$PWD" in *"${f##*/fail-}"*) rm -f "$f" && { echo "injected fault" >&2; exit 1; } ;; esac
                done
                for f in "$FAULTS"/gate-*; do
                  [ -e "$f" ] || continue
                  case "$PWD" in *"${f##*/gate-}"*) while [ -e "$f" ]; do sleep 0.2; done ;; esac
                done
                exec ffmpeg "$@"
                """.formatted(faults));
        Files.setPosixFilePermissions(ffmpeg, PosixFilePermissions.fromString("rwx------"));
        media = TestMedia.tempDir("mo-seg-media");
        Path input = SegmentedOutputChecks.generateInput(media.resolve("input.mp4"));
        next = new AppStandIn(new Hmac(RunningApp.SECRET));
        next.media(MEDIA, "source", Files.readAllBytes(input))
                .media(MEDIA, "subtitles", SegmentedOutputChecks.VTT.getBytes(StandardCharsets.UTF_8));
        pods = BurnerPods.start(work, ffmpeg, 1);
        service = pods.service();
        orchestrator = startOrchestrator(Map.of());
        orchestratorPort = orchestrator.base.getPort();
    }

    /** An orchestrator in front of the burners; {@code overrides} on top of the split's settings. */
    private RunningApp startOrchestrator(Map<String, String> overrides) throws Exception {
        Map<String, String> env = new HashMap<>();
        env.put("NEXT_BASE_URL", next.base().toString());
        env.put("CONTAINER_BASE_URL", service.base().toString());
        env.put("BURN_SEGMENT_SECONDS", "4");
        env.put("COMPLETION_POLL_INTERVAL_MS", "200");
        env.put("RUNNER_PROBE_SECONDS", "2");
        env.put("DATA_DIR", orchestratorData.toString());
        if (orchestratorPort != 0) {
            env.put("PORT", String.valueOf(orchestratorPort)); // a restart: the runners' callback URLs name it
        }
        env.putAll(overrides);
        return RunningApp.start(env);
    }

    /** The jobs a test submitted to the class's orchestrator: one a failed test left running is canceled after it. */
    private final List<String> submitted = new CopyOnWriteArrayList<>();

    @AfterEach
    void clearFaultsAndJobs() throws Exception {
        try (Stream<Path> s = Files.list(faults)) {
            for (Path f : s.toList()) {
                Files.deleteIfExists(f);
            }
        }
        for (String jobId : submitted) {
            if (next.acceptedFor(jobId).isEmpty()) {
                orchestrator.postSigned("/jobs/" + jobId + "/cancel", Map.of("ts", System.currentTimeMillis(), "nonce", UUID.randomUUID().toString()));
            }
        }
        submitted.clear();
        awaitBurnersIdle();
    }

    @AfterAll
    void stop() {
        if (orchestrator != null) {
            orchestrator.close();
        }
        pods.close();
        next.close();
        media.close();
        TestServers.deleteRecursively(work);
        TestServers.deleteRecursively(tools);
        TestServers.deleteRecursively(orchestratorData);
    }

    private void fault(String kind, String key) throws IOException {
        Files.writeString(faults.resolve(kind + "-" + key), "");
    }

    private String submit(RunningApp app) throws Exception {
        HttpResponse<String> r = app.postSigned("/jobs", Map.of("mediaId", MEDIA, "engine", "burner-ffmpeg",
                "options", Map.of("subtitleConfig", SegmentedOutputChecks.SUBTITLE_CONFIG), "ts", System.currentTimeMillis()));
        assertEquals(202, r.statusCode(), r.body());
        String jobId = (String) json(r).get("jobId");
        submitted.add(jobId);
        return jobId;
    }

    private Map<String, Object> callback(String jobId) {
        Wait.until("the app's terminal callback for " + jobId, Duration.ofSeconds(180), () -> !next.acceptedFor(jobId).isEmpty());
        return next.acceptedFor(jobId).get(0);
    }

    private Map<String, Object> document(RunningApp app, String jobId) {
        try {
            return json(app.get("/jobs/" + jobId));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> segments(Map<String, Object> doc) {
        return (Map<String, Object>) doc.get("segments");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> item(Map<String, Object> doc, int index) {
        Map<String, Object> s = segments(doc);
        List<Map<String, Object>> items = s == null ? List.of() : (List<Map<String, Object>>) s.get("items");
        return index < items.size() ? items.get(index) : Map.of(); // none while it is planned
    }

    /** How many times the burners took each task run of the job ({@code -plan}, {@code -s001}, {@code -s001-r2}, …). */
    private Map<String, Long> runsTaken(String jobId) {
        return service.taken.stream().filter(t -> t.jobId().startsWith(jobId))
                .collect(Collectors.groupingBy(t -> t.jobId().substring(jobId.length()), Collectors.counting()));
    }

    private static Storage bucket(RunningApp app) {
        return app.app.storage();
    }

    private void awaitNoSegmentObjects(RunningApp app) {
        Wait.until("no segments/ object left in the bucket", Duration.ofSeconds(30), () -> bucket(app).list("segments/").isEmpty());
    }

    private void awaitBurnersIdle() {
        for (int i = 0; i < 2; i++) {
            Path dir = work.resolve("burner" + i);
            Wait.until("burner " + i + " idle, its work dir empty", Duration.ofSeconds(60), () -> {
                try (Stream<Path> s = Files.exists(dir) ? Files.list(dir) : Stream.empty()) {
                    return s.findAny().isEmpty();
                } catch (IOException e) {
                    return false;
                }
            });
        }
    }

    private Path download(RunningApp app, String key, String name) throws IOException {
        Path file = media.resolve(name);
        try (InputStream in = bucket(app).get(key, null, null)) {
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
        }
        return file;
    }

    @Test
    @SuppressWarnings("unchecked")
    void aLongBurnIsSplitAcrossBurnersAndJoinedIntoTheSingleRunsOutput() throws Exception {
        double segmentsBefore = orchestrator.metric("mediaorch_burn_segments_total", "status", "completed");
        double joinsBefore = orchestrator.metric("mediaorch_burn_joins_total", "status", "completed");
        double splitBefore = orchestrator.metric("mediaorch_burn_split_total", "result", "split");
        // segment 0 waits until segment 1 has been taken: both burners burn at once
        fault("gate", "-s000-");
        String jobId = submit(orchestrator);
        List<Map<String, Object>> seen = new CopyOnWriteArrayList<>();
        AtomicBoolean sampling = new AtomicBoolean(true);
        Thread sampler = new Thread(() -> {
            while (sampling.get()) {
                seen.add(document(orchestrator, jobId));
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        sampler.start();
        try {
            Wait.until("segment 1 taken while segment 0 runs", Duration.ofSeconds(90), () -> runsTaken(jobId).containsKey("-s001"));
            Files.delete(faults.resolve("gate--s000-"));
            Map<String, Object> cb = callback(jobId);
            assertEquals("completed", cb.get("status"), String.valueOf(cb.get("error")));
            String key = "outputs/by-media/" + MEDIA + "/" + jobId + "/video.mp4";
            assertEquals(key, cb.get("outputKey"));
            Map<String, Object> video = (Map<String, Object>) ((Map<String, Object>) cb.get("outputs")).get("video");
            assertEquals(key, video.get("key"));
            assertTrue(String.valueOf(video.get("sha256")).matches("[0-9a-f]{64}"), "the joined output's provenance: " + video);
            assertTrue(((Map<String, Object>) cb.get("tools")).containsKey("ffmpeg"), "the join's tools");
            Thread.sleep(500);
            assertEquals(1, next.acceptedFor(jobId).size(), "one terminal callback");
        } finally {
            sampling.set(false);
            sampler.join();
        }

        // one job to the app: its status forward only, its progress never back; its segments shown
        double last = 0;
        for (Map<String, Object> doc : seen) {
            double p = ((Number) doc.get("progress")).doubleValue();
            assertTrue(p >= last, "progress went back from " + last + " to " + p);
            last = p;
        }
        assertTrue(seen.stream().anyMatch(d -> segments(d) != null && "running".equals(item(d, 0).get("status"))
                && "running".equals(item(d, 1).get("status"))), "two segments ran at once: " + seen.size() + " samples");
        Map<String, Object> doc = document(orchestrator, jobId);
        Map<String, Object> segments = segments(doc);
        assertEquals("split", segments.get("mode"));
        assertEquals(3, segments.get("count"));
        assertEquals(3, segments.get("completed"));
        assertEquals(12.0, ((Number) segments.get("duration")).doubleValue(), 0.05);
        assertEquals("completed", ((Map<String, Object>) segments.get("join")).get("status"));
        Map<String, Long> runs = runsTaken(jobId);
        assertEquals(Map.of("-plan", 1L, "-s000", 1L, "-s001", 1L, "-s002", 1L, "-join", 1L), runs);
        Set<Integer> pods = service.taken.stream().filter(t -> t.jobId().equals(jobId + "-s000") || t.jobId().equals(jobId + "-s001"))
                .map(RoundRobinProxy.Taken::backend).collect(Collectors.toSet());
        assertEquals(Set.of(0, 1), pods, "segments 0 and 1 on the two burners");
        assertTrue(service.taken.stream().noneMatch(t -> t.jobId().equals(jobId)), "no single run of the job");

        // nothing left: no segment in the bucket, no file on a runner
        awaitNoSegmentObjects(orchestrator);
        awaitBurnersIdle();
        assertEquals(3.0, orchestrator.metric("mediaorch_burn_segments_total", "status", "completed") - segmentsBefore);
        assertEquals(1.0, orchestrator.metric("mediaorch_burn_joins_total", "status", "completed") - joinsBefore);
        assertEquals(1.0, orchestrator.metric("mediaorch_burn_split_total", "result", "split") - splitBefore);
        assertTrue(orchestrator.metric("mediaorch_burn_segment_seconds_count") >= 3, "a segment's wall time is measured");

        // what the single run of the same burn makes (an orchestrator that does not split, in direct mode)
        Path singleData = TestServers.tempDir("mo-seg-single");
        RunningApp single = startOrchestrator(Map.of("BURN_SEGMENT_SECONDS", "0", "TRANSFER_MODE", "direct",
                "DATA_DIR", singleData.toString(), "PORT", String.valueOf(TestServers.freePort())));
        try {
            String singleId = submit(single);
            assertEquals("completed", callback(singleId).get("status"));
            assertNull(document(single, singleId).get("segments"), "a job never planned has no segments");
            assertEquals(Map.of("", 1L), runsTaken(singleId));
            Path joined = download(orchestrator, "outputs/by-media/" + MEDIA + "/" + jobId + "/video.mp4", "joined.mp4");
            Path reference = download(single, "outputs/by-media/" + MEDIA + "/" + singleId + "/video.mp4", "single.mp4");
            SegmentedOutputChecks.assertSameAsSingleRun(joined, reference, media.resolve("input.mp4"), media.path());
        } finally {
            single.close();
            TestServers.deleteRecursively(singleData);
        }
    }

    /**
     * The join's burner answers {@code completed} to a probe before its reports reach the
     * orchestrator (they queue behind a slow network, or a busy orchestrator): the job waits for them
     * and its terminal callback carries the joined output's sha256. Seen in CI: a probe completed the
     * job from the bucket alone, without the digest.
     */
    @Test
    @SuppressWarnings("unchecked")
    void aProbeThatFindsTheJoinDoneBeforeItsReportsWaitsForTheDigest() throws Exception {
        int port = TestServers.freePort();
        Path data = TestServers.tempDir("mo-seg-probe");
        try (RoundRobinProxy callbacks = new RoundRobinProxy("callbacks", List.of(URI.create("http://127.0.0.1:" + port)))) {
            RunningApp app = startOrchestrator(Map.of("TRANSFER_MODE", "direct", "DATA_DIR", data.toString(),
                    "PORT", String.valueOf(port), "ORCHESTRATOR_BASE_URL_CONTAINER", callbacks.base().toString()));
            try {
                // the join's reports of its output (with its digest) are held on their way
                callbacks.hold(body -> body.contains("\"video\"") && body.contains("\"sha256\""));
                String[] completed = {"engine", "burner", "result", "completed"};
                double before = app.metric("mediaorch_runner_probes_total", completed);
                String jobId = submit(app);
                Wait.until("the join's report of its output held", Duration.ofSeconds(120), () -> callbacks.held() > 0);
                Wait.until("a probe that finds the join done", Duration.ofSeconds(30), () -> app.metric("mediaorch_runner_probes_total", completed) > before);
                Object status = document(app, jobId).get("status");
                assertTrue(Set.of("running", "uploading").contains(status), "the job waits for the join's reports, but is " + status);
                callbacks.release();
                Map<String, Object> cb = callback(jobId);
                assertEquals("completed", cb.get("status"), String.valueOf(cb.get("error")));
                Map<String, Object> video = (Map<String, Object>) ((Map<String, Object>) cb.get("outputs")).get("video");
                assertTrue(String.valueOf(video.get("sha256")).matches("[0-9a-f]{64}"), "the joined output's digest: " + video);
                awaitNoSegmentObjects(app);
            } finally {
                app.close();
            }
        } finally {
            TestServers.deleteRecursively(data);
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void aSegmentThatFailsIsBurnedAgainAloneAndTheJobCompletes() throws Exception {
        // in direct mode (presigned URLs of the bucket), as in production
        Path directData = TestServers.tempDir("mo-seg-direct");
        RunningApp direct = startOrchestrator(Map.of("TRANSFER_MODE", "direct",
                "DATA_DIR", directData.toString(), "PORT", String.valueOf(TestServers.freePort())));
        try {
            double retriedBefore = direct.metric("mediaorch_burn_segments_total", "status", "retried");
            fault("fail", "-s001-");
            String jobId = submit(direct);
            Map<String, Object> cb = callback(jobId);
            assertEquals("completed", cb.get("status"), String.valueOf(cb.get("error")));
            assertEquals(Map.of("-plan", 1L, "-s000", 1L, "-s001", 1L, "-s001-r2", 1L, "-s002", 1L, "-join", 1L), runsTaken(jobId),
                    "segment 1 burned again, alone");
            Map<String, Object> doc = document(direct, jobId);
            assertEquals(2, item(doc, 1).get("attempts"));
            assertEquals(1, item(doc, 0).get("attempts"));
            assertEquals(1, item(doc, 2).get("attempts"));
            assertTrue(String.valueOf(item(doc, 1).get("error")).contains("ffmpeg"), "why its first run ended: " + item(doc, 1));
            assertEquals(1.0, direct.metric("mediaorch_burn_segments_total", "status", "retried") - retriedBefore);
            awaitNoSegmentObjects(direct);
            awaitBurnersIdle();
            assertEquals(1, next.acceptedFor(jobId).size());
        } finally {
            direct.close();
            TestServers.deleteRecursively(directData);
        }
    }

    @Test
    void aCancelStopsEveryTaskAndLeavesNoSegment() throws Exception {
        fault("gate", "-s002-");
        String jobId = submit(orchestrator);
        Wait.until("segments 0 and 1 up, segment 2 running", Duration.ofSeconds(120), () -> {
            Map<String, Object> doc = document(orchestrator, jobId);
            return "completed".equals(item(doc, 0).get("status")) && "completed".equals(item(doc, 1).get("status"))
                    && "running".equals(item(doc, 2).get("status"));
        });
        Wait.until("segment 2's tool running on a burner", Duration.ofSeconds(30), () -> {
            try {
                return !TestServers.processesIn(work).isEmpty();
            } catch (IOException e) {
                return false;
            }
        });
        assertTrue(bucket(orchestrator).list("segments/").size() >= 2, "the segments up so far are in the bucket");
        HttpResponse<String> r = orchestrator.postSigned("/jobs/" + jobId + "/cancel",
                Map.of("ts", System.currentTimeMillis(), "nonce", UUID.randomUUID().toString()));
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("canceled", callback(jobId).get("status"));
        Wait.until("every tool of the job stopped on the burners", Duration.ofSeconds(30), () -> {
            try {
                return TestServers.processesIn(work).isEmpty();
            } catch (IOException e) {
                return false;
            }
        });
        String s2 = jobId + "-s002";
        int pod = service.taken.stream().filter(t -> t.jobId().equals(s2)).findFirst().orElseThrow().backend();
        Wait.until("segment 2's burner to say canceled", Duration.ofSeconds(30), () -> "canceled".equals(statusOn(pod, s2)));
        awaitNoSegmentObjects(orchestrator);
        awaitBurnersIdle();
        Thread.sleep(500);
        assertEquals(1, next.acceptedFor(jobId).size(), "one terminal callback");
        assertTrue(runsTaken(jobId).keySet().stream().noneMatch(k -> k.equals("-join")), "never joined");
    }

    private String statusOn(int pod, String taskId) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(pods.pod(pod) + "/status/" + taskId)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? String.valueOf(json(r).get("status")) : "HTTP " + r.statusCode();
        } catch (Exception e) {
            return e.toString();
        }
    }

    @Test
    void aRestartOfTheOrchestratorLosesNoSegmentAlreadyDone() throws Exception {
        fault("gate", "-s002-");
        String jobId = submit(orchestrator);
        Wait.until("segments 0 and 1 up, segment 2 running", Duration.ofSeconds(120), () -> {
            Map<String, Object> doc = document(orchestrator, jobId);
            return "completed".equals(item(doc, 0).get("status")) && "completed".equals(item(doc, 1).get("status"))
                    && "running".equals(item(doc, 2).get("status"));
        });
        orchestrator.close();
        orchestrator = startOrchestrator(Map.of());
        Map<String, Object> after = document(orchestrator, jobId);
        assertEquals(2, segments(after).get("completed"), "the restarted orchestrator knows the segments done: " + segments(after));
        Files.delete(faults.resolve("gate--s002-"));
        Map<String, Object> cb = callback(jobId);
        assertEquals("completed", cb.get("status"), String.valueOf(cb.get("error")));
        Map<String, Long> runs = runsTaken(jobId);
        for (String done : List.of("-plan", "-s000", "-s001")) {
            assertEquals(1L, runs.get(done), "taken once: " + runs);
            assertNull(runs.get(done + "-r2"), "not burned again across the restart: " + runs);
        }
        // segment 2 ran across the restart: its burner uploads to the orchestrator (fallback mode), and an
        // upload that meets the restart (a connection of the old process) fails the run, which runs again
        assertTrue(runs.containsKey("-s002") && runs.containsKey("-join"), String.valueOf(runs));
        awaitNoSegmentObjects(orchestrator);
        awaitBurnersIdle();
        Thread.sleep(500);
        assertEquals(1, next.acceptedFor(jobId).size());
        List<String> keys = new ArrayList<>(bucket(orchestrator).list("outputs/by-media/" + MEDIA + "/" + jobId + "/"));
        assertEquals(List.of("outputs/by-media/" + MEDIA + "/" + jobId + "/video.mp4"), keys);
    }
}
