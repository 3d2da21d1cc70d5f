package dev.mediaorchestrator.observability;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.support.RunningApp;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import java.io.ByteArrayInputStream;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;

/**
 * Requests a client breaks on purpose make no ERROR line (and no stack trace) in the service's
 * log: a chunked body with a malformed chunk size (the connection is closed), a
 * {@code %u} escape in the path (a JSON 400), a client that goes away in the middle of its body.
 */
@IntegrationTest
class QuietEdgesTest {

    @Test
    void brokenRequestsAreAnsweredWithoutAnErrorInTheLog() throws Exception {
        try (CapturedLogs logs = new CapturedLogs(); RunningApp app = RunningApp.start(Map.of("ROLES", "orchestrator"))) {
            int port = app.base.getPort();
            String chunked = exchange(port, "POST /jobs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n", true);
            // Vert.x closes the connection itself when the decoder fails in a body; if it did not, a JSON 400
            assertTrue(chunked.isEmpty() || chunked.startsWith("HTTP/1.1 400") && chunked.contains("{\"error\":\"malformed request\"}"), chunked);

            String escape = exchange(port, "GET /jobs/%u0041 HTTP/1.1\r\nHost: x\r\n\r\n", true);
            assertTrue(escape.startsWith("HTTP/1.1 400"), escape);
            assertTrue(escape.contains("\"error\""), escape);

            // a body that stops half-way: the client closes its socket
            exchange(port, "POST /jobs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"mediaId\":", false);
            assertEquals(200, app.get("/health/live").statusCode());
            Thread.sleep(500);

            List<ILoggingEvent> errors = logs.events.stream()
                    .filter(e -> e.getLevel().isGreaterOrEqual(Level.ERROR) || e.getThrowableProxy() != null && e.getLevel().isGreaterOrEqual(Level.WARN))
                    .filter(e -> e.getLoggerName().startsWith("io.vertx") || e.getLoggerName().startsWith("dev.mediaorchestrator.JsonErrors")
                            || e.getLoggerName().startsWith("org.apache.camel.component.platform"))
                    .toList();
            assertEquals(List.of(), errors.stream().map(e -> e.getLevel() + " " + e.getLoggerName() + " " + e.getFormattedMessage()).toList());
        }
    }

    /**
     * Issue 28, item 7: readers of a file the embedded store's directory sends (sendfile) that stop
     * reading and then reset their connection make no ERROR line and no stack trace, only DEBUG.
     */
    @Test
    void readersThatResetTheirConnectionDuringASentFileMakeNoError() throws Exception {
        try (CapturedLogs logs = new CapturedLogs(); RunningApp app = RunningApp.start(Map.of("ROLES", "orchestrator"))) {
            long size = 16L << 20;
            app.app.storage().put("inputs/videos/reset.mp4", new ByteArrayInputStream(new byte[(int) size]), "video/mp4", size);
            long exp = System.currentTimeMillis() / 1000 + 600;
            String path = "/inputs/reset/video?exp=" + exp + "&sig=" + app.hmac.signUrl("GET", "/inputs/reset/video", "video", exp);
            for (int i = 0; i < 10; i++) {
                try (Socket s = new Socket()) {
                    s.setReceiveBufferSize(4096);
                    s.connect(new InetSocketAddress("127.0.0.1", app.base.getPort()));
                    s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                    s.getOutputStream().flush();
                    s.getInputStream().readNBytes(64 * 1024); // the head and a little of the body, then nothing more
                    Thread.sleep(300);
                    s.setSoLinger(true, 0); // the reader goes away: a reset
                }
            }
            assertEquals(200, app.get("/health/live").statusCode());
            Thread.sleep(1000);
            List<String> noisy = logs.events.stream()
                    .filter(e -> e.getLevel().isGreaterOrEqual(Level.ERROR) || e.getThrowableProxy() != null && e.getLevel().isGreaterOrEqual(Level.WARN))
                    .map(e -> e.getLevel() + " " + e.getLoggerName() + " " + e.getFormattedMessage()
                            + (e.getThrowableProxy() == null ? "" : " " + e.getThrowableProxy().getClassName() + ": " + e.getThrowableProxy().getMessage()))
                    .filter(line -> line.contains("reset") || line.contains("Connection") || line.contains("inputs") || line.contains("vertx"))
                    .toList();
            assertEquals(List.of(), noisy);
        }
    }

    /** Sends {@code request} on a new connection; reads the answer until the server closes, or not at all. */
    private static String exchange(int port, String request, boolean read) throws Exception {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            if (!read) {
                Thread.sleep(200);
                return "";
            }
            InputStream in = s.getInputStream();
            StringBuilder b = new StringBuilder();
            byte[] buf = new byte[4096];
            try {
                for (int n; (n = in.read(buf)) > 0; ) {
                    b.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                    if (b.indexOf("\r\n\r\n") > 0 && b.indexOf("}") > 0) {
                        break;
                    }
                }
            } catch (SocketTimeoutException e) {
                // what came so far
            }
            return b.toString();
        }
    }
}
