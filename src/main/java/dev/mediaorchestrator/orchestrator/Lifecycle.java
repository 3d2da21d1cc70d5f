package dev.mediaorchestrator.orchestrator;

import dev.mediaorchestrator.Config;
import dev.mediaorchestrator.common.JobContext;
import dev.mediaorchestrator.common.Pools;
import dev.mediaorchestrator.common.Ticker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.stream.Collectors;

/**
 * Watches the open jobs this replica works: the completion timer ({@link #pollOutputs}) and
 * {@code GET /jobs/{id}} ({@link #refreshed}) have their outputs checked ({@link CompletionCheck})
 * with bounded parallelism, a job past its timeout fails ({@link JobEndings}), and a job whose
 * runner went quiet is probed ({@link RunnerProbes}, a segmented burn's tasks by {@link TaskUpkeep}).
 */
public final class Lifecycle implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Lifecycle.class);
    static final int HEAD_PARALLELISM = 8;

    private final JobStore jobs;
    private final Clock clock;
    private final Config config;
    private final RunnerReports reports;
    private final CompletionCheck check;
    private final JobEndings endings;
    private final ExecutorService heads;
    private final Set<String> checking = ConcurrentHashMap.newKeySet();
    private final RunnerProbes probes;
    /** The job timeout and the output checks' interval, on the monotonic clock (see {@link JobClock}). */
    private volatile JobClock times;
    /** Segmented burns (docs/segmented-burn.md): their tasks are probed, and their segments cleaned up, by the timer; null: none. */
    private volatile SegmentedBurns segments;

    public Lifecycle(Config config, JobStore jobs, RunnerReports reports, CompletionCheck check, JobEndings endings, Dispatcher dispatcher,
                     Clock clock) {
        this(config, jobs, reports, check, endings, dispatcher, clock, Pools.PLAIN);
    }

    public Lifecycle(Config config, JobStore jobs, RunnerReports reports, CompletionCheck check, JobEndings endings, Dispatcher dispatcher,
                     Clock clock, Pools pools) {
        this.heads = pools.fixed("output-check", HEAD_PARALLELISM);
        this.probes = new RunnerProbes(config, jobs, dispatcher, clock, pools, endings::fail, check::checkOutputs);
        this.config = config;
        this.jobs = jobs;
        this.reports = reports;
        this.check = check;
        this.endings = endings;
        this.clock = clock;
        this.times = new JobClock(clock, Ticker.SYSTEM);
    }

    /**
     * A version of a job this process learned (the {@code job-changed} route): its age is read
     * against the wall clock when this process first learns of it (created here: at once), and
     * measured on the monotonic clock from then on.
     */
    public void learn(Job job) {
        if (!job.isDone()) {
            times.since(job.jobId, "created", job.createdAt);
        }
    }

    /** The monotonic clock deadlines are measured on (tests move it by hand). */
    void setTicker(Ticker ticker) {
        this.times = new JobClock(clock, ticker);
    }

    /** Where the probes report to (observability; nothing until set). */
    public void setMetrics(OrchestratorEvents metrics) {
        probes.setMetrics(metrics);
    }

    /** Segmented burns: the timer probes their quiet tasks and cleans up after them; their join's output completes them here. */
    public void setSegments(SegmentedBurns segments) {
        this.segments = segments;
        segments.onOutputsDue(check::checkOutputs);
    }

    /** When each job's outputs were last checked (by a poll or the timer). */
    private final Map<String, Long> lastOutputCheck = new ConcurrentHashMap<>();

    /**
     * For {@code GET /jobs/{id}}: the bucket is checked for a job that is not terminal, shared with
     * the completion timer — at most one check of a job in flight, and at most one per
     * {@code COMPLETION_POLL_INTERVAL_MS} whatever the request rate (the polls in between get the
     * job as the last check left it). So a poll sees outputs that are there within that interval.
     */
    public Job refreshed(Job job) {
        if (job.isTerminal()) {
            return job;
        }
        long now = times.tickerMillis();
        Long last = lastOutputCheck.get(job.jobId);
        if (last != null && now - last < config.completionPollIntervalMs || !checking.add(job.jobId)) {
            return reports.withPendingProgress(job);
        }
        try {
            lastOutputCheck.put(job.jobId, now);
            return reports.withPendingProgress(check.checkOutputs(job));
        } catch (RuntimeException e) {
            LOG.warn("output check of job {} failed: {}", job.jobId, e.toString());
            return reports.withPendingProgress(job);
        } finally {
            checking.remove(job.jobId);
        }
    }

    /** The completion timer: heads the outputs of every non-terminal job this replica works (its share, {@link Shares}). */
    public void pollOutputs() {
        List<Future<?>> pending = new ArrayList<>();
        Collection<Job> active = jobs.worked();
        Set<String> activeIds = active.stream().map(j -> j.jobId).collect(Collectors.toSet());
        probes.retainOnly(activeIds);
        lastOutputCheck.keySet().retainAll(activeIds);
        times.retain(activeIds);
        reports.retainOnly(activeIds);
        for (Job job : active) {
            SegmentedBurns split = segments;
            if (split != null && TaskUpkeep.needsCleanUp(job)) {
                pending.add(heads.submit(JobContext.wrap(job.jobId, () -> split.upkeep().cleanUp(job))));
                continue;
            }
            if (job.isTerminal()) {
                continue;
            }
            // a poll may be checking this job's outputs right now: then only its deadlines and probes here
            boolean checkHere = checking.add(job.jobId);
            if (checkHere) {
                lastOutputCheck.put(job.jobId, times.tickerMillis());
            }
            pending.add(heads.submit(JobContext.wrap(job.jobId, () -> {
                try {
                    reports.flushProgress(job);
                    if (!checkHere || !check.checkOutputs(job).isTerminal()) {
                        enforceLimits(job);
                    }
                } catch (RuntimeException e) {
                    LOG.warn("output check of job {} failed: {}", job.jobId, e.toString());
                } finally {
                    if (checkHere) {
                        checking.remove(job.jobId);
                    }
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
        if (times.since(job.jobId, "created", job.createdAt) > timeout * 1000) {
            endings.fail(job.jobId, "job timed out after " + timeout + " s", now, j -> true);
        } else {
            probeIfQuiet(job, now);
        }
    }

    /** A dispatched job whose runner has been quiet for {@code RUNNER_PROBE_SECONDS} is asked about it ({@link RunnerProbes}). */
    void probeIfQuiet(Job job, long now) {
        SegmentedBurns split = segments;
        if (split != null && SegmentedBurns.inTasks(job)) {
            split.upkeep().probeQuiet(job, now); // its tasks, each at its burner; the job itself runs nowhere
            return;
        }
        probes.probeIfQuiet(job, now);
    }

    @Override
    public void close() {
        heads.shutdownNow();
        probes.close();
    }
}
