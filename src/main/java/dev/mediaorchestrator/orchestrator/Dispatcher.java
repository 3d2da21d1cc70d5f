package dev.mediaorchestrator.orchestrator;

import dev.mediaorchestrator.Config;
import dev.mediaorchestrator.common.JobContext;
import dev.mediaorchestrator.common.Pools;
import dev.mediaorchestrator.common.SignedHttp;
import dev.mediaorchestrator.common.Ticker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.stream.Collectors;

/**
 * The queue of jobs waiting for a runner: per engine, first in, first out, while the engine's
 * runners have free slots ({@link RunnerSlots}); each offer is one {@link DispatchAttempts#attempt}.
 * {@code POST /jobs} sends its job itself ({@link #dispatch}), the dispatch timer retries the
 * waiting ones ({@link #retryDue}), a job's end offers its slot at once ({@link #wake}); a job no
 * runner takes within {@code DISPATCH_DEADLINE_SECONDS} fails. Also tells a job's runner to stop it
 * ({@link #cancelOnRunner}).
 */
public final class Dispatcher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Dispatcher.class);

    /** The dispatch error of a job that a busy runner refused: it waits for a free slot. */
    public static final String BUSY = "runner busy (429): waiting for a free slot";

    private final Config config;
    private final JobStore jobs;
    private final Clock clock;
    private final ExecutorService senders;
    private final RunnerStop stop;
    private final RunnerSlots slots;
    private final DispatchAttempts attempts;
    /** Backoffs and the dispatch deadline on the monotonic clock (see {@link JobClock}). */
    private volatile JobClock times;
    /** Segmented burns (docs/segmented-burn.md): a split job's tasks are offered in its place; null: none. */
    private volatile SegmentedBurns segments;

    public Dispatcher(Config config, JobStore jobs, TransferUrls urls, SignedHttp http, Clock clock) {
        this(config, jobs, urls, http, clock, Pools.PLAIN);
    }

    public Dispatcher(Config config, JobStore jobs, TransferUrls urls, SignedHttp http, Clock clock, Pools pools) {
        this.senders = pools.fixed("dispatch-retry", 4);
        this.stop = new RunnerStop(config, http, clock, senders);
        this.slots = new RunnerSlots(config, jobs, () -> times);
        this.attempts = new DispatchAttempts(config, jobs, urls, http, clock, slots, stop, () -> times);
        this.config = config;
        this.jobs = jobs;
        this.clock = clock;
        this.times = new JobClock(clock, Ticker.SYSTEM);
    }

    /**
     * A version of a job this process learned (the {@code job-changed} route): the stored times of
     * its dispatch are read against the wall clock now, when this process learns them (written here:
     * at once), and measured on the monotonic clock from then on.
     */
    public void learn(Job job) {
        if (!job.isDone() && !job.dispatched) {
            attempts.offerDue(job);
            if (job.firstAttemptAt > 0) {
                times.since(job.jobId, "first-failed-dispatch", job.firstAttemptAt);
            }
        }
    }

    /** The monotonic clock backoffs and deadlines are measured on (tests move it by hand). */
    void setTicker(Ticker ticker) {
        this.times = new JobClock(clock, ticker);
    }

    /**
     * Dispatches the job if its engine has a free slot ({@code MAX_ACTIVE_JOBS}), no older job of
     * that engine is waiting and none is being offered; otherwise it waits {@code queued} with its
     * queue position, and the dispatch timer sends it when its turn comes. Returns true when a runner accepted it now. A
     * failure to record the attempt leaves the job to the timer; it never fails the request.
     */
    public boolean dispatch(String jobId) {
        try {
            return dispatchNow(jobId);
        } finally {
            inline.remove(jobId);
        }
    }

    /** The jobs {@code POST /jobs} is recording and dispatches itself, and since when (see {@link #expectInline}). */
    private final Map<String, Long> inline = new ConcurrentHashMap<>();
    /** How long the dispatch timer leaves a job to its request's own dispatch, should that request never get to it. */
    static final long INLINE_GRACE_MS = 60_000;

    /**
     * A step of {@code POST /jobs} (orchestrator-jobs.camel.yaml) just before it records a job: the
     * dispatch timer leaves the job (and the jobs behind it) to the request's own dispatch, which
     * ends the reservation. Without it the timer's tick between the record and the request's
     * dispatch took the job, and the 202 went out before the runner had it.
     */
    public void expectInline(String jobId) {
        inline.put(jobId, times.tickerMillis());
    }

    /**
     * Segmented burns: a burn job worth splitting is planned at its first dispatch, and a split job's
     * tasks are offered in the job's place in the queue, each taking a slot (SegmentedBurns).
     */
    public void setSegments(SegmentedBurns segments) {
        this.segments = segments;
        attempts.setSegments(segments);
        segments.onSlotFreed(this::wake);
    }

    /** The request that reserved the job ends (dispatched, failed, or a copy recorded it first): so does the reservation. */
    public void notInline(String jobId) {
        if (jobId != null) {
            inline.remove(jobId);
        }
    }

    private boolean dispatchNow(String jobId) {
        if (!jobs.seesAll()) {
            return false; // the leader dispatches: it alone sees the whole queue (Shares)
        }
        try {
            Job job = jobs.get(jobId).orElse(null);
            if (job == null || job.isTerminal() || job.dispatched) {
                return false;
            }
            synchronized (this) { // slot decisions are atomic: two threads never take the last slot twice
                List<Job> queue = slots.waitingByEngine().getOrDefault(job.engine, List.of());
                int free = slots.capacity(job.engine) - slots.activeCount(job.engine);
                int position = indexOf(queue, jobId);
                if (position != 0 || free <= 0 || slots.offering(job.engine) || !slots.take(jobId, job.engine)) {
                    return false; // not its turn (or another offer of its engine is out): retryDue() sends it later
                }
            }
            boolean taken = false;
            try {
                taken = attempts.attempt(job);
                return taken;
            } finally {
                slots.release(jobId);
                if (taken) {
                    offerSoon(false); // the jobs that came in while this offer was out
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("dispatch of job {} deferred to the dispatch timer: {}", jobId, e.toString());
            return false;
        }
    }

    private static int indexOf(List<Job> queue, String jobId) {
        for (int i = 0; i < queue.size(); i++) {
            if (queue.get(i).jobId.equals(jobId)) {
                return i;
            }
        }
        return -1;
    }

    /**
     * A job ended: its runner has a free slot now. The waiting jobs are offered at once (in the
     * background) instead of at the next tick of the dispatch timer.
     */
    public void wake() {
        offerSoon(true);
    }

    /** The waiting jobs are offered now, in the background, not at the dispatch timer's next tick. */
    private void offerSoon(boolean slotFreed) {
        try {
            senders.submit(() -> {
                try {
                    offerWaiting(slotFreed);
                } catch (RuntimeException e) {
                    LOG.debug("dispatch of the waiting jobs: {}", e.toString());
                }
            });
        } catch (RejectedExecutionException e) {
            // closing
        }
    }

    /**
     * The dispatch timer: per engine, sends waiting jobs in order while there are free slots
     * (retrying a runner that was unreachable or busy with backoff), and keeps every waiting job's
     * {@code queuePosition} current. A job whose runner stays unavailable past
     * {@code DISPATCH_DEADLINE_SECONDS} from its first failed attempt fails (with its callback).
     */
    public void retryDue() {
        offerWaiting(false);
    }

    /**
     * Per engine, in order: the queue is first in, first out. A job that waits out a backoff (its
     * runner unreachable) holds the ones behind it; with {@code slotFreed}, the head is offered now
     * even if its short busy-wait has not run out.
     * <p>One offer per engine is out at a time, and the next goes when the runner has taken the one
     * before. The free slots are only what this process believes (MAX_ACTIVE_JOBS before a 429
     * taught it the runner's size; a job the runner has finished counts until its outputs are
     * noticed), and offers sent together race: a later job could reach the runner first and take
     * its last slot while the one ahead of it got 429 (DispatchOrderTest). An offer is answered in
     * milliseconds, so going one at a time costs little.
     */
    synchronized void offerWaiting(boolean slotFreed) {
        if (!jobs.seesAll()) {
            return; // the leader dispatches: it alone sees every engine's waiting and running jobs (Shares)
        }
        long now = clock.millis();
        times.retain(jobs.active().stream().map(j -> j.jobId).collect(Collectors.toSet()));
        for (Map.Entry<Engine, List<Job>> e : slots.waitingByEngine().entrySet()) {
            int free = slots.capacity(e.getKey()) - slots.activeCount(e.getKey());
            int position = 0;
            boolean headWaits = false;
            boolean offering = slots.offering(e.getKey());
            for (Job job : e.getValue()) {
                JobContext.set(job.jobId);
                position++;
                int pos = position;
                jobs.setQueuePosition(job.jobId, pos);
                if (job.firstAttemptAt > 0 && times.since(job.jobId, "first-failed-dispatch", job.firstAttemptAt)
                        > config.dispatchDeadlineSeconds * 1000) {
                    fail(job, "no runner accepted the job within " + config.dispatchDeadlineSeconds + " s ("
                            + job.attempts + " attempts; last: " + job.dispatchError + ")", now);
                    continue;
                }
                Long inlineSince = inline.get(job.jobId);
                if (inlineSince != null && times.tickerMillis() - inlineSince < INLINE_GRACE_MS) {
                    headWaits = true; // its request sends it in a moment; nobody overtakes it meanwhile
                    continue;
                }
                boolean due = attempts.offerDue(job) || (slotFreed && DispatchAttempts.waitsForSlot(job));
                if (headWaits || offering || pos > free || !due || !slots.take(job.jobId, job.engine)) {
                    headWaits |= !due || pos > free; // nobody overtakes a job that waits: the queue keeps its order
                    continue;
                }
                offering = true;
                senders.submit(JobContext.wrap(job.jobId, () -> {
                    boolean taken = false;
                    try {
                        taken = attempts.attempt(job);
                    } catch (RuntimeException ex) {
                        LOG.warn("dispatch of job {} failed: {}", job.jobId, ex.toString());
                    } finally {
                        slots.release(job.jobId);
                    }
                    if (taken) {
                        offerSoon(false); // the next in the queue, if a slot is left
                    }
                }));
            }
        }
    }

    private void fail(Job job, String error, long now) {
        try {
            jobs.transition(job.jobId, j -> {
                if (j.isTerminal() || j.dispatched) {
                    return j;
                }
                Job.Draft d = j.draft();
                JobTransitions.terminate(d, "failed", error, now);
                return d.build();
            }).filter(j -> error.equals(j.error)).ifPresent(j -> LOG.warn("job {} failed: {}", j.jobId, error));
        } catch (RuntimeException e) {
            LOG.warn("cannot fail job {}: {}", job.jobId, e.toString());
        }
    }

    /**
     * Tells the job's runner to stop it ({@code POST {runner}/cancel/{jobId}}, signed); best effort,
     * in the background. At the address the runner reported for the job, so that the cancel reaches
     * the pod that runs it; at the engine's runner URL when it reported none or that address does
     * not answer.
     */
    public void cancelOnRunner(Job job) {
        SegmentedBurns split = segments;
        if (split != null && split.stopTasks(job)) {
            return; // a job in tasks: each of its running tasks is told to stop
        }
        if (job.dispatched) {
            stop.stop(job.jobId, job.engine, job.runnerUrl);
        }
    }

    @Override
    public void close() {
        senders.shutdownNow();
    }
}
