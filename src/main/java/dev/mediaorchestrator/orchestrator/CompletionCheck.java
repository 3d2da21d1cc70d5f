package dev.mediaorchestrator.orchestrator;

import dev.mediaorchestrator.Config;
import dev.mediaorchestrator.storage.Storage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * CONTRACT.md's completion detection: a job is completed once all its expected outputs are in the
 * bucket (a HEAD of each), with their sizes and types as stored. Asked by the route
 * {@code runner-report} when a runner says its outputs are up, by a fallback-mode upload, by the
 * completion timer and {@code GET /jobs/{id}} ({@link Lifecycle}), by a probe whose runner says
 * {@code completed} and by a segmented burn's join. A runner's {@code completed} whose outputs stay
 * missing fails its job after {@code RUNNER_COMPLETED_GRACE_SECONDS}.
 */
public final class CompletionCheck {
    private static final Logger LOG = LoggerFactory.getLogger(CompletionCheck.class);
    /** How long a job whose outputs are all there waits for its runner's provenance report (since the runner's last word). */
    static final long PROVENANCE_WAIT_MS = 10_000;

    private final Config config;
    private final JobStore jobs;
    private final Storage storage;
    private final JobEndings endings;
    private final Clock clock;
    private volatile OrchestratorEvents metrics = OrchestratorEvents.NONE;

    public CompletionCheck(Config config, JobStore jobs, Storage storage, JobEndings endings, Clock clock) {
        this.config = config;
        this.jobs = jobs;
        this.storage = storage;
        this.endings = endings;
        this.clock = clock;
    }

    /** Where the checks are counted (observability; nothing until set). */
    public void setMetrics(OrchestratorEvents metrics) {
        this.metrics = metrics;
    }

    /** Whether the runner reported the sha256 of the job's output {@code kind}. */
    static boolean hasDigest(Job job, String kind) {
        return job.provenance.getOrDefault(kind, Map.of()).get("sha256") instanceof String;
    }

    /**
     * Whether the job waits for its runner's digests: the runner reports provenance, has not said
     * {@code completed} in a callback, spoke less than {@link #PROVENANCE_WAIT_MS} ago, and some
     * output's sha256 has not come. The runner sends each digest once the output is up, so an
     * output found in the bucket, or a probe that finds the run done, is ahead of its report.
     */
    static boolean awaitsDigests(Job job, long now) {
        return job.reportsProvenance && !job.runnerCompleted && now - job.lastReportAt < PROVENANCE_WAIT_MS
                && job.outputs().stream().anyMatch(kind -> !hasDigest(job, kind.id));
    }

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
        Map<String, Storage.ObjectInfo> stored = new LinkedHashMap<>();
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
        if (awaitsDigests(job, clock.millis())) {
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
                Map<String, Object> p = new LinkedHashMap<>(d.provenance.getOrDefault(kind, Map.of()));
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
        return endings.fail(job.jobId, "runner reported completed but outputs are missing: " + String.join(", ", missing), now,
                j -> j.runnerCompleted && j.runnerCompletedAt == saidAt).orElse(job);
    }

    private List<String> foundSubtitles(Job job) {
        String prefix = job.engine.subtitlesPrefix(job.mediaId, job.jobId);
        Set<String> there = new HashSet<>(storage.list(prefix));
        return job.subtitleLanguages().stream().filter(lang -> there.contains(prefix + lang + ".vtt")).toList();
    }
}
