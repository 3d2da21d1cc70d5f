package dev.mediaorchestrator.orchestrator;

import dev.mediaorchestrator.Config;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * What the dispatcher believes of each engine's runners: how many jobs they take at once
 * ({@code MAX_ACTIVE_JOBS}, or fewer learned from a {@code 429}), how many are out now (a
 * segmented burn's running tasks each count), which jobs are being offered now (at most one per
 * engine), and which wait, oldest first. The dispatcher ({@link Dispatcher}) decides with them.
 */
final class RunnerSlots {
    /** A capacity learned from a runner's 429 holds this long; then MAX_ACTIVE_JOBS is tried again (the runner may have grown). */
    static final long LEARNED_CAPACITY_MS = 30_000;

    private final Config config;
    private final JobStore jobs;
    /** The dispatcher's monotonic clock (tests replace it). */
    private final Supplier<JobClock> times;
    /** The jobs being offered to a runner now, and their engines: at most one per engine (see {@link Dispatcher#offerWaiting}). */
    private final Map<String, Engine> inFlight = new ConcurrentHashMap<>();
    /** Per engine: how many jobs its runner took before it said busy, and when. */
    private final Map<Engine, long[]> learned = new ConcurrentHashMap<>();

    RunnerSlots(Config config, JobStore jobs, Supplier<JobClock> times) {
        this.config = config;
        this.jobs = jobs;
        this.times = times;
    }

    /** Whether a job of the engine is being offered now. */
    boolean offering(Engine engine) {
        return inFlight.containsValue(engine);
    }

    /** The job is being offered now; false when it already was. */
    boolean take(String jobId, Engine engine) {
        return inFlight.putIfAbsent(jobId, engine) == null;
    }

    /** The offer of the job is over (taken or not). */
    void release(String jobId) {
        inFlight.remove(jobId);
    }

    /**
     * How many jobs of an engine may be out at once: MAX_ACTIVE_JOBS, or fewer when the runner has
     * said busy with fewer running. Offers beyond the runner's slots would only be refused and race
     * each other for the next free slot (the queue would lose its order).
     */
    int capacity(Engine engine) {
        long[] l = learned.get(engine);
        if (l == null || times.get().tickerMillis() - l[1] > LEARNED_CAPACITY_MS) {
            return config.maxActiveJobs;
        }
        return (int) Math.max(1, Math.min(config.maxActiveJobs, l[0]));
    }

    /** The engine's runner said busy (429): it takes as many jobs as are dispatched to it now, for a while. */
    void busy(Engine engine) {
        learned.put(engine, new long[]{Math.max(1, dispatchedCount(engine)), times.get().tickerMillis()});
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
    Map<Engine, List<Job>> waitingByEngine() {
        Map<Engine, List<Job>> waiting = new EnumMap<>(Engine.class);
        for (Job j : jobs.active()) {
            if (!j.isTerminal() && !j.dispatched && !inFlight.containsKey(j.jobId)) {
                waiting.computeIfAbsent(j.engine, e -> new ArrayList<>()).add(j);
            }
        }
        waiting.values().forEach(l -> l.sort(Comparator.comparingLong((Job j) -> j.createdAt).thenComparing(j -> j.jobId)));
        return waiting;
    }
}
