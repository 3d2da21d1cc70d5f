package dev.mediaorchestrator;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.UUID;

/**
 * This orchestrator's identity among the replicas on one bucket ({@code DATA_DIR/instance-id}): the
 * owner of the callback delivery leases it takes, and (with the bucket cluster service) its member id,
 * under which the jobs it records are its share. Kept across restarts, so an orchestrator killed in
 * the middle of a delivery takes its own lease back when it starts again on the same data dir,
 * instead of waiting for it to run out, and finds its jobs again. Two processes must not share a data dir.
 */
public final class InstanceId {
    private InstanceId() {
    }

    public static String resolve(Path dataDir) {
        Path file = dataDir.resolve("instance-id");
        try {
            if (Files.exists(file)) {
                String id = Files.readString(file, StandardCharsets.UTF_8).trim();
                if (!id.isEmpty()) {
                    return id;
                }
            }
            Files.createDirectories(dataDir);
            String id = UUID.randomUUID().toString();
            Path tmp = Files.createTempFile(dataDir, "instance-id", ".tmp");
            Files.writeString(tmp, id + "\n", StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
            return id;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or write " + file, e);
        }
    }
}
