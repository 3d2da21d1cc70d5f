package dev.mediaorchestrator.runner;

import dev.mediaorchestrator.common.JobContext;

import java.time.Clock;
import java.util.Map;
import java.util.function.DoubleSupplier;

/**
 * The runner's progress timer ({@link RunnerJobs#reportProgress}): a progress callback for each job
 * whose running tool's progress moved by {@value #PROGRESS_STEP} or more, or every 5 s while it runs;
 * a heartbeat every 30 s while no tool runs; and the stop of a tool whose progress has not moved for
 * {@code RUNNER_STALL_SECONDS}.
 */
final class ProgressTimer {
    static final double PROGRESS_STEP = 0.1;
    static final long PROGRESS_INTERVAL_MS = 5000;
    /** While no tool runs (downloads, uploads), the job's state is re-sent this often so the orchestrator knows it is alive. */
    static final long HEARTBEAT_INTERVAL_MS = 30_000;
    /**
     * The progress timer adds nothing to a job that already has this many callbacks waiting (an
     * orchestrator that answers slowly, or not at all): its next tick reports the latest progress.
     * Phase changes and outputs are always queued.
     */
    static final int PROGRESS_BACKLOG = 2;

    private final RunnerJobs jobs;
    private final RunnerJobTable table;
    private final long stallSeconds;
    private final Clock clock;

    ProgressTimer(RunnerJobs jobs, RunnerJobTable table, long stallSeconds, Clock clock) {
        this.jobs = jobs;
        this.table = table;
        this.stallSeconds = stallSeconds;
        this.clock = clock;
    }

    /** One tick of the timer, over the active jobs. */
    void tick() {
        long now = clock.millis();
        for (RunnerJob job : table.active()) {
            JobContext.set(job.jobId);
            if (job.isTerminal() || job.abortStatus != null) {
                continue; // never wait for the lock of a job sending its terminal callback
            }
            if (job.callbacksPending.get() >= PROGRESS_BACKLOG) {
                continue;
            }
            if (job.liveProgress == null) {
                if (now - job.reportedAt >= HEARTBEAT_INTERVAL_MS && job.reportedAt > 0) {
                    synchronized (job) {
                        if (job.liveProgress == null && !job.isTerminal()) {
                            jobs.report(job, Map.of()); // heartbeat while downloading or uploading
                        }
                    }
                }
                continue;
            }
            if (stalled(job, now)) {
                continue;
            }
            synchronized (job) {
                // checked again under the lock: once the job's thread has moved on (liveProgress
                // cleared, next phase sent), no late progress callback of the previous phase follows
                DoubleSupplier live = job.liveProgress;
                if (live == null || job.isTerminal()) {
                    continue;
                }
                jobs.progress(job, live.getAsDouble());
                if (job.progress - job.reportedProgress >= PROGRESS_STEP - 1e-9 || now - job.reportedAt >= PROGRESS_INTERVAL_MS) {
                    jobs.report(job, Map.of());
                }
            }
        }
    }

    /** Kills the running tool of a job whose progress has not moved for {@code RUNNER_STALL_SECONDS}. */
    private boolean stalled(RunnerJob job, long now) {
        if (job.progress > job.lastAdvance) {
            job.lastAdvance = job.progress;
            job.lastAdvanceAt = now;
            return false;
        }
        if (now - job.lastAdvanceAt < stallSeconds * 1000) {
            return false;
        }
        jobs.abort(job, "failed", "no progress for " + stallSeconds + " s: the process was stopped");
        return true;
    }
}
