package dev.mediaorchestrator.observability;

import dev.mediaorchestrator.common.JobContext;
import dev.mediaorchestrator.runner.RunnerEvents;
import dev.mediaorchestrator.runner.RunnerJob;
import dev.mediaorchestrator.runner.RunnerJobs;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;

import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * A runner's meters, on the service's registry ({@link Metrics#registry()}): its active jobs and
 * maximum, its tools' versions, the time its jobs spend in each phase, its jobs and tasks by
 * status, its callbacks to the orchestrator, the bytes it downloads and uploads, and each job's
 * summary line. One per process, shared by its engines: a transfer finds its job by the calling
 * thread's logging context. What the meters mean is in {@code docs/operations.md}.
 */
public final class RunnerMetrics implements RunnerEvents {
    private final MeterRegistry registry;
    private final JobSummaries summaries = new JobSummaries();
    private final Map<String, TrackedRunnerJob> runnerJobs = new ConcurrentHashMap<>();

    /** @param registry where the meters go (null: nowhere) */
    public RunnerMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    private boolean off() {
        return registry == null;
    }

    /** The runner's active jobs and its maximum (RUNNER_MAX_CONCURRENCY), read at each scrape. */
    public void runnerGauges(RunnerJobs runner) {
        if (off()) {
            return;
        }
        Gauge.builder(Metrics.PREFIX + "runner.active.jobs", runner, RunnerJobs::activeCount).strongReference(true)
                .description("Jobs the runner is working on").tag("engine", runner.engine()).register(registry);
        Gauge.builder(Metrics.PREFIX + "runner.max.concurrency", runner, RunnerJobs::maxConcurrency).strongReference(true)
                .description("RUNNER_MAX_CONCURRENCY").tag("engine", runner.engine()).register(registry);
        Meters.counter(registry, "callback.attempts", "target", "orchestrator", "engine", runner.engine());
        Meters.counter(registry, "callback.failures", "target", "orchestrator", "engine", runner.engine());
        // mediaorch_runner_tool_info{engine,tool,version} 1, once the versions are known
        runner.tools().whenKnown(versions -> versions.forEach((tool, version) ->
                Gauge.builder(Metrics.PREFIX + "runner.tool.info", () -> 1).strongReference(true)
                        .description("The versions of the runner's tools").tags("engine", runner.engine(), "tool", tool, "version", version)
                        .register(registry)));
    }

    /** A runner job moved to its current phase (called under the job's lock, after the change). */
    @Override
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
    @Override
    public void runnerCallback(RunnerJob job, boolean ok) {
        if (!off()) {
            Meters.callback(registry, "orchestrator", job.engine, ok);
        }
    }

    /** The last step of a runner job, before its files are removed and its slot is freed: the summary line. */
    @Override
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
            long end = Metrics.TERMINAL.contains(status) ? job.updatedAt : System.currentTimeMillis();
            t.moveTo(Metrics.TERMINAL.contains(status) ? status : "finished", end);
        }
        Meters.counter(registry, "runner.jobs", "engine", job.engine, "status", status).increment();
        if (job.task != null) {
            // the segmented burn's tasks (segment, join, plan), also counted as jobs above
            Meters.counter(registry, "runner.tasks", "engine", job.engine, "task", job.task, "status", status).increment();
        }
        long duration = Math.max(0, job.updatedAt - job.startedAt);
        summaries.runner(job.jobId, job.engine, status, duration, new LinkedHashMap<>(t.phaseMs), t.downloaded.get(), t.uploaded.get(), job.error);
    }

    /**
     * An input a runner streams to disk; {@code what} names it ("input video", "subtitles"). The
     * transfer runs for the job of the calling thread (its context): its engine labels the bytes,
     * and they go into its summary line.
     */
    @Override
    public InputStream runnerDownload(String what, InputStream in) {
        return off() ? in : counted("runner.downloaded", what, in, t -> t.downloaded);
    }

    /** An output a runner uploads ({@code PUT}), counted as it is read for sending; see {@link #runnerDownload}. */
    @Override
    public InputStream runnerUpload(String what, InputStream in) {
        return off() ? in : counted("runner.uploaded", what, in, t -> t.uploaded);
    }

    private InputStream counted(String name, String what, InputStream in, Function<TrackedRunnerJob, AtomicLong> total) {
        TrackedRunnerJob t = currentRunnerJob();
        Counter c = Meters.bytes(registry, name, "engine", t == null ? "unknown" : t.engine, "kind", kind(what));
        return Meters.counting(in, n -> {
            c.increment(n);
            if (t != null) {
                total.apply(t).addAndGet(n);
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

    /** What the summary line of one runner job needs: its phase times and its bytes. */
    private final class TrackedRunnerJob {
        final String engine;
        String phase = "queued";
        long since;
        final AtomicLong downloaded = new AtomicLong();
        final AtomicLong uploaded = new AtomicLong();
        final Map<String, Long> phaseMs = new LinkedHashMap<>();

        TrackedRunnerJob(String engine, long startedAt) {
            this.engine = engine;
            this.since = startedAt;
        }

        void moveTo(String next, long at) {
            if (next == null || next.equals(phase)) {
                return;
            }
            long ms = Math.max(0, at - since);
            Timer.builder(Metrics.PREFIX + "runner.phase").description("Time runner jobs spend in each phase")
                    .tags(Tags.of("engine", engine, "phase", phase)).register(registry).record(ms, TimeUnit.MILLISECONDS);
            phaseMs.merge(phase, ms, Long::sum);
            phase = next;
            since = at;
        }
    }
}
