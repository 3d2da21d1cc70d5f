package dev.mediaorchestrator.burner;

import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.support.RunningApp;
import dev.mediaorchestrator.testutil.TestMedia;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A burn on a work disk that fills up while ffmpeg writes: the failure says the disk is full (the
 * tool's own stderr is on the same full disk, so it cannot say much). The disk is a small tmpfs,
 * room for the inputs and a little more; this needs a machine where the tests may mount (root, as
 * on this machine kind and in CI).
 */
@IntegrationTest
class DiskFullTest {

    @Test
    void aBurnThatFillsTheWorkDiskSaysSo() throws Exception {
        BurnerRunnerFixture fx = new BurnerRunnerFixture("burner-diskfull");
        Path disk = fx.media("small disk");
        RunningApp app = null;
        boolean mounted = false;
        try {
            Path clip = TestMedia.generateClip(fx.media("clip.mp4"), 4, true);
            fx.serveFile("/in/clip.mp4", clip, "video/mp4");
            fx.serveBytes("/in/subs.vtt", BurnerRunnerFixture.BILINGUAL_VTT.getBytes(StandardCharsets.UTF_8), "text/vtt");
            Files.createDirectories(disk);
            long size = Files.size(clip) + 96 * 1024;
            mounted = run("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", disk.toString()) == 0;
            Assumptions.assumeTrue(mounted, "cannot mount a tmpfs here (needs root)");

            app = fx.startApp(Map.of("RUNNER_WORK_DIR", disk.toString()));
            String jobId = BurnerRunnerFixture.newJobId();
            assertEquals(202, app.postSigned("/render", fx.payload(jobId, "/in/clip.mp4", "/in/subs.vtt")).statusCode());
            Map<String, Object> terminal = fx.awaitTerminal(jobId);

            assertEquals("failed", terminal.get("status"), terminal.toString());
            String error = (String) terminal.get("error");
            assertTrue(error.startsWith("ffmpeg failed: no space left on the runner's disk (RUNNER_WORK_DIR"), error);
            BurnerRunnerFixture.awaitIdle(app);
        } finally {
            if (app != null) {
                app.close();
            }
            if (mounted) {
                run("umount", disk.toString());
            }
            fx.close();
        }
    }

    private static int run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        return p.waitFor(30, TimeUnit.SECONDS) ? p.exitValue() : -1;
    }
}
