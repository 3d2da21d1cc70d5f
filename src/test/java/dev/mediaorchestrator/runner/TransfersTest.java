package dev.mediaorchestrator.runner;

import dev.mediaorchestrator.support.IntegrationTest;
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
import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;

/** A runner's file transfers against a real local HTTP server. */
@IntegrationTest
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

    @Test
    void aTransientFailureIsSentAgainFromTheFileUntilTheStoreTakesIt() throws Exception {
        Path dir = TestServers.tempDir("transfers-retry");
        AtomicInteger calls = new AtomicInteger();
        try (StubHttpServer store = new StubHttpServer()) {
            store.on("/put/", ex -> {
                StubHttpServer.Recorded r = store.record(ex);
                int n = calls.incrementAndGet();
                // a store that is away (503), then throttles (429), then takes it
                StubHttpServer.respond(ex, n == 1 ? 503 : n == 2 ? 429 : 200, null, new byte[0]);
            });
            byte[] data = new byte[200_000];
            new Random(7).nextBytes(data);
            Path file = Files.write(dir.resolve("video.mp4"), data);
            Transfers transfers = new Transfers(5, Clock.systemUTC(), dev.mediaorchestrator.common.Ticker.SYSTEM);

            Transfers.Uploaded u = transfers.upload("video", file, store.base() + "/put/a?X-Amz-Signature=s3cr3t", "video/mp4");
            assertEquals(3, store.requests("/put/a").size(), "sent again after a 503 and a 429");
            store.requests("/put/a").forEach(r -> assertArrayEquals(data, r.body(), "each attempt sends the whole file"));
            assertEquals(data.length, u.size());
        } finally {
            TestServers.deleteRecursively(dir);
        }
    }

    @Test
    void aRefusalOrAnExpiredUrlIsNotTriedAgain() throws Exception {
        Path dir = TestServers.tempDir("transfers-refused");
        try (StubHttpServer store = new StubHttpServer()) {
            store.on("/put/refused", ex -> {
                store.record(ex);
                StubHttpServer.respond(ex, 403, null, new byte[0]);
            });
            store.on("/put/down", ex -> {
                store.record(ex);
                StubHttpServer.respond(ex, 503, null, new byte[0]);
            });
            Path file = Files.write(dir.resolve("video.mp4"), new byte[1000]);
            Transfers transfers = new Transfers(5, Clock.systemUTC(), dev.mediaorchestrator.common.Ticker.SYSTEM);

            RunnerFailure refused = assertThrows(RunnerFailure.class, () -> transfers.upload("video", file, store.base() + "/put/refused", "video/mp4"));
            assertEquals("upload of video failed: HTTP 403", refused.getMessage());
            assertEquals(1, store.requests("/put/refused").size());

            long expiresNow = System.currentTimeMillis() / 1000 + 1; // the orchestrator's fallback URL: exp in epoch seconds
            RunnerFailure expired = assertThrows(RunnerFailure.class,
                    () -> transfers.upload("video", file, store.base() + "/put/down?kind=video&exp=" + expiresNow + "&sig=x", "video/mp4"));
            assertEquals("upload of video failed: HTTP 503", expired.getMessage());
            assertEquals(1, store.requests("/put/down").size(), "a URL about to expire is not tried again");
        } finally {
            TestServers.deleteRecursively(dir);
        }
    }

    @Test
    void theUrlSaysWhenItExpires() {
        assertEquals(Instant.parse("2026-10-01T12:00:00Z").plusSeconds(3600),
                UrlExpiry.of("https://acc.r2.cloudflarestorage.com/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20261001T120000Z"
                        + "&X-Amz-Expires=3600&X-Amz-Signature=abc").orElseThrow());
        assertEquals(Instant.ofEpochSecond(1790000000L),
                UrlExpiry.of("http://o:8787/upload/job_x?kind=video&exp=1790000000&sig=abc").orElseThrow());
        assertTrue(UrlExpiry.of("http://stub/put/a").isEmpty());
    }
}
