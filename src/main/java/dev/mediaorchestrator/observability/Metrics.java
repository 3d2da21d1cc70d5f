package dev.mediaorchestrator.observability;

import dev.mediaorchestrator.common.JobContext;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.mediaorchestrator.orchestrator.Engine;
import dev.mediaorchestrator.orchestrator.Job;
import dev.mediaorchestrator.orchestrator.JobStore;
import dev.mediaorchestrator.orchestrator.JobTransitions;
import dev.mediaorchestrator.runner.RunnerJob;
import dev.mediaorchestrator.runner.RunnerJobs;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.LongConsumer;

/**
 * The service's meters (Micrometer, scraped in Prometheus format at {@code GET /metrics}; the same
 * registry is Camel's {@code metricsRegistry}, so Camel's route metrics are there too). The
 * existing classes call one method here at each event; what the meters mean is in
 * {@code docs/operations.md}. {@link #NONE} records nothing (classes not wired to a registry).
 *
 * <p>Job state changes are followed here rather than at each place that makes one: the job store
 * reports every job it creates, changes or loads, and this class notices transitions (time spent in
 * each status, the end of a job: counters, duration histogram and the summary line, once per job).
 */
public final class Metrics implements AutoCloseable, dev.mediaorchestrator.orchestrator.OrchestratorEvents, dev.mediaorchestrator.runner.RunnerEvents {
    public static final Metrics NONE = new Metrics(null, Duration.ofDays(1));
    static final String PREFIX = "mediaorch.";
    static final List<String> TERMINAL = List.of("completed", "failed", "canceled");
    /** The job duration histogram covers 1 s to 4 h; the alert thresholds in docs/operations.md are exact bucket bounds. */
    static final Duration[] DURATION_SLOS = {Duration.ofMinutes(5), Duration.ofMinutes(10), Duration.ofMinutes(30), Duration.ofHours(1)};

    private final MeterRegistry registry;
    private final JobSummaries summaries = new JobSummaries();
    private final Cache<String, TrackedJob> jobs;
    private final Map<String, TrackedRunnerJob> runnerJobs = new ConcurrentHashMap<>();
    private final JvmGcMetrics gc;
    private volatile Function<String, Optional<Long>> objectSizes = key -> Optional.empty();

    /**
     * @param registry where the meters go (null: nowhere, see {@link #NONE})
     * @param jobTtl   how long a job is remembered after its last change (the job store's TTL), so that
     *                 its end is counted once however often it is updated afterwards
     */
    public Metrics(MeterRegistry registry, Duration jobTtl) {
        this.registry = registry;
        this.jobs = Caffeine.newBuilder().expireAfterAccess(jobTtl).build();
        if (registry == null) {
            gc = null;
            return;
        }
        for (Engine e : Engine.values()) {
            counter("jobs.submitted", "engine", e.id);
            for (String status : TERMINAL) {
                counter("jobs." + status, "engine", e.id);
                durationTimer(e.id, status);
            }
            counter("callback.attempts", "target", "app", "engine", e.id);
            counter("callback.failures", "target", "app", "engine", e.id);
        }
        new ClassLoaderMetrics().bindTo(registry);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        gc = new JvmGcMetrics();
        gc.bindTo(registry);
    }

    /** A registry that Prometheus scrapes, with the JVM meters; the service's own. */
    public static Metrics prometheus(Duration jobTtl) {
        return new Metrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), jobTtl);
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** {@code GET /metrics}: the Prometheus text format (version 0.0.4). */
    public String scrape() {
        return registry instanceof PrometheusMeterRegistry p ? p.scrape() : "";
    }

    private boolean off() {
        return registry == null;
    }

    private Counter counter(String name, String... tags) {
        return Counter.builder(PREFIX + name).tags(tags).register(registry);
    }

    private Counter bytes(String name, String... tags) {
        return Counter.builder(PREFIX + name + ".bytes").baseUnit("bytes").tags(tags).register(registry);
    }

    private Timer durationTimer(String engine, String status) {
        return Timer.builder(PREFIX + "job.duration")
                .description("Jobs from POST /jobs to their terminal status")
                .tags("engine", engine, "status", status)
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofSeconds(1))
                .maximumExpectedValue(Duration.ofHours(4))
                .serviceLevelObjectives(DURATION_SLOS)
                .register(registry);
    }

    // ---------------------------------------------------------------- orchestrator: jobs

    /** Queue depth and active jobs per engine, read from the job store at each scrape. */
    public void jobGauges(JobStore store, int maxActiveJobs) {
        if (off()) {
            return;
        }
        for (Engine e : Engine.values()) {
            Gauge.builder(PREFIX + "jobs.queued", store, s -> count(s, e, false)).strongReference(true)
                    .description("Jobs waiting for a runner (not yet accepted by one)").tag("engine", e.id).register(registry);
            Gauge.builder(PREFIX + "jobs.active", store, s -> count(s, e, true)).strongReference(true)
                    .description("Jobs accepted by a runner and not yet terminal").tag("engine", e.id).register(registry);
            Gauge.builder(PREFIX + "jobs.active.max", () -> maxActiveJobs).strongReference(true)
                    .description("MAX_ACTIVE_JOBS").tag("engine", e.id).register(registry);
        }
    }

    /** The callback outbox: terminal callbacks not yet delivered (nor given up), and the age of the oldest. */
    public void outboxGauges(JobStore store, java.time.Clock clock) {
        if (off()) {
            return;
        }
        Gauge.builder(PREFIX + "callbacks.pending", store, s -> s.active().stream().filter(Metrics::pending).count())
                .strongReference(true).description("Terminal callbacks waiting for delivery (the outbox)").register(registry);
        Gauge.builder(PREFIX + "callbacks.oldest.pending.age", store, s -> s.active().stream().filter(Metrics::pending)
                        .mapToLong(j -> clock.millis() - j.ts).max().orElse(0) / 1000.0)
                .strongReference(true).baseUnit("seconds").description("Age of the oldest undelivered terminal callback").register(registry);
    }

    private static boolean pending(Job j) {
        return j.isTerminal() && !j.callback.delivered() && !j.callback.abandoned();
    }

    /** A bucket check of a running job's outputs. */
    public void outputsChecked(Job job) {
        if (!off()) {
            counter("output.checks", "engine", job.engine.id).increment();
        }
    }

    /** A read of a job record from the bucket, found or not. */
    public void stateRead(boolean found) {
        if (!off()) {
            counter("state.reads", "found", Boolean.toString(found)).increment();
        }
    }

    /** A job record written to the bucket. */
    public void stateWritten() {
        if (!off()) {
            counter("state.writes").increment();
        }
    }

    /** A terminal callback delivered {@code sinceTerminalMs} after its job ended. */
    public void callbackDelivered(Job job, long sinceTerminalMs) {
        if (off()) {
            return;
        }
        Timer.builder(PREFIX + "callback.delivery.delay").description("From a job's terminal status to its delivered callback")
                .tags("engine", job.engine.id).publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(100)).maximumExpectedValue(Duration.ofDays(3))
                .register(registry).record(Math.max(0, sinceTerminalMs), TimeUnit.MILLISECONDS);
    }

    private static double count(JobStore store, Engine engine, boolean dispatched) {
        int n = 0;
        for (Job j : store.active()) {
            if (j.engine == engine && j.dispatched == dispatched && !j.isTerminal()) {
                n++;
            }
        }
        return n;
    }

    /** How the summary line of a completed job learns the size of an output its record does not give (a HEAD in the bucket). */
    public void objectSizes(Function<String, Optional<Long>> sizes) {
        this.objectSizes = sizes;
    }

    /** The job store recorded a new job. */
    public void jobCreated(Job job) {
        if (off()) {
            return;
        }
        counter("jobs.submitted", "engine", job.engine.id).increment();
        jobs.put(job.jobId, new TrackedJob("queued", job.createdAt, false));
    }

    /** The job store read a job from the bucket (a restart, another orchestrator): its past is not counted again. */
    public void jobLoaded(Job job) {
        if (off()) {
            return;
        }
        Snapshot s = Snapshot.of(job);
        jobs.asMap().putIfAbsent(job.jobId, new TrackedJob(s.status, s.ts, TERMINAL.contains(s.status)));
    }

    /** The job store wrote a change of the job; called outside the job's lock. */
    public void jobChanged(Job job) {
        if (off()) {
            return;
        }
        Snapshot s = Snapshot.of(job);
        TrackedJob t = jobs.get(job.jobId, id -> new TrackedJob(s.status, s.ts, TERMINAL.contains(s.status)));
        boolean ended = false;
        synchronized (t) {
            if (t.ended || s.ts < t.since || s.status.equals(t.status) || JobTransitions.rank(s.status) < JobTransitions.rank(t.status)) {
                return; // nothing new, or an older view of the job than the last one seen
            }
            long ms = Math.max(0, s.ts - t.since);
            Timer.builder(PREFIX + "job.status").description("Time jobs spend in each status before their end")
                    .tags("engine", job.engine.id, "status", t.status).register(registry).record(ms, TimeUnit.MILLISECONDS);
            t.statusMs.merge(t.status, ms, Long::sum);
            t.status = s.status;
            t.since = s.ts;
            if (TERMINAL.contains(s.status)) {
                t.ended = true;
                ended = true;
            }
        }
        if (ended) {
            ended(job, s, t);
        }
    }

    private void ended(Job job, Snapshot s, TrackedJob t) {
        counter("jobs." + s.status, "engine", job.engine.id).increment();
        long duration = s.durationMs != null ? s.durationMs : Math.max(0, s.ts - job.createdAt);
        durationTimer(job.engine.id, s.status).record(duration, TimeUnit.MILLISECONDS);
        Map<String, Long> outputs = new java.util.LinkedHashMap<>();
        if ("completed".equals(s.status)) {
            for (Engine.OutputKind kind : job.outputs()) {
                // the size as stored, which the completion check has just read (Lifecycle.checkOutputs):
                // no HEAD on the way to the terminal callback; a HEAD for a job completed another way
                if (job.provenance.getOrDefault(kind.id, Map.of()).get("size") instanceof Number size) {
                    outputs.put(kind.id, size.longValue());
                    continue;
                }
                try {
                    objectSizes.apply(job.outputKey(kind)).ifPresent(size -> outputs.put(kind.id, size));
                } catch (RuntimeException e) {
                    // the summary goes without that size
                }
            }
        }
        summaries.orchestrator(job.jobId, job.engine.id, s.status, duration, s.attempts, new java.util.LinkedHashMap<>(t.statusMs), outputs, s.error);
    }

    /** What a job looks like at one moment, read under its lock. */
    private record Snapshot(String status, long ts, Long durationMs, int attempts, String error) {
        static Snapshot of(Job job) {
            synchronized (job) {
                return new Snapshot(job.status, job.ts, job.durationMs, job.attempts, job.error);
            }
        }
    }

    private static final class TrackedJob {
        String status;
        long since;
        boolean ended;
        final Map<String, Long> statusMs = new java.util.LinkedHashMap<>();

        TrackedJob(String status, long since, boolean ended) {
            this.status = status;
            this.since = since;
            this.ended = ended;
        }
    }

    // ---------------------------------------------------------------- orchestrator: traffic

    /** A source streamed from the app into the bucket ({@code key}: its object). */
    public InputStream mirrored(String key, InputStream in) {
        return off() ? in : counting(in, bytes("mirrored", "kind", kindOf(key))::increment);
    }

    /** A {@code PUT|POST /upload} body streamed into the bucket. */
    public InputStream uploaded(String key, InputStream in) {
        return off() ? in : counting(in, bytes("uploaded", "kind", kindOf(key))::increment);
    }

    /** An object streamed from the bucket to a client of {@code /artifacts} or {@code /inputs}. */
    public InputStream served(String key, InputStream in) {
        return off() ? in : counting(in, bytes("served", "endpoint", servedEndpoint(key), "kind", kindOf(key))::increment);
    }

    /** An answer of {@code /artifacts} or {@code /inputs} with an object's bytes, and how it was given (redirect, file, relay). */
    public void artifactAnswered(String key, String how) {
        if (!off()) {
            counter("artifact.responses", "endpoint", servedEndpoint(key), "how", how).increment();
        }
    }

    /** An object sent from the embedded store's file (sendfile): counted whole once it is on the wire. */
    public void servedFromFile(String key, long bytes) {
        if (!off()) {
            bytes("served", "endpoint", servedEndpoint(key), "kind", kindOf(key)).increment(bytes);
        }
    }

    private static String servedEndpoint(String key) {
        return key.startsWith("inputs/") ? "inputs" : "artifacts";
    }

    /** One delivery attempt of a job's terminal callback to the app; returns {@code delivered}. */
    public boolean appCallback(Job job, boolean delivered) {
        callback("app", job.engine.id, delivered);
        return delivered;
    }

    /** One probe of a quiet runner's {@code /status} and what it found: alive, failed, completed or lost. */
    public void runnerProbe(String engine, String result) {
        if (!off()) {
            counter("runner.probes", "engine", engine, "result", result).increment();
        }
    }

    /** A request answered 429 (rate limit, or a busy runner) by route {@code routeId}. */
    public void rateLimited(String routeId) {
        if (!off()) {
            counter("rate.limited.requests", "route", routeId == null ? "unknown" : routeId).increment();
        }
    }

    private void callback(String target, String engine, boolean ok) {
        if (off()) {
            return;
        }
        counter("callback.attempts", "target", target, "engine", engine).increment();
        if (!ok) {
            counter("callback.failures", "target", target, "engine", engine).increment();
        }
    }

    /** The kind of object a bucket key holds (CONTRACT.md, Bucket layout). */
    static String kindOf(String key) {
        if (key.startsWith("inputs/videos/")) {
            return "video";
        } else if (key.startsWith("inputs/subtitles/")) {
            return "subtitles";
        } else if (key.startsWith("inputs/comments/")) {
            return "comments";
        }
        for (Engine.OutputKind k : Engine.OutputKind.values()) {
            if (key.endsWith("/" + k.fileName)) {
                return k.id;
            }
        }
        return "other";
    }

    // ---------------------------------------------------------------- runners

    /** The runner's active jobs and its maximum (RUNNER_MAX_CONCURRENCY), read at each scrape. */
    public void runnerGauges(RunnerJobs runner) {
        if (off()) {
            return;
        }
        Gauge.builder(PREFIX + "runner.active.jobs", runner, RunnerJobs::activeCount).strongReference(true)
                .description("Jobs the runner is working on").tag("engine", runner.engine()).register(registry);
        Gauge.builder(PREFIX + "runner.max.concurrency", runner, RunnerJobs::maxConcurrency).strongReference(true)
                .description("RUNNER_MAX_CONCURRENCY").tag("engine", runner.engine()).register(registry);
        counter("callback.attempts", "target", "orchestrator", "engine", runner.engine());
        counter("callback.failures", "target", "orchestrator", "engine", runner.engine());
        // mediaorch_runner_tool_info{engine,tool,version} 1, once the versions are known
        runner.tools().whenKnown(versions -> versions.forEach((tool, version) ->
                Gauge.builder(PREFIX + "runner.tool.info", () -> 1).strongReference(true)
                        .description("The versions of the runner's tools").tags("engine", runner.engine(), "tool", tool, "version", version)
                        .register(registry)));
    }

    /** A runner job moved to its current phase (called under the job's lock, after the change). */
    public void runnerPhase(RunnerJob job) {
        if (off()) {
            return;
        }
        TrackedRunnerJob t = runnerJobs.computeIfAbsent(job.jobId, id -> new TrackedRunnerJob(job.engine, job.startedAt));
        synchronized (t) {
            t.moveTo(job.phase, job.updatedAt);
        }
    }

    /** One callback attempt of a runner to the orchestrator. */
    public void runnerCallback(RunnerJob job, boolean ok) {
        callback("orchestrator", job.engine, ok);
    }

    /** The last step of a runner job, before its files are removed and its slot is freed: the summary line. */
    public void runnerFinished(RunnerJob job) {
        if (off()) {
            return;
        }
        TrackedRunnerJob t = runnerJobs.remove(job.jobId);
        if (t == null) {
            t = new TrackedRunnerJob(job.engine, job.startedAt);
        }
        String status = job.status;
        synchronized (t) {
            long end = TERMINAL.contains(status) ? job.updatedAt : System.currentTimeMillis();
            t.moveTo(TERMINAL.contains(status) ? status : "finished", end);
        }
        counter("runner.jobs", "engine", job.engine, "status", status).increment();
        if (job.task != null) {
            // the segmented burn's tasks (segment, join, plan), also counted as jobs above
            counter("runner.tasks", "engine", job.engine, "task", job.task, "status", status).increment();
        }
        long duration = Math.max(0, job.updatedAt - job.startedAt);
        summaries.runner(job.jobId, job.engine, status, duration, new java.util.LinkedHashMap<>(t.phaseMs), t.downloaded.get(), t.uploaded.get(), job.error);
    }

    /**
     * An input a runner streams to disk; {@code what} names it ("input video", "subtitles"). The
     * transfer runs for the job of the calling thread (its context): its engine labels the bytes,
     * and they go into its summary line.
     */
    public InputStream runnerDownload(String what, InputStream in) {
        if (off()) {
            return in;
        }
        TrackedRunnerJob t = currentRunnerJob();
        Counter c = bytes("runner.downloaded", "engine", t == null ? "unknown" : t.engine, "kind", kind(what));
        return counting(in, n -> {
            c.increment(n);
            if (t != null) {
                t.downloaded.addAndGet(n);
            }
        });
    }

    /** An output a runner uploads ({@code PUT}), counted as it is read for sending; see {@link #runnerDownload}. */
    public InputStream runnerUpload(String what, InputStream in) {
        if (off()) {
            return in;
        }
        TrackedRunnerJob t = currentRunnerJob();
        Counter c = bytes("runner.uploaded", "engine", t == null ? "unknown" : t.engine, "kind", kind(what));
        return counting(in, n -> {
            c.increment(n);
            if (t != null) {
                t.uploaded.addAndGet(n);
            }
        });
    }

    /** The job of the calling thread (its logging context), for the bytes of its summary line. */
    private TrackedRunnerJob currentRunnerJob() {
        String id = JobContext.current();
        return id == null ? null : runnerJobs.get(id);
    }

    private static String kind(String what) {
        return what.replaceFirst("^input ", "").replace(' ', '_');
    }

    private final class TrackedRunnerJob {
        final String engine;
        String phase = "queued";
        long since;
        final AtomicLong downloaded = new AtomicLong();
        final AtomicLong uploaded = new AtomicLong();
        final Map<String, Long> phaseMs = new java.util.LinkedHashMap<>();

        TrackedRunnerJob(String engine, long startedAt) {
            this.engine = engine;
            this.since = startedAt;
        }

        void moveTo(String next, long at) {
            if (next == null || next.equals(phase)) {
                return;
            }
            long ms = Math.max(0, at - since);
            Timer.builder(PREFIX + "runner.phase").description("Time runner jobs spend in each phase")
                    .tags(Tags.of("engine", engine, "phase", phase)).register(registry).record(ms, TimeUnit.MILLISECONDS);
            phaseMs.merge(phase, ms, Long::sum);
            phase = next;
            since = at;
        }
    }

    // ---------------------------------------------------------------- streams

    private static InputStream counting(InputStream in, LongConsumer sink) {
        return new FilterInputStream(in) {
            @Override
            public int read() throws IOException {
                int b = super.read();
                if (b >= 0) {
                    sink.accept(1);
                }
                return b;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = super.read(b, off, len);
                if (n > 0) {
                    sink.accept(n);
                }
                return n;
            }

            @Override
            public long skip(long n) throws IOException {
                return super.skip(n); // skipped bytes are not streamed
            }
        };
    }

    @Override
    public void close() {
        if (gc != null) {
            gc.close();
        }
        if (registry != null) {
            registry.close();
        }
    }
}
