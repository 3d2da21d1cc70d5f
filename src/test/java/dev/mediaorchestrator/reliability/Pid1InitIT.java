package dev.mediaorchestrator.reliability;

import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.support.StubHttpServer;
import dev.mediaorchestrator.support.TestServers;
import dev.mediaorchestrator.support.Wait;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.mediaorchestrator.reliability.PackagedService.AS_PID_1;
import static dev.mediaorchestrator.reliability.PackagedService.cleanUp;
import static dev.mediaorchestrator.reliability.PackagedService.pid1Works;
import static dev.mediaorchestrator.reliability.PackagedService.runnerEnv;
import static dev.mediaorchestrator.reliability.PackagedService.zombiesUnder;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The packaged runner as a container runs it, PID 1 of a PID namespace of its own, with and
 * without the images' init (tini): who reaps the orphans of the tools it stops.
 */
@IntegrationTest
class Pid1InitIT {
    private final PackagedService service = new PackagedService();

    /**
     * A runner that is PID 1 (a container) runs a burn whose ffmpeg leaves a process of its own
     * behind (a background child whose parent has gone: what a killed tool's children and a tool's
     * daemons become). The orphan goes to PID 1. Without an init that is the JVM, which never reaps
     * it: once it exits it is a zombie for the life of the container, and the runner warns at start.
     * Under tini (the images' ENTRYPOINT) it is reaped, and there is no warning.
     */
    @Test
    void aToolsOrphanIsReapedUnderTheImagesInitNotByARunnerThatIsPid1() throws Exception {
        Assumptions.assumeTrue(pid1Works(), "needs unshare --pid (root), as a container has");
        assertTrue(Files.isExecutable(Path.of("/usr/bin/tini")), "tini is missing: apt-get install tini (./run test installs it)");
        for (boolean init : List.of(false, true)) {
            Path dir = TestServers.tempDir("mo-reap");
            Path work = Files.createDirectories(dir.resolve("work"));
            Path orphanDone = dir.resolve("orphan-done");
            Map<String, String> env = runnerEnv(work);
            List<String> prefix = new ArrayList<>(AS_PID_1);
            if (init) {
                prefix.addAll(List.of("tini", "--"));
            }
            Process p = null;
            try (StubHttpServer stub = new StubHttpServer()) {
                // the inner subshell is orphaned at once (its parent exits); it ends a second later, after writing the file
                String script = "#!/bin/sh\n( (sleep 1; : > '" + orphanDone + "') & )\nsleep 120\nexec ffmpeg \"$@\"\n";
                p = service.startBurning(dir, work, env, stub, script, prefix);
                Wait.until("the orphan to end", Duration.ofSeconds(30), () -> Files.exists(orphanDone));
                Process unshare = p;
                String log = Files.readString(dir.resolve("out.log"));
                if (init) {
                    Thread.sleep(1000);
                    assertEquals(List.of(), zombiesUnder(unshare.pid()), "tini reaped the orphan");
                    assertFalse(log.contains("is PID 1 without an init"), "under tini the runner is not PID 1:\n" + log);
                } else {
                    Wait.until("the orphan a zombie under the JVM (so this test can fail)", Duration.ofSeconds(10),
                            () -> !zombiesUnder(unshare.pid()).isEmpty());
                    Thread.sleep(1000);
                    assertFalse(zombiesUnder(unshare.pid()).isEmpty(), "nobody reaps it");
                    assertTrue(log.contains("this runner is PID 1 without an init"), "the runner said so at start:\n" + log);
                }
            } finally {
                cleanUp(p, work, dir);
            }
        }
    }
}
