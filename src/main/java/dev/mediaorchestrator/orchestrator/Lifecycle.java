package dev.mediaorchestrator.orchestrator;

import dev.mediaorchestrator.Config;
import dev.mediaorchestrator.Names;
import dev.mediaorchestrator.common.Pools;
import dev.mediaorchestrator.common.HttpError;
import dev.mediaorchestrator.common.Json;
import dev.mediaorchestrator.common.ReplayCache;
import dev.mediaorchestrator.common.JobContext;
import dev.mediaorchestrator.common.Ticker;
import dev.mediaorchestrator.storage.Storage;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

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
    private final ReplayStore shared;
    private final Clock clock;
    private final Config config;
    private final Dispatcher dispatcher;
    private final ExecutorService heads;
    private final Set<String> checking = ConcurrentHashMap.newKeySet();
    private final RunnerProbes probes;
    private final RunnerAddress runnerAddress;
    private volatile OrchestratorEvents metrics = OrchestratorEvents.NONE;
    /** The job timeout and the output checks' interval, on the monotonic clock (see {@link JobClock}). */
    private volatile JobClock times;
    /** Segmented burns (docs/segmented-burn.md): their tasks are probed, and their segments cleaned up, by the timer; null: none. */
    private volatile SegmentedBurns segments;

    public Lifecycle(Config config, JobStore jobs, Storage storage, ReplayCache replay, ReplayStore shared, Dispatcher dispatcher, Clock clock) {
        this(config, jobs, storage, replay, shared, dispatcher, clock, Pools.PLAIN);
    }

    public Lifecycle(Config config, JobStore jobs, Storage storage, ReplayCache replay, ReplayStore shared, Dispatcher dispatcher, Clock clock,
                     Pools pools) {
        this.heads = pools.fixed("output-check", HEAD_PARALLELISM);
        this.probes = new RunnerProbes(config, jobs, dispatcher, clock, pools, this::fail, this::checkOutputs);
        this.runnerAddress = new RunnerAddress(config);
        this.shared = shared;
        this.config = config;
        this.dispatcher = dispatcher;
        this.jobs = jobs;
        this.storage = storage;
        this.replay = replay;
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
        this.metrics = metrics;
        probes.setMetrics(metrics);
    }

    /** Segmented burns: the timer probes their quiet tasks and cleans up after them; their join's output completes them here. */
    public void setSegments(SegmentedBurns segments) {
        this.segments = segments;
        segments.onOutputsDue(this::checkOutputs);
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
        if (!(body.get("jobId") instanceof String jobId) || jobId.isBlank()) {
            throw HttpError.badRequest("jobId is required");
        }
        if (!(body.get("status") instanceof String status) || status.isBlank()) {
            throw HttpError.badRequest("status is required");
        }
        if (!JobTransitions.isKnownStatus(status)) {
            throw HttpError.badRequest("status is unknown"); // not echoed: the error text stays short and stable
        }
        Job known = jobs.get(jobId).orElseThrow(() -> new HttpError(404, "not found"));
        String signature = exchange.getProperty(Names.SIGNATURE, String.class);
        String nonce = exchange.getProperty(Names.NONCE, String.class);
        List<String> keys = ReplayCache.replayKeys("cb", signature, nonce);
        if (replay.claim(keys, Boolean.TRUE) != null) {
            exchange.setProperty(Names.DUPLICATE, true);
            return;
        }
        try {
            if (shared.claim(keys, null).isPresent()) { // seen by another replica, or before a restart
                exchange.setProperty(Names.DUPLICATE, true);
                return;
            }
        } catch (RuntimeException e) {
            replay.release(keys, Boolean.TRUE);
            throw e;
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
     * ({@link #checkOutputs}). A transition that fails releases the callback's keys, so that the
     * runner's retry is applied rather than taken for a copy.
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
            replay.release(keys, Boolean.TRUE); // not applied: the runner's retry must not be a "duplicate"
            shared.release(keys);
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
    private static final Set<String> PROGRESS_FIELDS = Set.of("jobId", "status", "phase", "progress", "ts", "nonce",
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
    private final Map<String, Double> pendingProgress = new java.util.concurrent.ConcurrentHashMap<>();

    /** The job with the progress this process has heard and not yet written. */
    private Job withPendingProgress(Job job) {
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

    /**
     * A callback of a runner that reports provenance brought the last missing output digest: such a
     * runner reports an output only once it is in the bucket, so the job can complete now instead
     * of at its {@code completed} callback (which then finds it done) or the next timer tick.
     */
    static boolean allDigestsReported(Job job, Map<String, Object> body) {
        if (job.isTerminal() || !job.reportsProvenance || !(body.get("outputs") instanceof Map<?, ?>)) {
            return false;
        }
        return job.outputs().stream().allMatch(k -> hasDigest(job, k.id));
    }

    /** Whether the runner reported the sha256 of the job's output {@code kind}. */
    private static boolean hasDigest(Job job, String kind) {
        return job.provenance.getOrDefault(kind, Map.of()).get("sha256") instanceof String;
    }

    /** How long a job whose outputs are all there waits for its runner's provenance report (since the runner's last word). */
    static final long PROVENANCE_WAIT_MS = 10_000;

    /**
     * Completes the job if all its outputs are in the bucket; returns the job as it is afterwards
     * (completed when they are, or as given when not). The completion itself is a transition on a
     * fresh read, so a job that ended meanwhile (canceled through another replica) stays as it is.
     */
    public Job checkOutputs(Job job) {
        if (job.isTerminal()) {
            return job;
        }
        metrics.outputsChecked(job);
        // each output's size and type as stored (the runner's sha256 is kept when its size agrees)
        Map<String, Storage.ObjectInfo> stored = new java.util.LinkedHashMap<>();
        for (Engine.OutputKind kind : job.outputs()) {
            Optional<Storage.ObjectInfo> info = storage.head(job.outputKey(kind));
            if (info.isEmpty()) {
                return failIfCompletedLongAgo(job);
            }
            stored.put(kind.id, info.get());
        }
        // a runner that reports provenance sends each output's digest once it is up, and completes
        // after its last upload: its job waits for that (while the runner keeps reporting), so the
        // terminal callback carries every sha256; a runner that went quiet does not hold it
        if (job.reportsProvenance && !job.runnerCompleted && clock.millis() - job.lastReportAt < PROVENANCE_WAIT_MS
                && stored.keySet().stream().anyMatch(k -> !hasDigest(job, k))) {
            return job;
        }
        // subtitles: whichever of the languages asked for are there (a video may lack some); the
        // runner puts them up before the last required output, so they are there by now
        List<String> subtitles = job.subtitleLanguages().isEmpty() ? null : foundSubtitles(job);
        // A downloader job carries metadata whatever completes it: mapped from metadata.json when
        // no runner callback brought it (the original downloader sends it only after its uploads).
        Map<String, Object> metadata = job.engine == Engine.DOWNLOADER && job.metadata == null
                ? DownloadMetadata.fromBucket(storage, job) : null;
        long now = clock.millis();
        AtomicBoolean completedHere = new AtomicBoolean();
        Job done = jobs.transition(job.jobId, j -> {
            completedHere.set(false);
            if (j.isTerminal()) {
                return j;
            }
            Job.Draft d = j.draft();
            if (d.metadata == null && metadata != null) {
                d.metadata = metadata;
            }
            if (subtitles != null) {
                d.subtitles = subtitles;
            }
            stored.forEach((kind, info) -> {
                Map<String, Object> p = new java.util.LinkedHashMap<>(d.provenance.getOrDefault(kind, Map.of()));
                if (p.get("size") instanceof Number n && n.longValue() != info.size()) {
                    p.remove("sha256"); // the runner's digest is of other bytes than those stored
                }
                p.put("size", info.size());
                if (info.contentType() != null) {
                    p.putIfAbsent("contentType", info.contentType());
                }
                d.provenance.put(kind, p);
            });
            completedHere.set(JobTransitions.complete(d, now));
            return d.build();
        }).orElse(job);
        if (completedHere.get()) {
            LOG.info("job {} completed ({} ms)", job.jobId, done.durationMs);
        }
        return done;
    }

    /**
     * Issue 28: a runner that says {@code completed} while outputs are missing does not keep its job
     * until {@code JOB_TIMEOUT_SECONDS}. {@code RUNNER_COMPLETED_GRACE_SECONDS} after it first said so
     * (uploads that are still landing, a store that lists late), the job fails naming what is
     * missing; on a fresh read, so a run that began since (a requeue) or a completion is left alone.
     */
    private Job failIfCompletedLongAgo(Job job) {
        long now = clock.millis();
        long saidAt = job.runnerCompletedAt;
        if (!job.runnerCompleted || saidAt == 0 || now - saidAt < config.runnerCompletedGraceSeconds * 1000) {
            return job;
        }
        List<String> missing = job.outputs().stream().map(job::outputKey).filter(key -> storage.head(key).isEmpty()).toList();
        if (missing.isEmpty()) {
            return job; // they are there now: the next check completes it
        }
        return fail(job.jobId, "runner reported completed but outputs are missing: " + String.join(", ", missing), now,
                j -> j.runnerCompleted && j.runnerCompletedAt == saidAt).orElse(job);
    }

    private List<String> foundSubtitles(Job job) {
        String prefix = job.engine.subtitlesPrefix(job.mediaId, job.jobId);
        java.util.Set<String> there = new java.util.HashSet<>(storage.list(prefix));
        return job.subtitleLanguages().stream().filter(lang -> there.contains(prefix + lang + ".vtt")).toList();
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
            return withPendingProgress(job);
        }
        try {
            lastOutputCheck.put(job.jobId, now);
            return withPendingProgress(checkOutputs(job));
        } catch (RuntimeException e) {
            LOG.warn("output check of job {} failed: {}", job.jobId, e.toString());
            return withPendingProgress(job);
        } finally {
            checking.remove(job.jobId);
        }
    }

    /** The completion timer: heads the outputs of every non-terminal job this replica works (its share, {@link Shares}). */
    public void pollOutputs() {
        List<Future<?>> pending = new ArrayList<>();
        java.util.Collection<Job> active = jobs.worked();
        Set<String> activeIds = active.stream().map(j -> j.jobId).collect(java.util.stream.Collectors.toSet());
        probes.retainOnly(activeIds);
        lastOutputCheck.keySet().retainAll(activeIds);
        times.retain(activeIds);
        pendingProgress.keySet().retainAll(activeIds);
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
            boolean check = checking.add(job.jobId);
            if (check) {
                lastOutputCheck.put(job.jobId, times.tickerMillis());
            }
            pending.add(heads.submit(JobContext.wrap(job.jobId, () -> {
                try {
                    flushProgress(job);
                    if (!check || !checkOutputs(job).isTerminal()) {
                        enforceLimits(job);
                    }
                } catch (RuntimeException e) {
                    LOG.warn("output check of job {} failed: {}", job.jobId, e.toString());
                } finally {
                    if (check) {
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
            fail(job.jobId, "job timed out after " + timeout + " s", now, j -> true);
        } else {
            probeIfQuiet(job, now);
        }
    }

    /**
     * Fails the job on a fresh read when {@code stillTrue} holds for it then; tells the runner to
     * stop when this call is what ended the job. Returns the job afterwards.
     */
    private Optional<Job> fail(String jobId, String error, long now, java.util.function.Predicate<Job> stillTrue) {
        AtomicBoolean endedHere = new AtomicBoolean();
        Optional<Job> after = jobs.transition(jobId, j -> {
            endedHere.set(false);
            if (j.isTerminal() || !stillTrue.test(j)) {
                return j;
            }
            Job.Draft d = j.draft();
            JobTransitions.terminate(d, "failed", error, now);
            endedHere.set(true);
            return d.build();
        });
        if (endedHere.get() && after.isPresent()) {
            LOG.warn("job {} failed: {}", jobId, error);
            dispatcher.cancelOnRunner(after.get());
        }
        return after;
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

    /** {@code POST /jobs/{jobId}/cancel}, after the signature and ts checks. */
    public String cancel(String jobId) {
        jobs.get(jobId).orElseThrow(() -> new HttpError(404, "not found"));
        AtomicBoolean canceled = new AtomicBoolean();
        long now = clock.millis();
        Job after = jobs.transition(jobId, j -> {
            canceled.set(false);
            if (j.isTerminal()) {
                return j;
            }
            Job.Draft d = j.draft();
            JobTransitions.terminate(d, "canceled", "canceled by request", now);
            canceled.set(true);
            return d.build();
        }).orElseThrow(() -> new HttpError(404, "not found"));
        if (!canceled.get()) {
            throw new HttpError(409, "job is already " + after.status);
        }
        LOG.info("job {} canceled", jobId);
        dispatcher.cancelOnRunner(after);
        return Json.write(Map.of("jobId", jobId, "status", "canceled"));
    }

    @Override
    public void close() {
        heads.shutdownNow();
        probes.close();
    }
}
