package dev.mediaorchestrator.common;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.mediaorchestrator.support.IntegrationTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import java.net.ServerSocket;

/** The blocking GET that mirrors and runner downloads use, against a real local HTTP server. */
@IntegrationTest
class StreamingGetTest {
    private static final Duration T = Duration.ofSeconds(5);
    private HttpServer server;
    private String base;
    private final byte[] body = new byte[3 * 1024 * 1024 + 17];
    private final AtomicInteger hits = new AtomicInteger();

    @BeforeEach
    void start() throws IOException {
        new Random(7).nextBytes(body);
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/file", ex -> {
            hits.incrementAndGet();
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        });
        server.createContext("/hop", ex -> redirect(ex, 302, "/file"));
        server.createContext("/hop307", ex -> redirect(ex, 307, base + "/hop"));
        server.createContext("/loop", ex -> redirect(ex, 301, "/loop"));
        server.createContext("/to-ftp", ex -> redirect(ex, 302, "ftp://127.0.0.1/x"));
        server.createContext("/missing", ex -> {
            byte[] b = "{\"error\":\"no such media\"}".getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(404, b.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(b);
            }
        });
        server.createContext("/short", ex -> {
            // declares the whole length, sends a third of it, and hangs up
            ex.sendResponseHeaders(200, body.length);
            OutputStream out = ex.getResponseBody();
            out.write(body, 0, body.length / 3);
            out.flush();
            ex.close();
        });
        server.start();
        base = "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private static void redirect(HttpExchange ex, int status, String location) throws IOException {
        ex.getResponseHeaders().add("Location", location);
        ex.sendResponseHeaders(status, -1);
        ex.close();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    @Test
    void streamsTheBodyWithItsLength() throws IOException {
        try (StreamingGet g = StreamingGet.open(URI.create(base + "/file"), T, T); InputStream in = g.body()) {
            assertEquals(200, g.status());
            assertEquals(body.length, g.contentLength().orElseThrow());
            assertArrayEquals(body, in.readAllBytes());
        }
    }

    @Test
    void followsRelativeAndAbsoluteRedirects() throws IOException {
        try (StreamingGet g = StreamingGet.open(URI.create(base + "/hop307"), T, T); InputStream in = g.body()) {
            assertEquals(200, g.status());
            assertArrayEquals(body, in.readAllBytes());
        }
        assertEquals(1, hits.get());
    }

    @Test
    void stopsAfterTooManyRedirectsAndRefusesOtherSchemes() {
        IOException loop = assertThrows(IOException.class, () -> StreamingGet.open(URI.create(base + "/loop"), T, T));
        assertTrue(loop.getMessage().contains("redirects"), loop.getMessage());
        IOException ftp = assertThrows(IOException.class, () -> StreamingGet.open(URI.create(base + "/to-ftp"), T, T));
        assertTrue(ftp.getMessage().contains("ftp"), ftp.getMessage());
        assertFalse(ftp.getMessage().contains("127.0.0.1"), "no URL in the message: " + ftp.getMessage());
    }

    @Test
    void anErrorStatusComesWithItsBodyAndNoException() throws IOException {
        try (StreamingGet g = StreamingGet.open(URI.create(base + "/missing"), T, T); InputStream in = g.body()) {
            assertEquals(404, g.status());
            assertTrue(new String(in.readAllBytes(), StandardCharsets.UTF_8).contains("no such media"));
        }
    }

    @Test
    void aBodyCutShortIsNotTakenForTheWholeFile() throws IOException {
        // callers compare what they read with the declared length (or get an exception)
        try (StreamingGet g = StreamingGet.open(URI.create(base + "/short"), T, T); InputStream in = g.body()) {
            long declared = g.contentLength().orElseThrow();
            long read;
            try {
                read = in.transferTo(OutputStream.nullOutputStream());
            } catch (IOException e) {
                read = -1;
            }
            assertTrue(read < declared, "read " + read + " of " + declared);
        }
    }

    @Test
    void anUnreachableServerIsAnIOException() throws IOException {
        int port;
        try (var s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        assertThrows(IOException.class, () -> StreamingGet.open(URI.create("http://127.0.0.1:" + port + "/x"), T, T));
    }
}
