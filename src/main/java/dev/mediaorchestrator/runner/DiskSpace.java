package dev.mediaorchestrator.runner;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Says "disk full" when that is why a tool failed. A tool that runs out of space often cannot say
 * so itself: its stderr goes to a file on the same full disk, so all that is left is "exit code 1".
 * A failure is taken for a full disk when the tool's stderr says {@code No space left on device} or
 * the work dir's file system has less than {@value #LOW_BYTES} bytes left after the failure.
 */
public final class DiskSpace {
    public static final long LOW_BYTES = 1024 * 1024;

    private DiskSpace() {
    }

    /** The failure text for a tool that failed in {@code workDir}, if the disk is why. */
    public static Optional<String> fullMessage(Path workDir, String stderr) {
        return fullMessage(usableBytes(workDir), stderr);
    }

    static Optional<String> fullMessage(long usableBytes, String stderr) {
        boolean said = stderr != null && stderr.contains("No space left on device");
        if (!said && (usableBytes < 0 || usableBytes >= LOW_BYTES)) {
            return Optional.empty();
        }
        String free = usableBytes < 0 ? "" : ", " + (usableBytes / 1024) + " KiB free";
        return Optional.of("no space left on the runner's disk (RUNNER_WORK_DIR" + free
                + "); free some space or give RUNNER_WORK_DIR a larger disk");
    }

    /** Bytes usable on the file system of {@code dir}; -1 when that cannot be read. */
    static long usableBytes(Path dir) {
        try {
            Path p = dir;
            while (p != null && !Files.exists(p)) {
                p = p.getParent();
            }
            return p == null ? -1 : Files.getFileStore(p).getUsableSpace();
        } catch (IOException | SecurityException e) {
            return -1;
        }
    }
}
