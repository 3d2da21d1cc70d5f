package dev.mediaorchestrator.common;

import com.sun.net.httpserver.HttpServer;
import dev.mediaorchestrator.support.IntegrationTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URL;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import java.util.Set;

/** The blocking PUT of uploads to the store and of runner outputs, against a real local HTTP server. */
@IntegrationTest
class StreamingPutTest {
    private static final Duration T = Duration.ofSeconds(5);
    private HttpServer server;
    private String base;
    private final AtomicReference<byte[]> received = new AtomicReference<>();
    private final AtomicReference<String> contentType = new AtomicReference<>();
    private final AtomicReference<String> payloadHash = new AtomicReference<>();

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/ok", ex -> {
            contentType.set(ex.getRequestHeaders().getFirst("Content-Type"));
            payloadHash.set(ex.getRequestHeaders().getFirst("x-amz-content-sha256"));
            try (InputStream in = ex.getRequestBody()) {
                received.set(in.readAllBytes());
            }
            ex.getResponseHeaders().add("ETag", "\"abc\"");
            byte[] answer = "<ok/>".getBytes();
            ex.sendResponseHeaders(200, answer.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(answer);
            }
        });
        server.createContext("/denied", ex -> {
            try (InputStream in = ex.getRequestBody()) {
                in.readAllBytes();
            }
            byte[] answer = "<Error><Code>AccessDenied</Code></Error>".getBytes();
            ex.sendResponseHeaders(403, answer.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(answer);
            }
        });
        server.start();
        base = "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    @Test
    void sendsExactlyTheLengthWithItsContentTypeAndReturnsTheETag() throws IOException {
        byte[] data = new byte[700_000];
        new Random(9).nextBytes(data);
        byte[] more = Arrays.copyOf(data, data.length + 1000); // bytes after the length are not sent
        StreamingPut.Answer a = StreamingPut.put(new URL(base + "/ok?sig=x"), new ByteArrayInputStream(more), data.length,
                "video/mp4", T, T);
        assertTrue(a.ok());
        assertEquals("\"abc\"", a.etag());
        assertEquals("video/mp4", contentType.get());
        assertArrayEquals(data, received.get());
    }

    @Test
    void anErrorStatusIsAnAnswerNotAnException() throws IOException {
        StreamingPut.Answer a = StreamingPut.put(new URL(base + "/denied"), new ByteArrayInputStream(new byte[10]), 10,
                "audio/mpeg", T, T);
        assertFalse(a.ok());
        assertEquals(403, a.status());
        assertNull(a.etag());
    }

    @Test
    void aBodyThatEndsShortIsAnEofAndTheServerGetsNoCompleteRequest() throws IOException {
        EOFException e = assertThrows(EOFException.class, () -> StreamingPut.put(new URL(base + "/ok"),
                new ByteArrayInputStream(new byte[100]), 1000, "video/mp4", T, T));
        assertTrue(e.getMessage().contains("100 of 1000"), e.getMessage());
        assertFalse(e.getMessage().contains("127.0.0.1"), "no URL in the message");
        assertNull(received.get(), "the handler never saw a whole body");
    }

    @Test
    void theSignedHeadersOfAPresignedUrlAreReadInAnyCaseAndEncoding() throws IOException {
        assertEquals(Set.of("content-type", "host", "x-amz-content-sha256"), StreamingPut.signedHeaders(new URL(
                base + "/ok?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-SignedHeaders=content-type%3Bhost%3Bx-amz-content-sha256&X-Amz-Signature=ab")));
        assertEquals(Set.of("host", "content-type"), StreamingPut.signedHeaders(new URL(base + "/ok?x-amz-signedheaders=Host;Content-Type")));
        assertEquals(Set.of(), StreamingPut.signedHeaders(new URL(base + "/upload/job_a?kind=video&exp=1&sig=ab")));
        assertEquals(Set.of(), StreamingPut.signedHeaders(new URL(base + "/ok")));
    }

    @Test
    void thePayloadHashHeaderIsSentOnlyWhenTheUrlSignsIt() throws IOException {
        StreamingPut.put(new URL(base + "/ok?X-Amz-SignedHeaders=content-type%3Bhost%3Bx-amz-content-sha256"), new ByteArrayInputStream(new byte[3]), 3,
                "video/mp4", T, T);
        assertEquals(StreamingPut.UNSIGNED_PAYLOAD, payloadHash.get());
        StreamingPut.put(new URL(base + "/ok?X-Amz-SignedHeaders=host"), new ByteArrayInputStream(new byte[3]), 3, "video/mp4", T, T);
        assertNull(payloadHash.get(), "a header the URL does not sign is not sent");
    }
}
