package dev.mediaorchestrator.orchestrator;

import dev.mediaorchestrator.common.Pools;
import dev.mediaorchestrator.Config;
import dev.mediaorchestrator.common.SignedHttp;
import dev.mediaorchestrator.common.JobContext;
import dev.mediaorchestrator.common.Ticker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Sends a job to its runner: {@code POST {runner}/render} with the engine's payload, signed. Each
 * attempt presigns fresh URLs and a fresh {@code ts} and keeps the job's dispatch nonce. A runner
 * that cannot be reached or refuses leaves the job {@code queued} with the reason in its document.
 */
public final class Dispatcher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Dispatcher.class);
    static final long FIRST_RETRY_MS = 1000;
    static final long MAX_RETRY_MS = 60_000;

    private final Config config;
    private final JobStore jobs;
    private final TransferUrls urls;
    private final SignedHttp http;
    private final Clock clock;
    /** The jobs being offered to a runner now, and their engines: at most one per engine (see {@link #offerWaiting}). */
    private final Map<String, Engine> inFlight = new ConcurrentHashMap<>();
    private final ExecutorService senders;
    private final RunnerAddress runnerAddress;
    private final RunnerStop stop;
    /** Backoffs and the dispatch deadline on the monotonic clock (see {@link JobClock}). */
    private volatile JobClock times;
    /** Segmented burns (docs/segmented-burn.md): a split job's tasks are offered in its place; null: none. */
    private volatile SegmentedBurns segments;

    public Dispatcher(Config config, JobStore jobs, TransferUrls urls, SignedHttp http, Clock clock) {
        this(config, jobs, urls, http, clock, Pools.PLAIN);
    }

    public Dispatcher(Config config, JobStore jobs, TransferUrls urls, SignedHttp http, Clock clock, Pools pools) {
        this.senders = pools.fixed("dispatch-retry", 4);
        this.runnerAddress = new RunnerAddress(config);
        this.stop = new RunnerStop(config, http, clock, senders);
        this.config = config;
        this.jobs = jobs;
        this.urls = urls;
        this.http = http;
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
            offerDue(job);
            if (job.firstAttemptAt > 0) {
                times.since(job.jobId, "first-failed-dispatch", job.firstAttemptAt);
            }
        }
    }

    /** The monotonic clock backoffs and deadlines are measured on (tests move it by hand). */
    void setTicker(Ticker ticker) {
        this.times = new JobClock(clock, ticker);
    }

    /** The longest a job ever waits for its next offer: a backoff, or another replica's claim running out. */
    private long longestWait() {
        return Math.max(MAX_RETRY_MS, config.dispatchTimeoutMs + 5_000);
    }

    /** Whether the job's next offer is due ({@code nextDispatchAt}, read once against the wall clock). */
    private boolean offerDue(Job j) {
        return times.reached(j.jobId, "next-dispatch", j.nextDispatchAt, longestWait());
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
    private final Map<String, Long> inline = new java.util.concurrent.ConcurrentHashMap<>();
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
                List<Job> queue = waitingByEngine().getOrDefault(job.engine, List.of());
                int free = capacity(job.engine) - activeCount(job.engine);
                int position = indexOf(queue, jobId);
                if (position != 0 || free <= 0 || inFlight.containsValue(job.engine) || inFlight.putIfAbsent(jobId, job.engine) != null) {
                    return false; // not its turn (or another offer of its engine is out): retryDue() sends it later
                }
            }
            boolean taken = false;
            try {
                taken = attempt(job);
                return taken;
            } finally {
                inFlight.remove(jobId);
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
        String claim = java.util.UUID.randomUUID().toString();
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
                SignedHttp.Response r = http.post(URI.create(runner + "/render"), task != null ? split.payload(job, task) : payload(job),
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
                    learned.put(job.engine, new long[]{Math.max(1, dispatchedCount(job.engine)), times.tickerMillis()});
                    notTaken(jobId, claim, BUSY, true);
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

    /** A capacity learned from a runner's 429 holds this long; then MAX_ACTIVE_JOBS is tried again (the runner may have grown). */
    static final long LEARNED_CAPACITY_MS = 30_000;
    /** Per engine: how many jobs its runner took before it said busy, and when. */
    private final Map<Engine, long[]> learned = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * How many jobs of an engine may be out at once: MAX_ACTIVE_JOBS, or fewer when the runner has
     * said busy with fewer running. Offers beyond the runner's slots would only be refused and race
     * each other for the next free slot (the queue would lose its order).
     */
    int capacity(Engine engine) {
        long[] l = learned.get(engine);
        if (l == null || times.tickerMillis() - l[1] > LEARNED_CAPACITY_MS) {
            return config.maxActiveJobs;
        }
        return (int) Math.max(1, Math.min(config.maxActiveJobs, l[0]));
    }

    private int dispatchedCount(Engine engine) {
        int n = 0;
        for (Job j : jobs.active()) {
            if (SegmentedBurns.inTasks(j)) {
                n += j.engine == engine && !j.isTerminal() ? j.segments.running() : 0; // each task a slot
                continue;
            }
            if (j.engine == engine && !j.isTerminal() && j.dispatched) {
                n++;
            }
        }
        return n;
    }

    /** How soon a job that a busy runner refused (429) is offered again (at the dispatch timer's next tick after it): a slot may free any moment. */
    static final long BUSY_RETRY_MS = 200;

    /** The dispatch error of a job that a busy runner refused: it waits for a free slot. */
    public static final String BUSY = "runner busy (429): waiting for a free slot";

    /** A job a busy runner refused, not being offered now: it may be offered the moment a slot frees. */
    static boolean waitsForSlot(Job j) {
        return j.dispatchClaim == null && BUSY.equals(j.dispatchError);
    }

    /**
     * Records an attempt the runner did not take, on a fresh read, if this attempt still holds the
     * claim. A busy runner (429) is not a failure: the job keeps its place at the head of its queue,
     * is offered again within {@value #BUSY_RETRY_MS} ms (and at once when a job of its engine ends,
     * {@link #wake()}), no dispatch deadline runs for it, and the runner's capacity is learned.
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
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closing
        }
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

    /** Jobs dispatched to a runner (or being sent to one) and not yet terminal. */
    int activeCount(Engine engine) {
        int n = 0;
        for (Job j : jobs.active()) {
            if (SegmentedBurns.inTasks(j)) {
                // each running task takes a slot, and so does the one being offered
                n += j.engine == engine && !j.isTerminal() ? j.segments.running() + (inFlight.containsKey(j.jobId) ? 1 : 0) : 0;
                continue;
            }
            if (j.engine == engine && !j.isTerminal() && (j.dispatched || inFlight.containsKey(j.jobId))) {
                n++;
            }
        }
        return n;
    }

    /** Per engine, the jobs no runner has accepted yet and none is being sent, oldest first. */
    private Map<Engine, List<Job>> waitingByEngine() {
        Map<Engine, List<Job>> waiting = new EnumMap<>(Engine.class);
        for (Job j : jobs.active()) {
            if (!j.isTerminal() && !j.dispatched && !inFlight.containsKey(j.jobId)) {
                waiting.computeIfAbsent(j.engine, e -> new ArrayList<>()).add(j);
            }
        }
        waiting.values().forEach(l -> l.sort(Comparator.comparingLong((Job j) -> j.createdAt).thenComparing(j -> j.jobId)));
        return waiting;
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
        times.retain(jobs.active().stream().map(j -> j.jobId).collect(java.util.stream.Collectors.toSet()));
        for (Map.Entry<Engine, List<Job>> e : waitingByEngine().entrySet()) {
            int free = capacity(e.getKey()) - activeCount(e.getKey());
            int position = 0;
            boolean headWaits = false;
            boolean offering = inFlight.containsValue(e.getKey());
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
                boolean due = offerDue(job) || (slotFreed && waitsForSlot(job));
                if (headWaits || offering || pos > free || !due || inFlight.putIfAbsent(job.jobId, job.engine) != null) {
                    headWaits |= !due || pos > free; // nobody overtakes a job that waits: the queue keeps its order
                    continue;
                }
                offering = true;
                senders.submit(JobContext.wrap(job.jobId, () -> {
                    boolean taken = false;
                    try {
                        taken = attempt(job);
                    } catch (RuntimeException ex) {
                        LOG.warn("dispatch of job {} failed: {}", job.jobId, ex.toString());
                    } finally {
                        inFlight.remove(job.jobId);
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

    /** The runner payload of CONTRACT.md (Runner endpoints) for the job's engine. */
    Map<String, Object> payload(Job job) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("jobId", job.jobId);
        p.put("mediaId", job.mediaId);
        p.put("engine", job.engine.id);
        p.put("callbackUrl", config.orchestratorBaseUrlContainer + "/callbacks/container");
        p.put("engineOptions", job.options());
        switch (job.engine) {
            case BURNER -> {
                p.put("inputVideoUrl", urls.input(job.mediaId, Engine.InputKind.VIDEO));
                p.put("inputVttUrl", urls.input(job.mediaId, Engine.InputKind.SUBTITLES));
                p.put("outputPutUrl", urls.output(job, Engine.OutputKind.VIDEO));
                p.put("outputVideoKey", job.outputKey(Engine.OutputKind.VIDEO));
            }
            case REMOTION -> {
                p.put("inputVideoUrl", urls.input(job.mediaId, Engine.InputKind.VIDEO));
                p.put("inputDataUrl", urls.input(job.mediaId, Engine.InputKind.COMMENTS));
                p.put("outputPutUrl", urls.output(job, Engine.OutputKind.VIDEO));
                p.put("outputVideoKey", job.outputKey(Engine.OutputKind.VIDEO));
            }
            case DOWNLOADER -> {
                p.put("outputVideoPutUrl", urls.output(job, Engine.OutputKind.VIDEO));
                p.put("outputAudioPutUrl", urls.output(job, Engine.OutputKind.AUDIO));
                p.put("outputMetadataPutUrl", urls.output(job, Engine.OutputKind.METADATA));
                p.put("outputVideoKey", job.outputKey(Engine.OutputKind.VIDEO));
                p.put("outputAudioKey", job.outputKey(Engine.OutputKind.AUDIO));
                p.put("outputMetadataKey", job.outputKey(Engine.OutputKind.METADATA));
                if (job.outputs().contains(Engine.OutputKind.THUMBNAIL)) {
                    p.put("outputThumbnailPutUrl", urls.output(job, Engine.OutputKind.THUMBNAIL));
                    p.put("outputThumbnailKey", job.outputKey(Engine.OutputKind.THUMBNAIL));
                }
                if (!job.subtitleLanguages().isEmpty()) {
                    Map<String, Object> putUrls = new LinkedHashMap<>();
                    Map<String, Object> keys = new LinkedHashMap<>();
                    for (String lang : job.subtitleLanguages()) {
                        putUrls.put(lang, urls.subtitlesOutput(job, lang));
                        keys.put(lang, job.engine.subtitleKey(job.mediaId, job.jobId, lang));
                    }
                    p.put("outputSubtitlePutUrls", putUrls);
                    p.put("outputSubtitleKeys", keys);
                }
            }
        }
        p.put("ts", clock.millis());
        p.put("nonce", job.dispatchNonce);
        return p;
    }
}
