package dev.mediaorchestrator.scale;

import com.sun.net.httpserver.HttpExchange;
import dev.mediaorchestrator.common.Hmac;
import dev.mediaorchestrator.common.Json;
import dev.mediaorchestrator.storage.Storage;
import dev.mediaorchestrator.support.StubHttpServer;
import dev.mediaorchestrator.support.TestServers;
import dev.mediaorchestrator.testutil.TestMedia;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

/**
 * The scale-out run of issue 22 on one machine: 3 orchestrator processes (the packaged jar,
 * {@code ROLES=orchestrator}) on one shared bucket, 2 burner and 2 downloader runner processes,
 * each group behind a round-robin proxy (what a Kubernetes Service is to its pods), an app
 * stand-in that submits a few hundred short jobs through the orchestrators' proxy and receives
 * their terminal callbacks (checking each signature), and local HTTP servers for the media. During
 * the run it kills one burner runner and one orchestrator with SIGKILL and starts them again.
 *
 * <p>Then it checks: every job terminal and completed, exactly one terminal callback each (none
 * for a job the app does not know), every output object whole (its size and sha256 are what the
 * runner reported while uploading it, and it plays), no multipart upload left, and the jobs that
 * were on the killed runner completed on another runner process. It prints jobs per minute, the
 * re-dispatches and the callback tally. {@code scripts/scale-demo} runs it at full size,
 * {@code ScaleOutIT} at a small one.
 */
public final class ScaleRun {
    /** What to run. */
    public record Settings(int jobs, double submitPerSecond, int orchestrators, int burners, int downloaders, int runnerConcurrency,
                           Path jar, Duration timeout, PrintStream out) {
        public static Settings of(int jobs, double submitPerSecond, PrintStream out) {
            return new Settings(jobs, submitPerSecond, 3, 2, 2, 2, Path.of("target/media-orchestrator.jar"), Duration.ofMinutes(30), out);
        }
    }

    /** What it saw; {@link #problems} empty means every check held. */
    public static final class Result {
        public final List<String> problems = new CopyOnWriteArrayList<>();
        public final List<String> report = new ArrayList<>();
        public int submitted;
        public int completed;
        public int redispatched;
        public int onKilledRunner;
        public double jobsPerMinute;

        public boolean ok() {
            return problems.isEmpty();
        }
    }

    private static final String ENGINE_BURNER = "burner-ffmpeg";
    private static final String ENGINE_DOWNLOADER = "media-downloader";
    private static final String VTT = "WEBVTT\n\n00:00.000 --> 00:00.900\nHello\n- 你好\n\n00:01.000 --> 00:01.900\nGoodbye\n- 再见\n";

    private final Settings s;
    private final PrintStream out;
    private final Result result = new Result();
    private final String secret = HexFormat.of().formatHex(UUID.randomUUID().toString().getBytes(StandardCharsets.UTF_8)).substring(0, 64);
    private final Hmac hmac = new Hmac(secret);
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final List<Node> nodes = new ArrayList<>();
    /** jobId → submission number and engine. */
    private final Map<String, Submission> jobs = new ConcurrentHashMap<>();
    /** jobId → every terminal callback the app received for it. */
    private final Map<String, List<Map<String, Object>>> callbacks = new ConcurrentHashMap<>();
    private final AtomicInteger badSignatures = new AtomicInteger();
    private final AtomicInteger submitRetries = new AtomicInteger();
    private final List<String> events = new CopyOnWriteArrayList<>();
    private long t0;

    record Submission(int n, String engine, String mediaId, long at) {
    }

    private ScaleRun(Settings s) {
        this.s = s;
        this.out = s.out();
    }

    public static Result run(Settings settings) throws Exception {
        return new ScaleRun(settings).runAll();
    }

    /** {@code scripts/scale-demo}: {@code --jobs N --rate JOBS_PER_SECOND}. Exit 0 when every check held. */
    public static void main(String[] args) throws Exception {
        int jobs = 300;
        double rate = 1.5;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--jobs" -> jobs = Integer.parseInt(args[i + 1]);
                case "--rate" -> rate = Double.parseDouble(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i] + " (--jobs N --rate JOBS_PER_SECOND)");
            }
        }
        Result r = run(Settings.of(jobs, rate, System.out));
        System.exit(r.ok() ? 0 : 1);
    }

    // ------------------------------------------------------------------ processes

    /** One process of the packaged jar, started again on the same port and directories after a kill. */
    private final class Node {
        final String name;
        final int port;
        final Map<String, String> env;
        final Path log;
        final String health;
        volatile Process process;

        Node(String name, int port, Map<String, String> env, Path log, String health) {
            this.name = name;
            this.port = port;
            this.env = env;
            this.log = log;
            this.health = health;
        }

        void start() throws IOException {
            ProcessBuilder pb = new ProcessBuilder("java", "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                    "-jar", s.jar().toAbsolutePath().toString())
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            pb.environment().keySet().removeIf(k -> k.startsWith("R2_") || k.equals("ROLES") || k.startsWith("CONTAINER_BASE_URL")
                    || k.startsWith("ORCHESTRATOR_BASE_URL") || k.equals("NEXT_BASE_URL") || k.equals("JOB_CALLBACK_HMAC_SECRET"));
            pb.environment().putAll(env);
            process = pb.start();
        }

        URI base() {
            return URI.create("http://127.0.0.1:" + port);
        }

        boolean up() {
            try {
                return process.isAlive() && http.send(HttpRequest.newBuilder(URI.create(base() + health)).timeout(Duration.ofSeconds(3)).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
            } catch (IOException e) {
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }

        void awaitUp() throws Exception {
            long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            while (!up()) {
                if (!process.isAlive()) {
                    throw new IllegalStateException(name + " exited with " + process.exitValue() + "; log: " + log);
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(name + " did not come up in 120 s; log: " + log);
                }
                Thread.sleep(200);
            }
        }

        /** SIGKILL (Process.destroyForcibly on Linux). */
        void kill9() throws InterruptedException {
            process.destroyForcibly();
            process.waitFor(20, TimeUnit.SECONDS);
        }

        void stop() {
            Process p = process;
            if (p != null && p.isAlive()) {
                p.destroy();
                try {
                    if (!p.waitFor(20, TimeUnit.SECONDS)) {
                        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    p.destroyForcibly();
                }
            }
        }
    }

    private Node node(String name, int port, Map<String, String> env, Path work, String health) throws IOException {
        Map<String, String> all = new LinkedHashMap<>(env);
        all.put("PORT", String.valueOf(port));
        all.put("HOST", "127.0.0.1");
        all.put("LANG", "C.UTF-8");
        all.put("JOB_CALLBACK_HMAC_SECRET", secret);
        Node n = new Node(name, port, all, work.resolve("logs").resolve(name + ".log"), health);
        nodes.add(n);
        return n;
    }

    // ------------------------------------------------------------------ the run

    private Result runAll() throws Exception {
        Path work = TestServers.tempDir("scale-run");
        Files.createDirectories(work.resolve("logs"));
        out.printf("scale-out run: %d jobs, %d orchestrators, %d burner + %d downloader runners (%d jobs each at once), one bucket; work dir %s%n",
                s.jobs(), s.orchestrators(), s.burners(), s.downloaders(), s.runnerConcurrency(), work);
        Path clip = TestMedia.generateClip(work.resolve("clip.mp4"), 320, 180, 2.0, true);
        Path vtt = Files.writeString(work.resolve("clip.vtt"), VTT);
        List<AutoCloseable> closing = new ArrayList<>();
        try (SharedBucket bucket = new SharedBucket(work.resolve("bucket"), TestServers.freePort());
             StubHttpServer app = appStandIn(clip, vtt)) {
            List<Integer> oPorts = ports(s.orchestrators());
            List<Integer> bPorts = ports(s.burners());
            List<Integer> dPorts = ports(s.downloaders());
            RoundRobinProxy orchestrators = new RoundRobinProxy("orchestrators", uris(oPorts));
            RoundRobinProxy burners = new RoundRobinProxy("burner runners", uris(bPorts));
            RoundRobinProxy downloaders = new RoundRobinProxy("downloader runners", uris(dPorts));
            closing.addAll(List.of(orchestrators, burners, downloaders));
            List<Node> burnerNodes = new ArrayList<>();
            for (int i = 0; i < s.burners(); i++) {
                burnerNodes.add(node("burner-" + (i + 1), bPorts.get(i), Map.of("ROLES", "burner",
                        "RUNNER_WORK_DIR", work.resolve("burner-" + (i + 1)).toString(), "RUNNER_MAX_CONCURRENCY", String.valueOf(s.runnerConcurrency()),
                        "BURNER_X264_PRESET", "veryfast"), work, "/healthz"));
            }
            for (int i = 0; i < s.downloaders(); i++) {
                node("downloader-" + (i + 1), dPorts.get(i), Map.of("ROLES", "downloader",
                        "RUNNER_WORK_DIR", work.resolve("downloader-" + (i + 1)).toString(), "RUNNER_MAX_CONCURRENCY", String.valueOf(s.runnerConcurrency()),
                        "DOWNLOADER_ALLOW_PRIVATE_NETWORKS", "true"), work, "/healthz");
            }
            List<Node> orchestratorNodes = new ArrayList<>();
            for (int i = 0; i < s.orchestrators(); i++) {
                Map<String, String> env = new LinkedHashMap<>();
                env.put("ROLES", "orchestrator");
                env.put("DATA_DIR", work.resolve("orchestrator-" + (i + 1)).toString());
                env.put("NEXT_BASE_URL", app.base().toString());
                env.put("CONTAINER_BASE_URL", burners.base().toString());
                env.put("CONTAINER_BASE_URL_DOWNLOADER", downloaders.base().toString());
                env.put("ORCHESTRATOR_BASE_URL_CONTAINER", orchestrators.base().toString());
                env.put("ORCHESTRATOR_BASE_URL_NEXT", orchestrators.base().toString());
                env.put("R2_S3_ENDPOINT", bucket.endpoint().toString());
                env.put("R2_ACCESS_KEY_ID", bucket.accessKey);
                env.put("R2_SECRET_ACCESS_KEY", bucket.secretKey);
                env.put("R2_BUCKET_NAME", SharedBucket.BUCKET);
                env.put("MAX_ACTIVE_JOBS", String.valueOf(Math.max(s.burners(), s.downloaders()) * s.runnerConcurrency()));
                env.put("JOBS_RATE_PER_MINUTE", "100000");
                env.put("COMPLETION_POLL_INTERVAL_MS", "1000");
                // our runners report at least every 5 s while a tool runs; a killed one's jobs are probed
                // after 8 s of silence, found unknown 3 times in a row, and dispatched again (a probe goes
                // through the proxy to either runner: a live job's probe may land on the other one, a miss)
                env.put("RUNNER_PROBE_SECONDS", "8");
                orchestratorNodes.add(node("orchestrator-" + (i + 1), oPorts.get(i), env, work, "/health/live"));
            }
            for (Node n : nodes) {
                n.start();
            }
            for (Node n : nodes) {
                n.awaitUp();
            }
            out.printf("all %d processes up; proxies: orchestrators %s, burners %s, downloaders %s; bucket %s%n",
                    nodes.size(), orchestrators.base(), burners.base(), downloaders.base(), bucket.endpoint());

            t0 = System.currentTimeMillis();
            ExecutorService submitters = Executors.newFixedThreadPool(4);
            AtomicInteger submittedCount = new AtomicInteger();
            for (int n = 0; n < s.jobs(); n++) {
                int job = n;
                long at = t0 + (long) (job * 1000 / s.submitPerSecond());
                submitters.submit(() -> {
                    sleepUntil(at);
                    submit(orchestrators.base(), app.base(), job);
                    submittedCount.incrementAndGet();
                    return null;
                });
            }
            submitters.shutdown();

            // the faults: a burner runner while it burns, then an orchestrator, each SIGKILLed and restarted
            Node victimRunner = burnerNodes.get(0);
            waitFor(() -> submittedCount.get() >= s.jobs() * 0.3, Duration.ofMinutes(10));
            long killRunnerAt = killWhileBusy(victimRunner);
            Set<String> onVictim = runningOn(burners, 0, killRunnerAt);
            event("SIGKILL %s with %d job(s) of its own: %s", victimRunner.name, onVictim.size(), onVictim);
            Thread.sleep(5000);
            victimRunner.start();
            victimRunner.awaitUp();
            long restartedRunnerAt = System.currentTimeMillis();
            event("%s started again", victimRunner.name);

            Node victimOrchestrator = orchestratorNodes.get(Math.min(1, orchestratorNodes.size() - 1));
            waitFor(() -> submittedCount.get() >= s.jobs() * 0.6, Duration.ofMinutes(10));
            victimOrchestrator.kill9();
            event("SIGKILL %s", victimOrchestrator.name);
            Thread.sleep(5000);
            victimOrchestrator.start();
            victimOrchestrator.awaitUp();
            event("%s started again", victimOrchestrator.name);

            if (!submitters.awaitTermination(s.timeout().toMillis(), TimeUnit.MILLISECONDS)) {
                result.problems.add("submissions did not end in " + s.timeout());
            }
            boolean allDone = waitFor(() -> jobs.keySet().stream().allMatch(callbacks::containsKey), s.timeout());
            long lastCallbackAt = System.currentTimeMillis();
            Thread.sleep(5000); // a second callback for any job would come now
            verify(allDone, lastCallbackAt, bucket, orchestrators, burners, downloaders, onVictim, killRunnerAt, restartedRunnerAt);
            for (Node n : nodes) {
                n.stop();
            }
            for (AutoCloseable c : closing) {
                c.close();
            }
            report(work);
        } finally {
            for (Node n : nodes) {
                n.stop();
            }
            for (AutoCloseable c : closing) {
                try {
                    c.close();
                } catch (Exception ignored) {
                    // best effort
                }
            }
            if (result.ok()) {
                TestServers.deleteRecursively(work);
            } else {
                out.println("kept for a look: " + work + " (logs/ has each process's log)");
            }
        }
        return result;
    }

    /** The app: media at /api/media/{id}/source|subtitles, downloads at /dl/, terminal callbacks (signatures checked). */
    private StubHttpServer appStandIn(Path clip, Path vtt) {
        StubHttpServer app = new StubHttpServer();
        app.on("/api/media/", ex -> serve(ex, ex.getRequestURI().getPath().endsWith("/subtitles") ? vtt : clip,
                ex.getRequestURI().getPath().endsWith("/subtitles") ? "text/vtt" : "video/mp4"));
        app.on("/dl/", ex -> serve(ex, clip, "video/mp4"));
        app.on("/api/render/cf-callback", ex -> {
            byte[] body = ex.getRequestBody().readAllBytes();
            if (!hmac.verify(body, ex.getRequestHeaders().getFirst("x-signature"))) {
                badSignatures.incrementAndGet();
                StubHttpServer.respond(ex, 401, "application/json", "{\"error\":\"invalid signature\"}".getBytes(StandardCharsets.UTF_8));
                return;
            }
            Map<String, Object> cb = Json.parseObject(body);
            callbacks.computeIfAbsent(String.valueOf(cb.get("jobId")), k -> new CopyOnWriteArrayList<>()).add(cb);
            StubHttpServer.respond(ex, 200, "application/json", "{\"ok\":true}".getBytes(StandardCharsets.UTF_8));
        });
        return app;
    }

    /** Streams a file (never the whole of it in memory). */
    private static void serve(HttpExchange ex, Path file, String contentType) throws IOException {
        ex.getRequestBody().readAllBytes();
        ex.getResponseHeaders().set("content-type", contentType);
        if (ex.getRequestMethod().equals("HEAD")) {
            ex.getResponseHeaders().set("content-length", String.valueOf(Files.size(file)));
            ex.sendResponseHeaders(200, -1);
            return;
        }
        ex.sendResponseHeaders(200, Files.size(file));
        Files.copy(file, ex.getResponseBody());
    }

    /** The app submits job {@code n}: retried (same Idempotency-Key, fresh ts and nonce) until accepted. */
    private void submit(URI orchestrators, URI app, int n) throws Exception {
        boolean burner = n % 2 == 0;
        String mediaId = "scale-" + n;
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("mediaId", mediaId);
        body.put("engine", burner ? ENGINE_BURNER : ENGINE_DOWNLOADER);
        body.put("options", burner ? Map.of() : Map.of("url", app + "/dl/" + mediaId + ".mp4", "quality", "720p", "source", "scale-run"));
        long deadline = System.currentTimeMillis() + s.timeout().toMillis();
        String last = "";
        for (int attempt = 1; System.currentTimeMillis() < deadline; attempt++) {
            body.put("ts", System.currentTimeMillis());
            body.put("nonce", UUID.randomUUID().toString());
            byte[] raw = Json.writeBytes(body);
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(orchestrators + "/jobs"))
                                .header("content-type", "application/json").header("x-signature", hmac.sign(raw))
                                .header("Idempotency-Key", "scale-run-" + n).timeout(Duration.ofSeconds(60))
                                .POST(HttpRequest.BodyPublishers.ofByteArray(raw)).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 202 || r.statusCode() == 200) {
                    String jobId = (String) Json.parseObject(r.body().getBytes(StandardCharsets.UTF_8)).get("jobId");
                    jobs.put(jobId, new Submission(n, (String) body.get("engine"), mediaId, System.currentTimeMillis()));
                    return;
                }
                last = r.statusCode() + " " + r.body();
                if (r.statusCode() / 100 == 4 && r.statusCode() != 429) {
                    break;
                }
            } catch (IOException e) {
                last = e.toString();
            }
            submitRetries.incrementAndGet();
            Thread.sleep(Math.min(5000, 250L * attempt));
        }
        result.problems.add("job " + n + " was never accepted: " + last);
    }

    /** Kills {@code runner} at a moment it has a job running (its own /healthz says so); returns when. */
    private long killWhileBusy(Node runner) throws Exception {
        long deadline = System.currentTimeMillis() + 120_000;
        while (System.currentTimeMillis() < deadline) {
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(runner.base() + "/healthz")).timeout(Duration.ofSeconds(2)).build(),
                        HttpResponse.BodyHandlers.ofString());
                Object active = Json.parseObject(r.body().getBytes(StandardCharsets.UTF_8)).get("active");
                if (active instanceof Number a && a.intValue() > 0) {
                    runner.kill9();
                    return System.currentTimeMillis();
                }
            } catch (IOException e) {
                // not answering this instant
            }
            Thread.sleep(50);
        }
        runner.kill9();
        event("%s never had a job running in 120 s: killed idle", runner.name);
        return System.currentTimeMillis();
    }

    /** The jobs a runner (backend {@code index} of the proxy) had taken and not finished when it was killed. */
    private Set<String> runningOn(RoundRobinProxy proxy, int index, long killedAt) {
        Map<String, RoundRobinProxy.Taken> lastTaken = new LinkedHashMap<>();
        for (RoundRobinProxy.Taken t : proxy.taken) {
            if (t.at() <= killedAt) {
                lastTaken.put(t.jobId(), t);
            }
        }
        return lastTaken.values().stream().filter(t -> t.backend() == index && !callbacks.containsKey(t.jobId()))
                .map(RoundRobinProxy.Taken::jobId).collect(Collectors.toCollection(TreeSet::new));
    }

    // ------------------------------------------------------------------ the checks

    private void verify(boolean allDone, long lastCallbackAt, SharedBucket bucket, RoundRobinProxy orchestrators, RoundRobinProxy burners,
                        RoundRobinProxy downloaders, Set<String> onVictim, long killedAt, long restartedAt) throws Exception {
        result.submitted = jobs.size();
        if (!allDone) {
            List<String> missing = jobs.keySet().stream().filter(j -> !callbacks.containsKey(j)).sorted().toList();
            result.problems.add(missing.size() + " job(s) without a terminal callback after " + s.timeout() + ": "
                    + missing.stream().limit(10).toList());
        }
        Map<String, Integer> tally = new TreeMap<>();
        Map<String, Integer> statuses = new TreeMap<>();
        int duplicates = 0;
        int redelivered = 0;
        for (String jobId : jobs.keySet()) {
            List<Map<String, Object>> cbs = callbacks.getOrDefault(jobId, List.of());
            tally.merge(cbs.size() + " callback" + (cbs.size() == 1 ? "" : "s"), 1, Integer::sum);
            long events = cbs.stream().map(c -> c.get("nonce")).distinct().count();
            if (events > 1) {
                duplicates++;
                result.problems.add(jobId + ": " + events + " different terminal events (nonces) in " + cbs.size() + " callbacks: "
                        + cbs.stream().map(c -> c.get("status") + "/" + c.get("nonce")).toList());
            } else if (cbs.size() > 1) {
                // the same stored event sent again (an orchestrator died between sending it and recording the
                // delivery): at-least-once by design, the app deduplicates on webhook-id; said, and counted
                redelivered++;
                result.problems.add(jobId + ": the same terminal event delivered " + cbs.size() + " times (nonce " + cbs.get(0).get("nonce") + ")");
            }
            if (!cbs.isEmpty()) {
                Map<String, Object> cb = cbs.get(0);
                statuses.merge(String.valueOf(cb.get("status")), 1, Integer::sum);
                if (!"completed".equals(cb.get("status"))) {
                    result.problems.add(jobId + " (" + jobs.get(jobId).engine() + ") ended " + cb.get("status") + ": " + cb.get("error"));
                }
                if (cb.get("runs") instanceof Number runs && runs.intValue() > 1) {
                    result.redispatched++;
                }
            }
        }
        List<String> orphans = callbacks.keySet().stream().filter(j -> !jobs.containsKey(j)).sorted().toList();
        if (!orphans.isEmpty()) {
            result.problems.add(orphans.size() + " callback(s) for jobs the app never got an id for: " + orphans);
        }
        if (badSignatures.get() > 0) {
            result.problems.add(badSignatures.get() + " callback(s) with a bad signature");
        }
        result.completed = statuses.getOrDefault("completed", 0);
        long firstAt = t0;
        result.jobsPerMinute = result.completed * 60_000.0 / Math.max(1, lastCallbackAt - firstAt);

        // every job document agrees (read through any replica), the callback is marked delivered
        int documentsChecked = 0;
        for (String jobId : jobs.keySet()) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(orchestrators.base() + "/jobs/" + jobId)).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            Map<String, Object> doc = r.statusCode() == 200 ? Json.parseObject(r.body().getBytes(StandardCharsets.UTF_8)) : Map.of();
            List<Map<String, Object>> cbs = callbacks.getOrDefault(jobId, List.of());
            String expected = cbs.isEmpty() ? "?" : String.valueOf(cbs.get(0).get("status"));
            if (!expected.equals(doc.get("status"))) {
                result.problems.add(jobId + ": the job document says " + doc.get("status") + " (HTTP " + r.statusCode() + "), the callback " + expected);
            }
            documentsChecked++;
        }

        // the outputs: whole (size and sha256 as the runner reported while uploading), playable, no multipart left
        int objects = 0;
        int probed = 0;
        int unreported = 0;
        int multipartLeft;
        Set<String> toProbe = new HashSet<>(onVictim);
        jobs.keySet().stream().sorted().limit(6).forEach(toProbe::add);
        try (Storage storage = new Storage(bucket.endpoint(), bucket.accessKey, bucket.secretKey, "auto", SharedBucket.BUCKET)) {
            for (String jobId : jobs.keySet()) {
                List<Map<String, Object>> cbs = callbacks.getOrDefault(jobId, List.of());
                if (cbs.isEmpty() || !"completed".equals(cbs.get(0).get("status"))) {
                    continue;
                }
                @SuppressWarnings("unchecked")
                Map<String, Object> outputs = (Map<String, Object>) cbs.get(0).get("outputs");
                for (var e : outputs.entrySet()) {
                    if (!(e.getValue() instanceof Map<?, ?> o) || !(o.get("key") instanceof String key)) {
                        continue;
                    }
                    objects++;
                    String problem = checkObject(storage, key, o);
                    boolean unhashed = UNHASHED.equals(problem);
                    if (unhashed) {
                        // completed on the bucket before the runner's report came (allowed: the contract's sha256
                        // is optional): then it must at least read whole
                        unreported++;
                    } else if (problem != null) {
                        result.problems.add(jobId + " " + e.getKey() + ": " + problem);
                    }
                    if ((unhashed || toProbe.contains(jobId)) && !e.getKey().equals("metadata")) {
                        probed++;
                        String bad = plays(storage, key, e.getKey());
                        if (bad != null) {
                            result.problems.add(jobId + " " + e.getKey() + " does not play: " + bad);
                        }
                    }
                }
            }
            multipartLeft = storage.client().listMultipartUploads(b -> b.bucket(SharedBucket.BUCKET)).uploads().size();
            if (multipartLeft > 0) {
                result.problems.add(multipartLeft + " multipart upload(s) left in the bucket");
            }
        }

        // the jobs of the killed runner
        result.onKilledRunner = onVictim.size();
        int toOther = 0;
        int toRestarted = 0;
        int fromBucket = 0;
        for (String jobId : onVictim) {
            List<RoundRobinProxy.Taken> later = burners.taken.stream().filter(t -> t.jobId().equals(jobId) && t.at() > killedAt).toList();
            List<Map<String, Object>> cbs = callbacks.getOrDefault(jobId, List.of());
            boolean completed = !cbs.isEmpty() && "completed".equals(cbs.get(0).get("status"));
            if (!completed) {
                result.problems.add(jobId + " was on the killed runner and did not complete");
            } else if (later.isEmpty()) {
                fromBucket++;
            } else if (later.get(later.size() - 1).backend() != 0) {
                toOther++;
            } else {
                toRestarted++; // the killed runner's port: after the kill, only the restarted process answers there
            }
        }
        if (onVictim.isEmpty()) {
            result.problems.add("the killed runner had no unfinished job at the kill: nothing was proven about re-dispatch");
        }

        List<String> r = result.report;
        r.add("---- scale-out run: results ----");
        r.add(String.format(Locale.ROOT, "jobs submitted:        %d (%d burner, %d downloader; %d submit retries through the kills)",
                result.submitted, jobs.values().stream().filter(x -> x.engine().equals(ENGINE_BURNER)).count(),
                jobs.values().stream().filter(x -> x.engine().equals(ENGINE_DOWNLOADER)).count(), submitRetries.get()));
        r.add("terminal statuses:     " + statuses);
        r.add("completed:             " + result.completed + " of " + result.submitted);
        r.add("callback tally:        " + tally + (duplicates == 0 && redelivered == 0 && orphans.isEmpty() && badSignatures.get() == 0
                ? " -> exactly one terminal callback per job, all signatures valid, none for an unknown job"
                : " -> " + duplicates + " job(s) with two different terminal events, " + redelivered + " with one event delivered again, "
                + orphans.size() + " callback(s) for unknown jobs, " + badSignatures.get() + " bad signature(s)"));
        r.add("re-dispatches:         " + result.redispatched + " job(s) ran twice (runs=2 in the callback); "
                + (burners.taken.size() + downloaders.taken.size() - result.submitted) + " dispatch(es) taken beyond one per job");
        r.add("killed runner's jobs:  " + onVictim.size() + " unfinished at the SIGKILL -> " + toOther + " completed on the other runner, "
                + toRestarted + " on the restarted process, " + fromBucket + " completed from outputs already in the bucket");
        r.add("job documents:         " + documentsChecked + " read through the orchestrators' proxy, each agrees with its callback");
        r.add("output objects:        " + objects + " checked: size and sha256 = what the runner uploaded"
                + (unreported == 0 ? "" : " (" + unreported + " completed on the bucket before the runner's sha256 came: size checked and played)")
                + "; " + probed + " played with ffprobe; " + multipartLeft + " multipart upload(s) left");
        r.add(String.format(Locale.ROOT, "throughput:            %.1f jobs/minute (%d completed in %.1f s, first submission to last callback)",
                result.jobsPerMinute, result.completed, (lastCallbackAt - firstAt) / 1000.0));
        r.add("proxies:               " + orchestrators.summary());
        r.add("                       " + burners.summary());
        r.add("                       " + downloaders.summary());
        r.add("events:                " + String.join("; ", events));
    }

    /** {@link #checkObject}: the size is right, but the callback has no sha256 (the job completed on the bucket first). */
    private static final String UNHASHED = "no sha256";

    /** Null when the object is there whole: the size and the sha256 the runner reported while uploading it. */
    private static String checkObject(Storage storage, String key, Map<?, ?> reported) {
        try (InputStream in = storage.client().getObject(b -> b.bucket(SharedBucket.BUCKET).key(key))) {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[64 * 1024];
            long size = 0;
            for (int n; (n = in.read(buf)) > 0; ) {
                sha.update(buf, 0, n);
                size += n;
            }
            if (reported.get("size") instanceof Number want && want.longValue() != size) {
                return "stored " + size + " bytes, the runner reported " + want;
            }
            String hex = HexFormat.of().formatHex(sha.digest());
            if (reported.get("sha256") instanceof String want && !want.equals(hex)) {
                return "stored sha256 " + hex + ", the runner reported " + want;
            }
            if (reported.get("size") == null) {
                return "no size in the callback";
            }
            return reported.get("sha256") == null ? UNHASHED : null;
        } catch (Exception e) {
            return "cannot read it: " + e;
        }
    }

    /** Null when ffprobe reads a stream of the object (a copy in a temp file). */
    private static String plays(Storage storage, String key, String kind) {
        Path tmp = null;
        try {
            tmp = Files.createTempFile("scale-probe", kind.equals("audio") ? ".mp3" : ".mp4");
            Files.delete(tmp);
            storage.client().getObject(b -> b.bucket(SharedBucket.BUCKET).key(key), tmp);
            TestMedia.ProcessResult p = TestMedia.run(List.of("ffprobe", "-v", "error", "-show_entries", "format=duration",
                    "-of", "csv=p=0", tmp.toString()), Duration.ofSeconds(30));
            double seconds = p.exitCode() == 0 ? Double.parseDouble(p.stdoutText().trim()) : 0;
            return p.exitCode() == 0 && seconds > 1 ? null : "ffprobe exit " + p.exitCode() + " " + p.stderr().trim() + " " + p.stdoutText().trim();
        } catch (Exception e) {
            return e.toString();
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // best effort
                }
            }
        }
    }

    private void report(Path work) {
        for (String line : result.report) {
            out.println(line);
        }
        if (result.ok()) {
            out.println("ALL CHECKS HELD");
        } else {
            out.println("PROBLEMS (" + result.problems.size() + "):");
            result.problems.stream().limit(40).forEach(p -> out.println("  " + p));
        }
    }

    // ------------------------------------------------------------------ small helpers

    private void event(String format, Object... args) {
        String e = String.format(Locale.ROOT, "t+%.1fs ", (System.currentTimeMillis() - t0) / 1000.0) + String.format(Locale.ROOT, format, args);
        events.add(e);
        out.println(e);
    }

    private static List<Integer> ports(int n) {
        List<Integer> p = new ArrayList<>();
        while (p.size() < n) {
            int port = TestServers.freePort();
            if (!p.contains(port)) {
                p.add(port);
            }
        }
        return p;
    }

    private static List<URI> uris(List<Integer> ports) {
        return ports.stream().map(p -> URI.create("http://127.0.0.1:" + p)).toList();
    }

    private static void sleepUntil(long at) throws InterruptedException {
        long wait = at - System.currentTimeMillis();
        if (wait > 0) {
            Thread.sleep(wait);
        }
    }

    private static boolean waitFor(BooleanSupplier condition, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(200);
        }
        return true;
    }
}
