package dev.mediaorchestrator.storage;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;

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

    /** S3Proxy's temporary file of a PUT: the object's file name, a dash and a random UUID. */
    private static final Pattern UNFINISHED_PUT =
            Pattern.compile(".+-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
    /** The attribute S3Proxy gives a file once its PUT is complete (the ETag is made from it). */
    private static final String COMPLETE_ATTRIBUTE = "content-md5";

    /**
     * Removes what PUTs that never finished left: S3Proxy writes a PUT to {@code {key}-{uuid}} beside
     * the object and moves it into place when done, so a process killed mid-PUT leaves that file,
     * listed as an object for ever (no ETag; S3 has no such object). Only files named so, older than
     * {@code startedBefore} (no PUT of this process), and without the attribute a finished PUT has
     * (where the file system keeps user attributes). Keys this service writes never end in a UUID.
     * Returns how many were removed.
     */
    public int removeUnfinishedPuts(Instant startedBefore) throws IOException {
        if (!Files.isDirectory(bucketDir)) {
            return 0;
        }
        List<Path> left = new ArrayList<>();
        try (Stream<Path> files = Files.walk(bucketDir)) {
            files.filter(f -> unfinishedPut(f.getFileName().toString())).forEach(left::add);
        }
        int removed = 0;
        for (Path f : left) {
            BasicFileAttributes attrs = Files.readAttributes(f, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (attrs.isRegularFile() && attrs.lastModifiedTime().toInstant().isBefore(startedBefore) && !finished(f)
                    && Files.deleteIfExists(f)) {
                removed++;
            }
        }
        return removed;
    }

    /**
     * S3Proxy's temporary file of a PUT; not S3Proxy's own files, whose names start with a dot (a
     * multipart upload's {@code .mpus-{uploadId}-…} and {@code .s3proxy-mpu-stub-{uploadId}}, which
     * end in a UUID too: those are aborted through S3, by {@code UploadJanitor}). The file names of
     * this service's keys never start with a dot.
     */
    static boolean unfinishedPut(String fileName) {
        return !fileName.startsWith(".") && UNFINISHED_PUT.matcher(fileName).matches();
    }

    private static boolean finished(Path f) {
        try {
            var view = Files.getFileAttributeView(f, UserDefinedFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
            return view != null && view.list().contains(COMPLETE_ATTRIBUTE);
        } catch (IOException | UnsupportedOperationException e) {
            return false; // no user attributes here: the name and the age decide
        }
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
