package dev.mediaorchestrator.observability;

import dev.mediaorchestrator.orchestrator.Engine;
import dev.mediaorchestrator.orchestrator.Job;
import dev.mediaorchestrator.orchestrator.JobStore;
import dev.mediaorchestrator.orchestrator.OrchestratorEvents;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.io.InputStream;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The service's registry (Micrometer, scraped in Prometheus format at {@code GET /metrics}; the same
 * registry is Camel's {@code metricsRegistry}, so Camel's route metrics are there too) with the JVM's
 * meters, and the orchestrator's meters: the orchestrator's classes call one method here at each
 * event ({@link OrchestratorEvents}); what the meters mean is in {@code docs/operations.md}.
 * {@link #NONE} records nothing (classes not wired to a registry). Beside it on the same registry:
 * a runner's meters ({@link RunnerMetrics}), the segmented burns' ({@link SegmentMetrics}) and the
 * queue's alert gauges ({@link QueueGauges}).
 *
 * <p>Job state changes are followed from what the job store reports, by {@link JobStatusMetrics}.
 */
public final class Metrics implements AutoCloseable, OrchestratorEvents {
    public static final Metrics NONE = new Metrics(null, Duration.ofDays(1));
    static final String PREFIX = "mediaorch.";
    static final List<String> TERMINAL = List.of("completed", "failed", "canceled");

    private final MeterRegistry registry;
    private final JobStatusMetrics jobs;
    private final JvmGcMetrics gc;

    /**
     * @param registry where the meters go (null: nowhere, see {@link #NONE})
     * @param jobTtl   how long a job is remembered after its last change (the job store's TTL), so that
     *                 its end is counted once however often it is updated afterwards
     */
    public Metrics(MeterRegistry registry, Duration jobTtl) {
        this.registry = registry;
        if (registry == null) {
            jobs = null;
            gc = null;
            return;
        }
        jobs = new JobStatusMetrics(registry, jobTtl);
        for (Engine e : Engine.values()) {
            Meters.counter(registry, "callback.attempts", "target", "app", "engine", e.id);
            Meters.counter(registry, "callback.failures", "target", "app", "engine", e.id);
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
    public void outboxGauges(JobStore store, Clock clock) {
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
    @Override
    public void outputsChecked(Job job) {
        if (!off()) {
            Meters.counter(registry, "output.checks", "engine", job.engine.id).increment();
        }
    }

    /** A read of a job record from the bucket, found or not. */
    @Override
    public void stateRead(boolean found) {
        if (!off()) {
            Meters.counter(registry, "state.reads", "found", Boolean.toString(found)).increment();
        }
    }

    /** A job record written to the bucket. */
    @Override
    public void stateWritten() {
        if (!off()) {
            Meters.counter(registry, "state.writes").increment();
        }
    }

    /** A terminal callback delivered {@code sinceTerminalMs} after its job ended. */
    @Override
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
        if (!off()) {
            jobs.objectSizes(sizes);
        }
    }

    /** The job store recorded a new job. */
    @Override
    public void jobCreated(Job job) {
        if (!off()) {
            jobs.created(job);
        }
    }

    /** The job store read a job from the bucket (a restart, another orchestrator): its past is not counted again. */
    @Override
    public void jobLoaded(Job job) {
        if (!off()) {
            jobs.loaded(job);
        }
    }

    /** The job store wrote a change of the job; called outside the job's lock. */
    @Override
    public void jobChanged(Job job) {
        if (!off()) {
            jobs.changed(job);
        }
    }

    // ---------------------------------------------------------------- orchestrator: traffic

    /** A source streamed from the app into the bucket ({@code key}: its object). */
    @Override
    public InputStream mirrored(String key, InputStream in) {
        return off() ? in : Meters.counting(in, Meters.bytes(registry, "mirrored", "kind", kindOf(key))::increment);
    }

    /** A {@code PUT|POST /upload} body streamed into the bucket. */
    @Override
    public InputStream uploaded(String key, InputStream in) {
        return off() ? in : Meters.counting(in, Meters.bytes(registry, "uploaded", "kind", kindOf(key))::increment);
    }

    /** An object streamed from the bucket to a client of {@code /artifacts} or {@code /inputs}. */
    @Override
    public InputStream served(String key, InputStream in) {
        return off() ? in : Meters.counting(in, Meters.bytes(registry, "served", "endpoint", servedEndpoint(key), "kind", kindOf(key))::increment);
    }

    /** An answer of {@code /artifacts} or {@code /inputs} with an object's bytes, and how it was given (redirect, file, relay). */
    @Override
    public void artifactAnswered(String key, String how) {
        if (!off()) {
            Meters.counter(registry, "artifact.responses", "endpoint", servedEndpoint(key), "how", how).increment();
        }
    }

    /** An object sent from the embedded store's file (sendfile): counted whole once it is on the wire. */
    @Override
    public void servedFromFile(String key, long bytes) {
        if (!off()) {
            Meters.bytes(registry, "served", "endpoint", servedEndpoint(key), "kind", kindOf(key)).increment(bytes);
        }
    }

    private static String servedEndpoint(String key) {
        return key.startsWith("inputs/") ? "inputs" : "artifacts";
    }

    /** One delivery attempt of a job's terminal callback to the app; returns {@code delivered}. */
    @Override
    public boolean appCallback(Job job, boolean delivered) {
        if (!off()) {
            Meters.callback(registry, "app", job.engine.id, delivered);
        }
        return delivered;
    }

    /** One probe of a quiet runner's {@code /status} and what it found: alive, failed, completed or lost. */
    @Override
    public void runnerProbe(String engine, String result) {
        if (!off()) {
            Meters.counter(registry, "runner.probes", "engine", engine, "result", result).increment();
        }
    }

    /** A request answered 429 (rate limit, or a busy runner) by route {@code routeId}. */
    public void rateLimited(String routeId) {
        if (!off()) {
            Meters.counter(registry, "rate.limited.requests", "route", routeId == null ? "unknown" : routeId).increment();
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
