package dev.mediaorchestrator.orchestrator;

import dev.mediaorchestrator.common.Pools;
import dev.mediaorchestrator.storage.Storage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;

import static dev.mediaorchestrator.orchestrator.JobKeys.ACTIVE_PREFIX;
import static dev.mediaorchestrator.orchestrator.JobKeys.STATE_PREFIX;
import static dev.mediaorchestrator.orchestrator.JobKeys.isJobId;
import static dev.mediaorchestrator.orchestrator.JobKeys.jobIdOfMarker;
import static dev.mediaorchestrator.orchestrator.JobKeys.markerKey;

/**
 * What this process knows of the active index (the markers {@code state/active/…} of the jobs
 * needing work, {@link JobKeys}): the jobs it works ({@link #worked()}, its share: {@link Shares})
 * and, on the leader, every open job (the dispatcher's view), kept current by {@link #sync()} (the
 * {@code state-sync-timer} route, bean {@code activeIndex}). After a start {@link #recoverInBackground()}
 * reads this replica's open jobs: a replica serves before it has read them. The jobs themselves
 * are read and written by {@link JobStore}, which tells this index every version it learns.
 */
public final class ActiveIndex implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ActiveIndex.class);
    static final int LOAD_PARALLELISM = 8;
    /** A job this replica works is read again after this long without a read or write of it here. */
    static final long REFRESH_MS = 30_000;
    /**
     * A marker with no record yet is left alone this long: {@link JobStore#create} writes the marker,
     * then the record, and a replica whose sync fell between the two removed the marker of a job being
     * created, which then had a record and no marker: no other replica, nor its own creator after a
     * restart, ever worked on it (the scale-out run lost a job so when its creator was killed). A
     * creator that died between the two leaves a marker alone, removed once this has passed.
     */
    static final long UNRECORDED_MARKER_GRACE_MS = 120_000;

    private final JobStore store;
    private final StateObjects objects;
    private final Clock clock;
    private final Map<String, Job> active = new ConcurrentHashMap<>();
    private final Map<String, Integer> queuePositions = new ConcurrentHashMap<>();
    /** When each job in {@link #active} was last read from (or written to) the bucket. */
    private final Map<String, Long> readAt = new ConcurrentHashMap<>();
    private final ExecutorService loaders;
    /** Runs the syncs asked for outside the timer (a start, a new leadership), one at a time. */
    private final ExecutorService syncer;
    private volatile Shares shares = Shares.alone();
    /** The leader's view covers every open job (a full listing went through since it leads). */
    private volatile boolean fullView;
    /** One sync at a time: the timer's waits for one asked for at a new leadership. */
    private final ReentrantLock syncing = new ReentrantLock();
    private volatile OrchestratorEvents metrics = OrchestratorEvents.NONE;

    ActiveIndex(JobStore store, StateObjects objects, Clock clock, Pools pools) {
        this.store = store;
        this.objects = objects;
        this.clock = clock;
        this.loaders = pools.fixed("state-load", LOAD_PARALLELISM);
        this.syncer = pools.fixed("state-sync", 1);
    }

    void setMetrics(OrchestratorEvents metrics) {
        this.metrics = metrics;
    }

    /** Which jobs this replica works and whether it leads (alone until set: it works every job). */
    void setShares(Shares shares) {
        this.shares = shares;
        shares.onLeading(this::syncSoon);
    }

    Shares shares() {
        return shares;
    }

    /** The active jobs this process knows of: its share, and on the leader every open job (after {@link #sync()}). */
    public Collection<Job> active() {
        return new ArrayList<>(active.values());
    }

    /** The active jobs whose periodic work is this replica's ({@link Shares}): what the timers go through. */
    public Collection<Job> worked() {
        Predicate<Job> share = shares.share();
        return active.values().stream().filter(share).toList();
    }

    /**
     * Whether this process sees every open job, as dispatching needs (the queue's order, the
     * runners' slots): alone, or the leader once a full listing has gone through since it leads.
     */
    public boolean seesAll() {
        return shares.isAlone() || (shares.leader() && fullView);
    }

    /** The active job, as last known here; null when it is not. */
    Job get(String jobId) {
        return active.get(jobId);
    }

    /** Where a waiting job stands in its engine's queue (0: not waiting); a view of this process, set by the dispatcher. */
    int queuePosition(String jobId) {
        return queuePositions.getOrDefault(jobId, 0);
    }

    void setQueuePosition(String jobId, int position) {
        if (position <= 0) {
            queuePositions.remove(jobId);
        } else {
            queuePositions.put(jobId, position);
        }
    }

    /** A version of an open job the store wrote or read: the newest one is kept. */
    void keep(Job job) {
        active.merge(job.jobId, job, (old, neu) -> neu.ts >= old.ts ? neu : old);
        readAt.put(job.jobId, clock.millis());
    }

    /** A job that is done or gone: no longer active here. */
    void forget(String jobId) {
        active.remove(jobId);
        readAt.remove(jobId);
        queuePositions.remove(jobId);
    }

    /**
     * The state sync (its timer, and at once when this replica becomes the leader). The leader
     * lists the whole active index (every owner's markers: it dispatches, so it must see every open
     * job), loads the jobs it does not know (in parallel), drops those whose marker is gone and
     * removes markers whose record is gone or done; it also reads its dispatched jobs again, so a
     * slot freed or a job re-queued through another replica counts within one sync. Any other
     * replica lists nothing: it forgets the jobs that are not its share. Both read again the jobs
     * they work that they have not read for {@value #REFRESH_MS} ms (ended or changed through another
     * replica). Returns how many jobs are active here.
     */
    public int sync() {
        syncing.lock();
        try {
            List<Future<?>> loads = new ArrayList<>();
            if (shares.leader()) {
                if (!listEverything(loads)) {
                    return active.size();
                }
            } else {
                fullView = false;
                Predicate<Job> share = shares.share();
                active.values().removeIf(j -> !share.test(j));
                readAt.keySet().retainAll(active.keySet());
            }
            refreshStale(loads);
            await(loads);
            if (shares.leader()) {
                fullView = true;
            }
            return active.size();
        } finally {
            syncing.unlock();
        }
    }

    /** A sync in the background, now (a new leadership). */
    public void syncSoon() {
        try {
            syncer.submit(() -> {
                try {
                    sync();
                } catch (RuntimeException e) {
                    LOG.warn("state sync failed: {}", e.toString());
                }
            });
        } catch (RejectedExecutionException e) {
            // closing
        }
    }

    /** The leader's listing of the whole active index; false when the listing failed. */
    private boolean listEverything(List<Future<?>> loads) {
        List<Storage.Listed> listed;
        try {
            listed = objects.list(ACTIVE_PREFIX);
        } catch (RuntimeException e) {
            LOG.warn("cannot list the active jobs in the bucket (next try at the next tick): {}", e.getClass().getSimpleName());
            return false;
        }
        Set<String> ids = new HashSet<>();
        for (Storage.Listed l : listed) {
            String jobId = jobIdOfMarker(l.key());
            if (jobId == null || !ids.add(jobId)) {
                continue;
            }
            if (!active.containsKey(jobId)) {
                loads.add(loaders.submit(() -> settle(jobId, l.lastModified(), l.key())));
            }
        }
        for (Job job : active.values()) {
            if (!ids.contains(job.jobId)) {
                loads.add(loaders.submit(() -> settle(job.jobId, null, markerKey(job)))); // finished elsewhere (or its marker is late)
            } else if (job.dispatched && !job.isTerminal()) {
                loads.add(loaders.submit(() -> store.fresh(job.jobId))); // its runner's slot: freed, or re-queued, elsewhere?
            }
        }
        return true;
    }

    /** Reads again the jobs this replica works that it has not read for {@value #REFRESH_MS} ms. */
    private void refreshStale(List<Future<?>> loads) {
        long now = clock.millis();
        for (Job job : worked()) {
            if (now - readAt.getOrDefault(job.jobId, 0L) >= REFRESH_MS) {
                readAt.put(job.jobId, now);
                loads.add(loaders.submit(() -> store.fresh(job.jobId)));
            }
        }
    }

    private static void await(List<Future<?>> loads) {
        for (Future<?> f : loads) {
            try {
                f.get();
            } catch (Exception e) {
                LOG.warn("loading an active job failed: {}", e.toString());
            }
        }
    }

    /** Reads one job of the active index and keeps, drops or unlists it; {@code markedAt}: the marker's time, when listed. */
    private void settle(String jobId, Instant markedAt, String marker) {
        Job job = isJobId(jobId) ? store.read(jobId) : null;
        if (job == null && isJobId(jobId) && markedAt != null && clock.millis() - markedAt.toEpochMilli() < UNRECORDED_MARKER_GRACE_MS) {
            return; // being created: its record comes next
        }
        if (job == null) {
            forget(jobId);
        } else {
            store.remember(job); // a done one leaves this index
        }
        if (job == null || job.isDone()) {
            objects.deleteQuietly(marker);
        }
    }

    /**
     * Records written before the active index existed have no marker: the first start of this
     * version reads every record once and marks the unfinished ones, so no job in flight across the
     * upgrade is forgotten. Later starts skip this ({@link JobKeys#INDEX_MARKER}).
     */
    private void indexOldRecords() {
        if (objects.get(JobKeys.INDEX_MARKER).isPresent()) {
            return;
        }
        int marked = 0;
        for (Storage.Listed l : objects.list(STATE_PREFIX)) {
            String jobId = JobKeys.nameOfRecord(l.key());
            try {
                Job job = store.read(jobId);
                if (job != null && !job.isDone()) {
                    objects.put(markerKey(job), new byte[0], null, false);
                    marked++;
                }
            } catch (RuntimeException e) {
                LOG.warn("cannot index job {}: {}", jobId, e.toString());
            }
        }
        objects.put(JobKeys.INDEX_MARKER, "{}".getBytes(StandardCharsets.UTF_8), null, false);
        if (marked > 0) {
            LOG.info("indexed {} unfinished jobs written before the active index", marked);
        }
    }

    /**
     * After a start: loads this replica's open jobs (only those: the ones recorded under its id, or
     * alone every open job) into {@link #active()}. The leader's view of the others' comes with its
     * syncs.
     */
    public int recover() {
        indexOldRecords();
        int n;
        if (shares.isAlone()) {
            n = sync();
        } else {
            String own = ACTIVE_PREFIX + shares.localId() + "/";
            List<Future<?>> loads = new ArrayList<>();
            for (Storage.Listed l : objects.list(own)) {
                String jobId = jobIdOfMarker(l.key());
                if (jobId != null && !active.containsKey(jobId)) {
                    loads.add(loaders.submit(() -> settle(jobId, l.lastModified(), l.key())));
                }
            }
            await(loads);
            n = active.size();
        }
        for (Job job : active.values()) {
            metrics.jobLoaded(job);
        }
        if (n > 0) {
            LOG.info("recovered {} unfinished jobs from the bucket", n);
        }
        return n;
    }

    /**
     * {@link #recover()} in the background: a start does not wait for the open jobs (thousands at
     * scale), it serves at once; {@code GET /jobs/{id}} of a job not read yet reads it from the
     * bucket ({@link JobStore#get}), and the timers work what has been read so far. Returns when it is done.
     */
    public CompletableFuture<Integer> recoverInBackground() {
        CompletableFuture<Integer> done = new CompletableFuture<>();
        try {
            syncer.submit(() -> {
                try {
                    done.complete(recover());
                } catch (RuntimeException e) {
                    LOG.warn("reading the open jobs after the start failed (the syncs go on): {}", e.toString());
                    done.completeExceptionally(e);
                }
            });
        } catch (RejectedExecutionException e) {
            done.completeExceptionally(e);
        }
        return done;
    }

    @Override
    public void close() {
        syncer.shutdownNow();
        loaders.shutdownNow();
    }
}
