package dev.mediaorchestrator.runner;

import dev.mediaorchestrator.support.StubHttpServer;
import dev.mediaorchestrator.support.TestServers;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A runner's file transfers against a real local HTTP server. */
@org.junit.jupiter.api.Tag("integration")
class TransfersTest {
    @Test
    void uploadsTheFileWithItsContentTypeOrStopsWhenToldAndSendsNothingWhole() throws Exception {
        Path dir = TestServers.tempDir("transfers");
        try (StubHttpServer store = new StubHttpServer()) {
            store.on("/put/", ex -> {
                store.record(ex);
                StubHttpServer.respond(ex, 200, null, new byte[0]);
            });
            byte[] data = new byte[300_000];
            new Random(5).nextBytes(data);
            Path file = Files.write(dir.resolve("video.mp4"), data);
            Transfers transfers = new Transfers();

            transfers.upload("video", file, store.base() + "/put/a?X-Amz-Signature=s3cr3t", "video/mp4");
            assertEquals(1, store.requests("/put/a").size());
            assertArrayEquals(data, store.requests("/put/a").get(0).body());
            assertEquals("video/mp4", store.requests("/put/a").get(0).headers().get("content-type"));

            RunnerFailure stopped = assertThrows(RunnerFailure.class,
                    () -> transfers.upload("video", file, store.base() + "/put/b?X-Amz-Signature=s3cr3t", "video/mp4", () -> true));
            assertTrue(stopped.getMessage().startsWith("upload of video failed"), stopped.getMessage());
            assertFalse(stopped.getMessage().contains("s3cr3t"), stopped.getMessage());
            assertTrue(store.requests("/put/b").isEmpty(), "a stopped upload never reaches the server whole");

        } finally {
            TestServers.deleteRecursively(dir);
        }
    }
}
