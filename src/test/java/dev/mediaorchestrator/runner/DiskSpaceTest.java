package dev.mediaorchestrator.runner;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DiskSpaceTest {
    @Test
    void aToolThatSaysSoOrALowDiskIsDiskFull() {
        assertTrue(DiskSpace.fullMessage(10L << 30, "av_interleaved_write_frame(): No space left on device").isPresent());
        assertEquals(Optional.of("no space left on the runner's disk (RUNNER_WORK_DIR, 12 KiB free); free some space or give RUNNER_WORK_DIR a larger disk"),
                DiskSpace.fullMessage(12 * 1024, ""));
    }

    @Test
    void otherFailuresAreNot() {
        assertEquals(Optional.empty(), DiskSpace.fullMessage(10L << 30, "Invalid data found when processing input"));
        assertEquals(Optional.empty(), DiskSpace.fullMessage(-1, null));
        assertEquals(Optional.empty(), DiskSpace.fullMessage(Path.of(System.getProperty("java.io.tmpdir")), "exit code 1"));
    }
}
