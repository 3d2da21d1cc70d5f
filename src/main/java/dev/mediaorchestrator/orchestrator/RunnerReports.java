package dev.mediaorchestrator.orchestrator;

import dev.mediaorchestrator.Config;
import dev.mediaorchestrator.Names;
import dev.mediaorchestrator.common.HttpError;
import dev.mediaorchestrator.common.Json;
import dev.mediaorchestrator.common.ReplayCache;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A runner's callbacks ({@code POST /callbacks/container}, routes {@code runner-callbacks} and
 * {@code runner-report}) applied to their job: admitted once (a copy changes nothing), then a
 * transition on a fresh read. A report of progress alone is kept here and written at most every
 * {@value #PROGRESS_WRITE_MS} ms; the completion timer ({@link Lifecycle}) writes what waited.
 */
public final class RunnerReports {
    private static final Logger LOG = LoggerFactory.getLogger(RunnerReports.class);

    private final JobStore jobs;
    private final CallbackAdmission admission;
    private final Clock clock;
    private final RunnerAddress runnerAddress;

    public RunnerReports(Config config, JobStore jobs, ReplayCache replay, ReplayStore shared, Clock clock) {
        this.jobs = jobs;
        this.admission = new CallbackAdmission(replay, shared);
        this.clock = clock;
        this.runnerAddress = new RunnerAddress(config);
    }

    /** The callback's replay keys, claimed by {@link #admitCallback}: released should it not be applied. */
    private static final String CALLBACK_KEYS = "callbackReplayKeys";
    /** The job as {@link #admitCallback} found it. */
    private static final String CALLBACK_JOB = "callbackJob";

    /**
     * {@code POST /callbacks/container}, after the signature and ts checks: 400 without a
     * {@code jobId} or a known {@code status}, 404 for a job nobody recorded. A copy of a callback
     * taken before (its nonce or signature, here, on another replica or before a restart) sets
     * {@link Names#DUPLICATE}: it changes nothing. Otherwise its replay keys are claimed, and
     * {@code direct:runner-report} applies it ({@link #applyReport}).
     */
    public void admitCallback(Map<String, Object> body, Exchange exchange) {
        String jobId = CallbackAdmission.checkedJobId(body);
        Job known = jobs.get(jobId).orElseThrow(() -> new HttpError(404, "not found"));
        List<String> keys = admission.claim(exchange);
        if (keys == null) {
            exchange.setProperty(Names.DUPLICATE, true);
            return;
        }
        exchange.setProperty(CALLBACK_KEYS, keys);
        exchange.setProperty(CALLBACK_JOB, known);
    }

    /**
     * An admitted runner callback applied to its job ({@link JobTransitions#apply} on a fresh read;
     * a terminal job is final); returns the job afterwards. A report of progress alone on a record
     * written less than {@value #PROGRESS_WRITE_MS} ms ago is kept here and written later
     * ({@link #progressOnly}). When the runner says its outputs are up (its {@code completed}, or
     * the last output's digest) it sets {@link Names#OUTPUTS_DUE}: the route has the bucket checked
     * ({@link CompletionCheck#checkOutputs}). A transition that fails releases the callback's keys,
     * so that the runner's retry is applied rather than taken for a copy.
     */
    @SuppressWarnings("unchecked")
    public Job applyReport(Map<String, Object> body, Exchange exchange) {
        List<String> keys = exchange.getProperty(CALLBACK_KEYS, List.class);
        Job known = exchange.getProperty(CALLBACK_JOB, Job.class);
        String jobId = known.jobId;
        String runnerUrl = runnerAddress.usable(known.engine, body.get("runnerUrl"));
        if (progressOnly(known, body, runnerUrl, clock.millis())) {
            // kept here and written with the job's next change, or by the completion timer once
            // PROGRESS_WRITE_MS have passed; this process's polls see it at once
            pendingProgress.merge(jobId, ((Number) body.get("progress")).doubleValue(), Math::max);
            return known;
        }
        AtomicReference<JobTransitions.Outcome> outcome = new AtomicReference<>(JobTransitions.Outcome.IGNORED);
        Job job;
        try {
            long now = clock.millis();
            job = jobs.transition(jobId, j -> {
                if (j.isTerminal()) {
                    outcome.set(JobTransitions.Outcome.IGNORED);
                    return j;
                }
                Job.Draft d = j.draft();
                outcome.set(JobTransitions.apply(d, body, runnerUrl, now));
                Double pending = pendingProgress.get(jobId);
                if (pending != null && !d.isTerminal()) {
                    d.progress = Math.max(d.progress, pending);
                }
                return d.build();
            }).orElseThrow(() -> new HttpError(404, "not found"));
            pendingProgress.remove(jobId);
        } catch (RuntimeException e) {
            admission.release(keys);
            throw e;
        }
        if (outcome.get() == JobTransitions.Outcome.FAILED) {
            LOG.info("job {} {}: {}", jobId, job.status, job.error);
        } else if (outcome.get() == JobTransitions.Outcome.AWAITING_OUTPUTS || allDigestsReported(job, body)) {
            exchange.setProperty(Names.OUTPUTS_DUE, true);
        }
        return job;
    }

    /** The answer to a runner's callback that was applied: the job's status afterwards. */
    public String reportAnswer(Job job) {
        return Json.write(Map.of("ok", true, "status", job.status));
    }

    /** A job's record takes a callback that only moves its progress at most this often (status and phase changes always). */
    static final long PROGRESS_WRITE_MS = 2_000;
    /**
     * What a callback that only reports progress carries: this project's runners add
     * {@code provenance} and {@code runnerUrl} to every callback, which change nothing once known.
     */
    static final Set<String> PROGRESS_FIELDS = Set.of("jobId", "status", "phase", "progress", "ts", "nonce",
            "provenance", "runnerUrl");

    /**
     * A callback that says nothing new but the progress of a job whose record was written less than
     * {@value #PROGRESS_WRITE_MS} ms ago (as this process last saw it): not written to the bucket. A
     * runner reports progress every second or so; this keeps a running job at one record write per
     * {@value #PROGRESS_WRITE_MS} ms, and a poll sees its progress at most that late.
     */
    static boolean progressOnly(Job known, Map<String, Object> body, String runnerUrl, long now) {
        if (known.isTerminal() || !PROGRESS_FIELDS.containsAll(body.keySet()) || now - known.ts >= PROGRESS_WRITE_MS
                || Boolean.TRUE.equals(body.get("provenance")) && !known.reportsProvenance
                || runnerUrl != null && known.runnerUrl == null) {
            return false; // news: written at once
        }
        String status = (String) body.get("status");
        String phase = body.get("phase") instanceof String p ? p : status;
        return body.get("progress") instanceof Number n && n.doubleValue() < 1
                && status.equals(known.status) && phase.equals(known.phase) && known.dispatched;
    }

    /** Progress reported and not yet written, per job (see {@link #progressOnly}: always below 1). */
    private final Map<String, Double> pendingProgress = new ConcurrentHashMap<>();

    /** The job with the progress this process has heard and not yet written. */
    Job withPendingProgress(Job job) {
        Double p = pendingProgress.get(job.jobId);
        if (p == null || job.isTerminal() || p <= job.progress) {
            return job;
        }
        Job.Draft d = job.draft();
        d.progress = p;
        return d.build();
    }

    /** The completion timer writes progress that waited {@value #PROGRESS_WRITE_MS} ms since the record's last write. */
    void flushProgress(Job job) {
        Double p = pendingProgress.get(job.jobId);
        if (p == null || clock.millis() - job.ts < PROGRESS_WRITE_MS) {
            return;
        }
        jobs.transition(job.jobId, j -> {
            if (j.isTerminal() || j.progress >= p) {
                return j;
            }
            Job.Draft d = j.draft();
            d.progress = p;
            return d.build();
        });
        pendingProgress.remove(job.jobId, p);
    }

    /** Forgets the progress kept for jobs no longer active here. */
    void retainOnly(Set<String> activeIds) {
        pendingProgress.keySet().retainAll(activeIds);
    }

    /**
     * A callback of a runner that reports provenance brought the last missing output digest: such a
     * runner reports an output only once it is in the bucket, so the job can complete now instead
     * of at its {@code completed} callback (which then finds it done) or the next timer tick.
     */
    static boolean allDigestsReported(Job job, Map<String, Object> body) {
        if (job.isTerminal() || !job.reportsProvenance || !(body.get("outputs") instanceof Map<?, ?>)) {
            return false;
        }
        return job.outputs().stream().allMatch(k -> CompletionCheck.hasDigest(job, k.id));
    }
}
