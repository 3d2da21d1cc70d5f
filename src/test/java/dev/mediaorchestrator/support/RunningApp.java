package dev.mediaorchestrator.support;

import dev.mediaorchestrator.App;
import dev.mediaorchestrator.Config;
import dev.mediaorchestrator.common.Hmac;
import dev.mediaorchestrator.common.Json;
import dev.mediaorchestrator.observability.PrometheusText;

import java.net.BindException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The whole service started in-process on a free port over a temp data dir (embedded S3), with a
 * known secret, and an HTTP client that signs requests the way the contract says. Every exchange
 * of that client (and of any {@link ValidatingHttpClient}, {@link RawHttp}, {@link Put}) with a
 * running service is checked against {@code openapi.yaml} ({@link OpenApiCheck}).
 */
public final class RunningApp implements AutoCloseable {
    public static final String SECRET = "test-secret-" + Long.toHexString(System.nanoTime());
    /** The services running in this JVM by port: exchanges with them are checked against the document. */
    private static final Map<Integer, RunningApp> LIVE = new ConcurrentHashMap<>();

    public final App app;
    public final URI base;
    public final Path dataDir;
    /** The whole environment the service was started with (the test defaults and the test's own). */
    public final Map<String, String> env;
    public final Hmac hmac = new Hmac(SECRET);
    private final HttpClient http = ValidatingHttpClient.wrap(HttpClient.newHttpClient());
    /** The exchanges with this service that broke openapi.yaml (each also failed where it happened). */
    private final List<String> contractProblems = new CopyOnWriteArrayList<>();

    private RunningApp(App app, URI base, Path dataDir, Map<String, String> env) {
        this.app = app;
        this.base = base;
        this.dataDir = dataDir;
        this.env = Map.copyOf(env);
        LIVE.put(base.getPort(), this);
    }

    /** Whether {@code uri} is on a service running in this JVM (loopback, its port). */
    public static boolean serves(URI uri) {
        return serving(uri) != null;
    }

    private static RunningApp serving(URI uri) {
        String host = uri.getHost();
        boolean loopback = host != null && (host.equals("127.0.0.1") || host.equals("localhost") || host.equals("[::1]"));
        return loopback ? LIVE.get(uri.getPort()) : null;
    }

    /**
     * Checks an exchange with the service at {@code uri} against openapi.yaml ({@link OpenApiCheck}):
     * a problem is thrown here and kept, so that one met on another thread (a stand-in runner
     * uploading) still fails the test when the service is closed.
     */
    static void check(URI uri, WireExchange x, boolean requestMayBeOutside) {
        RunningApp app = serving(uri);
        if (app == null) {
            return;
        }
        List<String> problems = OpenApiCheck.served().problems(x, requestMayBeOutside);
        if (!problems.isEmpty()) {
            AssertionError e = OpenApiCheck.failure(x, problems);
            app.contractProblems.add(e.getMessage());
            throw e;
        }
    }

    /** Starts the service with the test defaults overridden by {@code env}. */
    public static RunningApp start(Map<String, String> env) throws Exception {
        // Free ports are found by binding and closing; a parallel test can take one in between.
        // Unless the test fixed the ports, a start that loses that race is tried again on new ones.
        boolean portsFixed = env.containsKey("PORT") || env.containsKey("S3_EMBEDDED_PORT");
        for (int attempt = 1; ; attempt++) {
            try {
                return startOnce(env);
            } catch (Exception e) {
                if (portsFixed || attempt >= 5 || !causedByBindException(e)) {
                    throw e;
                }
            }
        }
    }

    private static boolean causedByBindException(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof BindException) {
                return true;
            }
        }
        return false;
    }

    private static RunningApp startOnce(Map<String, String> env) throws Exception {
        Path dataDir = TestServers.tempDir("mo-app");
        int port = TestServers.freePort();
        // (a test may fix PORT to restart on the same address)
        Map<String, String> all = new HashMap<>();
        all.put("PORT", String.valueOf(port));
        all.put("HOST", "127.0.0.1");
        all.put("JOB_CALLBACK_HMAC_SECRET", SECRET);
        all.put("DATA_DIR", dataDir.toString());
        all.put("ROLES", "orchestrator");
        // admission limits are tested on their own; other tests must not trip over them
        all.put("MAX_ACTIVE_JOBS", "1000");
        all.put("JOBS_RATE_PER_MINUTE", "100000");
        // every test page and clip is on 127.0.0.1: the private-network guard is tested on its own
        // (DownloaderPrivateNetworksTest sets this to false)
        all.put("DOWNLOADER_ALLOW_PRIVATE_NETWORKS", "true");
        all.putAll(env);
        port = Integer.parseInt(all.get("PORT"));
        try {
            App app = App.start(Config.fromEnv(all), dev.mediaorchestrator.runner.RunnerConfig.fromEnv(all));
            return new RunningApp(app, URI.create("http://127.0.0.1:" + port), dataDir, all);
        } catch (Exception e) {
            TestServers.deleteRecursively(dataDir);
            throw e;
        }
    }

    public HttpResponse<String> postSigned(String path, Map<String, Object> body) throws Exception {
        return postRaw(path, Json.writeBytes(body), Map.of());
    }

    public HttpResponse<String> postRaw(String path, byte[] body, Map<String, String> headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path))
                .timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (!headers.containsKey("content-type")) {
            b.header("content-type", "application/json");
        }
        if (!headers.containsKey("x-signature")) {
            b.header("x-signature", hmac.sign(body));
        }
        headers.forEach((k, v) -> {
            if (v != null) {
                b.header(k, v);
            }
        });
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * Waits (10 s at most) until the job's document says its callback was delivered, and returns
     * the document: the app's 200 reaches the app before the service records the delivery.
     */
    public Map<String, Object> awaitDeliveryRecorded(String jobId) {
        Wait.until("the delivery recorded in job " + jobId, Duration.ofSeconds(10), () -> {
            try {
                return Boolean.TRUE.equals(((Map<?, ?>) json(get("/jobs/" + jobId)).get("callback")).get("delivered"));
            } catch (Exception e) {
                return false;
            }
        });
        try {
            return json(get("/jobs/" + jobId));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    public HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(30)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** The sum of the samples of {@code name} in {@code /metrics} whose labels include {@code labels} (names and values); 0 when none. */
    public double metric(String name, String... labels) {
        try {
            return new PrometheusText(get("/metrics").body()).find(name, labels).stream().mapToDouble(PrometheusText.Sample::value).sum();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** A downloader job (its runner a stand-in that accepts it), for tests that put its outputs in the bucket themselves. */
    public String newDownloadJob(String mediaId) throws Exception {
        HttpResponse<String> r = postSigned("/jobs", Map.of("mediaId", mediaId, "engine", "media-downloader",
                "options", Map.of("url", "https://example.com/v"), "ts", System.currentTimeMillis()));
        if (r.statusCode() != 202) {
            throw new AssertionError("POST /jobs: " + r.statusCode() + " " + r.body());
        }
        return (String) json(r).get("jobId");
    }

    public static Map<String, Object> json(HttpResponse<String> r) {
        return Json.parseObject(r.body().getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public void close() {
        LIVE.remove(base.getPort(), this);
        try {
            app.close();
        } finally {
            TestServers.deleteRecursively(dataDir);
        }
        if (!contractProblems.isEmpty()) {
            throw new AssertionError(contractProblems.size() + " exchanges with the service broke openapi.yaml (each failed where it"
                    + " happened too, maybe on another thread):\n" + String.join("\n", contractProblems));
        }
    }
}
