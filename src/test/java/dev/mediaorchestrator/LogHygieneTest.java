package dev.mediaorchestrator;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.AppenderBase;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.mediaorchestrator.common.Hmac;
import dev.mediaorchestrator.common.Json;
import dev.mediaorchestrator.support.AppStandIn;
import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.support.RunningApp;
import dev.mediaorchestrator.support.TestServers;
import dev.mediaorchestrator.support.Wait;
import dev.mediaorchestrator.testutil.TestMedia;
import org.junit.jupiter.api.parallel.Isolated;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.mediaorchestrator.support.RunningApp.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import java.util.UUID;
import java.util.concurrent.ConcurrentSkipListSet;

/**
 * Issue 7, hygiene: the logs of a whole job never hold the secret, a signature or a presigned
 * URL's query string.
 *
 * <p>A real burn (320×180, 2 s, x264 {@code ultrafast}) runs through the all-in-one service
 * (orchestrator and burner runner) with an {@link AppStandIn} as the Next app, once with S3
 * presigned URLs ({@code TRANSFER_MODE=direct}, on the embedded store) and once with
 * orchestrator-signed URLs ({@code fallback}). The orchestrator reaches the runner, and the runner
 * reaches the orchestrator, through a recording proxy, so that every {@code x-signature} and every
 * URL that crosses the wire is known. Every log event (root logger; this project's packages at
 * DEBUG) from before the service starts until after it stops is captured, and none may contain
 * any of them. The class runs {@link Isolated}: no other test's logs are mixed in.
 */
@IntegrationTest
@Isolated("captures every log event of the JVM")
class LogHygieneTest {
    private static final Pattern QUERY_SECRETS = Pattern.compile("(?i)x-amz-signature|x-amz-credential|x-amz-security-token|[?&]sig=");
    private static final Pattern URL = Pattern.compile("https?://[^\\s\"]+");

    private final Hmac hmac = new Hmac(RunningApp.SECRET);
    private final HttpClient http = HttpClient.newHttpClient();

    @ParameterizedTest
    @ValueSource(strings = {"direct", "fallback"})
    void aWholeJobLeavesNoSecretInTheLogs(String transferMode) throws Exception {
        List<String> lines = new CopyOnWriteArrayList<>();
        Set<String> onTheWire = new ConcurrentSkipListSet<>();
        Path dir = TestServers.tempDir("mo-log-hygiene");
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        Logger ours = (Logger) LoggerFactory.getLogger("dev.mediaorchestrator");
        Level oursBefore = ours.getLevel();
        AppenderBase<ILoggingEvent> capture = new AppenderBase<>() {
            @Override
            protected void append(ILoggingEvent e) {
                String line = e.getLevel() + " " + e.getLoggerName() + " - " + e.getFormattedMessage();
                if (e.getThrowableProxy() != null) {
                    line += "\n" + ThrowableProxyUtil.asString(e.getThrowableProxy());
                }
                lines.add(line);
            }
        };
        capture.setContext(root.getLoggerContext());
        capture.start();
        root.addAppender(capture);
        ours.setLevel(Level.DEBUG);
        String jobId;
        try (AppStandIn next = new AppStandIn(hmac); RecordingProxy proxy = new RecordingProxy()) {
            Path clip = TestMedia.generateClip(dir.resolve("clip.mp4"), 2, true);
            next.media("logs1", "source", Files.readAllBytes(clip))
                    .media("logs1", "subtitles", "WEBVTT\n\n00:00.000 --> 00:01.500\nHello\n你好\n".getBytes(StandardCharsets.UTF_8));
            Map<String, String> env = new LinkedHashMap<>();
            env.put("ROLES", "orchestrator,burner");
            env.put("TRANSFER_MODE", transferMode);
            env.put("NEXT_BASE_URL", next.base().toString());
            env.put("CONTAINER_BASE_URL", proxy.base() + "/runners/burner-ffmpeg");
            env.put("ORCHESTRATOR_BASE_URL_CONTAINER", proxy.base().toString());
            env.put("BURNER_X264_PRESET", "ultrafast");
            env.put("COMPLETION_POLL_INTERVAL_MS", "300");
            env.put("RUNNER_WORK_DIR", dir.resolve("work").toString());
            try (RunningApp app = RunningApp.start(env)) {
                proxy.target = app.base;

                byte[] body = Json.writeBytes(Map.of("mediaId", "logs1", "engine", "burner-ffmpeg", "ts", System.currentTimeMillis(),
                        "nonce", UUID.randomUUID().toString()));
                onTheWire.add(hmac.sign(body));
                HttpResponse<String> r = app.postRaw("/jobs", body, Map.of());
                assertEquals(202, r.statusCode(), r.body());
                String id = (String) json(r).get("jobId");
                jobId = id;
                Wait.until("the app's callback", Duration.ofSeconds(90), () -> !next.acceptedFor(id).isEmpty());
                Map<String, Object> callback = next.acceptedFor(id).get(0);
                assertEquals("completed", callback.get("status"), callback.toString());

                // the artifact as the app plays it, and a request with a forged signature
                HttpResponse<byte[]> video = http.send(HttpRequest.newBuilder(URI.create((String) callback.get("outputUrl")))
                        .header("Range", "bytes=0-99").build(), HttpResponse.BodyHandlers.ofByteArray());
                assertEquals(206, video.statusCode());
                String forged = "ab".repeat(32);
                onTheWire.add(forged);
                assertEquals(401, app.postRaw("/jobs", body, Map.of("x-signature", forged)).statusCode());
                assertEquals(200, app.get("/jobs/" + jobId).statusCode());
                // a job that fails to start: its video is already mirrored (a DEBUG line), its comments do not exist (502)
                byte[] remotion = Json.writeBytes(Map.of("mediaId", "logs1", "engine", "renderer-remotion", "ts", System.currentTimeMillis()));
                onTheWire.add(hmac.sign(remotion));
                assertEquals(502, app.postRaw("/jobs", remotion, Map.of()).statusCode());

                // what crossed the wire: signatures, and the query strings of every URL in a body or a request line
                next.server.requests.forEach(q -> {
                    if (q.headers().get("x-signature") != null) {
                        onTheWire.add(q.headers().get("x-signature"));
                    }
                    urlSecrets(q.bodyText(), onTheWire);
                });
                for (RecordingProxy.Seen s : proxy.seen) {
                    if (s.signature() != null) {
                        onTheWire.add(s.signature());
                    }
                    if (s.query() != null && s.query().length() >= 16) {
                        onTheWire.add(s.query());
                    }
                    urlSecrets(s.body(), onTheWire);
                }
                assertTrue(proxy.seen.stream().anyMatch(s -> s.path().endsWith("/render") && s.signature() != null), "the dispatch was seen");
                assertTrue(proxy.seen.stream().filter(s -> s.path().equals("/callbacks/container")).count() >= 3, "runner callbacks were seen");
                assertTrue(onTheWire.stream().anyMatch(s -> s.contains("sig=") || s.contains("X-Amz-Signature=")), "signed URLs were seen: " + onTheWire);
                if (transferMode.equals("fallback")) {
                    assertTrue(proxy.seen.stream().anyMatch(s -> s.path().startsWith("/inputs/")), "inputs fetched from the orchestrator");
                    assertTrue(proxy.seen.stream().anyMatch(s -> s.path().startsWith("/upload/")), "output uploaded to the orchestrator");
                }
            }
        } finally {
            root.detachAppender(capture);
            capture.stop();
            ours.setLevel(oursBefore);
            TestServers.deleteRecursively(dir);
        }

        List<String> leaks = new ArrayList<>();
        for (String line : lines) {
            if (line.contains(RunningApp.SECRET)) {
                leaks.add("the secret: " + line);
            }
            Matcher m = QUERY_SECRETS.matcher(line);
            if (m.find()) {
                leaks.add(m.group() + ": " + line);
            }
            for (String s : onTheWire) {
                if (line.contains(s)) {
                    leaks.add("'" + s + "' seen on the wire: " + line);
                }
            }
        }
        assertTrue(leaks.isEmpty(), leaks.size() + " leaks in the " + lines.size() + " captured log events:\n" + String.join("\n", leaks));

        // and the capture did see the job, at DEBUG for our packages
        for (String expected : List.of("start job " + jobId, "inputs ready (job " + jobId, "ffmpeg done (job " + jobId,
                "[cf-callback] delivered " + jobId)) {
            assertTrue(lines.stream().anyMatch(l -> l.contains(expected)), "captured logs contain '" + expected + "'");
        }
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("DEBUG dev.mediaorchestrator")), "DEBUG lines of our packages were captured");
        assertFalse(onTheWire.isEmpty());
    }

    /** The query string of every URL in {@code text}, and each of its signature-like values on its own. */
    private static void urlSecrets(String text, Set<String> into) {
        Matcher m = URL.matcher(text);
        while (m.find()) {
            URI u;
            try {
                u = URI.create(m.group());
            } catch (IllegalArgumentException e) {
                continue;
            }
            if (u.getRawQuery() != null && u.getRawQuery().length() >= 16) {
                into.add(u.getRawQuery());
                for (String kv : u.getRawQuery().split("&")) {
                    String[] p = kv.split("=", 2);
                    String name = p[0].toLowerCase(Locale.ROOT);
                    if (p.length == 2 && (name.equals("sig") || name.contains("signature") || name.contains("credential"))) {
                        into.add(p[1]);
                    }
                }
            }
        }
    }

    /**
     * A reverse proxy that records what passes: the orchestrator's dispatches and cancels to the
     * runner, the runner's callbacks, and (fallback mode) its input downloads and output uploads.
     */
    static final class RecordingProxy implements AutoCloseable {
        record Seen(String method, String path, String query, String signature, String body) {
        }

        final List<Seen> seen = new CopyOnWriteArrayList<>();
        volatile URI target;
        private final HttpServer server;
        private final ExecutorService executor = Executors.newCachedThreadPool();
        private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        private static final Set<String> HOP = Set.of("host", "content-length", "connection", "expect", "upgrade", "transfer-encoding",
                "keep-alive", "date");

        RecordingProxy() throws IOException {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.setExecutor(executor);
            server.createContext("/", this::forward);
            server.start();
        }

        URI base() {
            return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
        }

        private void forward(HttpExchange ex) throws IOException {
            try {
                byte[] body = ex.getRequestBody().readAllBytes();
                URI uri = ex.getRequestURI();
                String pathAndQuery = uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
                seen.add(new Seen(ex.getRequestMethod(), uri.getPath(), uri.getRawQuery(), ex.getRequestHeaders().getFirst("x-signature"),
                        new String(body, StandardCharsets.UTF_8)));
                HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(target + pathAndQuery))
                        .method(ex.getRequestMethod(), body.length == 0 ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
                ex.getRequestHeaders().forEach((k, v) -> {
                    if (!HOP.contains(k.toLowerCase(Locale.ROOT))) {
                        v.forEach(value -> b.header(k, value));
                    }
                });
                HttpResponse<byte[]> r;
                try {
                    r = client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException(e);
                }
                r.headers().map().forEach((k, v) -> {
                    if (!HOP.contains(k.toLowerCase(Locale.ROOT))) {
                        ex.getResponseHeaders().put(k, v);
                    }
                });
                boolean noBody = ex.getRequestMethod().equals("HEAD") || r.body().length == 0;
                ex.sendResponseHeaders(r.statusCode(), noBody ? -1 : r.body().length);
                if (!noBody) {
                    ex.getResponseBody().write(r.body());
                }
            } finally {
                ex.close();
            }
        }

        @Override
        public void close() {
            server.stop(0);
            executor.shutdownNow();
        }
    }
}
