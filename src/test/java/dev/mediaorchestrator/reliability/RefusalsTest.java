package dev.mediaorchestrator.reliability;

import dev.mediaorchestrator.Config;
import dev.mediaorchestrator.common.StreamingPut;
import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.support.RunningApp;
import dev.mediaorchestrator.support.TestServers;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URL;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import java.net.URLEncoder;
import java.util.Arrays;

/**
 * The edges of refusals: an upload refused without its body being read ends the connection, a PUT
 * to a peer that stops reading gives up, the rate limit counts only signed requests, URL expiry
 * is parsed strictly, and a data dir serves one orchestrator.
 */
@IntegrationTest
class RefusalsTest {
    private static final long BIG = 64L * 1024 * 1024;

    /** An endless-looking body: zeros, {@code length} of them. */
    private static InputStream zeros(long length) {
        return new InputStream() {
            long left = length;

            @Override
            public int read() {
                return left-- > 0 ? 0 : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (left <= 0) {
                    return -1;
                }
                int n = (int) Math.min(len, left);
                Arrays.fill(b, off, off + n, (byte) 0);
                left -= n;
                return n;
            }
        };
    }

    @Test
    void aRefusedUploadEndsTheConnectionSoTheSenderFailsAtOnce() throws Exception {
        try (RunningApp app = RunningApp.start(Map.of())) {
            // a runner streaming 64 MiB to an upload URL whose signature is wrong: 403 without reading the body
            CompletableFuture<String> sender = CompletableFuture.supplyAsync(() -> {
                try (Socket s = new Socket(InetAddress.getLoopbackAddress(), app.base.getPort())) {
                    OutputStream out = s.getOutputStream();
                    out.write(("PUT /upload/job_aaaaaaaaaaaaaaaaaaaaaaaaaa?kind=video&exp=9999999999&sig=00 HTTP/1.1\r\nHost: x\r\n"
                            + "Content-Type: video/mp4\r\nContent-Length: " + BIG + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    byte[] chunk = new byte[64 * 1024];
                    for (long sent = 0; sent < BIG; sent += chunk.length) {
                        out.write(chunk);
                    }
                    return "sent everything";
                } catch (IOException e) {
                    return "failed: " + e.getMessage();
                }
            });
            String outcome = sender.get(20, TimeUnit.SECONDS); // before the fix: blocked in write for ever
            assertTrue(outcome.startsWith("failed"), outcome);
            assertEquals(200, app.get("/health/live").statusCode());
        }
    }

    @Test
    void aPutToAPeerThatStopsReadingGivesUp() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread peer = new Thread(() -> {
                try (Socket s = server.accept()) {
                    s.getOutputStream().write("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    Thread.sleep(60_000); // answers, then neither reads nor closes: the old /upload, or a broken proxy
                } catch (Exception ignored) {
                    // test over
                }
            });
            peer.setDaemon(true);
            peer.start();
            long t0 = System.nanoTime();
            IOException e = assertThrows(IOException.class, () -> StreamingPut.put(
                    new URL("http://127.0.0.1:" + server.getLocalPort() + "/out?X-Amz-Signature=s"), zeros(BIG), BIG, "video/mp4",
                    Duration.ofSeconds(5), Duration.ofSeconds(2)));
            assertTrue(e.getMessage().contains("stopped reading"), e.getMessage());
            assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(30), "gave up after the idle limit");
            peer.interrupt();
        }
    }

    @Test
    void unsignedRequestsDoNotUseUpTheRateLimit() throws Exception {
        try (RunningApp app = RunningApp.start(Map.of("JOBS_RATE_PER_MINUTE", "5", "CONTAINER_BASE_URL", "http://127.0.0.1:1"))) {
            byte[] body = dev.mediaorchestrator.common.Json.writeBytes(Map.of("mediaId", "m", "engine", "media-downloader",
                    "options", Map.of("url", "https://example.com/v"), "ts", System.currentTimeMillis()));
            for (int i = 0; i < 5; i++) {
                assertEquals(401, app.postRaw("/jobs", body, Map.of("x-signature", "00".repeat(32))).statusCode());
            }
            HttpResponse<String> signed = app.postSigned("/jobs", Map.of("mediaId", "m", "engine", "media-downloader",
                    "options", Map.of("url", "https://example.com/v"), "ts", System.currentTimeMillis()));
            assertEquals(202, signed.statusCode(), signed.body());
        }
    }

    @Test
    void expiryIsParsedStrictly() throws Exception {
        try (RunningApp app = RunningApp.start(Map.of())) {
            long exp = System.currentTimeMillis() / 1000 + 600;
            String sig = app.hmac.signUrl("GET", "/inputs/m1/video", "video", exp);
            for (String odd : new String[]{"+" + exp, "0" + exp, " " + exp, exp + ".0"}) {
                HttpResponse<String> r = app.get("/inputs/m1/video?exp=" + URLEncoder.encode(odd, StandardCharsets.UTF_8) + "&sig=" + sig);
                assertEquals(403, r.statusCode(), odd);
            }
            assertEquals(404, app.get("/inputs/m1/video?exp=" + exp + "&sig=" + sig).statusCode(), "the exact form passes (no such input)");
        }
    }

    @Test
    void aSecondOrchestratorOnTheSameDataDirRefusesToStart() throws Exception {
        Path dir = TestServers.tempDir("mo-lock");
        Map<String, String> env = new HashMap<>();
        env.put("DATA_DIR", dir.toString());
        try (RunningApp first = RunningApp.start(env)) {
            Config.ConfigException e = assertThrows(Config.ConfigException.class, () -> RunningApp.start(env).close());
            assertTrue(e.getMessage().startsWith("DATA_DIR: "), e.getMessage());
            assertTrue(e.getMessage().contains("pid " + ProcessHandle.current().pid()), e.getMessage());
            assertEquals(200, first.get("/health/live").statusCode(), "the first one is unharmed");
        } finally {
            TestServers.deleteRecursively(dir);
        }
        try (RunningApp again = RunningApp.start(env)) {
            assertEquals(404, again.get("/jobs/job_aaaaaaaaaaaaaaaaaaaaaaaaaa").statusCode(), "free again once the first stopped");
        } finally {
            TestServers.deleteRecursively(dir);
        }
    }
}
