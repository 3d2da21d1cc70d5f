package dev.mediaorchestrator.storage;

import com.sun.net.httpserver.HttpServer;
import dev.mediaorchestrator.support.IntegrationTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URL;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import java.time.Duration;

/** A multipart upload's part PUT: what it sends, and which answers the store's retry policy tries again. */
@IntegrationTest
class PresignedPutTest {
    private HttpServer server;
    private String base;
    private final List<byte[]> received = Collections.synchronizedList(new ArrayList<>());
    private final List<String> methods = Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger calls = new AtomicInteger();
    private volatile int[] statuses;

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/part", ex -> {
            methods.add(ex.getRequestMethod());
            try (InputStream in = ex.getRequestBody()) {
                received.add(in.readAllBytes());
            }
            int i = calls.getAndIncrement();
            int status = statuses[Math.min(i, statuses.length - 1)];
            if (status == 200) {
                ex.getResponseHeaders().add("ETag", "\"etag-" + i + "\"");
            }
            if (status == 201) { // a 2xx without an ETag
                status = 200;
            }
            ex.sendResponseHeaders(status, -1);
            ex.close();
        });
        server.start();
        base = "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private URL url() throws IOException {
        return new URL(base + "/part?partNumber=1&uploadId=u&X-Amz-Signature=secretsig");
    }

    @Test
    void putsExactlyTheBufferPrefixAndReturnsTheETag() throws IOException {
        statuses = new int[]{200};
        byte[] buffer = new byte[1 << 20];
        new Random(3).nextBytes(buffer);
        assertEquals("\"etag-0\"", PresignedPut.part(url(), buffer, 700_001));
        assertEquals(List.of("PUT"), methods);
        assertArrayEquals(Arrays.copyOf(buffer, 700_001), received.get(0));
    }

    /** The policy Storage wraps a part in, with waits that take no time and a ticker moved by them. */
    private static StoreRetry retry(long budgetMs) {
        long[] now = {0};
        return new StoreRetry("b", Duration.ofMillis(budgetMs), () -> now[0], ms -> now[0] += ms * 1_000_000, () -> 0.5);
    }

    @Test
    void triesA5xxOr429AgainWithTheSameBytes() throws IOException {
        statuses = new int[]{503, 429, 200};
        byte[] buffer = "part bytes".getBytes();
        URL url = url();
        assertEquals("\"etag-2\"", retry(8_000).run(() -> PresignedPut.part(url, buffer, buffer.length)));
        assertEquals(3, received.size());
        received.forEach(b -> assertArrayEquals(buffer, b));
    }

    @Test
    void givesUpWhenTheBudgetRunsOutNamingTheBucket() throws IOException {
        statuses = new int[]{500};
        URL url = url();
        StoreUnavailable e = assertThrows(StoreUnavailable.class, () -> retry(1_000).run(() -> PresignedPut.part(url, new byte[10], 10)));
        assertTrue(calls.get() > 1 && calls.get() < 10, "tried again within the budget, then gave up: " + calls.get());
        assertEquals("b", e.bucket());
        assertTrue(e.detail().contains("answered 500"), e.detail());
    }

    @Test
    void aRefusalIsNotTriedAgainAndTheUrlIsNotInTheMessage() throws IOException {
        statuses = new int[]{403};
        URL url = url();
        StoreUnavailable e = assertThrows(StoreUnavailable.class, () -> retry(8_000).run(() -> PresignedPut.part(url, new byte[10], 10)));
        assertEquals(1, calls.get());
        assertTrue(e.detail().contains("answered 403"), e.detail());
        assertFalse(e.getJson().contains("secretsig"), e.getJson());
    }

    @Test
    void aSuccessWithoutAnETagIsAnError() throws IOException {
        statuses = new int[]{201};
        IOException e = assertThrows(IOException.class, () -> PresignedPut.part(url(), new byte[10], 10));
        assertTrue(e.getMessage().contains("without an ETag"), e.getMessage());
    }
}
