package dev.mediaorchestrator.burner;

import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.support.RunningApp;
import dev.mediaorchestrator.support.Wait;
import dev.mediaorchestrator.testutil.TestMedia;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Nothing the burner runs writes where the service was started (an empty {@code ffmpeg.progress}
 * got committed at the repository's root: a test's stand-in ffmpeg, which writes its files where
 * it runs, was asked its version with the test JVM's working directory, the repository). Every run
 * of ffmpeg, the job's and the version query's, happens in a directory of its own, and the job's
 * {@code -progress} file is inside the job's work dir.
 */
@IntegrationTest
class BurnerWorkingDirectoryTest {
    private static final String MARK = "ffmpeg-wrapper-was-here";

    @Test
    void ffmpegRunsAndWritesOnlyInsideItsOwnDirectories() throws Exception {
        Path serviceDir = Path.of("").toAbsolutePath();
        BurnerRunnerFixture fx = new BurnerRunnerFixture("burner-cwd");
        RunningApp app = null;
        try {
            Path runsDir = Files.createDirectories(fx.root.resolve("ffmpeg-runs"));
            Path wrapper = fx.root.resolve("ffmpeg-wrapper");
            // a stand-in as careless as a test's: a file where it runs, then the real ffmpeg; each run
            // leaves a file with its working directory and its arguments, one a line
            Files.writeString(wrapper, "#!/bin/sh\nf=$(mktemp '" + runsDir + "/run.XXXXXX')\n"
                    + "{ pwd; printf '%s\\n' \"$@\"; echo end; } > \"$f.tmp\" && mv \"$f.tmp\" \"$f\"\n"
                    + "touch " + MARK + "\nexec ffmpeg \"$@\"\n");
            Files.setPosixFilePermissions(wrapper, PosixFilePermissions.fromString("rwx------"));
            TestMedia.generateClip(fx.media("clip.mp4"), 2, true);
            fx.serveFile("/in/clip.mp4", fx.media("clip.mp4"), "video/mp4");
            fx.serveBytes("/in/subs.vtt", BurnerRunnerFixture.BILINGUAL_VTT.getBytes(StandardCharsets.UTF_8), "text/vtt");
            app = fx.startApp(Map.of("FFMPEG_BIN", wrapper.toString(), "BURNER_X264_PRESET", "ultrafast"));
            String jobId = BurnerRunnerFixture.newJobId();
            assertEquals(202, app.postSigned("/render", fx.payload(jobId, "/in/clip.mp4", "/in/subs.vtt")).statusCode());
            assertEquals("completed", fx.awaitTerminal(jobId).get("status"));
            // the version query runs at start in the background: wait for both runs
            Wait.until("the version query and the job's ffmpeg", Duration.ofSeconds(30), () -> runs(runsDir).size() >= 2);

            List<List<String>> runs = runs(runsDir);
            Path workRoot = fx.workDir.toRealPath();
            List<String> jobRun = runs.stream().filter(r -> r.contains("-progress")).findFirst()
                    .orElseThrow(() -> new AssertionError("no ffmpeg run of the job: " + runs));
            Path jobCwd = Path.of(jobRun.get(0));
            assertTrue(jobCwd.startsWith(workRoot) && !jobCwd.equals(workRoot),
                    "the job's ffmpeg runs in the job's work dir under RUNNER_WORK_DIR: " + jobRun);
            String progress = jobRun.get(jobRun.indexOf("-progress") + 1);
            assertTrue(progress.startsWith("file:" + jobCwd + "/"), "the -progress file is inside the job's work dir: " + progress);
            for (List<String> run : runs) {
                assertFalse(Path.of(run.get(0)).equals(serviceDir), "ffmpeg ran where the service was started: " + run);
            }
            assertFalse(Files.exists(serviceDir.resolve(MARK)), "a file written into the service's working directory");
        } finally {
            Files.deleteIfExists(serviceDir.resolve(MARK));
            fx.close(app);
        }
    }

    /** The runs recorded so far: working directory, then the arguments. */
    private static List<List<String>> runs(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            List<List<String>> out = new ArrayList<>();
            for (Path f : files.filter(p -> !p.toString().endsWith(".tmp")).toList()) {
                List<String> lines = Files.readAllLines(f);
                if (!lines.isEmpty() && lines.get(lines.size() - 1).equals("end")) {
                    out.add(lines.subList(0, lines.size() - 1));
                }
            }
            return out;
        } catch (IOException e) {
            return List.of();
        }
    }
}
