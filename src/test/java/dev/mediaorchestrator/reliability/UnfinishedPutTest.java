package dev.mediaorchestrator.reliability;

import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.support.RunningApp;
import dev.mediaorchestrator.support.TestServers;
import dev.mediaorchestrator.support.Wait;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Issue 28, item 7: a process killed in the middle of a single PUT into the embedded store leaves
 * S3Proxy's temporary file ({@code {key}-{uuid}} beside the object, moved into place only when the
 * PUT is complete), which the store then lists as an object for ever. The next start on the same
 * data dir removes it, and only it (a multipart upload the kill left, whose files also end in a
 * UUID, is aborted through S3 as before).
 */
@IntegrationTest
class UnfinishedPutTest {

    @Test
    void whatAKilledPutLeftIsSweptAtTheNextStart() throws Exception {
        Path dataDir = TestServers.tempDir("mo-unfinished-put");
        try {
            Map<String, String> env = new HashMap<>();
            env.put("DATA_DIR", dataDir.toString());
            Path bucket;
            try (RunningApp first = RunningApp.start(env)) {
                first.app.storage().put("inputs/videos/kept.mp4", new ByteArrayInputStream(new byte[1000]), "video/mp4");
                bucket = first.app.config().embeddedS3Dir.resolve(first.app.config().bucket);
                // and a multipart upload the kill left (S3Proxy keeps its files as .mpus-…, also ending in a UUID)
                first.app.storage().client().createMultipartUpload(b -> b.bucket("vidgen-render").key("inputs/videos/huge.mp4"));
            }
            // what kill -9 during the PUT of inputs/videos/big.mp4 leaves: S3Proxy's file, part-written,
            // without the attributes a finished PUT gets
            Path phantom = bucket.resolve("inputs/videos/big.mp4-" + UUID.randomUUID());
            Files.write(phantom, new byte[700_000]);
            Files.setLastModifiedTime(phantom, FileTime.from(Instant.now().minusSeconds(60)));

            try (RunningApp second = RunningApp.start(env)) {
                Wait.until("the half-written object swept", Duration.ofSeconds(30),
                        () -> !second.app.storage().list("inputs/").contains("inputs/videos/" + phantom.getFileName()));
                assertEquals(List.of("inputs/videos/kept.mp4"), second.app.storage().list("inputs/"), "the finished object stays");
                Wait.until("the left-over multipart upload aborted", Duration.ofSeconds(30), () -> second.app.storage().client()
                        .listMultipartUploads(b -> b.bucket("vidgen-render")).uploads().isEmpty());
                assertEquals(1000, second.app.storage().head("inputs/videos/kept.mp4").orElseThrow().size());
            }
        } finally {
            TestServers.deleteRecursively(dataDir);
        }
    }
}
