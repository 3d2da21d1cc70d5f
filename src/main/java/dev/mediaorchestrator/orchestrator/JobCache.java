package dev.mediaorchestrator.orchestrator;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.LoadingCache;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The jobs {@link JobStore} answers reads from: a job that may still change for {@value #FRESH_MS}
 * ms, a finished one for a minute, then read from the bucket again. Only answers come from here;
 * decisions come from a transition on the version in the bucket.
 */
final class JobCache {
    /** How long a cached job that may still change answers reads before it is read again. */
    static final long FRESH_MS = 1000;
    /** How long an id found in no record is answered "unknown" without reading the bucket again. */
    static final long UNKNOWN_MS = 2_000;

    private final Function<String, Job> read;
    private final Consumer<Job> told;
    private final LoadingCache<String, Job> jobs;
    /**
     * Ids looked up recently and not found: a poll of a made-up id costs a bucket read once per
     * {@value #UNKNOWN_MS} ms, not once per request (bounded; a job created here is taken out at
     * once, one created on another replica is seen within that time).
     */
    private final Cache<String, Boolean> unknown = Caffeine.newBuilder()
            .maximumSize(100_000).expireAfterWrite(Duration.ofMillis(UNKNOWN_MS)).build();
    /** Counts the jobs the store has written or learned of: a lookup that raced with one is not remembered as unknown. */
    private final AtomicLong learned = new AtomicLong();

    /** {@code read}: the record as stored (null: none); {@code told}: where a job read on a miss is handed on. */
    JobCache(Function<String, Job> read, Consumer<Job> told) {
        this.read = read;
        this.told = told;
        this.jobs = Caffeine.newBuilder()
                .expireAfter(new Expiry<String, Job>() {
                    @Override
                    public long expireAfterCreate(String key, Job job, long now) {
                        return Duration.ofMillis(job.isDone() ? 60_000 : FRESH_MS).toNanos();
                    }

                    @Override
                    public long expireAfterUpdate(String key, Job job, long now, long current) {
                        return expireAfterCreate(key, job, now);
                    }

                    @Override
                    public long expireAfterRead(String key, Job job, long now, long current) {
                        return current;
                    }
                })
                .build(this::load);
    }

    private Job load(String jobId) {
        if (unknown.getIfPresent(jobId) != null) {
            return null;
        }
        long before = learned.get();
        Job job = read.apply(jobId);
        if (job == null && learned.get() == before) {
            unknown.put(jobId, Boolean.TRUE);
        } else if (job != null) {
            told.accept(job);
        }
        return job;
    }

    /** The cache itself, bound in the Camel registry as {@code jobs} (the {@code GET /jobs/{id}} route reads it). */
    LoadingCache<String, Job> loading() {
        return jobs;
    }

    /** The job, read from the bucket when it is not here or no longer fresh; null when unknown. */
    Job get(String jobId) {
        return jobs.get(jobId);
    }

    /** The job if it is here (no read). */
    Job ifPresent(String jobId) {
        return jobs.getIfPresent(jobId);
    }

    /** A version the store wrote or read: answered from now on, and the id no longer unknown. */
    void learn(Job job) {
        learned.incrementAndGet();
        unknown.invalidate(job.jobId);
        jobs.asMap().merge(job.jobId, job, JobCache::later);
    }

    /**
     * Of two versions of a job, the later one: each version's {@code ts} is above the one it
     * replaced (JobStore). Two threads that wrote one version each may tell them here in either
     * order, and a poll must not go back to the older (its progress, even its status, went back).
     */
    static Job later(Job cached, Job learned) {
        return learned.ts < cached.ts ? cached : learned;
    }

    /** A job that is gone from the bucket. */
    void forget(String jobId) {
        jobs.invalidate(jobId);
    }
}
