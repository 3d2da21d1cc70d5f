package dev.mediaorchestrator.orchestrator;

import dev.mediaorchestrator.common.Threads;
import dev.mediaorchestrator.Config;
import dev.mediaorchestrator.common.HttpError;
import dev.mediaorchestrator.common.Json;
import dev.mediaorchestrator.common.ReplayCache;
import dev.mediaorchestrator.storage.Storage;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * Moves jobs through their states: runner callbacks ({@code POST /callbacks/container}) and
 * completion detection (the timer, and {@code GET /jobs/{id}} for one job), which heads the
 * expected outputs in the bucket with bounded parallelism and completes a job once all are there.
 */
public final class Lifecycle implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Lifecycle.class);
    static final int HEAD_PARALLELISM = 8;

    private final JobStore jobs;
    private final Storage storage;
    private final ReplayCache replay;
    private final Clock clock;
    private final Config config;
    private final Dispatcher dispatcher;
    private final ExecutorService heads = Threads.daemonPool("output-check", HEAD_PARALLELISM);
    private final Set<String> checking = ConcurrentHashMap.newKeySet();

    public Lifecycle(Config config, JobStore jobs, Storage storage, ReplayCache replay, Dispatcher dispatcher, Clock clock) {
        this.config = config;
        this.dispatcher = dispatcher;
        this.jobs = jobs;
        this.storage = storage;
        this.replay = replay;
        this.clock = clock;
    }

    /** {@code POST /callbacks/container}, after the signature and ts checks. */
    public String runnerCallback(Map<String, Object> body, Exchange exchange) {
        if (!(body.get("jobId") instanceof String jobId) || jobId.isBlank()) {
            throw HttpError.badRequest("jobId is required");
        }
        if (!(body.get("status") instanceof String status) || status.isBlank()) {
            throw HttpError.badRequest("status is required");
        }
        if (!JobTransitions.isKnownStatus(status)) {
            throw HttpError.badRequest("status is unknown: " + status);
        }
        Job job = jobs.get(jobId).orElseThrow(() -> new HttpError(404, "not found"));
        String signature = exchange.getProperty("signature", String.class);
        String nonce = exchange.getProperty("nonce", String.class);
        List<String> keys = Arrays.asList(signature == null ? null : "cb-sig:" + signature, nonce == null ? null : "cb-nonce:" + nonce);
        if (replay.claim(keys, Boolean.TRUE) != null) {
            return Json.write(Map.of("ok", true, "duplicate", true));
        }
        JobTransitions.Outcome outcome;
        synchronized (job) {
            outcome = JobTransitions.apply(job, body, clock.millis());
        }
        jobs.update(jobId, j -> { });
        if (outcome == JobTransitions.Outcome.FAILED) {
            LOG.info("job {} {}: {}", jobId, job.status, job.error);
        } else if (outcome == JobTransitions.Outcome.AWAITING_OUTPUTS) {
            checkOutputs(job);
        }
        return Json.write(Map.of("ok", true, "status", job.status));
    }

    /** Completes the job if all its outputs are in the bucket; true if it is (now) completed. */
    public boolean checkOutputs(Job job) {
        if (job.isTerminal()) {
            return "completed".equals(job.status);
        }
        for (Engine.OutputKind kind : job.engine.outputs) {
            if (!storage.exists(job.outputKey(kind))) {
                return false;
            }
        }
        boolean done;
        synchronized (job) {
            done = JobTransitions.complete(job, clock.millis());
        }
        if (done) {
            jobs.update(job.jobId, j -> { });
            LOG.info("job {} completed ({} ms)", job.jobId, job.durationMs);
        }
        return true;
    }

    /** For {@code GET /jobs/{id}}: check the bucket first when the job is not terminal. */
    public Job refreshed(Job job) {
        if (!job.isTerminal()) {
            try {
                checkOutputs(job);
            } catch (RuntimeException e) {
                LOG.warn("output check of job {} failed: {}", job.jobId, e.toString());
            }
        }
        return job;
    }

    /** The completion timer: heads the outputs of every non-terminal, dispatched job. */
    public void pollOutputs() {
        List<Future<?>> pending = new ArrayList<>();
        for (Job job : jobs.cache().asMap().values()) {
            if (job.isTerminal() || !checking.add(job.jobId)) {
                continue;
            }
            pending.add(heads.submit(() -> {
                try {
                    if (!checkOutputs(job)) {
                        enforceLimits(job);
                    }
                } catch (RuntimeException e) {
                    LOG.warn("output check of job {} failed: {}", job.jobId, e.toString());
                } finally {
                    checking.remove(job.jobId);
                }
            }));
        }
        for (Future<?> f : pending) {
            try {
                f.get();
            } catch (Exception e) {
                // logged by the task
            }
        }
    }

    /**
     * Deadlines: a job past {@code JOB_TIMEOUT_SECONDS} for its engine, or a dispatched job whose
     * runner has not reported for {@code HEARTBEAT_TIMEOUT_SECONDS}, fails (its runner is told to
     * stop, and the terminal callback follows).
     */
    void enforceLimits(Job job) {
        long now = clock.millis();
        String error = null;
        long timeout = config.jobTimeoutSeconds(job.engine.id);
        if (now - job.createdAt > timeout * 1000) {
            error = "job timed out after " + timeout + " s";
        } else if (job.dispatched && job.lastReportAt > 0 && now - job.lastReportAt > config.heartbeatTimeoutSeconds * 1000) {
            error = "runner stopped reporting (nothing for " + config.heartbeatTimeoutSeconds + " s)";
        }
        if (error == null) {
            return;
        }
        boolean ended;
        synchronized (job) {
            ended = JobTransitions.terminate(job, "failed", error, now);
        }
        if (ended) {
            jobs.update(job.jobId, j -> { });
            LOG.warn("job {} failed: {}", job.jobId, error);
            dispatcher.cancelOnRunner(job);
        }
    }

    /** {@code POST /jobs/{jobId}/cancel}, after the signature and ts checks. */
    public String cancel(String jobId) {
        Job job = jobs.get(jobId).orElseThrow(() -> new HttpError(404, "not found"));
        boolean canceled;
        synchronized (job) {
            canceled = JobTransitions.terminate(job, "canceled", "canceled by request", clock.millis());
        }
        if (!canceled) {
            throw new HttpError(409, "job is already " + job.status);
        }
        jobs.update(jobId, j -> { });
        LOG.info("job {} canceled", jobId);
        dispatcher.cancelOnRunner(job);
        return Json.write(Map.of("jobId", jobId, "status", "canceled"));
    }

    @Override
    public void close() {
        heads.shutdownNow();
    }
}
