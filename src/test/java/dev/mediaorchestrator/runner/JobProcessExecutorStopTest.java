package dev.mediaorchestrator.runner;

import dev.mediaorchestrator.support.IntegrationTest;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.camel.component.exec.ExecCommand;
import org.apache.camel.component.exec.ExecException;
import org.apache.camel.component.exec.ExecResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cancel that comes between a job's last check and its next tool's start: the tool is not left
 * running (a canceled segment task's gated ffmpeg outlived the cancel once in a full run).
 */
@IntegrationTest
class JobProcessExecutorStopTest {
    private static ExecCommand sleep(Path dir) {
        return new ExecCommand("sleep", List.of("30"), dir.toString(), 60_000L, null, null, null, false, null);
    }

    @Test
    void noToolStartsInTheDirectoryOfAStoppedJobUntilItIsReleased(@TempDir Path dir) throws Exception {
        JobProcessExecutor executor = new JobProcessExecutor();
        assertFalse(executor.stop(dir), "nothing ran there");

        long t0 = System.nanoTime();
        ExecException refused = assertThrows(ExecException.class, () -> executor.execute(sleep(dir)));
        assertTrue(refused.getMessage().contains("not started: its job was stopped"), refused.getMessage());
        assertTrue(System.nanoTime() - t0 < 10_000_000_000L, "refused, not run");

        executor.release(dir);
        ExecResult ok = executor.execute(new ExecCommand("true", List.of(), dir.toString(), 60_000L, null, null, null, false, null));
        assertEquals(0, ok.getExitValue(), "a released directory runs tools again");
    }

    @Test
    void aToolStoppedWhileItStartedIsKilledOnceItIsThere(@TempDir Path dir) throws Exception {
        JobProcessExecutor executor = new JobProcessExecutor();
        AtomicReference<Process> started = new AtomicReference<>();
        executor.launchWith("sleep", (cmd, workDir, out, err) -> {
            try {
                Process p = new ProcessBuilder(cmd).directory(workDir.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
                started.set(p);
                assertFalse(executor.stop(workDir), "the cancel finds no process yet");
                return Optional.of(StartedTool.of(p));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });

        long t0 = System.nanoTime();
        ExecResult result = executor.execute(sleep(dir));

        assertEquals(128 + 9, result.getExitValue(), "killed");
        assertTrue(System.nanoTime() - t0 < 10_000_000_000L, "not left to run its 30 s");
        assertFalse(started.get().isAlive());
    }
}
