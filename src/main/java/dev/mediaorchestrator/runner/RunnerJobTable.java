package dev.mediaorchestrator.runner;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;

/**
 * One runner's jobs and its capacity: the jobs it works on, each holding one of
 * {@code RUNNER_MAX_CONCURRENCY} slots, and those it finished in the last hour (a copy of their
 * {@code /render} gets the same answer again, {@code /status} still finds them).
 */
final class RunnerJobTable {
    private final int maxConcurrency;
    private final Semaphore slots;
    private final Map<String, RunnerJob> active = new ConcurrentHashMap<>();
    private final Cache<String, RunnerJob> finished = Caffeine.newBuilder().expireAfterWrite(Duration.ofHours(1)).build();

    RunnerJobTable(int maxConcurrency) {
        this.maxConcurrency = maxConcurrency;
        this.slots = new Semaphore(maxConcurrency);
    }

    int maxConcurrency() {
        return maxConcurrency;
    }

    int activeCount() {
        return active.size();
    }

    Collection<RunnerJob> active() {
        return active.values();
    }

    /** The active job {@code jobId}, or null. */
    RunnerJob active(String jobId) {
        return jobId == null ? null : active.get(jobId);
    }

    /** The job {@code jobId}, active or finished in the last hour; null when there is none. */
    RunnerJob find(String jobId) {
        if (jobId == null) {
            return null;
        }
        RunnerJob job = active.get(jobId);
        return job != null ? job : finished.getIfPresent(jobId);
    }

    /** A free slot taken for a new job; false when every slot is taken. */
    boolean takeSlot() {
        return slots.tryAcquire();
    }

    /**
     * Adds {@code job}, which holds a slot ({@link #takeSlot}); when a job of its id came first (the
     * same request twice at once), that job is returned and the slot given back, else null.
     */
    RunnerJob add(RunnerJob job) {
        RunnerJob first = active.putIfAbsent(job.jobId, job);
        if (first != null) {
            slots.release();
        }
        return first;
    }

    /** The job ended: it leaves the active set for the finished ones, and its slot is free. */
    void finished(RunnerJob job) {
        if (active.remove(job.jobId, job)) {
            finished.put(job.jobId, job);
            slots.release();
        }
    }
}
