package dev.mediaorchestrator.reliability;

import dev.mediaorchestrator.common.Json;
import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.support.StubHttpServer;
import dev.mediaorchestrator.support.TestServers;
import dev.mediaorchestrator.support.Wait;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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
     * A runner that is PID 1 (a container) cancels a burn whose ffmpeg has a child of its own: the
     * runner stops both, and the child, orphaned, goes to PID 1. Without an init that is the JVM,
     * which never reaps it: a zombie for the life of the container, and the runner warns at start.
     * Under tini (the images' ENTRYPOINT) it is reaped, and there is no warning.
     */
    @Test
    void aCanceledToolsOrphanIsReapedUnderTheImagesInitNotByARunnerThatIsPid1() throws Exception {
        Assumptions.assumeTrue(pid1Works(), "needs unshare --pid (root), as a container has");
        assertTrue(Files.isExecutable(Path.of("/usr/bin/tini")), "tini is missing: apt-get install tini (./run test installs it)");
        for (boolean init : List.of(false, true)) {
            Path dir = TestServers.tempDir("mo-reap");
            Path work = Files.createDirectories(dir.resolve("work"));
            Map<String, String> env = runnerEnv(work);
            List<String> prefix = new ArrayList<>(AS_PID_1);
            if (init) {
                prefix.addAll(List.of("tini", "--"));
            }
            Process p = null;
            try (StubHttpServer stub = new StubHttpServer()) {
                p = service.startBurning(dir, work, env, stub, "#!/bin/sh\nsleep 120\nexec ffmpeg \"$@\"\n", prefix);
                byte[] raw = Json.writeBytes(Map.of("ts", System.currentTimeMillis(), "nonce", "cancel-1"));
                HttpResponse<String> r = service.http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + env.get("PORT")
                                + "/cancel/job_killburnaaaaaaaaaaaaaaaaaa")).header("content-type", "application/json")
                        .header("x-signature", service.hmac.sign(raw)).POST(HttpRequest.BodyPublishers.ofByteArray(raw)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(200, r.statusCode(), r.body());
                Wait.untilEmpty("the canceled job's directory removed", work, Duration.ofSeconds(30));
                String log = Files.readString(dir.resolve("out.log"));
                if (init) {
                    Process unshare = p;
                    Wait.until("no zombie under the runner's init", Duration.ofSeconds(10), () -> zombiesUnder(unshare.pid()).isEmpty());
                    assertFalse(log.contains("is PID 1 without an init"), "under tini the runner is not PID 1:\n" + log);
                } else {
                    Thread.sleep(1000);
                    assertFalse(zombiesUnder(p.pid()).isEmpty(), "the JVM as PID 1 left the orphan a zombie (so this test can fail)");
                    assertTrue(log.contains("this runner is PID 1 without an init"), "the runner said so at start:\n" + log);
                }
            } finally {
                cleanUp(p, work, dir);
            }
        }
    }
}
