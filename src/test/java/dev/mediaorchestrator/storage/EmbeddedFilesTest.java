package dev.mediaorchestrator.storage;

import dev.mediaorchestrator.support.TestServers;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Only a plain file that is the object just described is sent as a file; anything else is read through S3. */
class EmbeddedFilesTest {
    private static final Instant WHEN = Instant.parse("2026-11-30T10:00:00Z");
    private Path dir;
    private EmbeddedFiles files;

    @BeforeEach
    void setUp() throws Exception {
        dir = TestServers.tempDir("mo-files");
        files = new EmbeddedFiles(dir, "b");
        Path object = dir.resolve("b/downloads/m/j/video.mp4");
        Files.createDirectories(object.getParent());
        Files.write(object, new byte[10]);
        Files.setLastModifiedTime(object, FileTime.from(WHEN.plusMillis(700)));
        Files.write(dir.resolve("outside"), new byte[10]);
    }

    @AfterEach
    void tearDown() {
        TestServers.deleteRecursively(dir);
    }

    private static Storage.ObjectInfo info(String key, long size, Instant lastModified) {
        return new Storage.ObjectInfo(key, size, "\"e\"", "video/mp4", lastModified);
    }

    @Test
    void theObjectsFileWhenSizeAndSecondMatch() {
        assertEquals(Optional.of(dir.toAbsolutePath().normalize().resolve("b/downloads/m/j/video.mp4")),
                files.fileOf(info("downloads/m/j/video.mp4", 10, WHEN)), "S3 dates have whole seconds");
        assertEquals(Optional.of(dir.toAbsolutePath().normalize().resolve("b/downloads/m/j/video.mp4")),
                files.fileOf(info("downloads/m/j/video.mp4", 10, null)));
    }

    @Test
    void whatAnUnfinishedPutLeavesIsToldFromObjectsAndMultipartFiles() {
        String uuid = "3f2a9c1e-0b7d-4e21-9a55-1c2d3e4f5a6b";
        assertTrue(EmbeddedFiles.unfinishedPut("big.mp4-" + uuid), "S3Proxy's file of a PUT in progress");
        assertFalse(EmbeddedFiles.unfinishedPut(".s3proxy-mpu-stub-" + uuid), "a multipart upload's: aborted through S3");
        assertFalse(EmbeddedFiles.unfinishedPut(".mpus-" + uuid + "-inputs"));
        assertFalse(EmbeddedFiles.unfinishedPut("big.mp4"));
        assertFalse(EmbeddedFiles.unfinishedPut("job_aaaaaaaaaaaaaaaaaaaaaaaaaa.json"));
    }

    @Test
    void anythingElseIsNotAFile() throws Exception {
        assertEquals(Optional.empty(), files.fileOf(info("downloads/m/j/video.mp4", 11, WHEN)), "another size");
        assertEquals(Optional.empty(), files.fileOf(info("downloads/m/j/video.mp4", 10, WHEN.plusSeconds(1))), "another time");
        assertEquals(Optional.empty(), files.fileOf(info("downloads/m/j/audio.mp3", 10, WHEN)), "no file");
        assertEquals(Optional.empty(), files.fileOf(info("downloads/m/j", 0, null)), "a directory");
        assertEquals(Optional.empty(), files.fileOf(info("downloads/m/j/", 0, null)), "a directory marker");
        assertEquals(Optional.empty(), files.fileOf(info("../outside", 10, null)), "outside the bucket");
        assertEquals(Optional.empty(), files.fileOf(info("", 0, null)));
        Files.createSymbolicLink(dir.resolve("b/link.mp4"), dir.resolve("b/downloads/m/j/video.mp4"));
        assertEquals(Optional.empty(), files.fileOf(info("link.mp4", 10, WHEN)), "a link");
    }
}
