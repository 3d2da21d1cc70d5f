package dev.mediaorchestrator.orchestrator;

import dev.mediaorchestrator.storage.Storage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

import static dev.mediaorchestrator.orchestrator.JobKeys.ACTIVE_PREFIX;
import static dev.mediaorchestrator.orchestrator.JobKeys.STATE_PREFIX;
import static dev.mediaorchestrator.orchestrator.JobKeys.markerKey;

/**
 * Retention of job records: {@link #sweep()} deletes a record {@code JOB_TTL_SECONDS} after its
 * last change once its callback is delivered (the {@code state-retention-timer} route, bean
 * {@code jobRetention}, on the cluster's leader only); outputs are left alone.
 */
public final class JobRetention {
    private static final Logger LOG = LoggerFactory.getLogger(JobRetention.class);

    private final StateObjects objects;
    private final StateCodec codec;
    private final Duration ttl;
    private final Clock clock;
    /** The job store forgets a swept job (its cache, the active index). */
    private final Consumer<String> forget;

    JobRetention(StateObjects objects, StateCodec codec, Duration ttl, Clock clock, Consumer<String> forget) {
        this.objects = objects;
        this.codec = codec;
        this.ttl = ttl;
        this.clock = clock;
        this.forget = forget;
    }

    /**
     * Deletes the records of jobs that are done and unchanged for {@code JOB_TTL_SECONDS} (the
     * listing's last-modified time picks the candidates; each is read before it goes). Returns how
     * many were deleted.
     */
    public int sweep() {
        long cutoff = clock.millis() - ttl.toMillis();
        int deleted = 0;
        List<Storage.Listed> listed;
        try {
            listed = objects.list(STATE_PREFIX);
        } catch (RuntimeException e) {
            LOG.warn("retention: cannot list job records: {}", e.getClass().getSimpleName());
            return 0;
        }
        for (Storage.Listed l : listed) {
            if (l.lastModified() == null || l.lastModified().toEpochMilli() > cutoff) {
                continue;
            }
            String jobId = JobKeys.nameOfRecord(l.key());
            try {
                Optional<Storage.Versioned> v = objects.get(l.key());
                Job job = v.isEmpty() ? null : codec.decode(v.get().data(), v.get().etag());
                if (job == null || job.isDone()) {
                    objects.delete(l.key());
                    objects.deleteQuietly(job == null ? ACTIVE_PREFIX + jobId : markerKey(job));
                    forget.accept(jobId);
                    deleted++;
                }
            } catch (RuntimeException e) {
                LOG.warn("retention of job {} failed: {}", jobId, e.toString());
            }
        }
        if (deleted > 0) {
            LOG.info("retention: deleted {} job records older than {} s", deleted, ttl.toSeconds());
        }
        return deleted;
    }
}
