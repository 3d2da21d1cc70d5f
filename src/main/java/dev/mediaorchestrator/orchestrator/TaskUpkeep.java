package dev.mediaorchestrator.orchestrator;

import com.github.benmanes.caffeine.cache.Caffeine;
import dev.mediaorchestrator.common.JobContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The completion timer's work on segmented burns ({@link Lifecycle#pollOutputs}, over the jobs this
 * replica works): the quiet tasks are probed as quiet jobs are ({@link RunnerProbes}: at the address
 * their burner reported, {@code GET /status/{taskId}}; three misses in a row and the run is lost and
 * runs again), and a job that ended has its segments deleted and its tasks stopped, once
 * (docs/segmented-burn.md §5–6). A restart loses nothing: a task that ran when the orchestrator died
 * is probed like any quiet one (its segment, if it is up, counts), a queued one is offered again.
 */
final class TaskUpkeep implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TaskUpkeep.class);

    private final SegmentedBurns burns;
    private final RunnerProbe probe = new RunnerProbe();
    private final Set<String> probing = ConcurrentHashMap.newKeySet();
    /** When this process last probed each run (a probe that changed nothing writes nothing); forgotten after an hour. */
    private final Map<String, Long> probedAt = Caffeine.newBuilder().maximumSize(100_000)
            .expireAfterWrite(Duration.ofHours(1)).<String, Long>build().asMap();
    private final Set<String> cleaning = ConcurrentHashMap.newKeySet();

    TaskUpkeep(SegmentedBurns burns) {
        this.burns = burns;
    }

    /** Whether the job ended with segments to clean up ({@link #cleanUp}). */
    static boolean needsCleanUp(Job job) {
        return job.isTerminal() && job.segments != null && job.segments.needsCleanUp();
    }

    /** Probes, in the background, each task of the job whose run has been quiet for {@code RUNNER_PROBE_SECONDS}. */
    void probeQuiet(Job job, long now) {
        if (job.isTerminal() || !SegmentedBurns.inTasks(job)) {
            return;
        }
        List<BurnTasks.RunRef> quiet = new ArrayList<>();
        SegmentedBurn sb = job.segments;
        addIfQuiet(quiet, job, SegmentedBurn.Kind.PLAN, -1, sb.plan, now);
        for (SegmentedBurn.Segment s : sb.segments) {
            addIfQuiet(quiet, job, SegmentedBurn.Kind.SEGMENT, s.index(), s.task(), now);
        }
        addIfQuiet(quiet, job, SegmentedBurn.Kind.JOIN, -1, sb.join, now);
        for (BurnTasks.RunRef ref : quiet) {
            SegmentedBurn.Task t = sb.task(ref.kind(), ref.index());
            try {
                burns.pool.submit(JobContext.wrap(job.jobId, () -> {
                    try {
                        apply(job, ref, ask(t), now);
                    } catch (RuntimeException e) {
                        LOG.warn("probe of task {} failed: {}", t.runId(), e.toString());
                    } finally {
                        probedAt.put(t.runId(), burns.clock.millis());
                        probing.remove(t.runId());
                    }
                }));
            } catch (RejectedExecutionException e) {
                probing.remove(t.runId()); // closing
            }
        }
    }

    private void addIfQuiet(List<BurnTasks.RunRef> out, Job job, SegmentedBurn.Kind kind, int index, SegmentedBurn.Task t, long now) {
        if (!t.running() || t.runId() == null) {
            return;
        }
        long quietSince = Math.max(Math.max(t.lastReportAt(), t.lastProbeAt()), probedAt.getOrDefault(t.runId(), 0L));
        if (quietSince == 0 || now - quietSince < burns.config.runnerProbeSeconds * 1000 || !probing.add(t.runId())) {
            return;
        }
        out.add(new BurnTasks.RunRef(job.jobId, kind, index, t.attempts()));
    }

    /**
     * Asks the run's burner at its own address, else (none reported, or no answer there) at the
     * burners' URL, where a 404 is no news of the run's burner (another one answered): no answer.
     */
    private RunnerProbe.Answer ask(SegmentedBurn.Task t) {
        URI configured = burns.config.runnerBaseUrl(Engine.BURNER.id);
        if (t.runnerUrl() == null) {
            return probe.probe(configured, t.runId());
        }
        URI own = URI.create(t.runnerUrl());
        RunnerProbe.Answer direct = probe.probe(own, t.runId());
        if (!direct.unreachable() || configured == null || configured.equals(own)) {
            return direct;
        }
        RunnerProbe.Answer viaService = probe.probe(configured, t.runId());
        return viaService.kind() == RunnerProbe.Kind.NOT_FOUND
                ? RunnerProbe.Answer.unreachable(direct.why() + " at its address, " + viaService.why() + " at " + configured)
                : viaService;
    }

    /** Acts on a probe's answer, on a fresh read: a run that reported after the probe was sent is left alone. */
    private void apply(Job job, BurnTasks.RunRef ref, RunnerProbe.Answer answer, long askedAt) {
        long now = burns.clock.millis();
        switch (answer.kind()) {
            case ALIVE -> alive(job, ref, answer, askedAt, now);
            case FAILED -> burns.ended(job, ref, "runner reports " + answer.status() + (answer.error() == null ? "" : ": " + answer.error()));
            case COMPLETED -> {
                Job fresh = burns.jobs.fresh(job.jobId).orElse(job);
                if (ref.kind() == SegmentedBurn.Kind.JOIN && CompletionCheck.awaitsDigests(fresh, now)) {
                    alive(fresh, ref, answer, askedAt, now); // the join's reports (the output's digest) are on their way
                } else {
                    burns.completed(fresh, ref, Map.of());
                }
            }
            case NOT_FOUND, LOST -> {
                AtomicReference<SegmentTransitions.Ended> outcome = new AtomicReference<>();
                String why = answer.why();
                Job after = burns.jobs.transition(job.jobId, j -> {
                    outcome.set(null);
                    if (!stillQuiet(j, ref, askedAt)) {
                        return j;
                    }
                    Job.Draft d = j.draft();
                    outcome.set(SegmentTransitions.missed(d, ref, why, RunnerProbes.MAX_PROBE_MISSES, burns.config.jobMaxAttempts, now));
                    return outcome.get() == SegmentTransitions.Ended.IGNORED ? j : d.build();
                }).orElse(job);
                if (outcome.get() == null) {
                    LOG.warn("probe of task {}: {}", BurnTasks.runId(job.jobId, ref.kind(), ref.index(), ref.attempt()), why);
                }
                burns.report(job.jobId, ref, "its runner lost it (" + why + ")", outcome.get(), after);
            }
        }
        burns.events.taskProbe(answer.kind().name().toLowerCase(Locale.ROOT)); // counted once its outcome is applied
    }

    private void alive(Job job, BurnTasks.RunRef ref, RunnerProbe.Answer answer, long askedAt, long now) {
        burns.jobs.transition(job.jobId, j -> {
            if (!stillQuiet(j, ref, askedAt)) {
                return j;
            }
            Job.Draft d = j.draft();
            return SegmentTransitions.probedAlive(d, ref, answer.progress(), now) ? d.build() : j;
        });
    }

    private static boolean stillQuiet(Job j, BurnTasks.RunRef ref, long askedAt) {
        return SegmentTransitions.current(j, ref) && j.segments.task(ref.kind(), ref.index()).lastReportAt() <= askedAt;
    }

    /**
     * An ended job's clean-up, once per job at a time: its running tasks are told to stop (unless it
     * completed: then its join made the output, and nothing of it runs), every
     * object under {@code segments/{mediaId}/{jobId}/} is deleted, and the record says so (until then
     * the job stays open: {@link Job#isDone()}, so a restart does it). A segment a burner uploads after
     * this is deleted when its report comes ({@link SegmentedBurns#deleteLate}).
     */
    void cleanUp(Job job) {
        if (!needsCleanUp(job) || !cleaning.add(job.jobId)) {
            return;
        }
        try {
            if (!"completed".equals(job.status)) {
                burns.stopTasks(job); // a completed job's tasks are done: its join wrote the output
            }
            String prefix = BurnTasks.segmentsPrefix(job);
            List<String> keys = burns.storage.list(prefix);
            for (String key : keys) {
                burns.storage.delete(key);
            }
            burns.jobs.transition(job.jobId, j -> {
                Job.Draft d = j.draft();
                return SegmentTransitions.cleaned(d) ? d.build() : j;
            });
            LOG.info("job {} is {}: its {} segment objects are deleted", job.jobId, job.status, keys.size());
        } catch (RuntimeException e) {
            LOG.warn("clean-up of job {}'s segments failed (the next tick tries again): {}", job.jobId, e.toString());
        } finally {
            cleaning.remove(job.jobId);
        }
    }

    @Override
    public void close() {
        probing.clear();
    }
}
