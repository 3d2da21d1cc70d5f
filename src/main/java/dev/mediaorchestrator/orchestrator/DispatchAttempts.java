package dev.mediaorchestrator.orchestrator;

import dev.mediaorchestrator.Config;
import dev.mediaorchestrator.common.SignedHttp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * One offer of a job to its runner, as the dispatcher ({@link Dispatcher}) decides to make it: the
 * attempt is claimed in the job's record (one replica sends a job at a time), {@code POST
 * {runner}/render} goes out signed with fresh URLs and {@code ts} and the job's dispatch nonce, and
 * the answer is recorded on a fresh read: taken (a run begins), busy (429: the job keeps its place
 * and waits for a slot), or refused and unreachable (a backoff; the reason in the job's document).
 */
final class DispatchAttempts {
    private static final Logger LOG = LoggerFactory.getLogger(DispatchAttempts.class);
    static final long FIRST_RETRY_MS = 1000;
    static final long MAX_RETRY_MS = 60_000;

    private final Config config;
    private final JobStore jobs;
    private final SignedHttp http;
    private final Clock clock;
    private final RenderPayloads payloads;
    private final RunnerSlots slots;
    private final RunnerStop stop;
    private final RunnerAddress runnerAddress;
    /** The dispatcher's monotonic clock (tests replace it). */
    private final Supplier<JobClock> times;
    /** Segmented burns (docs/segmented-burn.md): a split job's tasks are offered in its place; null: none. */
    private volatile SegmentedBurns segments;

    DispatchAttempts(Config config, JobStore jobs, TransferUrls urls, SignedHttp http, Clock clock, RunnerSlots slots, RunnerStop stop,
                     Supplier<JobClock> times) {
        this.config = config;
        this.jobs = jobs;
        this.http = http;
        this.clock = clock;
        this.payloads = new RenderPayloads(config, urls, clock);
        this.slots = slots;
        this.stop = stop;
        this.runnerAddress = new RunnerAddress(config);
        this.times = times;
    }

    void setSegments(SegmentedBurns segments) {
        this.segments = segments;
    }

    /** The longest a job ever waits for its next offer: a backoff, or another replica's claim running out. */
    private long longestWait() {
        return Math.max(MAX_RETRY_MS, config.dispatchTimeoutMs + 5_000);
    }

    /** Whether the job's next offer is due ({@code nextDispatchAt}, read once against the wall clock). */
    boolean offerDue(Job j) {
        return times.get().reached(j.jobId, "next-dispatch", j.nextDispatchAt, longestWait());
    }

    /** One dispatch attempt; returns true when the runner accepted the job. */
    boolean attempt(Job given) {
        Job job = given;
        String jobId = job.jobId;
        if (job.dispatched || job.isTerminal()) {
            return job.dispatched;
        }
        SegmentedBurns split = segments;
        if (split != null) {
            job = split.beforeDispatch(job); // a burn worth splitting: its first dispatch is the plan task
        }
        // One replica sends a job at a time: the attempt is claimed in the record first (the claim
        // runs out after the dispatch timeout, should this process die while sending).
        String claim = UUID.randomUUID().toString();
        long claimedAt = clock.millis();
        Optional<Job> claimed = jobs.transition(jobId, j -> {
            if (j.isTerminal() || j.dispatched || (!offerDue(j) && !waitsForSlot(j))) {
                return j;
            }
            Job.Draft d = j.draft();
            d.dispatchClaim = claim;
            d.nextDispatchAt = claimedAt + config.dispatchTimeoutMs + 5_000;
            return d.build();
        });
        if (claimed.isEmpty() || !claim.equals(claimed.get().dispatchClaim)) {
            return claimed.map(j -> j.dispatched).orElse(false); // sent, or being sent, by another
        }
        job = claimed.get();
        // a job in tasks (docs/segmented-burn.md) sends its next task, as the fresh read says
        BurnTasks.RunRef task = split == null ? null : SegmentTransitions.next(job);
        if (task == null && SegmentedBurns.inTasks(job)) {
            notTaken(jobId, claim, "no task of the job waits", false);
            return false; // never the contract's payload for a job in tasks
        }
        URI runner = config.runnerBaseUrl(job.engine.id);
        String error;
        if (runner == null) {
            error = "no runner configured for " + job.engine.id;
        } else {
            try {
                SignedHttp.Response r = http.post(URI.create(runner + "/render"), task != null ? split.payload(job, task) : payloads.of(job),
                        Duration.ofMillis(config.dispatchTimeoutMs));
                if (r.ok() && task != null) {
                    split.accepted(job, task, claim, runnerAddress.fromAnswer(job, runner, r.body()));
                    return true;
                }
                if (r.ok()) {
                    accepted(job, runner, runnerAddress.fromAnswer(job, runner, r.body()));
                    return true;
                }
                if (task != null && r.status() == 400 && split.refused(job, task, claim, r.status(), r.body())) {
                    return false;
                }
                if (r.status() == 429) {
                    slots.busy(job.engine);
                    notTaken(jobId, claim, Dispatcher.BUSY, true);
                    LOG.debug("runner busy for job {}: it waits for a free slot", jobId);
                    return false;
                }
                error = "runner answered " + r.status();
            } catch (IOException e) {
                error = "runner unreachable: " + e.getClass().getSimpleName()
                        + (e.getMessage() == null ? "" : " " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                error = "dispatch interrupted";
            }
        }
        notTaken(jobId, claim, error, false);
        LOG.warn("dispatch of job {} failed: {}; the job stays queued", jobId, error);
        return false;
    }

    /** How soon a job that a busy runner refused (429) is offered again (at the dispatch timer's next tick after it): a slot may free any moment. */
    static final long BUSY_RETRY_MS = 200;

    /** A job a busy runner refused, not being offered now: it may be offered the moment a slot frees. */
    static boolean waitsForSlot(Job j) {
        return j.dispatchClaim == null && Dispatcher.BUSY.equals(j.dispatchError);
    }

    /**
     * Records an attempt the runner did not take, on a fresh read, if this attempt still holds the
     * claim. A busy runner (429) is not a failure: the job keeps its place at the head of its queue,
     * is offered again within {@value #BUSY_RETRY_MS} ms (and at once when a job of its engine ends,
     * {@link Dispatcher#wake()}), no dispatch deadline runs for it, and the runner's capacity is learned.
     * Anything else backs off (1 s doubling, at most a minute) and starts the dispatch deadline.
     */
    private void notTaken(String jobId, String claim, String reason, boolean busy) {
        long now = clock.millis();
        jobs.transition(jobId, j -> {
            if (j.isTerminal() || j.dispatched || !claim.equals(j.dispatchClaim)) {
                return j;
            }
            Job.Draft d = j.draft();
            d.dispatchClaim = null;
            d.attempts++;
            d.dispatchError = reason;
            d.lastDispatchAt = now;
            if (busy) {
                d.nextDispatchAt = now + BUSY_RETRY_MS;
            } else {
                if (d.firstAttemptAt == 0) {
                    d.firstAttemptAt = now;
                }
                d.nextDispatchAt = now + Math.min(MAX_RETRY_MS, FIRST_RETRY_MS << Math.min(16, d.attempts - 1));
            }
            return d.build();
        });
    }

    /**
     * The runner took the job: recorded on a fresh read (a run begins, unless the runner's first
     * callback came before this answer and began it: {@link JobTransitions#taken}). A job that ended
     * while the dispatch was in flight (canceled through any replica) is stopped on that runner at once.
     */
    private void accepted(Job job, URI runner, String runnerUrl) {
        long now = clock.millis();
        AtomicBoolean endedMeanwhile = new AtomicBoolean();
        jobs.setQueuePosition(job.jobId, 0);
        Optional<Job> after = jobs.transition(job.jobId, j -> {
            endedMeanwhile.set(j.isTerminal());
            if (j.isTerminal() || (j.dispatched && (runnerUrl == null || j.runnerUrl != null))) {
                return j;
            }
            Job.Draft d = j.draft();
            if (JobTransitions.taken(d, true, runnerUrl, now)) {
                d.lastReportAt = Math.max(d.lastReportAt, now);
            }
            return d.build();
        });
        if (endedMeanwhile.get()) {
            LOG.info("job {} ended while its dispatch was in flight: telling the runner to stop it", job.jobId);
            stop.stop(job.jobId, job.engine, runnerUrl);
        } else if (after.isPresent()) {
            LOG.info("start job {} ({} on {})", job.jobId, job.engine.id, runnerUrl != null ? runnerUrl : runner);
        }
    }
}
