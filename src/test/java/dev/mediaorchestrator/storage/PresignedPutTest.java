package dev.mediaorchestrator.storage;

import com.sun.net.httpserver.HttpServer;
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

/** A multipart upload's part PUT: what it sends, and which answers it tries again. */
@org.junit.jupiter.api.Tag("integration")
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

    @Test
    void triesA5xxOr429AgainWithTheSameBytes() throws IOException {
        statuses = new int[]{503, 429, 200};
        byte[] buffer = "part bytes".getBytes();
        assertEquals("\"etag-2\"", PresignedPut.part(url(), buffer, buffer.length));
        assertEquals(3, received.size());
        received.forEach(b -> assertArrayEquals(buffer, b));
    }

    @Test
    void givesUpAfterThreeFailedAttempts() throws IOException {
        statuses = new int[]{500};
        IOException e = assertThrows(IOException.class, () -> PresignedPut.part(url(), new byte[10], 10));
        assertEquals(PresignedPut.ATTEMPTS, calls.get());
        assertTrue(e.getMessage().contains("HTTP 500"), e.getMessage());
    }

    @Test
    void aRefusalIsNotTriedAgainAndTheUrlIsNotInTheMessage() throws IOException {
        statuses = new int[]{403};
        IOException e = assertThrows(IOException.class, () -> PresignedPut.part(url(), new byte[10], 10));
        assertEquals(1, calls.get());
        assertTrue(e.getMessage().contains("HTTP 403"), e.getMessage());
        assertFalse(e.getMessage().contains("secretsig"), e.getMessage());
    }

    @Test
    void aSuccessWithoutAnETagIsAnError() throws IOException {
        statuses = new int[]{201};
        IOException e = assertThrows(IOException.class, () -> PresignedPut.part(url(), new byte[10], 10));
        assertTrue(e.getMessage().contains("without an ETag"), e.getMessage());
    }
}
