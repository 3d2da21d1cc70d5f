package dev.mediaorchestrator.observability;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.mediaorchestrator.orchestrator.Engine;
import dev.mediaorchestrator.orchestrator.Job;
import dev.mediaorchestrator.orchestrator.JobTransitions;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The orchestrator's jobs followed through their statuses, from what the job store reports (every
 * job it creates, changes or loads) rather than at each place that makes a change: jobs submitted,
 * the time spent in each status, and the end of a job once (its counter, the duration histogram and
 * the summary line), however often it is written afterwards. Part of {@link Metrics}.
 */
final class JobStatusMetrics {
    /** The job duration histogram covers 1 s to 4 h; the alert thresholds in docs/operations.md are exact bucket bounds. */
    static final Duration[] DURATION_SLOS = {Duration.ofMinutes(5), Duration.ofMinutes(10), Duration.ofMinutes(30), Duration.ofHours(1)};

    private final MeterRegistry registry;
    private final JobSummaries summaries = new JobSummaries();
    private final Cache<String, TrackedJob> jobs;
    private volatile Function<String, Optional<Long>> objectSizes = key -> Optional.empty();

    /**
     * @param registry where the meters go (not null)
     * @param jobTtl   how long a job is remembered after its last change (the job store's TTL), so that
     *                 its end is counted once however often it is updated afterwards
     */
    JobStatusMetrics(MeterRegistry registry, Duration jobTtl) {
        this.registry = registry;
        this.jobs = Caffeine.newBuilder().expireAfterAccess(jobTtl).build();
        // every series at 0 from the start, so that rates and alerts see the first job
        for (Engine e : Engine.values()) {
            Meters.counter(registry, "jobs.submitted", "engine", e.id);
            for (String status : Metrics.TERMINAL) {
                Meters.counter(registry, "jobs." + status, "engine", e.id);
                durationTimer(e.id, status);
            }
        }
    }

    private Timer durationTimer(String engine, String status) {
        return Timer.builder(Metrics.PREFIX + "job.duration")
                .description("Jobs from POST /jobs to their terminal status")
                .tags("engine", engine, "status", status)
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofSeconds(1))
                .maximumExpectedValue(Duration.ofHours(4))
                .serviceLevelObjectives(DURATION_SLOS)
                .register(registry);
    }

    void objectSizes(Function<String, Optional<Long>> sizes) {
        this.objectSizes = sizes;
    }

    void created(Job job) {
        Meters.counter(registry, "jobs.submitted", "engine", job.engine.id).increment();
        jobs.put(job.jobId, new TrackedJob("queued", job.createdAt, false));
    }

    void loaded(Job job) {
        Snapshot s = Snapshot.of(job);
        jobs.asMap().putIfAbsent(job.jobId, new TrackedJob(s.status, s.ts, Metrics.TERMINAL.contains(s.status)));
    }

    void changed(Job job) {
        Snapshot s = Snapshot.of(job);
        TrackedJob t = jobs.get(job.jobId, id -> new TrackedJob(s.status, s.ts, Metrics.TERMINAL.contains(s.status)));
        boolean ended = false;
        synchronized (t) {
            if (t.ended || s.ts < t.since || s.status.equals(t.status) || JobTransitions.rank(s.status) < JobTransitions.rank(t.status)) {
                return; // nothing new, or an older view of the job than the last one seen
            }
            long ms = Math.max(0, s.ts - t.since);
            Timer.builder(Metrics.PREFIX + "job.status").description("Time jobs spend in each status before their end")
                    .tags("engine", job.engine.id, "status", t.status).register(registry).record(ms, TimeUnit.MILLISECONDS);
            t.statusMs.merge(t.status, ms, Long::sum);
            t.status = s.status;
            t.since = s.ts;
            if (Metrics.TERMINAL.contains(s.status)) {
                t.ended = true;
                ended = true;
            }
        }
        if (ended) {
            ended(job, s, t);
        }
    }

    private void ended(Job job, Snapshot s, TrackedJob t) {
        Meters.counter(registry, "jobs." + s.status, "engine", job.engine.id).increment();
        long duration = s.durationMs != null ? s.durationMs : Math.max(0, s.ts - job.createdAt);
        durationTimer(job.engine.id, s.status).record(duration, TimeUnit.MILLISECONDS);
        Map<String, Long> outputs = new LinkedHashMap<>();
        if ("completed".equals(s.status)) {
            for (Engine.OutputKind kind : job.outputs()) {
                // the size as stored, which the completion check has just read (CompletionCheck.checkOutputs):
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
        summaries.orchestrator(job.jobId, job.engine.id, s.status, duration, s.attempts, new LinkedHashMap<>(t.statusMs), outputs, s.error);
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
        final Map<String, Long> statusMs = new LinkedHashMap<>();

        TrackedJob(String status, long since, boolean ended) {
            this.status = status;
            this.since = since;
            this.ended = ended;
        }
    }
}
