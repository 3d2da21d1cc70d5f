package dev.mediaorchestrator.reliability;

import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.support.RunningApp;
import io.netty.util.internal.PlatformDependent;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import java.util.Arrays;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * 40 clients open a 64 MiB object and never read: the memory the service holds for them stays
 * bounded (a few chunks each, not the whole object), and health, status and metrics still answer.
 */
@IntegrationTest
@org.junit.jupiter.api.parallel.Isolated("answers within 5 s (a frozen API would not: its stress lasts 20 s or for ever) under a stress of its own: not beside other classes on a 2-core machine")
class SlowReadersTest {
    private static final long SIZE = 64L * 1024 * 1024;

    private static InputStream pattern(long length) {
        return new InputStream() {
            long left = length;

            @Override
            public int read() {
                return left-- > 0 ? 7 : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (left <= 0) {
                    return -1;
                }
                int n = (int) Math.min(len, left);
                Arrays.fill(b, off, off + n, (byte) 7);
                left -= n;
                return n;
            }
        };
    }

    @Test
    void fortyReadersThatNeverReadHoldLittleAndBlockNothing() throws Exception {
        try (RunningApp app = RunningApp.start(Map.of())) {
            app.app.storage().put("inputs/videos/big.mp4", pattern(SIZE), "video/mp4", SIZE);
            long exp = System.currentTimeMillis() / 1000 + 600;
            String path = "/inputs/big/video?exp=" + exp + "&sig=" + app.hmac.signUrl("GET", "/inputs/big/video", "video", exp);
            long directBefore = PlatformDependent.usedDirectMemory();
            List<Socket> readers = new ArrayList<>();
            try {
                for (int i = 0; i < 40; i++) {
                    Socket s = new Socket(InetAddress.getLoopbackAddress(), app.base.getPort());
                    s.setReceiveBufferSize(64 * 1024);
                    OutputStream out = s.getOutputStream();
                    out.write(("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    readers.add(s); // and never read
                }
                Thread.sleep(3000);
                long held = PlatformDependent.usedDirectMemory() - directBefore;
                assertTrue(held < 64L * 1024 * 1024, "direct memory held for 40 stalled readers: " + held / 1024 / 1024 + " MiB");
                HttpClient http = HttpClient.newHttpClient();
                for (String p : new String[]{"/health/live", "/jobs/job_aaaaaaaaaaaaaaaaaaaaaaaaaa", "/metrics"}) {
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(app.base + p)).timeout(Duration.ofSeconds(5)).build(),
                            HttpResponse.BodyHandlers.ofString());
                    assertTrue(r.statusCode() == 200 || r.statusCode() == 404, p + " answered " + r.statusCode());
                }
                // a reader that does read still gets the whole object (or a 503 to retry, when all slots are taken)
                HttpResponse<InputStream> whole = http.send(HttpRequest.newBuilder(URI.create(app.base + path)).build(),
                        HttpResponse.BodyHandlers.ofInputStream());
                if (whole.statusCode() == 200) {
                    try (InputStream in = whole.body()) {
                        assertEquals(SIZE, in.transferTo(OutputStream.nullOutputStream()));
                    }
                } else {
                    assertEquals(503, whole.statusCode());
                    assertTrue(whole.headers().firstValue("Retry-After").isPresent());
                }
            } finally {
                for (Socket s : readers) {
                    s.close();
                }
            }
        }
    }

    @Test
    void thirtyJobsAgainstAnAppThatNeverAnswersBlockNothing() throws Exception {
        try (dev.mediaorchestrator.support.StubHttpServer hanging = new dev.mediaorchestrator.support.StubHttpServer();
             RunningApp app = RunningApp.start(Map.of("NEXT_BASE_URL", hanging.base().toString(), "APP_READ_TIMEOUT_SECONDS", "8",
                     "CONTAINER_BASE_URL", "http://127.0.0.1:1"))) {
            hanging.on("/api/media/", ex -> {
                try {
                    Thread.sleep(20_000); // the app takes the request and never answers
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            ExecutorService clients = Executors.newFixedThreadPool(30);
            try {
                List<Future<HttpResponse<String>>> posts = new ArrayList<>();
                for (int i = 0; i < 30; i++) {
                    int n = i;
                    posts.add(clients.submit(() -> app.postSigned("/jobs", Map.of("mediaId", "hang" + n, "engine", "burner-ffmpeg",
                            "ts", System.currentTimeMillis()))));
                }
                Thread.sleep(1500);
                HttpClient http = HttpClient.newHttpClient();
                for (String p : new String[]{"/health/live", "/jobs/job_aaaaaaaaaaaaaaaaaaaaaaaaaa", "/metrics"}) {
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(app.base + p)).timeout(Duration.ofSeconds(5)).build(),
                            HttpResponse.BodyHandlers.ofString());
                    assertTrue(r.statusCode() == 200 || r.statusCode() == 404, p + " answered " + r.statusCode());
                }
                int refused = 0;
                for (var f : posts) {
                    HttpResponse<String> r = f.get(60, TimeUnit.SECONDS);
                    assertTrue(r.statusCode() == 503 || r.statusCode() == 502, r.statusCode() + " " + r.body());
                    if (r.statusCode() == 503) {
                        refused++;
                        assertTrue(r.headers().firstValue("Retry-After").isPresent());
                    }
                }
                assertTrue(refused >= 30 - 8, "beyond MIRROR_CONCURRENCY the requests are refused at once: " + refused);
            } finally {
                clients.shutdownNow();
            }
        }
    }
}
