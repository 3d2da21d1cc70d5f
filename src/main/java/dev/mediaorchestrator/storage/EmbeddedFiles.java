package dev.mediaorchestrator.storage;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Optional;

/**
 * The files behind the embedded store's objects. S3Proxy's filesystem store (4.0, "filesystem" =
 * its nio2 store) keeps an object of bucket {@code b} and key {@code k} as the plain file
 * {@code {dir}/b/k}, whole: a PUT and a completed multipart upload are written to a temporary file
 * beside it and moved into place atomically, parts in progress live under other names
 * ({@code .mpus-…}), and the metadata (ETag, Content-Type) is in extended attributes, not in the
 * file. The directory is this service's own (S3_EMBEDDED_DIR), so its files can be sent as they are.
 *
 * <p>{@link #fileOf} only answers with a file that is the object its caller has just read the
 * metadata of (same size, same modification second): anything else (another layout, a directory
 * marker, a link, an object replaced since) is empty, and the caller reads the object through S3.
 * Without S3Proxy classes: the runner images leave those jars out.
 */
public final class EmbeddedFiles {
    private final Path bucketDir;

    public EmbeddedFiles(Path storeDir, String bucket) {
        this.bucketDir = storeDir.toAbsolutePath().normalize().resolve(bucket);
    }

    /** The plain file that holds the object {@code info} describes, whole; empty when there is none. */
    public Optional<Path> fileOf(Storage.ObjectInfo info) {
        String key = info.key();
        if (key == null || key.isEmpty() || key.endsWith("/")) {
            return Optional.empty();
        }
        try {
            Path file = bucketDir.resolve(key).normalize();
            if (!file.startsWith(bucketDir) || file.equals(bucketDir)) {
                return Optional.empty();
            }
            BasicFileAttributes attrs = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (!attrs.isRegularFile() || attrs.size() != info.size()) {
                return Optional.empty();
            }
            // S3 dates have whole seconds: the file's own modification time, as the store reported it
            if (info.lastModified() != null
                    && attrs.lastModifiedTime().toInstant().getEpochSecond() != info.lastModified().getEpochSecond()) {
                return Optional.empty();
            }
            return Files.isReadable(file) ? Optional.of(file) : Optional.empty();
        } catch (IOException | InvalidPathException | SecurityException e) {
            return Optional.empty();
        }
    }
}
