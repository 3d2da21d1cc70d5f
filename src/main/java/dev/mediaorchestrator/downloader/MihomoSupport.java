package dev.mediaorchestrator.downloader;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * What the route needs to run mihomo, without starting it: find the binary, write the config,
 * build the command line and wait for the port. The caller starts the process with
 * {@link #command(Path, Path, Path)}, calls {@link #waitForPort(String, int, Instant, BooleanSupplier)}
 * with the process's {@code isAlive}, and stops the process after the job.
 */
public final class MihomoSupport {

    public static final String CONFIG_FILE = "config.yaml";

    private MihomoSupport() {
    }

    /** Thrown when {@code MIHOMO_BIN} does not name an executable; the message is {@code mihomo not found at <path>}. */
    public static final class MihomoNotFoundException extends IllegalStateException {
        public MihomoNotFoundException(String message) {
            super(message);
        }
    }

    /**
     * Resolves {@code MIHOMO_BIN}: a path (containing a separator) must be an executable file; a bare
     * name is looked up on {@code PATH}.
     *
     * @throws MihomoNotFoundException {@code mihomo not found at <path>}
     */
    public static Path requireBinary(String mihomoBin) {
        return requireBinary(mihomoBin, System.getenv("PATH"));
    }

    static Path requireBinary(String mihomoBin, String pathVar) {
        String bin = mihomoBin == null || mihomoBin.isBlank() ? ProxySettings.DEFAULT_MIHOMO_BIN : mihomoBin.trim();
        if (bin.contains("/") || bin.contains(File.separator)) {
            Path p = Path.of(bin);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return p.toAbsolutePath();
            }
            throw new MihomoNotFoundException("mihomo not found at " + p.toAbsolutePath()
                    + (Files.exists(p) ? " (not an executable file)" : ""));
        }
        if (pathVar != null) {
            for (String dir : pathVar.split(File.pathSeparator)) {
                if (dir.isEmpty()) {
                    continue;
                }
                Path p = Path.of(dir, bin);
                if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                    return p.toAbsolutePath();
                }
            }
        }
        throw new MihomoNotFoundException("mihomo not found at " + bin + " (searched PATH)");
    }

    /** {@code MIHOMO_BIN -d <dir> -f <config>}. */
    public static List<String> command(Path binary, Path workDir, Path config) {
        return List.of(binary.toString(), "-d", workDir.toAbsolutePath().toString(), "-f", config.toAbsolutePath().toString());
    }

    /**
     * Writes the config YAML as {@value #CONFIG_FILE} in {@code dir}, readable by the owner only
     * where the file system allows (it holds proxy credentials).
     */
    public static Path writeConfig(Path dir, String yaml) throws IOException {
        Files.createDirectories(dir);
        Path config = dir.resolve(CONFIG_FILE);
        Files.deleteIfExists(config);
        try {
            Files.createFile(config, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            Files.createFile(config);
        }
        Files.writeString(config, yaml, StandardCharsets.UTF_8);
        return config;
    }

    /** Waits until a TCP connection to host:port succeeds, until {@code deadline}. */
    public static void waitForPort(String host, int port, Instant deadline) {
        waitForPort(host, port, deadline, () -> true);
    }

    /**
     * Waits until a TCP connection to host:port succeeds.
     *
     * @param stillRunning checked between attempts (e.g. {@code process::isAlive}); false ends the wait at once
     * @throws IllegalStateException when the process stopped, or at the deadline; both messages name host:port
     */
    public static void waitForPort(String host, int port, Instant deadline, BooleanSupplier stillRunning) {
        Instant start = Instant.now();
        while (true) {
            long leftMs = Duration.between(Instant.now(), deadline).toMillis();
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(host, port), (int) Math.max(1, Math.min(500, leftMs)));
                return;
            } catch (IOException notYet) {
                // not listening yet
            }
            if (!stillRunning.getAsBoolean()) {
                throw new IllegalStateException("mihomo exited before listening on " + host + ":" + port);
            }
            if (!Instant.now().isBefore(deadline)) {
                throw new IllegalStateException("mihomo did not listen on " + host + ":" + port + " within "
                        + Duration.between(start, Instant.now()).toMillis() + " ms");
            }
            try {
                Thread.sleep(Math.max(1, Math.min(100, Duration.between(Instant.now(), deadline).toMillis())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + host + ":" + port);
            }
        }
    }
}
