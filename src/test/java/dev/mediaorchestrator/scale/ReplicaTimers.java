package dev.mediaorchestrator.scale;

import dev.mediaorchestrator.common.Hmac;
import dev.mediaorchestrator.orchestrator.Engine;
import dev.mediaorchestrator.orchestrator.Job;
import dev.mediaorchestrator.orchestrator.JobKeys;
import dev.mediaorchestrator.orchestrator.JobStore;
import dev.mediaorchestrator.orchestrator.StateObjects;
import dev.mediaorchestrator.storage.Storage;
import dev.mediaorchestrator.support.AppStandIn;
import dev.mediaorchestrator.support.StubHttpServer;
import dev.mediaorchestrator.support.TestServers;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Issue 29, what the orchestrators' timers cost the bucket with one replica and with several:
 * {@code REPLICAS} orchestrator processes (the packaged jar) on one bucket (S3Proxy in this process,
 * its requests counted by type) with {@code JOBS} open jobs recorded by them in turn (20 running, the
 * rest waiting for a runner slot: what a busy deployment has), and the HEAD, LIST, GET and PUT rates
 * over a window once every replica has read its jobs. Then (with {@code kill}) the first replica,
 * the leader, is SIGKILLed, every job's output is put in the bucket, and every job must complete
 * with exactly one terminal callback: the dead replica's jobs through the others. bench/replica-timers
 * runs it for 1 and 3 replicas and prints the ratios; ReplicaKillIT runs the kill at a few dozen jobs.
 */
public final class ReplicaTimers {
    static final String SECRET = "replica-timers-secret-0123456789abcdef";
    /** Jobs out at a runner: the dispatcher's limit is this, so the others wait. */
    static final int RUNNING = 20;

    /** {@code owners}: the jobs recorded by the replicas in turn; without, as before owners (markers {@code state/active/{jobId}}, a jar of before the division reads those). */
    public record Settings(int replicas, int jobs, Duration warmup, Duration window, boolean kill, boolean owners, Path jar, PrintStream out) {
        /** The completion timer's interval: long enough for 2 000 HEADs a tick on a loaded 2-core machine (the default is 2 s). */
        static long pollMs() {
            return Long.parseLong(System.getenv().getOrDefault("POLL_MS", "4000"));
        }
    }

    /** Requests per second of each type over the window, and what the kill showed. */
    public record Result(Map<String, Double> rates, int completed, Map<Integer, Integer> callbackTally, List<String> problems) {
        public boolean ok() {
            return problems.isEmpty();
        }
    }

    private final Settings s;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
    private final List<Process> processes = new ArrayList<>();

    private ReplicaTimers(Settings s) {
        this.s = s;
    }

    public static Result run(Settings s) throws Exception {
        return new ReplicaTimers(s).runOnce();
    }

    /** {@code bench/replica-timers}: JOBS (2000), REPLICAS (3), WINDOW_SECONDS (30), the same with one replica first, then the kill. */
    public static void main(String[] args) throws Exception {
        int jobs = Integer.parseInt(System.getenv().getOrDefault("JOBS", "2000"));
        int replicas = Integer.parseInt(System.getenv().getOrDefault("REPLICAS", "3"));
        Duration window = Duration.ofSeconds(Long.parseLong(System.getenv().getOrDefault("WINDOW_SECONDS", "30")));
        Duration warmup = Duration.ofSeconds(Long.parseLong(System.getenv().getOrDefault("WARMUP_SECONDS", "30")));
        Path jar = Path.of(System.getenv().getOrDefault("JAR", "target/media-orchestrator.jar"));
        boolean owners = !"0".equals(System.getenv().getOrDefault("OWNERS", "1"));
        boolean kill = !"0".equals(System.getenv().getOrDefault("KILL", "1"));
        Result one = run(new Settings(1, jobs, warmup, window, false, owners, jar, System.out));
        Result many = run(new Settings(replicas, jobs, warmup, window, kill, owners, jar, System.out));
        System.out.printf("replica-timers: %d open jobs, 1 vs %d replicas, completion every %d ms (one HEAD per job a tick: %.0f/s), requests/s over %d s:%n",
                jobs, replicas, Settings.pollMs(), jobs * 1000.0 / Settings.pollMs(), window.toSeconds());
        for (String type : List.of("HEAD", "LIST", "GET", "PUT")) {
            double a = one.rates.getOrDefault(type, 0.0);
            double b = many.rates.getOrDefault(type, 0.0);
            System.out.printf("  %-5s 1 replica %8.1f/s   %d replicas %8.1f/s   ratio %s%n", type, a, replicas, b,
                    a == 0 ? "-" : String.format("%.2f", b / a));
        }
        if (kill) {
            System.out.printf("kill -9 of the leader: %d of %d jobs completed, callbacks per job %s%s%n", many.completed, jobs,
                    many.callbackTally, many.ok() ? "" : "; PROBLEMS: " + many.problems);
        }
        System.exit(many.ok() ? 0 : 1);
    }

    private Result runOnce() throws Exception {
        Path work = TestServers.tempDir("replica-timers");
        s.out.printf("-- %d replica(s), %d open jobs; work dir %s%n", s.replicas, s.jobs, work);
        try (SharedBucket bucket = new SharedBucket(work.resolve("bucket"), TestServers.freePort());
             Storage storage = new Storage(bucket.endpoint(), bucket.accessKey, bucket.secretKey, "auto", SharedBucket.BUCKET);
             AppStandIn app = new AppStandIn(new Hmac(SECRET));
             StubHttpServer runner = new StubHttpServer()) {
            runner.answer("/healthz", 200, "{\"ok\":true}");
            runner.answer("/render", 202, "{}");
            runner.answer("/status/", 200, "{\"status\":\"running\",\"progress\":0.5}");
            List<Job> jobs = seed(storage);
            List<URI> bases = new ArrayList<>();
            for (int i = 1; i <= s.replicas; i++) {
                bases.add(start(i, work, bucket, app.base(), runner.base()));
                awaitUp(bases.get(i - 1), work.resolve("replica-" + i + ".log"));
            }
            Thread.sleep(s.warmup.toMillis()); // the leader lists everything, each replica reads its own jobs
            bucket.resetCounts();
            long t0 = System.nanoTime();
            Thread.sleep(s.window.toMillis());
            double seconds = (System.nanoTime() - t0) / 1e9;
            Map<String, Double> rates = new TreeMap<>();
            for (String type : List.of("HEAD", "LIST", "GET", "PUT", "DELETE")) {
                rates.put(type, bucket.count(type) / seconds);
            }
            s.out.printf("   requests/s: %s%n", format(rates));
            if (!s.kill) {
                return new Result(rates, 0, Map.of(), List.of());
            }
            return killAndComplete(rates, jobs, storage, app);
        } finally {
            for (Process p : processes) {
                p.destroy();
            }
            for (Process p : processes) {
                if (!p.waitFor(20, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            }
            TestServers.deleteRecursively(work);
        }
    }

    /** The open jobs, recorded by the replicas in turn as {@code POST /jobs} through a Service would: 20 running, the rest waiting. */
    private List<Job> seed(Storage storage) {
        List<Job> jobs = new ArrayList<>();
        long now = System.currentTimeMillis();
        try (JobStore writer = new JobStore(Duration.ofDays(1), StateObjects.of(storage), new Hmac(SECRET), Clock.systemUTC())) {
            for (int i = 0; i < s.jobs; i++) {
                Job.Draft d = new Job(JobKeys.newJobId(), "media-" + i, Engine.BURNER, Map.of(), now - (s.jobs - i), "n" + i).draft();
                d.owner = s.owners ? "replica-" + (i % s.replicas + 1) : null;
                if (i < RUNNING) {
                    d.dispatched = true;
                    d.runs = 1;
                    d.attempts = 1;
                    d.status = "running";
                    d.phase = "running";
                    d.lastReportAt = now;
                }
                jobs.add(writer.create(d.build()));
            }
        }
        storage.putSmall("state/index-v1", "{}".getBytes(StandardCharsets.UTF_8), "application/json", null, false);
        return jobs;
    }

    private URI start(int i, Path work, SharedBucket bucket, URI app, URI runner) throws IOException {
        Path dataDir = work.resolve("replica-" + i);
        Files.createDirectories(dataDir);
        Files.writeString(dataDir.resolve("instance-id"), "replica-" + i + "\n", StandardCharsets.UTF_8);
        int port = TestServers.freePort();
        ProcessBuilder pb = new ProcessBuilder("java", "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-jar", s.jar.toAbsolutePath().toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(work.resolve("replica-" + i + ".log").toFile()));
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("R2_") || k.startsWith("CONTAINER_BASE_URL") || k.startsWith("ORCHESTRATOR_BASE_URL")
                || k.equals("NEXT_BASE_URL") || k.equals("JOB_CALLBACK_HMAC_SECRET") || k.equals("ROLES") || k.startsWith("CLUSTER_"));
        Map<String, String> mine = new LinkedHashMap<>();
        mine.put("ROLES", "orchestrator");
        mine.put("PORT", String.valueOf(port));
        mine.put("HOST", "127.0.0.1");
        mine.put("LANG", "C.UTF-8");
        mine.put("DATA_DIR", dataDir.toString());
        mine.put("JOB_CALLBACK_HMAC_SECRET", SECRET);
        mine.put("R2_S3_ENDPOINT", bucket.endpoint().toString());
        mine.put("R2_ACCESS_KEY_ID", bucket.accessKey);
        mine.put("R2_SECRET_ACCESS_KEY", bucket.secretKey);
        mine.put("R2_BUCKET_NAME", SharedBucket.BUCKET);
        mine.put("NEXT_BASE_URL", app.toString());
        mine.put("CONTAINER_BASE_URL", runner.toString());
        mine.put("CONTAINER_BASE_URL_DOWNLOADER", runner.toString());
        mine.put("ORCHESTRATOR_BASE_URL_CONTAINER", "http://127.0.0.1:" + port);
        mine.put("MAX_ACTIVE_JOBS", String.valueOf(RUNNING));
        mine.put("COMPLETION_POLL_INTERVAL_MS", String.valueOf(Settings.pollMs()));
        mine.put("RUNNER_PROBE_SECONDS", "3600"); // the timers' own traffic, not the runners'
        env.putAll(mine);
        processes.add(pb.start());
        return URI.create("http://127.0.0.1:" + port);
    }

    private void awaitUp(URI base, Path log) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(180).toNanos();
        while (true) {
            try {
                if (http.send(HttpRequest.newBuilder(base.resolve("/health/live")).timeout(Duration.ofSeconds(3)).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not yet
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(base + " did not come up; log: " + log);
            }
            Thread.sleep(200);
        }
    }

    /** SIGKILL of replica-1 (the first started: the leader), then every job's output; every job must end with one callback. */
    private Result killAndComplete(Map<String, Double> rates, List<Job> jobs, Storage storage, AppStandIn app) throws Exception {
        Process leader = processes.get(0);
        leader.destroyForcibly();
        leader.waitFor(20, TimeUnit.SECONDS);
        long killedAt = System.nanoTime();
        s.out.printf("   SIGKILL replica-1 (the leader) with %d jobs recorded by it%n", jobs.stream().filter(j -> "replica-1".equals(j.owner)).count());
        for (Job job : jobs) {
            String key = job.outputKey(Engine.OutputKind.VIDEO);
            storage.putSmall(key, "out".getBytes(StandardCharsets.UTF_8), "video/mp4", null, false);
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(120 + s.jobs / 10).toNanos();
        while (System.nanoTime() < deadline && distinctCallbacks(app) < jobs.size()) {
            Thread.sleep(500);
        }
        double toAll = (System.nanoTime() - killedAt) / 1e9;
        Thread.sleep(5_000); // a second callback of any job would come now
        Map<Integer, Integer> tally = new TreeMap<>();
        List<String> problems = new ArrayList<>();
        int completed = 0;
        for (Job job : jobs) {
            List<Map<String, Object>> cbs = app.acceptedFor(job.jobId);
            tally.merge(cbs.size(), 1, Integer::sum);
            if (cbs.size() == 1 && "completed".equals(cbs.get(0).get("status"))) {
                completed++;
            } else if (problems.size() < 10) {
                problems.add(job.jobId + " (" + job.owner + "): " + cbs.size() + " callbacks " + cbs.stream().map(c -> c.get("status")).toList());
            }
        }
        if (app.badSignatures.get() > 0) {
            problems.add(app.badSignatures.get() + " callbacks with a bad signature");
        }
        s.out.printf("   after the kill: %d of %d completed with one callback in %.1f s; callbacks per job %s%n", completed, jobs.size(), toAll, tally);
        return new Result(rates, completed, tally, problems);
    }

    private static long distinctCallbacks(AppStandIn app) {
        return app.accepted.stream().map(m -> m.get("jobId")).distinct().count();
    }

    private static String format(Map<String, Double> rates) {
        StringBuilder b = new StringBuilder();
        rates.forEach((k, v) -> b.append(k).append(' ').append(String.format("%.1f", v)).append("  "));
        return b.toString().trim();
    }
}
