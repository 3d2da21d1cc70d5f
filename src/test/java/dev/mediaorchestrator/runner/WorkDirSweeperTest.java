package dev.mediaorchestrator.runner;

import dev.mediaorchestrator.support.IntegrationTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A job directory belongs to the runner that holds the lock on its {@code runner.lock}; the sweep
 * at a start removes every directory whose lock nobody holds, whatever pid was written in it (in a
 * container the runner is PID 1 before and after a restart).
 */
@IntegrationTest
class WorkDirSweeperTest {
    @TempDir
    Path work;

    /** What a runner killed with kill -9 leaves: its files, and in them its pid, which is ours now (PID 1 again). */
    private Path leftBehindWithOurPid(String name) throws Exception {
        Path dir = Files.createDirectories(work.resolve(name));
        String pid = ProcessHandle.current().pid() + "\n";
        Files.writeString(dir.resolve("runner.pid"), pid);
        Files.writeString(dir.resolve("runner.lock"), pid);
        Files.write(dir.resolve("input.mp4"), new byte[1024]);
        return dir;
    }

    @Test
    void aDirectoryWhoseOwnerIsGoneIsRemovedEvenWhenItsPidIsOurs() throws Exception {
        Path dir = leftBehindWithOurPid("burner-ffmpeg-job_a-1");
        assertEquals(1, WorkDirSweeper.sweep(work));
        assertFalse(Files.exists(dir));
    }

    @Test
    void aDirectoryThisProcessClaimedIsKeptUntilReleased() throws Exception {
        Path dir = Files.createDirectories(work.resolve("burner-ffmpeg-job_b-1"));
        WorkDirSweeper.claim(dir);
        try {
            assertEquals(0, WorkDirSweeper.sweep(work));
            assertTrue(Files.isDirectory(dir));
        } finally {
            WorkDirSweeper.release(dir);
        }
        assertEquals(1, WorkDirSweeper.sweep(work));
        assertFalse(Files.exists(dir));
    }

    @Test
    void aDirectoryWhoseLockAnotherProcessHoldsIsKept() throws Exception {
        Path dir = leftBehindWithOurPid("burner-ffmpeg-job_c-1");
        Process holder = new ProcessBuilder("python3", "-c", "import fcntl, sys, time\n"
                + "f = open(sys.argv[1], 'r+')\nfcntl.lockf(f, fcntl.LOCK_EX)\nprint('locked', flush=True)\ntime.sleep(120)\n",
                dir.resolve("runner.lock").toString()).redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("locked", out.readLine());
            assertEquals(0, WorkDirSweeper.sweep(work));
            assertTrue(Files.isDirectory(dir));
        } finally {
            holder.destroyForcibly();
            holder.waitFor(10, TimeUnit.SECONDS);
        }
        assertEquals(1, WorkDirSweeper.sweep(work), "the holder is gone, and with it its lock");
    }
}
