package dev.mediaorchestrator.runner;

import dev.mediaorchestrator.Names;
import dev.mediaorchestrator.common.HttpError;
import dev.mediaorchestrator.common.Json;
import dev.mediaorchestrator.common.Tracing;
import org.apache.camel.Exchange;
import org.apache.camel.component.exec.ExecException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The jobs of one runner (one engine), as its routes and steps see them: admission ({@code 429 busy}
 * with {@code Retry-After} beyond {@code RUNNER_MAX_CONCURRENCY}; the body checked by
 * {@link RenderRequestCheck}, the jobs and slots kept by {@link RunnerJobTable}), phase changes with their
 * callbacks, cancel and stop, the job's last step (its temp directory removed whatever happened),
 * and the {@code /status} and {@code /healthz} answers. The progress timer is {@link ProgressTimer}.
 * Shared by the burner and the downloader.
 */
public final class RunnerJobs {
    private static final Logger LOG = LoggerFactory.getLogger(RunnerJobs.class);

    private final String engine;
    private final RunnerConfig config;
    private final RunnerCallbacks callbacks;
    private final JobProcessExecutor processes;
    private volatile Tracing tracing = Tracing.OFF;
    private final Clock clock;
    private final RunnerJobTable table;
    private final ProgressTimer progressTimer;
    private volatile RunnerEvents metrics = RunnerEvents.NONE;
    private volatile ToolVersions tools = new ToolVersions(List.of());
    /** Where the orchestrator can reach this runner, told in each job's answer and callbacks; null: nothing is told. */
    private volatile URI advertisedUrl;
    private volatile List<String> features = List.of();

    public RunnerJobs(String engine, RunnerConfig config, RunnerCallbacks callbacks, JobProcessExecutor processes, Clock clock) {
        this.engine = engine;
        this.config = config;
        this.callbacks = callbacks;
        this.processes = processes;
        this.clock = clock;
        this.table = new RunnerJobTable(config.maxConcurrency);
        this.progressTimer = new ProgressTimer(this, table, config.stallSeconds, clock);
    }

    /** The versions of this runner's tools, for {@code /healthz}. */
    public void setTools(ToolVersions tools) {
        this.tools = tools;
    }

    public ToolVersions tools() {
        return tools;
    }

    /** This runner's address for the orchestrator (issue 29: a job's probes and cancel reach the pod that runs it). */
    public void setAdvertisedUrl(URI url) {
        this.advertisedUrl = url;
    }

    /**
     * What this runner does beyond the contract, advertised on {@code /healthz} (the burner's
     * {@code segments}: docs/segmented-burn.md), so an orchestrator sends it only what it understands.
     */
    public void setFeatures(List<String> features) {
        this.features = List.copyOf(features);
    }

    /** Where this runner reports to (observability; nothing until set). */
    public void setTracing(Tracing tracing) {
        this.tracing = tracing;
    }

    public void setMetrics(RunnerEvents metrics) {
        this.metrics = metrics;
    }

    public String engine() {
        return engine;
    }

    public int activeCount() {
        return table.activeCount();
    }

    public int maxConcurrency() {
        return table.maxConcurrency();
    }

    /**
     * Admits a {@code /render} payload: 400 when a field is missing, the same answer again for a
     * job it already has (property {@code duplicate}), 429 when it runs its maximum. Sets exchange
     * property {@code runnerJob}.
     */
    public RunnerJob accept(Map<String, Object> payload, List<String> requiredUrls, Exchange exchange) {
        RenderRequestCheck checked = RenderRequestCheck.check(payload, requiredUrls);
        String jobId = checked.jobId();
        RunnerJob known = table.find(jobId);
        if (known != null) {
            return duplicate(known, exchange);
        }
        if (!table.takeSlot()) {
            exchange.getMessage().setHeader("Retry-After", String.valueOf(config.retryAfterSeconds));
            throw new HttpError(429, "busy");
        }
        RunnerJob job = new RunnerJob(jobId, engine, payload, checked.callbackUrl(), clock.millis());
        job.runnerUrl = advertisedUrl == null ? null : advertisedUrl.toString();
        RunnerJob first = table.add(job);
        if (first != null) {
            return duplicate(first, exchange);
        }
        exchange.setProperty(Names.RUNNER_JOB, job);
        // the job's trace: the /render request's span (its traceparent came from the dispatch); the
        // callbacks sent later, from other threads, join it
        String mediaId = payload.get("mediaId") instanceof String m ? m : null;
        tracing.remember(jobId, tracing.currentTraceparent(), mediaId, engine);
        tracing.annotate(jobId, mediaId, engine);
        return job;
    }

    /** A copy of a {@code /render} already taken: answered again with the job it made. */
    private static RunnerJob duplicate(RunnerJob known, Exchange exchange) {
        exchange.setProperty(Names.DUPLICATE, true);
        exchange.setProperty(Names.RUNNER_JOB, known);
        return known;
    }

    /** The answer to {@code POST /render}: {@code {"jobId"}}, and {@code runnerUrl} where the orchestrator can reach the job's runner. */
    public String acceptedResponse(RunnerJob job) {
        return Json.write(job.runnerUrl == null ? Map.of("jobId", job.jobId) : Map.of("jobId", job.jobId, "runnerUrl", job.runnerUrl));
    }

    /** Creates the job's temp directory. */
    public Path workDir(RunnerJob job) {
        try {
            Files.createDirectories(config.workDir);
            job.workDir = Files.createTempDirectory(config.workDir, engine + "-" + job.jobId + "-");
            WorkDirSweeper.claim(job.workDir);
            return job.workDir;
        } catch (IOException e) {
            throw new RunnerFailure("cannot create a work directory: " + e.getMessage(), e);
        }
    }

    /** Moves the job to a phase and reports it. Progress never goes backwards. */
    public void phase(RunnerJob job, String status, String phase, double progress) {
        phase(job, status, phase, progress, Map.of());
    }

    /** {@link #phase(RunnerJob, String, String, double)} with {@code extra} fields in its callback. */
    public void phase(RunnerJob job, String status, String phase, double progress, Map<String, Object> extra) {
        checkNotAborted(job);
        synchronized (job) {
            job.status = status;
            job.phase = phase;
            job.progress = Math.max(job.progress, progress);
            job.updatedAt = clock.millis();
            metrics.runnerPhase(job);
            tracing.annotate(job.jobId, null, engine);
            report(job, extra);
        }
    }

    /** Progress inside a phase (from the running tool); reported by {@link #reportProgress()}. */
    public void progress(RunnerJob job, double progress) {
        if (progress > job.progress) {
            job.progress = progress;
            job.updatedAt = clock.millis();
        }
    }

    /**
     * An output is in the bucket: its provenance is kept for the {@code completed} callback and
     * reported at once (a callback of the current phase with {@code outputs}), so the orchestrator
     * has it even when it sees the outputs and completes the job before that callback.
     */
    public void uploaded(RunnerJob job, String kind, String key, String contentType, Transfers.Uploaded u) {
        if (key == null) {
            return;
        }
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("key", key);
        info.put("size", u.size());
        info.put("contentType", contentType);
        info.put("sha256", u.sha256());
        job.uploaded.put(kind, info);
        synchronized (job) {
            job.updatedAt = clock.millis();
            Map<String, Object> extra = new LinkedHashMap<>();
            extra.put("outputs", Map.of(kind, info));
            Map<String, String> versions = tools.now();
            if (!versions.isEmpty()) {
                extra.put("tools", versions); // the orchestrator may complete the job before the completed callback
            }
            report(job, extra);
        }
    }

    /**
     * The {@code completed} callback: {@code extra}, with each output's provenance (as uploaded)
     * merged into {@code extra.outputs}, and the versions of the tools this runner ran.
     */
    @SuppressWarnings("unchecked")
    public void completed(RunnerJob job, Map<String, Object> extra) {
        Map<String, Object> all = new LinkedHashMap<>(extra);
        Map<String, Object> outputs = new LinkedHashMap<>(all.get("outputs") instanceof Map<?, ?> o ? (Map<String, Object>) o : Map.of());
        job.uploaded.forEach((kind, info) -> {
            if (outputs.get(kind) instanceof Map<?, ?> given) {
                Map<String, Object> merged = new LinkedHashMap<>((Map<String, Object>) given);
                merged.putAll(info);
                outputs.put(kind, merged);
            } else if (!kind.startsWith("subtitles.")) {
                outputs.put(kind, info);
            }
        });
        if (!outputs.isEmpty()) {
            all.put("outputs", outputs);
        }
        Map<String, String> versions = tools.now();
        if (!versions.isEmpty()) {
            all.put("tools", versions);
        }
        completedWith(job, all);
    }

    private void completedWith(RunnerJob job, Map<String, Object> extra) {
        synchronized (job) {
            job.liveProgress = null;
            job.status = "completed";
            job.phase = "completed";
            job.progress = 1.0;
            job.updatedAt = clock.millis();
            report(job, extra);
        }
    }

    /** A step about to start: a job stopped from outside (cancel, stall) goes no further. */
    public void checkNotAborted(RunnerJob job) {
        if (job.abortStatus != null) {
            throw new RunnerFailure(job.abortReason);
        }
    }

    public void failed(RunnerJob job, Exception e) {
        if (STOPPED.equals(job.abortStatus)) {
            // not the job's failure: the orchestrator finds it unknown and dispatches it again
            LOG.info("job {} stopped with the runner; left to the orchestrator to dispatch again", job.jobId);
            return;
        }
        String error = JobPaths.relative(job.abortReason != null ? job.abortReason
                : e instanceof RunnerFailure || e instanceof ExecException
                ? e.getMessage() : e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()),
                job.workDir, config.workDir);
        String status = job.abortStatus != null ? job.abortStatus : "failed";
        tracing.failed(error);
        synchronized (job) {
            job.liveProgress = null;
            job.error = error == null || error.isBlank() ? "failed" : error;
            job.status = status;
            job.phase = status;
            job.updatedAt = clock.millis();
            LOG.warn("job {} failed: {}", job.jobId, job.error);
            report(job, Map.of());
        }
    }

    /**
     * Queues the job's state as a callback. Callers hold the job's lock, so a job's callbacks are
     * built from one consistent state and queued in the order of its phases; they are sent one
     * after the other in the background (RunnerCallbacks): no phase waits for the orchestrator.
     */
    void report(RunnerJob job, Map<String, Object> extra) {
        job.reportedProgress = job.progress;
        job.reportedAt = clock.millis();
        callbacks.enqueue(job, extra);
    }

    /** The runner's progress timer: progress callbacks, heartbeats, stalled tools stopped ({@link ProgressTimer}). */
    public void reportProgress() {
        progressTimer.tick();
    }

    /** {@code POST /cancel/{jobId}}: stops the job's processes; the job ends {@code canceled} and its files are removed. */
    public String cancel(String jobId) {
        RunnerJob job = table.active(jobId);
        if (job == null) {
            throw new HttpError(404, "not found");
        }
        abort(job, "canceled", "canceled");
        return Json.write(Map.of("ok", true, "jobId", jobId));
    }

    void abort(RunnerJob job, String status, String reason) {
        job.abortReason = reason;
        job.abortStatus = status;
        LOG.warn("job {}: {}", job.jobId, reason);
        if (job.workDir != null) {
            processes.stop(job.workDir);
        }
    }

    /** How long a job's last step waits for its callbacks (a terminal one is retried for about a minute). */
    static final Duration CALLBACKS_WAIT = Duration.ofMinutes(3);
    /** While the runner stops, a job's last step waits for its callbacks this long at most. */
    static final Duration CALLBACKS_WAIT_STOPPING = Duration.ofSeconds(2);
    /** The abort status of the jobs of a runner that stops: no terminal callback is sent for them. */
    static final String STOPPED = "stopped";
    private volatile boolean stopping;

    /**
     * The process is stopping (SIGTERM): every job in flight has its tools stopped at once and ends
     * without a terminal callback, so the orchestrator, finding it unknown to the runner, dispatches
     * it again ({@code JOB_MAX_ATTEMPTS}); nothing of it is reported failed, and nothing holds the
     * stop (a burn would otherwise run to its end, then fail its upload to an orchestrator that
     * stopped, and retry its callbacks for 15 s).
     */
    public void stopAll() {
        stopping = true;
        for (RunnerJob job : table.active()) {
            if (!job.isTerminal()) {
                abort(job, STOPPED, "the runner is stopping");
            }
        }
    }

    /**
     * Last step of every job: waits until its callbacks are sent (the orchestrator has heard
     * everything before the slot is free and the job leaves the active set), stops its processes,
     * removes its temp files, frees its slot.
     */
    public void finish(RunnerJob job) {
        Duration wait = stopping ? CALLBACKS_WAIT_STOPPING : CALLBACKS_WAIT;
        if (!callbacks.awaitSent(job, wait)) {
            LOG.warn("job {}: callbacks still unsent after {} s; they go on in the background", job.jobId, wait.toSeconds());
        }
        metrics.runnerFinished(job);
        job.liveProgress = null;
        if (job.workDir != null) {
            processes.stop(job.workDir);
            deleteRecursively(job.workDir);
            WorkDirSweeper.release(job.workDir);
            processes.release(job.workDir);
        }
        table.finished(job);
    }

    /** {@code GET /status/{jobId}}. */
    public String status(String jobId) {
        RunnerJob job = table.find(jobId);
        if (job == null) {
            throw new HttpError(404, "not found");
        }
        return Json.write(job.document());
    }

    /** {@code GET /healthz}: the runner is up, and how busy it is. */
    public String health() {
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("ok", true);
        h.put("engine", engine);
        h.put("active", table.activeCount());
        h.put("maxConcurrency", table.maxConcurrency());
        h.put("tools", tools.now());
        h.put("features", features);
        return Json.write(h);
    }

    static void deleteRecursively(Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    LOG.warn("cannot delete {}: {}", p, e.getMessage());
                }
            });
        } catch (IOException e) {
            LOG.warn("cannot clean up {}: {}", dir, e.getMessage());
        }
    }
}
