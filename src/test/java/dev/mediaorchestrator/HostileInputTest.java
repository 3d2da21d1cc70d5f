package dev.mediaorchestrator;

import dev.mediaorchestrator.common.Hmac;
import dev.mediaorchestrator.common.Json;
import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.support.OpenApiCheck;
import dev.mediaorchestrator.support.RawHttp;
import dev.mediaorchestrator.support.RawHttp.Answer;
import dev.mediaorchestrator.support.RunningApp;
import dev.mediaorchestrator.support.StubHttpServer;
import dev.mediaorchestrator.support.TestServers;
import dev.mediaorchestrator.support.ValidatingHttpClient;
import dev.mediaorchestrator.support.Wait;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;

import static dev.mediaorchestrator.support.RunningApp.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import java.net.URLDecoder;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Issue 7, hygiene: a corpus of hostile requests, generated here, against every endpoint of the
 * all-in-one service in local mode (orchestrator, burner and downloader runners under
 * {@code /runners/...}, and the local app's {@code /api/media} and {@code /api/render/cf-callback}).
 *
 * <p>Every case must be answered without a 5xx, as {@code Content-Type: application/json} with a
 * JSON object whose {@code error} is a short string, and must write nothing to the bucket (its keys
 * are listed after every ten cases; only the state of the three jobs made on purpose may change).
 * The few cases that are meant to succeed (ignored {@code Range} headers, lenient optional fields)
 * are listed as such and checked for what they must answer instead.
 *
 * <p>Requests go through the JDK {@link HttpClient} (HTTP/1.1); what it refuses to send
 * (duplicated headers, bad escapes, malformed request lines, conflicting lengths, oversized heads)
 * is written by hand on a socket ({@link RawHttp}).
 */
@IntegrationTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HostileInputTest {
    private static final String BURNER = "/runners/burner-ffmpeg";
    private static final String DOWNLOADER = "/runners/media-downloader";
    private static final String DEAD = "http://127.0.0.1:1";
    private static final int TIMEOUT_MS = 20_000;
    private static final int BATCH = 10;

    private final Hmac hmac = new Hmac(RunningApp.SECRET);
    private final HttpClient http = ValidatingHttpClient.wrap(HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build());
    private final byte[] artifact = new byte[5000];
    private final byte[] source = new byte[4000];
    private final List<Case> cases = new ArrayList<>();
    private final List<String> acceptedRunnerJobs = new ArrayList<>();
    private StubHttpServer runner;
    private RunningApp app;
    private Path mediaDir;
    private Path workDir;
    /** Dispatched to the silent stand-in runner: stays running. */
    private String runningJob;
    /** A downloader job, also running. */
    private String downloaderJob;
    /** A burner job completed by putting its output in the bucket. */
    private String doneJob;
    /** Well formed, never created. */
    private final String unknownJob = "job_" + "a".repeat(26);

    @BeforeAll
    void start() throws Exception {
        new Random(7).nextBytes(artifact);
        new Random(8).nextBytes(source);
        mediaDir = TestServers.tempDir("mo-hostile-media");
        workDir = TestServers.tempDir("mo-hostile-work");
        Files.write(mediaDir.resolve("h1.mp4"), source);
        Files.writeString(mediaDir.resolve("h1.vtt"), "WEBVTT\n\n00:00.000 --> 00:01.000\nHi\n嗨\n");
        // a runner that takes the jobs made here and stays silent; it also takes the callbacks of the
        // runner jobs the corpus starts on purpose (so that no one retries them)
        runner = new StubHttpServer().answer("/render", 202, "{}").answer("/cancel/", 200, "{\"ok\":true}")
                .answer("/cb", 200, "{\"ok\":true}");
        // local mode (no NEXT_BASE_URL): /api/media and /api/render/cf-callback are served; the jobs made
        // here are dispatched to the silent stand-in, the in-process runners only see the corpus
        app = RunningApp.start(Map.of("ROLES", "orchestrator,burner,downloader", "MEDIA_DIR", mediaDir.toString(),
                "CONTAINER_BASE_URL", runner.base().toString(), "COMPLETION_POLL_INTERVAL_MS", "300",
                "RUNNER_WORK_DIR", workDir.toString(), "RUNNER_MAX_CONCURRENCY", "32",
                "RUNNER_PROBE_SECONDS", "3600")); // the silent stand-in has no /status: its jobs must stay running for the whole corpus
        runningJob = createJob(Map.of("mediaId", "h1", "engine", "burner-ffmpeg"));
        downloaderJob = createJob(Map.of("mediaId", "h2", "engine", "media-downloader", "options", Map.of("url", "https://example.com/v")));
        doneJob = createJob(Map.of("mediaId", "h1", "engine", "burner-ffmpeg"));
        app.app.storage().put("outputs/by-media/h1/" + doneJob + "/video.mp4", new ByteArrayInputStream(artifact), "video/mp4");
        Wait.until("the done job's callback", Duration.ofSeconds(30), () -> {
            Map<String, Object> doc = getJson("/jobs/" + doneJob);
            return "completed".equals(doc.get("status")) && doc.get("callback") instanceof Map<?, ?> cb && Boolean.TRUE.equals(cb.get("delivered"));
        });
    }

    @AfterAll
    void stop() {
        if (app != null) {
            app.close();
        }
        runner.close();
        TestServers.deleteRecursively(mediaDir);
        TestServers.deleteRecursively(workDir);
    }

    private String createJob(Map<String, Object> body) throws Exception {
        Map<String, Object> b = new LinkedHashMap<>(body);
        b.put("ts", System.currentTimeMillis());
        HttpResponse<String> r = app.postSigned("/jobs", b);
        assertEquals(202, r.statusCode(), r.body());
        return (String) json(r).get("jobId");
    }

    private Map<String, Object> getJson(String path) {
        try {
            return json(app.get(path));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void everyHostileRequestIsAnsweredWithAJsonErrorAndWritesNothing() throws Exception {
        buildCorpus();
        assertTrue(cases.size() >= 300, "corpus has " + cases.size() + " cases");
        Set<String> keys = new TreeSet<>(app.app.storage().list(""));
        List<String> failures = new ArrayList<>();
        Map<String, Map<Integer, Integer>> statuses = new TreeMap<>();
        List<String> batch = new ArrayList<>();
        boolean batchAccepted = false;
        for (int i = 0; i < cases.size(); i++) {
            Case c = cases.get(i);
            String problem;
            try {
                Answer a = c.send.send();
                statuses.computeIfAbsent(c.category, k -> new TreeMap<>()).merge(a.status(), 1, Integer::sum);
                problem = c.check.apply(a);
            } catch (Exception e) {
                problem = "no answer: " + e;
            } catch (AssertionError e) {
                problem = e.getMessage(); // the exchange broke openapi.yaml (support/OpenApiCheck)
            }
            if (problem != null) {
                failures.add(c.category + " | " + c.name + " -> " + problem);
            }
            // the bucket is listed after every BATCH cases (listing after each one would double the run time)
            batch.add(c.category + " | " + c.name);
            batchAccepted |= c.success;
            if (batch.size() == BATCH || i == cases.size() - 1) {
                Set<String> now = new TreeSet<>(app.app.storage().list(""));
                List<String> written = unexpectedKeys(keys, now);
                if (batchAccepted) {
                    // a request accepted on purpose (a lenient callback) is remembered against replays: that key only
                    written = written.stream().filter(k -> !k.startsWith("state/replay/short/")).toList();
                }
                batchAccepted = false;
                if (!written.isEmpty()) {
                    failures.add("wrote " + written + " in one of these cases:\n    " + String.join("\n    ", batch));
                }
                keys.clear();
                keys.addAll(now);
                batch.clear();
            }
        }
        // runner jobs accepted on purpose (lenient optional fields) end failed, having written nothing
        for (String jobId : acceptedRunnerJobs) {
            String path = (jobId.startsWith("job_b") ? BURNER : DOWNLOADER) + "/status/" + jobId;
            Wait.until("runner job " + jobId + " to fail", Duration.ofSeconds(30),
                    () -> "failed".equals(getJson(path).get("status")));
        }
        assertEquals(List.of(), unexpectedKeys(keys, new TreeSet<>(app.app.storage().list(""))), "written to the bucket after the corpus ran");

        Map<String, Long> byCategory = cases.stream().collect(Collectors.groupingBy(c -> c.category, TreeMap::new, Collectors.counting()));
        System.out.println("[hostile] " + cases.size() + " cases: " + byCategory + "; listed as allowed to succeed: "
                + cases.stream().filter(c -> c.success).count() + "; listed exceptions: " + cases.stream().filter(c -> c.listedException).count()
                + "; statuses by category (0: closed without an answer): " + statuses);
        assertTrue(failures.isEmpty(), failures.size() + " problems in " + cases.size() + " cases:\n" + String.join("\n", failures));
    }

    /**
     * Keys in {@code now} and not in {@code before}, but for the state of the jobs made on purpose and
     * the replicas' own membership (the cluster service's heartbeats under {@code state/cluster/},
     * written every few seconds whatever the requests; the embedded store lists a write in progress
     * as {@code {key}-{uuid}}).
     */
    private List<String> unexpectedKeys(Set<String> before, Set<String> now) {
        Set<String> mine = Set.of(runningJob, downloaderJob, doneJob);
        return now.stream().filter(k -> !before.contains(k)).filter(k -> !k.startsWith("state/cluster/"))
                .filter(k -> !(k.startsWith("state/") && mine.stream().anyMatch(k::contains))).toList();
    }

    // ------------------------------------------------------------------------------ the corpus

    private void buildCorpus() {
        wrongMethods();
        idsInPaths();
        malformedJson();
        wrongTypes();
        staleTimestamps();
        hugeInputs();
        headers();
        rawRequests();
        ranges();
        signedUrls();
        lenientButHarmless();
    }

    /** The signed-JSON endpoints, each with a body that is valid but for what a case changes. */
    private List<Endpoint> signedEndpoints() {
        return List.of(
                new Endpoint("/jobs", () -> body("mediaId", "h1", "engine", "burner-ffmpeg", "options", Map.of())),
                new Endpoint("/jobs/" + unknownJob + "/cancel", () -> body()),
                new Endpoint("/callbacks/container", () -> body("jobId", unknownJob, "status", "running", "phase", "running", "progress", 0.5)),
                new Endpoint("/callbacks/tasks", () -> body("jobId", unknownJob + "-s000", "status", "running", "phase", "running", "progress", 0.5)),
                new Endpoint("/api/render/cf-callback", () -> body("jobId", unknownJob, "mediaId", "h1", "engine", "burner-ffmpeg", "status", "completed")),
                new Endpoint(BURNER + "/render", () -> burnerRender("job_b" + shortId())),
                new Endpoint(DOWNLOADER + "/render", () -> downloaderRender("job_d" + shortId())),
                new Endpoint(BURNER + "/cancel/" + unknownJob, () -> body()),
                new Endpoint(DOWNLOADER + "/cancel/" + unknownJob, () -> body()));
    }

    /** Every path with its allowed methods; every other method is refused. */
    private void wrongMethods() {
        Map<String, Set<String>> allowed = new LinkedHashMap<>();
        allowed.put("/jobs", Set.of("POST", "GET"));
        allowed.put("/jobs/" + runningJob, Set.of("GET"));
        allowed.put("/jobs/" + runningJob + "/cancel", Set.of("POST"));
        allowed.put("/callbacks/container", Set.of("POST"));
        allowed.put("/callbacks/tasks", Set.of("POST"));
        allowed.put(signedSegment(runningJob, "0"), Set.of("GET", "HEAD"));
        allowed.put("/artifacts/" + doneJob, Set.of("GET", "HEAD"));
        allowed.put(inputUrl("h1", "video", "GET"), Set.of("GET", "HEAD"));
        allowed.put(uploadUrl(runningJob, "video"), Set.of("PUT", "POST"));
        allowed.put("/api/media/h1/source", Set.of("GET", "HEAD"));
        allowed.put("/api/render/cf-callback", Set.of("POST"));
        for (String r : List.of(BURNER, DOWNLOADER)) {
            allowed.put(r + "/render", Set.of("POST"));
            allowed.put(r + "/status/" + unknownJob, Set.of("GET"));
            allowed.put(r + "/healthz", Set.of("GET"));
            allowed.put(r + "/cancel/" + unknownJob, Set.of("POST"));
        }
        allowed.forEach((path, ok) -> {
            for (String m : List.of("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS")) {
                if (!ok.contains(m)) {
                    add("method", m + " " + path, jdk(m, path, Map.of(), m.equals("GET") || m.equals("HEAD") ? null : new byte[0]),
                            error(m.equals("HEAD"), 404, 405));
                }
            }
            for (String m : List.of("TRACE", "CONNECT", "FOO", "get")) {
                add("method", m + " " + path, raw(m + " " + path + " HTTP/1.1", List.of(), null), error(false, 400, 404, 405, 501));
            }
        });
    }

    /** Hostile ids, media ids and kinds, percent-encoded in the path. */
    private static final List<String> EVIL_SEGMENTS = List.of(
            "..", ".%2e", "%2e%2e", "..%2f..%2fstate%2fjobs", "%2e%2e%2f%2e%2e%2fetc%2fpasswd", "..%5c..%5cwin.ini",
            "%252e%252e%252f", "%c0%ae%c0%ae", "%00", "job%00x", "%0d%0aX-Injected:%201", "%e2%80%ae", "%f0%9f%92%a9",
            "%ff%fe", "%20", "job_AAAAAAAAAAAAAAAAAAAAAAAAAA", "$(id)", "%3Cscript%3E", "a;b=c", "~", "a".repeat(3000));

    private void idsInPaths() {
        for (String x : EVIL_SEGMENTS) {
            String name = x.length() > 40 ? x.substring(0, 10) + "…(" + x.length() + ")" : x;
            add("path-id", "GET /jobs/" + name, jdk("GET", "/jobs/" + x, Map.of(), null), error(false));
            add("path-id", "POST /jobs/" + name + "/cancel", signedPost("/jobs/" + x + "/cancel", Json.writeBytes(body()), Map.of()), error(false));
            add("path-id", "GET /artifacts/" + name, jdk("GET", "/artifacts/" + x, Map.of(), null), error(false));
            add("path-id", "HEAD /artifacts/" + name, jdk("HEAD", "/artifacts/" + x, Map.of(), null), error(true));
            add("path-id", "GET /artifacts/done?kind=" + name, jdk("GET", "/artifacts/" + doneJob + "?kind=" + x, Map.of(), null), error(false));
            add("path-id", "GET /inputs/" + name + "/video", jdk("GET", signedInput(x, "video"), Map.of(), null), error(false));
            add("path-id", "GET /inputs/h1/" + name, jdk("GET", signedInput("h1", x), Map.of(), null), error(false));
            add("path-id", "PUT /upload/" + name, jdk("PUT", signedUpload(x, "video"), Map.of(), "x".getBytes()), error(false));
            add("path-id", "PUT /upload/running?kind=" + name, jdk("PUT", signedUpload(runningJob, x), Map.of(), "x".getBytes()), error(false));
            add("path-id", "GET /segments/" + name + "/0", jdk("GET", signedSegment(x, "0"), Map.of(), null), error(false));
            add("path-id", "GET /segments/running/" + name, jdk("GET", signedSegment(runningJob, x), Map.of(), null), error(false));
            add("path-id", "POST /callbacks/tasks jobId=" + name, signedPost("/callbacks/tasks", Json.writeBytes(body("jobId", decode(x),
                    "status", "running")), Map.of()), error(false));
            add("path-id", "GET /api/media/" + name + "/source", jdk("GET", "/api/media/" + x + "/source", Map.of(), null), error(false));
            add("path-id", "GET /api/media/h1/" + name, jdk("GET", "/api/media/h1/" + x, Map.of(), null), error(false));
            for (String r : List.of(BURNER, DOWNLOADER)) {
                add("path-id", "GET " + r + "/status/" + name, jdk("GET", r + "/status/" + x, Map.of(), null), error(false));
                add("path-id", "POST " + r + "/cancel/" + name, signedPost(r + "/cancel/" + x, Json.writeBytes(body()), Map.of()), error(false));
            }
        }
        add("path-id", "GET /jobs/", jdk("GET", "/jobs/", Map.of(), null), error(false, 400));
        add("path-id", "GET /jobs?limit=many", jdk("GET", "/jobs?limit=many", Map.of(), null), error(false, 400));
        add("path-id", "GET /jobs?cursor=<forged>", jdk("GET", "/jobs?cursor=OTk5OmpvYl8uLi8uLi8", Map.of(), null), error(false, 400));
        add("path-id", "GET /jobs?status=<script>", jdk("GET", "/jobs?status=%3Cscript%3E", Map.of(), null), error(false, 400));
        add("path-id", "GET //jobs//", jdk("GET", "//jobs//", Map.of(), null), error(false));
        add("path-id", "POST /jobs//cancel", signedPost("/jobs//cancel", Json.writeBytes(body()), Map.of()), error(false));
        // what the JDK client will not put in a URI: bad escapes, raw bytes, backslashes
        for (String x : List.of("%", "%zz", "%2", "a%g0", "ü", "a b", "a\\..\\b", "\u0000", "a\tb", "%u002e%u002e")) {
            String name = x.replace("\u0000", "NUL").replace("\t", "TAB");
            for (String path : List.of("/jobs/" + x, "/artifacts/" + x, "/inputs/" + x + "/video?exp=1&sig=00", "/upload/" + x + "?exp=1&sig=00",
                    "/api/media/" + x + "/source", BURNER + "/status/" + x)) {
                add("path-raw", "GET " + path.replace(x, name), raw("GET " + path + " HTTP/1.1", List.of(), null), error(false));
            }
        }
    }

    private static final List<byte[]> MALFORMED = List.of(
            bytes(""), bytes("{"), bytes("}"), bytes("{\"ts\":"), bytes("[]"), bytes("null"), bytes("true"), bytes("\"x\""),
            bytes("123"), bytes("{}{}"), bytes("{\"a\":1}x"), bytes("{'ts':1}"), bytes("{\"ts\":1,}"), bytes("{\"ts\":NaN}"),
            bytes("{\"ts\":Infinity}"), bytes("{\"ts\":01}"), bytes("/*c*/{}"), bytes("\u0000"), bytes("{\"a\":\"\u0000\"}x"),
            new byte[]{'{', '"', 'a', '"', ':', '"', (byte) 0xff, (byte) 0xfe, '"', '}'},
            bytes("[".repeat(5000)), bytes("{\"a\":" + "[".repeat(3000) + "]".repeat(3000) + "}"),
            bytes("{\"ts\":" + "9".repeat(5000) + "}"),
            bytes("{\"a\":\"" + "\\u".repeat(10) + "\"}"));
    /** Odd but valid JSON: encodings Jackson detects (a UTF-8 byte order mark, UTF-16), a number that overflows a double; refused for their ts. */
    private static final List<byte[]> PARSED_BUT_STALE = List.of(bytes("\uFEFF{\"ts\":1}"), "{\"ts\":1}".getBytes(StandardCharsets.UTF_16),
            bytes("{\"ts\":1e999999}"));

    private void malformedJson() {
        for (Endpoint e : signedEndpoints()) {
            List<byte[]> bodies = new ArrayList<>(MALFORMED);
            byte[] valid = Json.writeBytes(e.body.get());
            for (int cut : new int[]{1, valid.length / 3, valid.length / 2, valid.length - 1}) {
                bodies.add(Arrays.copyOf(valid, cut));
            }
            bodies.addAll(PARSED_BUT_STALE);
            for (int i = 0; i < bodies.size(); i++) {
                byte[] b = bodies.get(i);
                String name = "POST " + e.path + " #" + i + " " + preview(b);
                add("malformed-json", "signed " + name, signedPost(e.path, b, Map.of()), error(false, PARSED_BUT_STALE.contains(b) ? 401 : 400));
                if (i % 4 == 0) {
                    add("malformed-json", "unsigned " + name, jdk("POST", e.path, Map.of("content-type", "application/json",
                            "x-signature", "0".repeat(64)), b), error(false, 401));
                }
            }
        }
    }

    private static final List<Object> WRONG = Arrays.asList(1, -1, 1.5, true, false, null, List.of(), Map.of(), "", " ",
            "\u0000", List.of("x"), Map.of("x", 1), 1e308, new BigInteger("1180591620717411303424"));
    private static final List<String> EVIL_STRINGS = List.of("../etc/passwd", "..\\..\\x", "a/b", "%2e%2e%2f", "a\u0000b",
            "a\r\nX-Log: forged", "ä", "😀", "\u202Eevil", "a b", "-lead", "_lead", "a".repeat(129), "job_" + "a".repeat(26) + "/../x",
            "$(touch /tmp/x)", "<script>", "a".repeat(200 * 1024));
    private static final List<String> BAD_URLS = List.of("", "ftp://x/y", "file:///etc/passwd", "javascript:alert(1)", "http://",
            "//127.0.0.1/x", "http:/x", "not a url", "http://exa mple.com/", "gopher://127.0.0.1:25/", "http://[::1", "\u0000");

    /** Every field of every signed body with every wrong type; ids, URLs and names with hostile strings. */
    private void wrongTypes() {
        String t = "wrong-type";
        String h = "hostile-string";
        Map<String, Object> jobs = body("mediaId", "h1", "engine", "burner-ffmpeg");
        for (String field : List.of("mediaId", "engine", "options")) {
            for (Object v : WRONG) {
                if (!(field.equals("options") && (v == null || v instanceof Map))) { // absent and objects are valid options
                    signedField("/jobs", jobs, field, v, error(false, 400), t);
                }
            }
        }
        for (String v : EVIL_STRINGS) {
            signedField("/jobs", jobs, "mediaId", v, error(false, 400), h);
        }
        for (String v : List.of("BURNER-FFMPEG", "burner-ffmpeg ", "ffmpeg", "../burner-ffmpeg", "burner-ffmpeg\u0000")) {
            signedField("/jobs", jobs, "engine", v, error(false, 400), h);
        }
        Map<String, Object> download = body("mediaId", "h2", "engine", "media-downloader");
        for (Object v : concat(WRONG, BAD_URLS)) {
            Map<String, Object> options = new LinkedHashMap<>();
            options.put("url", v);
            signedField("/jobs", download, "options", options, error(false, 400), v instanceof String ? h : t);
        }
        // POST /callbacks/container: a hostile job id is an unknown job
        Map<String, Object> unknown = body("jobId", unknownJob, "status", "running");
        Map<String, Object> running = body("jobId", runningJob, "status", "running");
        for (Object v : WRONG) {
            signedField("/callbacks/container", unknown, "jobId", v, error(false, 400, 404), t);
            signedField("/callbacks/container", running, "status", v, error(false, 400), t);
        }
        for (String v : EVIL_STRINGS) {
            signedField("/callbacks/container", unknown, "jobId", v, error(false, 404), h);
            signedField("/callbacks/container", running, "status", v, error(false, 400), h);
        }
        // the local app's callback receiver
        Map<String, Object> terminal = body("jobId", unknownJob, "status", "completed");
        for (Object v : WRONG) {
            signedField("/api/render/cf-callback", terminal, "jobId", v, error(false, 400), t);
            signedField("/api/render/cf-callback", terminal, "status", v, error(false, 400), t);
        }
        for (String v : EVIL_STRINGS) {
            signedField("/api/render/cf-callback", terminal, "jobId", v, error(false, 400), h);
        }
        // the runners' /render: the job id and every URL
        for (String r : List.of(BURNER, DOWNLOADER)) {
            List<String> urls = r.equals(BURNER) ? List.of("callbackUrl", "inputVideoUrl", "inputVttUrl", "outputPutUrl")
                    : List.of("callbackUrl", "outputVideoPutUrl", "outputAudioPutUrl", "outputMetadataPutUrl");
            for (Object v : concat(WRONG, EVIL_STRINGS)) {
                signedField(r + "/render", render(r), "jobId", v, error(false, 400), v instanceof String s && !s.isBlank() ? h : t);
            }
            for (String field : urls) {
                for (Object v : concat(WRONG, BAD_URLS)) {
                    signedField(r + "/render", render(r), field, v, error(false, 400), v instanceof String ? h : t);
                }
            }
        }
    }

    private void staleTimestamps() {
        long now = System.currentTimeMillis();
        // an hour off, not just over 600 s: the corpus takes a while to send
        List<Object> stale = Arrays.asList(null, "now", String.valueOf(now), true, List.of(), Map.of(), 0, -1, now - 3_600_000, now + 3_600_000,
                1e300, -1e300, Long.MIN_VALUE, Long.MAX_VALUE, now + Long.MIN_VALUE,
                BigInteger.TWO.pow(64).add(BigInteger.valueOf(now)), BigInteger.TWO.pow(128).add(BigInteger.valueOf(now)));
        for (Endpoint e : signedEndpoints()) {
            Map<String, Object> missing = e.body.get();
            missing.remove("ts");
            add("ts", "POST " + e.path + " without ts", signedPost(e.path, Json.writeBytes(missing), Map.of()), error(false, 401));
            for (Object ts : stale) {
                signedField(e.path, e.body.get(), "ts", ts, error(false, 401), "ts");
            }
        }
    }

    private void hugeInputs() {
        String big = "x".repeat(300 * 1024);
        byte[] twoMiB = new byte[2 * 1024 * 1024];
        Arrays.fill(twoMiB, (byte) 'a');
        for (Endpoint e : signedEndpoints()) {
            Map<String, Object> b = e.body.get();
            b.put("padding", big);
            add("huge", "POST " + e.path + " 300 KiB signed", signedPost(e.path, Json.writeBytes(b), Map.of()), error(false, 413));
            Map<String, Object> b2 = e.body.get();
            b2.put("padding", "x".repeat(2 * 1024 * 1024));
            add("huge", "POST " + e.path + " 2 MiB signed", rawBody("POST", e.path, List.of("Content-Type: application/json",
                    "x-signature: " + hmac.sign(Json.writeBytes(b2))), Json.writeBytes(b2)), error(false, 413));
            add("huge", "POST " + e.path + " 2 MiB garbage", rawBody("POST", e.path, List.of("Content-Type: application/json"), twoMiB),
                    error(false, 413));
        }
        // the streaming endpoints (no body handler) and GETs, with a 2 MiB body they must not take
        for (String[] mp : new String[][]{{"PUT", "/upload/" + runningJob + "?kind=video&exp=1&sig=00"},
                {"POST", "/upload/" + runningJob + "?kind=video&exp=1&sig=00"}, {"GET", "/artifacts/" + unknownJob},
                {"GET", "/inputs/h1/video?exp=1&sig=00"}, {"GET", "/api/media/nosuch/source"}, {"GET", "/jobs/" + unknownJob},
                {"GET", BURNER + "/status/" + unknownJob}, {"GET", "/jobs/"}}) {
            add("huge", mp[0] + " " + mp[1] + " with 2 MiB", rawBody(mp[0], mp[1], List.of("Content-Type: video/mp4"), twoMiB), error(false));
        }
        // an upload whose declared length is over the limit of /upload, correctly signed: refused before its body is read
        for (String length : List.of("999999999999", "9223372036854775807")) {
            add("huge", "PUT /upload/running (signed) Content-Length: " + length, raw("PUT " + uploadUrl(runningJob, "video") + " HTTP/1.1",
                    List.of("Content-Type: video/mp4", "Content-Length: " + length), bytes("x")), error(false, 413));
        }
        add("huge", "PUT /upload/running (signed) Content-Length over a long", raw("PUT " + uploadUrl(runningJob, "video") + " HTTP/1.1",
                List.of("Content-Type: video/mp4", "Content-Length: 99999999999999999999"), bytes("x")), error(false, 400));
        // heads over the server's limits
        add("huge", "GET /jobs/<300 KiB id>", raw("GET /jobs/" + big + " HTTP/1.1", List.of(), null), error(false));
        add("huge", "GET /jobs/<5000 char id>", raw("GET /jobs/" + "a".repeat(5000) + " HTTP/1.1", List.of(), null), error(false));
        add("huge", "GET /artifacts/done?kind=<300 KiB>", raw("GET /artifacts/" + doneJob + "?kind=" + big + " HTTP/1.1", List.of(), null), error(false));
        add("huge", "POST /jobs x-signature 300 KiB", raw("POST /jobs HTTP/1.1", List.of("Content-Type: application/json",
                "x-signature: " + big, "Content-Length: 2"), bytes("{}")), error(false));
        add("huge", "GET /jobs/x with a 9 KiB header", raw("GET /jobs/x HTTP/1.1", List.of("X-Pad: " + "p".repeat(9 * 1024)), null), error(false));
        List<String> many = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            many.add("X-H" + i + ": " + "v".repeat(30));
        }
        add("huge", "GET /jobs/x with 500 headers", raw("GET /jobs/x HTTP/1.1", many, null), error(false));
    }

    private void headers() {
        byte[] badJobs = Json.writeBytes(body("mediaId", "../x", "engine", "burner-ffmpeg"));
        byte[] badCallback = Json.writeBytes(body("jobId", unknownJob, "status", 7));
        String bogus = "f".repeat(64);
        for (String[] pb : new String[][]{{"/jobs", new String(badJobs, StandardCharsets.UTF_8)},
                {"/callbacks/container", new String(badCallback, StandardCharsets.UTF_8)}}) {
            byte[] b = bytes(pb[1]);
            String sig = hmac.sign(b);
            String p = pb[0];
            add("headers", "POST " + p + " two x-signature (valid, bogus)", rawBody("POST", p, List.of("Content-Type: application/json",
                    "x-signature: " + sig, "x-signature: " + bogus), b), error(false, 400, 401));
            add("headers", "POST " + p + " two x-signature (bogus, valid)", rawBody("POST", p, List.of("Content-Type: application/json",
                    "x-signature: " + bogus, "x-signature: " + sig), b), error(false, 400, 401));
            add("headers", "POST " + p + " two x-signature (valid, valid)", rawBody("POST", p, List.of("Content-Type: application/json",
                    "x-signature: " + sig, "x-signature: " + sig), b), error(false, 400, 401));
            add("headers", "POST " + p + " x-signature list in one header", rawBody("POST", p, List.of("Content-Type: application/json",
                    "x-signature: " + sig + ", " + bogus), b), error(false, 400, 401));
            add("headers", "POST " + p + " empty x-signature", rawBody("POST", p, List.of("Content-Type: application/json", "x-signature:"), b),
                    error(false, 401));
            add("headers", "POST " + p + " without x-signature", jdk("POST", p, Map.of("content-type", "application/json"), b), error(false, 401));
            add("headers", "POST " + p + " x-signature of another body", jdk("POST", p, Map.of("content-type", "application/json",
                    "x-signature", hmac.sign(bytes("{}"))), b), error(false, 401));
            add("headers", "POST " + p + " x-signature upper case", jdk("POST", p, Map.of("content-type", "application/json",
                    "x-signature", sig.toUpperCase(Locale.ROOT)), b), error(false, 400));
            add("headers", "POST " + p + " x-signature truncated", jdk("POST", p, Map.of("content-type", "application/json",
                    "x-signature", sig.substring(0, 63)), b), error(false, 401));
            add("headers", "POST " + p + " x-signature non-hex", jdk("POST", p, Map.of("content-type", "application/json",
                    "x-signature", "z".repeat(64)), b), error(false, 401));
            add("headers", "POST " + p + " x-signature unicode", rawBody("POST", p, List.of("Content-Type: application/json",
                    "x-signature: " + sig.substring(0, 62) + "é"), b), error(false, 400, 401));
            add("headers", "POST " + p + " two Content-Types (json, form)", rawBody("POST", p, List.of("Content-Type: application/json",
                    "Content-Type: application/x-www-form-urlencoded", "x-signature: " + sig), b), error(false, 400, 401, 415));
            add("headers", "POST " + p + " two Content-Types (form, json)", rawBody("POST", p, List.of("Content-Type: application/x-www-form-urlencoded",
                    "Content-Type: application/json", "x-signature: " + sig), b), error(false, 400, 401, 415));
            add("headers", "POST " + p + " two Content-Lengths", raw("POST " + p + " HTTP/1.1", List.of("Content-Type: application/json",
                    "x-signature: " + sig, "Content-Length: " + b.length, "Content-Length: " + (b.length - 1)), b), error(false, 400));
            add("headers", "POST " + p + " Content-Length and chunked", raw("POST " + p + " HTTP/1.1", List.of("Content-Type: application/json",
                    "x-signature: " + sig, "Content-Length: 5", "Transfer-Encoding: chunked"), chunk(b)), error(false, 400, 401));
            add("headers", "POST " + p + " two Idempotency-Keys", rawBody("POST", p, List.of("Content-Type: application/json",
                    "x-signature: " + sig, "Idempotency-Key: a", "Idempotency-Key: b"), b), error(false, 400));
            add("headers", "POST " + p + " without Host", rawNoHost("POST " + p + " HTTP/1.1", List.of("Content-Type: application/json",
                    "x-signature: " + sig, "Content-Length: " + b.length), b), error(false, 400));
            add("headers", "POST " + p + " two Hosts", raw("POST " + p + " HTTP/1.1", List.of("Host: evil.example", "Content-Type: application/json",
                    "x-signature: " + sig, "Content-Length: " + b.length), b), error(false, 400));
        }
        for (Endpoint e : signedEndpoints()) {
            byte[] b = Json.writeBytes(e.body.get());
            add("content-type", "POST " + e.path + " as a form", jdk("POST", e.path, Map.of("content-type", "application/x-www-form-urlencoded",
                    "x-signature", hmac.sign(b)), b), error(false, 415));
            // the body handler takes a multipart body apart: what is left is not what was signed
            add("content-type", "POST " + e.path + " as multipart", jdk("POST", e.path, Map.of("content-type", "multipart/form-data; boundary=zz",
                    "x-signature", hmac.sign(b)), b), error(false, 400, 401, 415));
            byte[] form = bytes("mediaId=h1&engine=burner-ffmpeg&ts=" + System.currentTimeMillis());
            add("content-type", "POST " + e.path + " signed form body", jdk("POST", e.path, Map.of("content-type", "application/x-www-form-urlencoded",
                    "x-signature", hmac.sign(form)), form), error(false, 415));
            byte[] multipart = bytes("--zz\r\nContent-Disposition: form-data; name=\"mediaId\"\r\n\r\nh1\r\n--zz--\r\n");
            add("content-type", "POST " + e.path + " signed multipart body", jdk("POST", e.path, Map.of("content-type",
                    "multipart/form-data; boundary=zz", "x-signature", hmac.sign(multipart)), multipart), error(false, 400, 401, 415));
        }
    }

    private void rawRequests() {
        List<String[]> lines = List.of(
                new String[]{"GARBAGE", ""}, new String[]{"GET /jobs/x HTTP/1.1 extra", ""},
                new String[]{"GET  /jobs/x  HTTP/1.1", ""}, new String[]{"GET http://evil.example/jobs/x HTTP/1.1", ""},
                new String[]{"OPTIONS * HTTP/1.1", ""}, new String[]{"GET jobs/x HTTP/1.1", ""}, new String[]{"GET /jobs/x HTTP/1.1", "NoColonHeader"},
                new String[]{"GET /jobs/x HTTP/1.1", "Bad Name: v"}, new String[]{"GET /jobs/x HTTP/1.1", "X-Nul: a\u0000b"},
                new String[]{"GET /jobs/x HTTP/1.1", " folded: continuation"}, new String[]{"GET /jobs/x HTTP/1.1", "X-Ctl: a\u0007b"},
                new String[]{"GET /jobs/x HTTP/1.1", "Range: bytes=0-1\r\nRange: bytes=2-3"});
        for (String[] l : lines) {
            add("raw-http", l[0] + (l[1].isEmpty() ? "" : " + " + l[1].replace("\u0000", "NUL").replace("\u0007", "BEL")),
                    raw(l[0], l[1].isEmpty() ? List.of() : List.of(l[1]), null), error(false, 400, 404, 405));
        }
        byte[] b = bytes("{}");
        for (String cl : List.of("-1", "abc", "99999999999999999999", "1, 2", "0x10", " ")) {
            add("raw-http", "POST /jobs Content-Length: " + cl, raw("POST /jobs HTTP/1.1", List.of("Content-Type: application/json",
                    "Content-Length: " + cl), b), error(false, 400, 413));
        }
        // the head was valid and the request under way when its body turned out broken: Vert.x closes the connection
        add("raw-http", "POST /jobs chunked with a bad size", raw("POST /jobs HTTP/1.1", List.of("Content-Type: application/json",
                "Transfer-Encoding: chunked"), bytes("zz\r\n{}\r\n0\r\n\r\n")), closedOr(error(false, 400)));
        // listed exception: Vert.x answers a request line whose version is not HTTP/1.0 or 1.1 itself, with 501 and no
        // body, before any handler of ours can run (its invalid-request handler only sees requests the decoder refused)
        for (String version : List.of("HTTP/9.9", "HTTP/2.0")) {
            add("raw-http", "GET /jobs/x " + version + " (listed: 501 from Vert.x)", raw("GET /jobs/x " + version, List.of(), null),
                    listed(501, "an HTTP version Vert.x does not speak"));
        }
        add("raw-http", "POST /jobs unknown Transfer-Encoding", raw("POST /jobs HTTP/1.1", List.of("Content-Type: application/json",
                "Transfer-Encoding: gzip, chunked"), chunk(b)), error(false, 400, 401, 501));
        add("raw-http", "POST /jobs Expect: 100-continue, 3 MiB", raw("POST /jobs HTTP/1.1", List.of("Content-Type: application/json",
                "Expect: 100-continue", "Content-Length: " + (3 * 1024 * 1024)), null), error(false, 413, 417));
        add("raw-http", "POST /jobs Expect: nonsense", raw("POST /jobs HTTP/1.1", List.of("Content-Type: application/json",
                "Expect: nonsense", "Content-Length: 2"), b), error(false, 400, 401, 417));
        add("raw-http", "GET /jobs/x HTTP/1.0 without Host", rawNoHost("GET /jobs/x HTTP/1.0", List.of(), null), error(false, 404));
        add("raw-http", "GET /jobs/x Content-Encoding: gzip", raw("GET /jobs/x HTTP/1.1", List.of("Content-Encoding: gzip",
                "Content-Length: 4"), bytes("junk")), error(false, 400, 404, 415));
        add("raw-http", "POST /jobs Content-Encoding: gzip (not gzip)", raw("POST /jobs HTTP/1.1", List.of("Content-Type: application/json",
                "Content-Encoding: gzip", "x-signature: " + hmac.sign(b), "Content-Length: 2"), b), error(false, 400, 401, 415));
    }

    /** Range headers that are bad or odd: the whole object (200), a part (206) or 416, never a 5xx. */
    private void ranges() {
        List<String> ranges = List.of("bytes=abc", "bytes=5-2", "bytes=-0", "bytes=999999999-", "bytes=0-1,5-6", "items=0-1", "bytes=",
                "bytes=-", "bytes=99999999999999999999-", "bytes=0-99999999999999999999", "bytes=-99999999999999999999", "bytes= 1 - 2 ",
                "bytes=--1", "bytes=1-2-3", "bytes=0x10-", "BYTES=0-1", "bytes=0-0", "bytes=-1", "bytes=4999-", "bytes=5000-", "bytes=-5001",
                "bytes=0-1, 0-1, 0-1, 0-1, 0-1, 0-1, 0-1, 0-1, 0-1, 0-1, 0-1, 0-1", "bytes=1-\u0000");
        String input = inputUrl("h1", "video", "GET");
        for (String range : ranges) {
            String name = range.replace("\u0000", "NUL");
            int refused = range.contains("\u0000") ? 400 : 404; // a NUL in a header: the HTTP decoder refuses the request
            add("range", "GET /artifacts/done Range: " + name, rawBody("GET", "/artifacts/" + doneJob, List.of("Range: " + range), null),
                    rangeAnswer(artifact, false));
            add("range", "HEAD /artifacts/done Range: " + name, rawHead("/artifacts/" + doneJob, List.of("Range: " + range)),
                    rangeAnswer(artifact, true));
            add("range", "GET /inputs/h1/video Range: " + name, rawBody("GET", input, List.of("Range: " + range), null),
                    rangeAnswer(source, false));
            add("range", "GET /artifacts/unknown Range: " + name, rawBody("GET", "/artifacts/" + unknownJob, List.of("Range: " + range), null),
                    error(false, refused));
            add("range", "GET /artifacts/running Range: " + name, rawBody("GET", "/artifacts/" + runningJob, List.of("Range: " + range), null),
                    error(false, refused));
        }
        String twice = "two Range headers: one of them is answered";
        add("range", "GET /artifacts/done Range twice", outsideTheDocument(twice, rawBody("GET", "/artifacts/" + doneJob,
                List.of("Range: bytes=0-1", "Range: bytes=2-3"), null)), rangeAnswer(artifact, false));
        add("range", "GET /artifacts/done Range twice, one unsatisfiable", outsideTheDocument(twice, rawBody("GET", "/artifacts/" + doneJob,
                List.of("Range: bytes=999999-", "Range: bytes=0-1"), null)), rangeAnswer(artifact, false));
        add("range", "GET /inputs/h1/video Range twice", outsideTheDocument(twice, rawBody("GET", input,
                List.of("Range: bytes=0-1", "Range: bytes=-5"), null)), rangeAnswer(source, false));
    }

    private void signedUrls() {
        long exp = System.currentTimeMillis() / 1000 + 300;
        String goodInputSig = hmac.signUrl("GET", "/inputs/h1/video", "video", exp);
        String goodUploadSig = hmac.signUrl("PUT", "/upload/" + runningJob, "video", exp);
        List<String[]> targets = List.of(new String[]{"GET", "/inputs/h1/video", goodInputSig}, new String[]{"HEAD", "/inputs/h1/video", goodInputSig},
                new String[]{"PUT", "/upload/" + runningJob, goodUploadSig}, new String[]{"POST", "/upload/" + runningJob, goodUploadSig});
        List<String> exps = List.of("", "abc", "-1", "0", "1e10", "0x7fffffff", "99999999999999999999", "9223372036854775807",
                "-9223372036854775808", "%20" + exp, exp + "%00", exp + ".0", String.valueOf(exp - 400));
        String past = String.valueOf(exp - 400);
        for (String[] t : targets) {
            boolean head = t[0].equals("HEAD");
            String kind = t[1].startsWith("/upload") ? "kind=video&" : "";
            byte[] body = head || t[0].equals("GET") ? null : "x".getBytes();
            add("signed-url", t[0] + " " + t[1] + " without exp and sig", jdk(t[0], t[1] + (kind.isEmpty() ? "" : "?" + kind), Map.of(), body), error(head, 403));
            add("signed-url", t[0] + " " + t[1] + " without exp", jdk(t[0], t[1] + "?" + kind + "sig=" + t[2], Map.of(), body), error(head, 403));
            add("signed-url", t[0] + " " + t[1] + " without sig", jdk(t[0], t[1] + "?" + kind + "exp=" + exp, Map.of(), body), error(head, 403));
            for (String e : exps) {
                String sig = e.equals(past) ? (t[1].startsWith("/upload") ? hmac.signUrl("PUT", t[1], "video", exp - 400)
                        : hmac.signUrl("GET", t[1], "video", exp - 400)) : t[2];
                add("signed-url", t[0] + " " + t[1] + " exp=" + e, jdk(t[0], t[1] + "?" + kind + "exp=" + e + "&sig=" + sig, Map.of(), body), error(head, 403));
            }
            for (String s : List.of("", "zz", t[2].substring(1), t[2] + "0", "g".repeat(64), "%00" + t[2].substring(1), t[2].substring(0, 32),
                    hmac.signUrl("GET", t[1], "subtitles", exp), hmac.signUrl("DELETE", t[1], "video", exp), hmac.signUrl("GET", "/inputs/h2/video", "video", exp))) {
                add("signed-url", t[0] + " " + t[1] + " sig=" + preview(bytes(s)), jdk(t[0], t[1] + "?" + kind + "exp=" + exp + "&sig=" + s, Map.of(), body),
                        error(head, 403));
            }
            add("signed-url", t[0] + " " + t[1] + " exp twice", jdk(t[0], t[1] + "?" + kind + "exp=" + exp + "&exp=" + (exp + 1) + "&sig=" + t[2],
                    Map.of(), body), error(head, 400, 403));
            add("signed-url", t[0] + " " + t[1] + " sig twice", jdk(t[0], t[1] + "?" + kind + "exp=" + exp + "&sig=" + t[2] + "&sig=" + t[2],
                    Map.of(), body), error(head, 400, 403));
        }
        // kinds: unknown, other case, injected; and two kinds where one is signed
        for (String k : List.of("evil", "", "VIDEO", "video%00", "..%2fvideo", "video%2f..", "audio", "metadata", "comments")) {
            add("signed-url", "PUT /upload/running?kind=" + k + " (signed)", jdk("PUT", signedUpload(runningJob, k), Map.of(), "x".getBytes()),
                    error(false, 400, 403));
            add("signed-url", "GET /inputs/h1/" + k + " (signed)", jdk("GET", signedInput("h1", k), Map.of(), null), error(false, 403, 404));
        }
        add("signed-url", "PUT /upload/running?kind=video&kind=audio (video signed)", jdk("PUT", "/upload/" + runningJob + "?kind=video&kind=audio&exp="
                + exp + "&sig=" + goodUploadSig, Map.of(), "x".getBytes()), error(false, 400, 403));
        add("signed-url", "PUT /upload/running?kind=audio&kind=video (video signed)", jdk("PUT", "/upload/" + runningJob + "?kind=audio&kind=video&exp="
                + exp + "&sig=" + goodUploadSig, Map.of(), "x".getBytes()), error(false, 400, 403));
        // correctly signed, wrong content
        add("signed-url", "PUT /upload/unknown (signed)", jdk("PUT", signedUpload(unknownJob, "video"), Map.of(), "x".getBytes()), error(false, 404));
        add("signed-url", "PUT /upload/done (signed, terminal job)", jdk("PUT", signedUpload(doneJob, "video"), Map.of(), "x".getBytes()), error(false, 409));
        add("signed-url", "PUT /upload/downloader?kind=evil (signed)", jdk("PUT", signedUpload(downloaderJob, "evil"), Map.of(), "x".getBytes()), error(false, 400));
        add("signed-url", "GET /inputs/nosuch/video (signed)", jdk("GET", signedInput("nosuch", "video"), Map.of(), null), error(false, 404));
        add("signed-url", "GET /inputs/h1/comments (signed, absent)", jdk("GET", signedInput("h1", "comments"), Map.of(), null), error(false, 404));
        add("signed-url", "GET /upload/running (signed)", jdk("GET", signedUpload(runningJob, "video"), Map.of(), null), error(false, 404, 405));
        add("signed-url", "DELETE /inputs/h1/video (signed)", jdk("DELETE", signedInput("h1", "video"), Map.of(), null), error(false, 404, 405));
        add("signed-url", "PUT /upload/running (signed) with a form body", jdk("PUT", uploadUrl(runningJob, "video").replace("kind=video", "kind=evil"),
                Map.of("content-type", "application/x-www-form-urlencoded"), bytes("a=b")), error(false, 400, 403));
    }

    /**
     * Requests that are meant to succeed although a field has a wrong type: the runner callback
     * ignores optional fields it cannot use, and a runner takes a job whose optional fields it
     * does not need (the job then fails on its own and reports it). Listed, and checked.
     */
    private void lenientButHarmless() {
        Map<String, Object> optional = new LinkedHashMap<>();
        optional.put("progress", "abc");
        optional.put("phase", 7);
        optional.put("error", List.of());
        optional.put("metadata", "x");
        optional.put("outputs", 5);
        optional.put("outputKey", Map.of());
        optional.forEach((field, v) -> {
            Map<String, Object> b = body("jobId", runningJob, "status", "queued");
            b.put(field, v);
            add("lenient", "callback for the running job with " + field + "=" + v, outsideTheDocument("a runner callback's optional "
                    + field + " of a wrong type is ignored", signedPost("/callbacks/container", Json.writeBytes(b), Map.of())),
                    success(200, a -> Boolean.TRUE.equals(parse(a).get("ok"))));
        });
        for (String r : List.of(BURNER, DOWNLOADER)) {
            for (Object[] fv : new Object[][]{{"engineOptions", "x"}, {"mediaId", List.of()}, {"nonce", 5}}) {
                String jobId = (r.equals(BURNER) ? "job_b" : "job_d") + shortId();
                Map<String, Object> b = r.equals(BURNER) ? burnerRender(jobId) : downloaderRender(jobId);
                b.put((String) fv[0], fv[1]);
                acceptedRunnerJobs.add(jobId);
                add("lenient", "POST " + r + "/render with " + fv[0] + "=" + fv[1], outsideTheDocument("a runner takes a job whose "
                        + fv[0] + " it does not need has a wrong type", signedPost(r + "/render", Json.writeBytes(b), Map.of())),
                        success(202, a -> jobId.equals(parse(a).get("jobId"))));
            }
        }
    }

    // ------------------------------------------------------------------------------ bodies

    private Map<String, Object> body(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        m.put("ts", System.currentTimeMillis());
        m.put("nonce", UUID.randomUUID().toString());
        return m;
    }

    private Map<String, Object> render(String runnerPath) {
        String jobId = (runnerPath.equals(BURNER) ? "job_b" : "job_d") + shortId();
        return runnerPath.equals(BURNER) ? burnerRender(jobId) : downloaderRender(jobId);
    }

    private Map<String, Object> burnerRender(String jobId) {
        return body("jobId", jobId, "mediaId", "h1", "engine", "burner-ffmpeg", "callbackUrl", runner.base() + "/cb", "engineOptions", Map.of(),
                "inputVideoUrl", DEAD + "/v", "inputVttUrl", DEAD + "/s", "outputPutUrl", DEAD + "/o", "outputVideoKey", "k");
    }

    private Map<String, Object> downloaderRender(String jobId) {
        return body("jobId", jobId, "mediaId", "h1", "engine", "media-downloader", "callbackUrl", runner.base() + "/cb",
                "engineOptions", Map.of("url", DEAD + "/page"), "outputVideoPutUrl", DEAD + "/v", "outputAudioPutUrl", DEAD + "/a",
                "outputMetadataPutUrl", DEAD + "/m", "outputVideoKey", "k1", "outputAudioKey", "k2", "outputMetadataKey", "k3");
    }

    private static String shortId() {
        return UUID.randomUUID().toString().replace("-", "").substring(0, 20);
    }

    /** The body with {@code field} set to {@code value} (JSON null for null) and a nonce of its own, signed, as one case. */
    private void signedField(String path, Map<String, Object> base, String field, Object value, Check check, String category) {
        Map<String, Object> b = new LinkedHashMap<>(base);
        b.put("nonce", UUID.randomUUID().toString());
        b.put(field, value);
        add(category, "POST " + path + " " + field + "=" + preview(Json.writeBytes(value == null ? "null" : value)), signedPost(path, Json.writeBytes(b), Map.of()), check);
    }

    // ------------------------------------------------------------------------------ URLs

    private String inputUrl(String mediaId, String kind, String method) {
        long exp = System.currentTimeMillis() / 1000 + 300;
        return "/inputs/" + mediaId + "/" + kind + "?exp=" + exp + "&sig=" + hmac.signUrl(method, "/inputs/" + mediaId + "/" + kind, kind, exp);
    }

    private String uploadUrl(String jobId, String kind) {
        long exp = System.currentTimeMillis() / 1000 + 300;
        return "/upload/" + jobId + "?kind=" + kind + "&exp=" + exp + "&sig=" + hmac.signUrl("PUT", "/upload/" + jobId, kind, exp);
    }

    /** An input URL whose (percent-encoded) segments are signed as the server will decode them, so the signature holds. */
    private String signedInput(String mediaId, String kind) {
        long exp = System.currentTimeMillis() / 1000 + 300;
        String m = decode(mediaId);
        String k = decode(kind);
        return "/inputs/" + mediaId + "/" + kind + "?exp=" + exp + "&sig=" + hmac.signUrl("GET", "/inputs/" + m + "/" + k, k, exp);
    }

    /** A segment URL (fallback mode, docs/segmented-burn.md) signed for its decoded path, as the server checks it. */
    private String signedSegment(String jobId, String index) {
        long exp = System.currentTimeMillis() / 1000 + 300;
        String path = "/segments/" + decode(jobId) + "/" + decode(index);
        return "/segments/" + jobId + "/" + index + "?exp=" + exp + "&sig=" + hmac.signUrl("GET", path, "segment", exp);
    }

    private String signedUpload(String jobId, String kind) {
        long exp = System.currentTimeMillis() / 1000 + 300;
        return "/upload/" + jobId + "?kind=" + kind + "&exp=" + exp + "&sig=" + hmac.signUrl("PUT", "/upload/" + decode(jobId), decode(kind), exp);
    }

    private static String decode(String s) {
        try {
            return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return s;
        }
    }

    // ------------------------------------------------------------------------------ sending

    interface Send {
        Answer send() throws Exception;
    }

    interface Check extends Function<Answer, String> {
    }

    record Case(String category, String name, Send send, Check check, boolean success, boolean listedException) {
    }

    record Endpoint(String path, Supplier<Map<String, Object>> body) {
    }

    private void add(String category, String name, Send send, Check check) {
        cases.add(new Case(category, name, send, check, check instanceof SuccessCheck, check instanceof ListedException));
    }

    private Send jdk(String method, String pathAndQuery, Map<String, String> headers, byte[] body) {
        return () -> {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(app.base + pathAndQuery)).timeout(Duration.ofMillis(TIMEOUT_MS))
                    .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
            headers.forEach(b::header);
            HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            Map<String, List<String>> h = new LinkedHashMap<>();
            r.headers().map().forEach((k, v) -> h.put(k.toLowerCase(Locale.ROOT), v));
            return new Answer(r.statusCode(), h, r.body());
        };
    }

    private Send signedPost(String path, byte[] body, Map<String, String> extra) {
        Map<String, String> h = new LinkedHashMap<>(Map.of("content-type", "application/json", "x-signature", hmac.sign(body)));
        h.putAll(extra);
        return jdk("POST", path, h, body);
    }

    /** A request sent outside openapi.yaml on purpose, to be accepted ({@link OpenApiCheck#outsideTheDocument}); its answer is still checked. */
    private static Send outsideTheDocument(String why, Send send) {
        return () -> OpenApiCheck.outsideTheDocument(why, send::send);
    }

    /** A hand-written request with Host and {@code Connection: close} added. */
    private Send raw(String requestLine, List<String> headerLines, byte[] body) {
        List<String> h = new ArrayList<>();
        h.add("Host: " + "127.0.0.1");
        h.add("Connection: close");
        h.addAll(headerLines);
        return rawExchange(requestLine, h, body, requestLine.startsWith("HEAD "));
    }

    private Send rawNoHost(String requestLine, List<String> headerLines, byte[] body) {
        List<String> h = new ArrayList<>(List.of("Connection: close"));
        h.addAll(headerLines);
        return rawExchange(requestLine, h, body, false);
    }

    /** A hand-written request with a correct Content-Length for {@code body} (if any). */
    private Send rawBody(String method, String path, List<String> headerLines, byte[] body) {
        List<String> h = new ArrayList<>(headerLines);
        if (body != null) {
            h.add("Content-Length: " + body.length);
        }
        return raw(method + " " + path + " HTTP/1.1", h, body);
    }

    private Send rawHead(String path, List<String> headerLines) {
        return raw("HEAD " + path + " HTTP/1.1", headerLines, null);
    }

    /** The answer, or {@link #CLOSED} when the server closed the connection without one. */
    private Send rawExchange(String requestLine, List<String> headerLines, byte[] body, boolean head) {
        return () -> RawHttp.exchange(app.base, RawHttp.request(requestLine, headerLines, body), head, TIMEOUT_MS).orElse(CLOSED);
    }

    private static final Answer CLOSED = new Answer(0, Map.of(), new byte[0]);

    // ------------------------------------------------------------------------------ checks

    /** An error: one of {@code statuses} (any 4xx when none), JSON content type, and (but for HEAD) a JSON object with a string {@code error}. */
    private static Check error(boolean head, int... statuses) {
        return a -> {
            if (a == CLOSED) {
                return "connection closed without an answer";
            }
            List<String> problems = new ArrayList<>();
            if (a.status() >= 500) {
                problems.add("status " + a.status());
            } else if (statuses.length == 0 ? a.status() / 100 != 4 : Arrays.stream(statuses).noneMatch(s -> s == a.status())) {
                problems.add("status " + a.status() + ", expected " + (statuses.length == 0 ? "4xx" : Arrays.toString(statuses)));
            }
            String type = a.header("content-type").orElse("");
            if (!type.toLowerCase(Locale.ROOT).startsWith("application/json")) {
                problems.add("content-type '" + type + "'");
            }
            if (!head) {
                try {
                    if (!(parse(a).get("error") instanceof String e)) {
                        problems.add("no string error in " + preview(a.body()));
                    } else if (e.length() > 200) {
                        problems.add("an error text of " + e.length() + " characters (input echoed?)");
                    }
                } catch (RuntimeException e) {
                    problems.add("body not JSON: " + preview(a.body()));
                }
            }
            return problems.isEmpty() ? null : String.join(", ", problems) + " (" + a.status() + " " + preview(a.body()) + ")";
        };
    }

    interface SuccessCheck extends Check {
    }

    interface ListedException extends Check {
    }

    /** The server may also close the connection without answering. */
    private static Check closedOr(Check check) {
        return a -> a == CLOSED ? null : check.apply(a);
    }

    /** A listed exception to the rule, with its reason: this exact status. */
    private static Check listed(int status, String reason) {
        return (ListedException) a -> a.status() == status ? null : "expected the listed " + status + " (" + reason + "), got " + a.status();
    }

    private static Check success(int status, Predicate<Answer> ok) {
        return (SuccessCheck) a -> a.status() == status && ok.test(a) ? null : "expected " + status + ", got " + a.status() + " " + preview(a.body());
    }

    /** A Range answer: 200 with the whole object, 206 with the part its Content-Range names, or 416 as a JSON error. */
    private static Check rangeAnswer(byte[] object, boolean head) {
        return (SuccessCheck) a -> {
            long length = a.header("content-length").map(Long::parseLong).orElse(-1L);
            switch (a.status()) {
                case 200 -> {
                    if (length != object.length || (!head && !Arrays.equals(object, a.body()))) {
                        return "200 without the whole object (length " + length + ")";
                    }
                    return null;
                }
                case 206 -> {
                    String cr = a.header("content-range").orElse("");
                    Matcher m = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+)").matcher(cr);
                    if (!m.matches() || Long.parseLong(m.group(3)) != object.length) {
                        return "206 with Content-Range '" + cr + "'";
                    }
                    int s = Integer.parseInt(m.group(1));
                    int e = Integer.parseInt(m.group(2));
                    if (e < s || e >= object.length || length != e - s + 1
                            || (!head && !Arrays.equals(Arrays.copyOfRange(object, s, e + 1), a.body()))) {
                        return "206 whose body is not " + cr;
                    }
                    return null;
                }
                case 416 -> {
                    return error(head, 416).apply(a);
                }
                default -> {
                    return error(head).apply(a); // a request the server refuses outright (a NUL in the header)
                }
            }
        };
    }

    private static Map<String, Object> parse(Answer a) {
        return Json.parseObject(a.body());
    }

    // ------------------------------------------------------------------------------ small helpers

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] chunk(byte[] b) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes((Integer.toHexString(b.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(b);
        out.writeBytes("\r\n0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    private static List<Object> concat(List<?> a, List<?> b) {
        List<Object> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    private static String preview(byte[] b) {
        String s = new String(b, 0, Math.min(b.length, 60), StandardCharsets.UTF_8)
                .replaceAll("[\\p{Cntrl}]", "?");
        return b.length > 60 ? s + "…(" + b.length + " bytes)" : s;
    }
}
