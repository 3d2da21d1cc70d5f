package dev.mediaorchestrator.orchestrator;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.mediaorchestrator.Config;
import dev.mediaorchestrator.common.Pools;
import dev.mediaorchestrator.common.SignedHttp;
import dev.mediaorchestrator.storage.Storage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;

/**
 * The orchestrator's side of a segmented burn (docs/segmented-burn.md): which burn jobs are split,
 * and what a task's dispatch, end and stop do to its job. The decisions are {@link SegmentTransitions}
 * on a fresh read; this class does the I/O around them. Its hooks are small: {@link Dispatcher} offers
 * a split job's tasks in the job's place in the queue ({@link #beforeDispatch}, {@link #accepted}),
 * counts each running task as a slot and stops every task of a job that ends ({@link #stopTasks});
 * the tasks' callbacks come to {@link TaskCallbacks}; {@link Lifecycle}'s timer has the quiet tasks
 * probed and an ended job's segments cleaned up ({@link TaskUpkeep}).
 *
 * <p>Which jobs: a burn job whose input is longer than {@code BURN_SEGMENT_SECONDS} (an MP4's
 * duration is read from the bucket, {@link InputDuration}; an unknown one is left to the plan), when
 * the burners say they take segments ({@link BurnerFeatures}). Its first dispatch is then the plan
 * task, whose answer splits it or leaves it to the contract's one run.
 */
public final class SegmentedBurns implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SegmentedBurns.class);

    final Config config;
    final JobStore jobs;
    final Storage storage;
    final Clock clock;
    private final BurnTasks tasks;
    private final BurnerFeatures features;
    final ExecutorService pool;
    private final RunnerStop stop;
    /** Each job's input duration, read once (seconds; {@link InputDuration#UNKNOWN}). */
    private final Cache<String, Double> durations = Caffeine.newBuilder().maximumSize(10_000).expireAfterWrite(Duration.ofHours(1)).build();
    private final TaskUpkeep upkeep;
    volatile SegmentEvents events = SegmentEvents.NONE;
    private volatile Runnable wake = () -> { };
    private volatile UnaryOperator<Job> checkOutputs = j -> j;

    public SegmentedBurns(Config config, JobStore jobs, Storage storage, TransferUrls urls, SignedHttp http, Clock clock, Pools pools) {
        this.config = config;
        this.jobs = jobs;
        this.storage = storage;
        this.clock = clock;
        this.tasks = new BurnTasks(config, urls, clock);
        this.features = new BurnerFeatures(config.runnerBaseUrl(Engine.BURNER.id), clock);
        this.pool = pools.fixed("segment-tasks", 4);
        this.stop = new RunnerStop(config, http, clock, pool);
        this.upkeep = new TaskUpkeep(this);
    }

    /** Where segment and join outcomes are counted (observability; nothing until set). */
    public void setEvents(SegmentEvents events) {
        this.events = events;
    }

    /** What a task's end (a free slot, a task queued again) wakes: the dispatcher's offer of the waiting. */
    void onSlotFreed(Runnable wakeDispatcher) {
        this.wake = wakeDispatcher;
    }

    /** What completes a job whose output is in the bucket ({@link CompletionCheck}). */
    void onOutputsDue(UnaryOperator<Job> check) {
        this.checkOutputs = check;
    }

    TaskUpkeep upkeep() {
        return upkeep;
    }

    /** Whether the job's work is its tasks (being planned, or split) rather than one run. */
    static boolean inTasks(Job job) {
        return job.segments != null && job.segments.inTasks();
    }

    // ---------------------------------------------------------------- dispatch (Dispatcher's hooks)

    /**
     * Before a burn job's first dispatch: plans it when it is worth it (the job afterwards, its plan
     * task queued), else returns it as it is. Planning never fails a job: the plan's answer, its
     * failure or a refusal leaves it to the contract's one run.
     */
    Job beforeDispatch(Job job) {
        if (job.engine != Engine.BURNER || job.segments != null || job.dispatched || config.burnSegmentSeconds == 0
                || !longEnough(job) || !features.segments()) {
            return job;
        }
        long now = clock.millis();
        return jobs.transition(job.jobId, j -> {
            if (j.isTerminal() || j.dispatched || j.segments != null) {
                return j;
            }
            Job.Draft d = j.draft();
            SegmentTransitions.startPlanning(d, now);
            return d.build();
        }).orElse(job);
    }

    /**
     * A bitrate below which no video worth burning goes (128 kbit/s): an input whose duration is not
     * known here (not an MP4 with its duration in the {@code moov}) is planned only when it is at least
     * this big for {@code BURN_SEGMENT_SECONDS}, i.e. it may be longer than one segment.
     */
    static final long MIN_BYTES_PER_SECOND = 16_000;

    /** An input longer than one segment, or of a length not known here but big enough to be (the plan measures it). */
    private boolean longEnough(Job job) {
        String key = Engine.InputKind.VIDEO.key(job.mediaId);
        double seconds = durations.get(job.jobId, id -> {
            double d = InputDuration.of(storage, key);
            if (d != InputDuration.UNKNOWN) {
                return d;
            }
            long size = storage.head(key).map(Storage.ObjectInfo::size).orElse(0L);
            return size >= config.burnSegmentSeconds * MIN_BYTES_PER_SECOND ? Double.MAX_VALUE : 0.0;
        });
        return seconds > config.burnSegmentSeconds;
    }

    Map<String, Object> payload(Job job, BurnTasks.RunRef ref) {
        return tasks.payload(job, ref);
    }

    /**
     * A burner took run {@code ref} (its answer to the dispatch that held {@code claim}): recorded on a
     * fresh read. A job that ended while the dispatch was out, or a task that no longer waited for this
     * run, has the run stopped at once on that burner.
     */
    void accepted(Job job, BurnTasks.RunRef ref, String claim, String runnerUrl) {
        long now = clock.millis();
        AtomicBoolean took = new AtomicBoolean();
        Optional<Job> after = jobs.transition(job.jobId, j -> {
            took.set(false);
            if (j.isTerminal()) {
                return j;
            }
            Job.Draft d = j.draft();
            took.set(SegmentTransitions.accepted(d, ref, runnerUrl, now));
            if (!took.get()) {
                if (!claim.equals(j.dispatchClaim)) {
                    return j;
                }
                d.dispatchClaim = null;
            }
            return d.build();
        });
        String runId = BurnTasks.runId(job.jobId, ref.kind(), ref.index(), ref.attempt());
        if (took.get()) {
            LOG.info("start task {} ({} on {})", runId, ref.kind().name().toLowerCase(Locale.ROOT),
                    runnerUrl != null ? runnerUrl : config.runnerBaseUrl(Engine.BURNER.id));
            if (after.isPresent() && after.get().dispatched) {
                jobs.setQueuePosition(job.jobId, 0);
            }
        } else if (after.isEmpty() || after.get().isTerminal() || !ranHere(after.get(), ref, runId)) {
            LOG.info("task {} is not wanted any more (its job ended, or it ran elsewhere): telling its runner to stop it", runId);
            stop.stop(runId, Engine.BURNER, runnerUrl);
        }
    }

    /** Whether the task's current (or last) run is {@code runId}: its reports began it before this answer came. */
    private static boolean ranHere(Job job, BurnTasks.RunRef ref, String runId) {
        SegmentedBurn.Task t = job.segments == null ? null : job.segments.task(ref.kind(), ref.index());
        return t != null && runId.equals(t.runId());
    }

    /**
     * A burner answered a task's dispatch with 400: it does not take segmented burns (an original
     * burner behind the same URL). Splitting stops for a while ({@link BurnerFeatures#refused}); a
     * refused plan leaves its job to one run at once (true: handled here). Any other task is retried
     * as a failed dispatch is (false).
     */
    boolean refused(Job job, BurnTasks.RunRef ref, String claim, int status, String body) {
        features.refused(BurnTasks.runId(job.jobId, ref.kind(), ref.index(), ref.attempt()), status, body);
        if (ref.kind() != SegmentedBurn.Kind.PLAN) {
            return false;
        }
        long now = clock.millis();
        jobs.transition(job.jobId, j -> {
            if (j.isTerminal() || j.segments == null || j.segments.mode != SegmentedBurn.Mode.PLANNING || !claim.equals(j.dispatchClaim)) {
                return j;
            }
            Job.Draft d = j.draft();
            d.dispatchClaim = null;
            d.segments = j.segments.single("a burner refused the plan (" + status + "): burned in one run");
            d.dispatched = false;
            d.nextDispatchAt = now;
            return d.build();
        });
        events.burnPlanned("plan_failed");
        wake.run();
        return true;
    }

    /** Tells every running task of a job in tasks to stop (the job ended); false for a job of one run. */
    boolean stopTasks(Job job) {
        if (!inTasks(job)) {
            return false;
        }
        SegmentedBurn sb = job.segments;
        if (sb.plan.running()) {
            stop.stop(sb.plan.runId(), Engine.BURNER, sb.plan.runnerUrl());
        }
        for (SegmentedBurn.Segment s : sb.segments) {
            if (s.task().running()) {
                stop.stop(s.task().runId(), Engine.BURNER, s.task().runnerUrl());
            }
        }
        if (sb.join.running()) {
            stop.stop(sb.join.runId(), Engine.BURNER, sb.join.runnerUrl());
        }
        return true;
    }

    // ---------------------------------------------------------------- a run's end (callbacks and probes)

    /**
     * Run {@code ref} says it is done ({@code report}: its {@code completed} callback, or an empty map
     * when a probe found it so). The plan brings the cuts; a segment counts once its object is in the
     * bucket; the join's output completes the job as a plain burn's does. Returns the job afterwards.
     */
    Job completed(Job known, BurnTasks.RunRef ref, Map<String, Object> report) {
        long now = clock.millis();
        return switch (ref.kind()) {
            case PLAN -> {
                if (!(report.get("plan") instanceof Map<?, ?> plan)) {
                    yield ended(known, ref, "its plan did not reach the orchestrator");
                }
                AtomicReference<SegmentedBurn.Mode> mode = new AtomicReference<>();
                Job after = jobs.transition(known.jobId, j -> {
                    Job.Draft d = j.draft();
                    mode.set(SegmentTransitions.planned(d, ref, plan, now));
                    return mode.get() == null ? j : d.build();
                }).orElse(known);
                if (mode.get() != null) {
                    events.burnPlanned(mode.get() == SegmentedBurn.Mode.SPLIT ? "split" : "single");
                    LOG.info("job {} planned: {}", known.jobId, mode.get() == SegmentedBurn.Mode.SPLIT
                            ? after.segments.segments.size() + " segments" : "one run (" + after.segments.reason + ")");
                    wake.run();
                }
                yield after;
            }
            case SEGMENT -> {
                String key = BurnTasks.segmentKey(known, ref.index());
                if (storage.head(key).isEmpty()) {
                    yield ended(known, ref, "it reported completed but " + key + " is not in the bucket");
                }
                String ffmpeg = report.get("tools") instanceof Map<?, ?> t && t.get("ffmpeg") instanceof String v ? v : null;
                AtomicBoolean done = new AtomicBoolean();
                AtomicReference<Long> startedAt = new AtomicReference<>(0L);
                Job after = jobs.transition(known.jobId, j -> {
                    Job.Draft d = j.draft();
                    done.set(SegmentTransitions.segmentDone(d, ref, ffmpeg, config.jobMaxAttempts, now) != null);
                    startedAt.set(done.get() ? d.segments.task(ref.kind(), ref.index()).startedAt() : 0L);
                    return done.get() ? d.build() : j;
                }).orElse(known);
                if (done.get()) {
                    events.segment("completed", Math.max(0, now - startedAt.get()));
                    LOG.info("segment {} of job {} is up ({} of {})", ref.index(), known.jobId, after.segments.completedSegments(),
                            after.segments.segments.size());
                    afterwards(after);
                }
                yield after;
            }
            case JOIN -> {
                if (storage.head(known.outputKey(Engine.OutputKind.VIDEO)).isEmpty() && report.isEmpty()) {
                    yield ended(known, ref, "it reported completed but the output is not in the bucket");
                }
                AtomicBoolean done = new AtomicBoolean();
                Job after = jobs.transition(known.jobId, j -> {
                    Job.Draft d = j.draft();
                    done.set(SegmentTransitions.joinDone(d, ref, report, now));
                    return done.get() ? d.build() : j;
                }).orElse(known);
                if (done.get()) {
                    events.join("completed");
                    after = checkOutputs.apply(after);
                }
                yield after;
            }
        };
    }

    /** Run {@code ref} ended without its result ({@code why}): run again, or past JOB_MAX_ATTEMPTS the job's end. */
    Job ended(Job known, BurnTasks.RunRef ref, String why) {
        long now = clock.millis();
        AtomicReference<SegmentTransitions.Ended> outcome = new AtomicReference<>(SegmentTransitions.Ended.IGNORED);
        Job after = jobs.transition(known.jobId, j -> {
            Job.Draft d = j.draft();
            outcome.set(SegmentTransitions.runEnded(d, ref, why, config.jobMaxAttempts, now));
            return outcome.get() == SegmentTransitions.Ended.IGNORED ? j : d.build();
        }).orElse(known);
        report(known.jobId, ref, why, outcome.get(), after);
        return after;
    }

    /** Counts, logs and acts on what became of a run that ended without its result. */
    void report(String jobId, BurnTasks.RunRef ref, String why, SegmentTransitions.Ended outcome, Job after) {
        if (outcome == null || outcome == SegmentTransitions.Ended.IGNORED) {
            return;
        }
        String runId = BurnTasks.runId(jobId, ref.kind(), ref.index(), ref.attempt());
        String status = outcome == SegmentTransitions.Ended.RETRIED ? "retried" : "failed";
        switch (ref.kind()) {
            case PLAN -> {
                if (outcome == SegmentTransitions.Ended.SINGLE_RUN) {
                    events.burnPlanned("plan_failed");
                }
            }
            case SEGMENT -> events.segment(status, 0);
            case JOIN -> events.join(status);
        }
        switch (outcome) {
            case RETRIED -> LOG.warn("task {} ended: {}; it runs again", runId, why);
            case SINGLE_RUN -> LOG.warn("task {} ended: {}; job {} is burned in one run", runId, why, jobId);
            default -> {
                LOG.warn("job {} failed: {}", jobId, after.error);
                stopTasks(after);
            }
        }
        wake.run();
    }

    /** After a segment is up: the join may be due (a slot is free either way). */
    private void afterwards(Job after) {
        if (after.segments.join.queued()) {
            LOG.info("job {}: every segment is up; the join is queued", after.jobId);
        }
        wake.run();
    }

    /** The job's output may be in the bucket: checked, and the job completed when it is ({@link CompletionCheck}). */
    Job completedOutput(Job job) {
        return checkOutputs.apply(job);
    }

    /** A task's upload that came after its job ended (a segment cannot be used any more): deleted. */
    void deleteLate(Job job, Map<String, Object> report) {
        if (report.get("outputs") instanceof Map<?, ?> outputs && outputs.get("segment") instanceof Map<?, ?> s
                && s.get("key") instanceof String key && key.startsWith(BurnTasks.segmentsPrefix(job))) {
            try {
                storage.delete(key);
                LOG.info("job {} is {}: its late segment {} is deleted", job.jobId, job.status, key);
            } catch (RuntimeException e) {
                LOG.warn("cannot delete the late segment {}: {}", key, e.toString());
            }
        }
    }

    @Override
    public void close() {
        pool.shutdownNow();
        upkeep.close();
    }
}
