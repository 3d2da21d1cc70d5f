package dev.mediaorchestrator.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** Small helpers for tests: free ports and temp directories that are removed afterwards. */
public final class TestServers {
    private TestServers() {
    }

    public static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Processes whose working directory is under {@code dir} (a runner's tools, from /proc). */
    public static List<ProcessHandle> processesIn(Path dir) throws IOException {
        Path real = dir.toRealPath();
        return ProcessHandle.allProcesses().filter(p -> {
            try {
                return Files.readSymbolicLink(Path.of("/proc", String.valueOf(p.pid()), "cwd")).startsWith(real);
            } catch (IOException | RuntimeException e) {
                return false;
            }
        }).toList();
    }

    /**
     * An embedded S3 server on a free port. A free port is found by binding and closing, so a test
     * running in parallel can take it in between: such a start is tried again on another port.
     */
    public static dev.mediaorchestrator.storage.EmbeddedS3 embeddedS3(Path dir) {
        for (int attempt = 1; ; attempt++) {
            try {
                return dev.mediaorchestrator.storage.EmbeddedS3.start(dir, 0);
            } catch (IllegalStateException e) {
                if (attempt >= 5 || e.getMessage() == null || !e.getMessage().contains("Failed to bind")) {
                    throw e;
                }
            }
        }
    }

    public static Path tempDir(String prefix) {
        try {
            return Files.createTempDirectory(prefix);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static void deleteRecursively(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // best effort
                }
            });
        } catch (IOException ignored) {
            // best effort
        }
    }
}
