package dev.mediaorchestrator.orchestrator;

import dev.mediaorchestrator.common.Threads;
import dev.mediaorchestrator.Config;
import dev.mediaorchestrator.common.HttpError;
import dev.mediaorchestrator.common.Json;
import dev.mediaorchestrator.common.ReplayCache;
import dev.mediaorchestrator.observability.JobContext;
import dev.mediaorchestrator.observability.Metrics;
import dev.mediaorchestrator.storage.Storage;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
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
    static final int PROBE_PARALLELISM = 4;
    /** Probes in a row without an answer (or with a 404) after which a job is lost. */
    static final int MAX_PROBE_MISSES = 3;
    private final RunnerProbe probe = new RunnerProbe();
    private final ExecutorService probes = Threads.daemonPool("runner-probe", PROBE_PARALLELISM);
    private final Set<String> probing = ConcurrentHashMap.newKeySet();
    private volatile Metrics metrics = Metrics.NONE;

    public Lifecycle(Config config, JobStore jobs, Storage storage, ReplayCache replay, Dispatcher dispatcher, Clock clock) {
        this.config = config;
        this.dispatcher = dispatcher;
        this.jobs = jobs;
        this.storage = storage;
        this.replay = replay;
        this.clock = clock;
    }

    /** Where the probes report to (observability; nothing until set). */
    public void setMetrics(Metrics metrics) {
        this.metrics = metrics;
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
            throw HttpError.badRequest("status is unknown"); // not echoed: the error text stays short and stable
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
        // A downloader job carries metadata whatever completes it: mapped from metadata.json when
        // no runner callback brought it (the original downloader sends it only after its uploads).
        Map<String, Object> metadata = job.engine == Engine.DOWNLOADER && job.metadata == null
                ? DownloadMetadata.fromBucket(storage, job) : null;
        boolean done;
        synchronized (job) {
            if (metadata != null && job.metadata == null && !job.isTerminal()) {
                job.metadata = metadata;
            }
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
            pending.add(heads.submit(JobContext.wrap(job.jobId, () -> {
                try {
                    if (!checkOutputs(job)) {
                        enforceLimits(job);
                    }
                } catch (RuntimeException e) {
                    LOG.warn("output check of job {} failed: {}", job.jobId, e.toString());
                } finally {
                    checking.remove(job.jobId);
                }
            })));
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
     * Deadlines and quiet runners: a job past {@code JOB_TIMEOUT_SECONDS} for its engine fails (its
     * runner is told to stop, and the terminal callback follows); a dispatched job whose runner has
     * been silent for {@code RUNNER_PROBE_SECONDS} is probed ({@link #probeIfQuiet}). Silence alone
     * never fails a job.
     */
    void enforceLimits(Job job) {
        long now = clock.millis();
        long timeout = config.jobTimeoutSeconds(job.engine.id);
        if (now - job.createdAt > timeout * 1000) {
            fail(job, "job timed out after " + timeout + " s", now);
        } else {
            probeIfQuiet(job, now);
        }
    }

    private void fail(Job job, String error, long now) {
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

    /**
     * CONTRACT.md, "Quiet runners are asked, not killed": a dispatched job whose runner has not
     * reported (nor been asked) for {@code RUNNER_PROBE_SECONDS} is probed at
     * {@code GET {runner}/status/{jobId}}, in the background and never twice at once for one job.
     */
    void probeIfQuiet(Job job, long now) {
        URI runner = config.runnerBaseUrl(job.engine.id);
        long quietSince = Math.max(job.lastReportAt, job.lastProbeAt);
        if (runner == null || !job.dispatched || job.isTerminal() || quietSince == 0
                || now - quietSince < config.runnerProbeSeconds * 1000 || !probing.add(job.jobId)) {
            return;
        }
        try {
            probes.submit(JobContext.wrap(job.jobId, () -> {
                try {
                    applyProbe(job, probe.probe(runner, job.jobId));
                } catch (RuntimeException e) {
                    LOG.warn("probe of job {} failed: {}", job.jobId, e.toString());
                } finally {
                    probing.remove(job.jobId);
                }
            }));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            probing.remove(job.jobId); // closing
        }
    }

    /** Acts on what the runner said about a quiet job. */
    void applyProbe(Job job, RunnerProbe.Answer answer) {
        long now = clock.millis();
        metrics.runnerProbe(job.engine.id, answer.kind().name().toLowerCase(java.util.Locale.ROOT));
        switch (answer.kind()) {
            case ALIVE -> {
                boolean changed;
                synchronized (job) {
                    changed = JobTransitions.probedAlive(job, answer.status(), answer.progress(), now);
                }
                if (changed) {
                    jobs.update(job.jobId, j -> { });
                }
            }
            case FAILED -> {
                synchronized (job) {
                    job.lastProbeAt = now;
                }
                fail(job, "runner reports failed" + (answer.error() == null ? "" : ": " + answer.error()), now);
            }
            case COMPLETED -> {
                synchronized (job) {
                    job.lastProbeAt = now;
                    job.probeMisses = 0;
                    job.runnerCompleted = true;
                }
                if (!checkOutputs(job)) {
                    jobs.update(job.jobId, j -> { });
                }
            }
            case LOST -> {
                int misses;
                synchronized (job) {
                    job.lastProbeAt = now;
                    misses = ++job.probeMisses;
                }
                LOG.warn("probe of job {}: {} ({} of {} in a row)", job.jobId, answer.why(), misses, MAX_PROBE_MISSES);
                if (misses >= MAX_PROBE_MISSES) {
                    fail(job, "runner lost the job (" + answer.why() + " to " + misses + " probes in a row)", now);
                } else {
                    jobs.update(job.jobId, j -> { });
                }
            }
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
        probes.shutdownNow();
    }
}
