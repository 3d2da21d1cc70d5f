package dev.mediaorchestrator.reliability;

import dev.mediaorchestrator.common.Hmac;
import dev.mediaorchestrator.support.AppStandIn;
import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.support.RunningApp;
import dev.mediaorchestrator.support.Wait;
import dev.mediaorchestrator.testutil.TestMedia;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static dev.mediaorchestrator.support.RunningApp.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import java.nio.charset.StandardCharsets;

/**
 * A burn whose ffmpeg outlasts PRESIGN_TTL_SECONDS (a stand-in ffmpeg that waits 7 s first, with a
 * 5 s TTL) still uploads and completes, in both transfer modes: output URLs live as long as the job may.
 * (The inputs are fetched within the TTL: 2 s was too short for that on a loaded machine, as an
 * input URL is signed when the dispatch payload is built.)
 */
@IntegrationTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LongJobTest {
    private TestMedia.TempDir dir;
    private AppStandIn next;

    @BeforeAll
    void start() throws Exception {
        dir = TestMedia.tempDir("mo-long-");
        Path slow = dir.resolve("slow-ffmpeg");
        Files.writeString(slow, "#!/bin/sh\nsleep 7\nexec ffmpeg \"$@\"\n");
        Files.setPosixFilePermissions(slow, PosixFilePermissions.fromString("rwx------"));
        Path clip = TestMedia.generateClip(dir.resolve("clip.mp4"), 2.0, true);
        next = new AppStandIn(new Hmac(RunningApp.SECRET)).media("long1", "source", Files.readAllBytes(clip))
                .media("long1", "subtitles", "WEBVTT\n\n00:00.200 --> 00:01.500\nSlow\n慢\n".getBytes(StandardCharsets.UTF_8));
    }

    @AfterAll
    void stop() {
        next.close();
        dir.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"fallback", "direct"})
    void aBurnLongerThanTheUrlTtlCompletes(String mode) throws Exception {
        Map<String, String> env = new HashMap<>();
        env.put("ROLES", "orchestrator,burner");
        env.put("NEXT_BASE_URL", next.base().toString());
        env.put("TRANSFER_MODE", mode);
        env.put("PRESIGN_TTL_SECONDS", "5");
        env.put("FFMPEG_BIN", dir.resolve("slow-ffmpeg").toString());
        env.put("BURNER_X264_PRESET", "ultrafast");
        env.put("RUNNER_WORK_DIR", dir.resolve("work-" + mode).toString());
        env.put("COMPLETION_POLL_INTERVAL_MS", "300");
        try (RunningApp app = RunningApp.start(env)) {
            HttpResponse<String> r = app.postSigned("/jobs", Map.of("mediaId", "long1", "engine", "burner-ffmpeg", "ts", System.currentTimeMillis()));
            assertEquals(202, r.statusCode(), r.body());
            String jobId = (String) json(r).get("jobId");
            Wait.until("the app's callback", Duration.ofSeconds(90), () -> !next.acceptedFor(jobId).isEmpty());
            Map<String, Object> cb = next.acceptedFor(jobId).get(0);
            assertEquals("completed", cb.get("status"), mode + ": " + cb.get("error"));
        }
    }
}
