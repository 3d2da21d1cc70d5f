package dev.mediaorchestrator.runner;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** Job errors name files relative to the job. */
class JobPathsTest {
    private static final Path WORK = Path.of("/tmp/media-orchestrator-jobs");
    private static final Path JOB = WORK.resolve("burner-ffmpeg-job_abc-123");

    @Test
    void theJobsDirectoryIsTakenOutOfEveryPath() {
        assertEquals("input.mp4: Invalid data found when processing input",
                JobPaths.relative("file:/tmp/media-orchestrator-jobs/burner-ffmpeg-job_abc-123/input.mp4: Invalid data found when processing input",
                        JOB, WORK));
        assertEquals("unable to open for writing: [Errno 28] No space left on device: 'video.mp4'",
                JobPaths.relative("unable to open for writing: [Errno 28] No space left on device: '" + JOB + "/video.mp4'", JOB, WORK));
        assertEquals("cannot list .: gone", JobPaths.relative("cannot list " + JOB + ": gone", JOB, WORK));
        assertEquals("cannot create a work directory: RUNNER_WORK_DIR/burner-ffmpeg-job_x-1: No space left on device",
                JobPaths.relative("cannot create a work directory: " + WORK + "/burner-ffmpeg-job_x-1: No space left on device", null, WORK));
        assertEquals("download of input video failed: HTTP 404", JobPaths.relative("download of input video failed: HTTP 404", JOB, WORK));
        assertNull(JobPaths.relative(null, JOB, WORK));
    }
}
