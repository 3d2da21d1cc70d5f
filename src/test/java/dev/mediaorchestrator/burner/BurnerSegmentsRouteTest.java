package dev.mediaorchestrator.burner;

import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.support.RunningApp;
import dev.mediaorchestrator.support.StubHttpServer;
import dev.mediaorchestrator.testutil.TestMedia;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.mediaorchestrator.burner.BurnerRouteTest.collapse;
import static dev.mediaorchestrator.burner.BurnerRunnerFixture.awaitIdle;
import static dev.mediaorchestrator.burner.BurnerRunnerFixture.callbacksFor;
import static dev.mediaorchestrator.burner.BurnerRunnerFixture.statuses;
import static dev.mediaorchestrator.support.RunningApp.json;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 32, the burner's side over HTTP: the burner role alone, driven as the orchestrator will
 * drive it (docs/segmented-burn.md) with signed {@code /render} tasks on its one endpoint: a plan,
 * then a task per segment of the plan (all at once, as on several burners), then the join of the
 * uploaded segments. The joined output is checked against the contract's plain burn of the same
 * input by the same runner ({@link SegmentedOutputChecks}), and the tasks' callbacks and uploads
 * against the design.
 */
@IntegrationTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BurnerSegmentsRouteTest {
    private BurnerRunnerFixture fx;
    private RunningApp app;

    @BeforeAll
    void start() throws Exception {
        fx = new BurnerRunnerFixture("burner-segments");
        SegmentedOutputChecks.generateInput(fx.media("clip.mp4"));
        fx.serveFile("/in/clip.mp4", fx.media("clip.mp4"), "video/mp4");
        fx.serveBytes("/in/subs.vtt", SegmentedOutputChecks.VTT.getBytes(StandardCharsets.UTF_8), "text/vtt");
        // four slots: the plain burn and the plan, then the three segments at once (as on three burners)
        app = fx.startApp(Map.of("RUNNER_MAX_CONCURRENCY", "4"));
    }

    @AfterAll
    void stop() {
        if (fx != null) {
            fx.close(app);
        }
    }

    /** A task of the segmented burn of {@code jobId}: the contract's payload without its output, with {@code field}. */
    private Map<String, Object> task(String jobId, String taskId, String field, Map<String, Object> value) {
        Map<String, Object> p = fx.payload(taskId, "/in/clip.mp4", "/in/subs.vtt");
        p.put("mediaId", "m-" + jobId.substring(4, 12));
        p.put("engineOptions", Map.of("subtitleConfig", SegmentedOutputChecks.SUBTITLE_CONFIG));
        p.remove("outputPutUrl");
        p.remove("outputVideoKey");
        p.put(field, value);
        return p;
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    @Test
    void planSegmentsAndJoinMakeThePlainBurnsOutput() throws Exception {
        String jobId = BurnerRunnerFixture.newJobId();
        String prefix = "outputs/by-media/m-" + jobId.substring(4, 12) + "/" + jobId + "/";
        String segmentsPrefix = "segments/m-" + jobId.substring(4, 12) + "/" + jobId + "/";
        String base = fx.server.base().toString();

        // the contract's plain burn of the same input, by the same runner: the reference
        String plainId = BurnerRunnerFixture.newJobId();
        Map<String, Object> plain = fx.payload(plainId, "/in/clip.mp4", "/in/subs.vtt");
        plain.put("engineOptions", Map.of("subtitleConfig", SegmentedOutputChecks.SUBTITLE_CONFIG));
        assertEquals(202, app.postSigned("/render", plain).statusCode());

        // the plan
        String planId = jobId + "-plan";
        HttpResponse<String> accepted = app.postSigned("/render", task(jobId, planId, "plan", Map.of("segmentSeconds", 4)));
        assertEquals(202, accepted.statusCode(), accepted.body());
        assertEquals(Map.of("jobId", planId, "runnerUrl", app.base.toString()), json(accepted), "the task, and where the runner is reached");
        Map<String, Object> planned = fx.awaitTerminal(planId);
        assertEquals("completed", planned.get("status"), planned.toString());
        Map<?, ?> plan = (Map<?, ?>) planned.get("plan");
        assertEquals(12.0, ((Number) plan.get("duration")).doubleValue(), 0.05);
        List<?> cuts = (List<?>) plan.get("segments");
        assertEquals(3, cuts.size(), plan.toString());
        assertEquals(List.of("preparing", "running", "completed"), collapse(statuses(callbacksFor(fx.server, planId))));

        // the segments, all at once
        List<String> segmentIds = new ArrayList<>();
        for (Object o : cuts) {
            Map<?, ?> cut = (Map<?, ?>) o;
            int index = ((Number) cut.get("index")).intValue();
            String taskId = jobId + String.format("-s%03d", index);
            segmentIds.add(taskId);
            Map<String, Object> segment = new LinkedHashMap<>();
            segment.put("index", index);
            segment.put("count", cuts.size());
            segment.put("start", cut.get("start"));
            segment.put("end", cut.get("end"));
            segment.put("putUrl", base + "/out/" + taskId + "?X-Amz-Signature=seg");
            segment.put("key", segmentsPrefix + String.format("%03d.mp4", index));
            HttpResponse<String> r = app.postSigned("/render", task(jobId, taskId, "segment", segment));
            assertEquals(202, r.statusCode(), r.body());
        }
        List<String> segmentUrls = new ArrayList<>();
        for (int i = 0; i < segmentIds.size(); i++) {
            String taskId = segmentIds.get(i);
            Map<String, Object> done = fx.awaitTerminal(taskId);
            assertEquals("completed", done.get("status"), done.toString());
            List<Map<String, Object>> callbacks = callbacksFor(fx.server, taskId);
            assertEquals(List.of("preparing", "running", "uploading", "completed"), collapse(statuses(callbacks)));
            List<Double> running = callbacks.stream().filter(c -> "running".equals(c.get("status")))
                    .map(c -> ((Number) c.get("progress")).doubleValue()).toList();
            assertTrue(running.stream().allMatch(p -> p >= 0.2 && p <= 0.9), "running progress in 0.2..0.9: " + running);
            for (int k = 1; k < running.size(); k++) {
                assertTrue(running.get(k) >= running.get(k - 1), "progress never goes back: " + running);
            }
            Map<?, ?> place = (Map<?, ?>) done.get("segment");
            assertEquals(i, ((Number) place.get("index")).intValue());
            assertEquals(3, ((Number) place.get("count")).intValue());
            assertNull(done.get("outputKey"), "a segment is not the job's output");
            List<StubHttpServer.Recorded> puts = fx.server.requests("/out/" + taskId);
            assertEquals(1, puts.size(), "one upload of segment " + i);
            assertEquals("PUT", puts.get(0).method());
            assertEquals("video/mp4", puts.get(0).headers().get("content-type"));
            Map<?, ?> provenance = (Map<?, ?>) ((Map<?, ?>) done.get("outputs")).get("segment");
            assertEquals(segmentsPrefix + String.format("%03d.mp4", i), provenance.get("key"));
            assertEquals(sha256(puts.get(0).body()), provenance.get("sha256"));
            Path file = fx.media(SegmentCommands.segmentFile(i));
            Files.write(file, puts.get(0).body());
            assertEquals(0, TestMedia.streams(TestMedia.probe(file), "audio").size(), "segment " + i + " is video only");
            fx.serveFile("/seg/" + i, file, "video/mp4");
            segmentUrls.add(base + "/seg/" + i + "?X-Amz-Signature=get");
        }

        // the join
        String joinId = jobId + "-join";
        Map<String, Object> join = Map.of("segmentUrls", segmentUrls,
                "putUrl", base + "/out/" + joinId + "?X-Amz-Signature=out", "key", prefix + "video.mp4");
        Map<String, Object> joinTask = task(jobId, joinId, "join", join);
        joinTask.remove("inputVttUrl"); // the join burns nothing: the input is its audio's source
        assertEquals(202, app.postSigned("/render", joinTask).statusCode());
        Map<String, Object> joined = fx.awaitTerminal(joinId);
        assertEquals("completed", joined.get("status"), joined.toString());
        assertEquals(List.of("preparing", "running", "uploading", "completed"), collapse(statuses(callbacksFor(fx.server, joinId))));
        assertEquals(prefix + "video.mp4", joined.get("outputKey"));
        Map<?, ?> video = (Map<?, ?>) ((Map<?, ?>) joined.get("outputs")).get("video");
        assertEquals(prefix + "video.mp4", video.get("key"));
        assertTrue(((Map<?, ?>) joined.get("tools")).containsKey("ffmpeg"), "provenance: tools");
        List<StubHttpServer.Recorded> out = fx.server.requests("/out/" + joinId);
        assertEquals(1, out.size());
        assertEquals(sha256(out.get(0).body()), video.get("sha256"));

        // the same output as the plain burn's
        assertEquals("completed", fx.awaitTerminal(plainId).get("status"));
        Path joinedFile = fx.media("joined.mp4");
        Files.write(joinedFile, out.get(0).body());
        Path plainFile = fx.media("plain.mp4");
        Files.write(plainFile, fx.server.requests("/out/" + plainId).get(0).body());
        SegmentedOutputChecks.assertSameAsSingleRun(joinedFile, plainFile, fx.media("clip.mp4"), fx.root.path());

        // every task's files are gone from the runner
        awaitIdle(app);
        assertArrayEquals(new String[0], fx.workDirEntries(), "work dir is empty");
        for (String id : List.of(planId, segmentIds.get(0), joinId)) {
            assertEquals("completed", json(app.get("/status/" + id)).get("status"));
        }
    }

    @Test
    void aJoinWhoseSegmentCannotBeFetchedFailsNamingItAndLeavesNothing() throws Exception {
        String jobId = BurnerRunnerFixture.newJobId();
        String base = fx.server.base().toString();
        fx.serveFile("/seg-ok/0", fx.media("clip.mp4"), "video/mp4");
        fx.serveStatus("/seg-gone/1", 403);
        String joinId = jobId + "-join";
        Map<String, Object> join = Map.of("segmentUrls", List.of(base + "/seg-ok/0", base + "/seg-gone/1?X-Amz-Signature=secret"),
                "putUrl", base + "/out/" + joinId, "key", "outputs/by-media/m/" + jobId + "/video.mp4");
        assertEquals(202, app.postSigned("/render", task(jobId, joinId, "join", join)).statusCode());

        Map<String, Object> failed = fx.awaitTerminal(joinId);
        assertEquals("failed", failed.get("status"));
        assertEquals("segment 1: download of segment failed: HTTP 403", failed.get("error"));
        assertTrue(fx.server.requests("/out/" + joinId).isEmpty(), "nothing uploaded");
        awaitIdle(app);
        assertArrayEquals(new String[0], fx.workDirEntries(), "work dir is empty");
    }

    @Test
    void theBurnerAdvertisesSegments() throws Exception {
        HttpResponse<String> health = app.get("/healthz");
        assertEquals(200, health.statusCode());
        assertEquals(List.of("segments"), json(health).get("features"));
    }

    @Test
    void aMalformedTaskIsRefusedNamingTheField() throws Exception {
        String jobId = BurnerRunnerFixture.newJobId();
        Map<String, Object> noPut = new LinkedHashMap<>(Map.of("index", 1, "count", 3, "start", 3.98, "end", 7.98));
        HttpResponse<String> r = app.postSigned("/render", task(jobId, jobId + "-s001", "segment", noPut));
        assertEquals(400, r.statusCode());
        assertEquals(Map.of("error", "segment.putUrl is required (an http(s) URL)"), json(r));

        Map<String, Object> segment = new LinkedHashMap<>(noPut);
        segment.put("putUrl", fx.server.base() + "/out/x");
        Map<String, Object> noVtt = task(jobId, jobId + "-s001", "segment", segment);
        noVtt.remove("inputVttUrl");
        r = app.postSigned("/render", noVtt);
        assertEquals(400, r.statusCode());
        assertEquals(Map.of("error", "inputVttUrl is required (an http(s) URL)"), json(r), "a segment burns the subtitles");

        Map<String, Object> two = task(jobId, jobId + "-plan", "plan", Map.of("segmentSeconds", 4));
        two.put("join", Map.of("segmentUrls", List.of(fx.server.base() + "/seg/0")));
        r = app.postSigned("/render", two);
        assertEquals(400, r.statusCode());
        assertEquals(Map.of("error", "only one of segment, join, plan may be given, got join, plan"), json(r));
        assertFalse(fx.server.requests("/in/").stream().anyMatch(q -> q.query() != null && q.query().contains(jobId)),
                "nothing was downloaded for a refused task");
    }
}
