package dev.mediaorchestrator.orchestrator;

import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.LoadingCache;
import dev.mediaorchestrator.Names;
import dev.mediaorchestrator.common.Hmac;
import dev.mediaorchestrator.common.HttpError;
import dev.mediaorchestrator.common.Pools;
import dev.mediaorchestrator.storage.Storage;
import dev.mediaorchestrator.storage.StoreUnavailable;
import org.apache.camel.Endpoint;
import org.apache.camel.ProducerTemplate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * The one owner of job state (docs/architecture.md). Each job is a record in the bucket,
 * {@code state/jobs/{jobId}.json}, whose ETag is its version; a job needing work also has a marker
 * {@code state/active/{jobId}} (the active index).
 *
 * <ul>
 *   <li>{@link #create} writes the marker, then the record with {@code If-None-Match: *}.</li>
 *   <li>{@link #transition} is the only way a job changes: read the record fresh (or take the
 *       version this process wrote or read last), apply a pure function of the current value,
 *       write with {@code If-Match} on that version; on a
 *       conflict (another replica or thread wrote first) read again and re-apply, a bounded number
 *       of times. A write that fails is an {@link HttpError} 503 the caller sees, never a WARN.</li>
 *   <li>Reads for answers ({@link #get}) come from a cache that keeps a job that may still change
 *       for {@value #FRESH_MS} ms and a finished one for a minute; decisions always come from a
 *       transition, on the version in the bucket (a fresh read, or a version its write's
 *       {@code If-Match} proves current).</li>
 *   <li>{@link #active()} is what this process knows of the active index: the jobs it works
 *       ({@link #worked()}, its share: {@link Shares}) and, on the leader, every open job (the
 *       dispatcher's view), kept current by {@link #syncActive()}. Start-up reads them in the
 *       background ({@link #recoverInBackground()}): a replica serves before it has read them.</li>
 *   <li>{@link #sweep()} deletes records {@code JOB_TTL_SECONDS} after their last change once their
 *       callback is delivered; outputs are left alone.</li>
 * </ul>
 */
public final class JobStore implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(JobStore.class);
    private static final char[] BASE32 = "abcdefghijklmnopqrstuvwxyz234567".toCharArray();
    private static final SecureRandom RANDOM = new SecureRandom();
    public static final String STATE_PREFIX = "state/jobs/";
    public static final String ACTIVE_PREFIX = "state/active/";
    /** How long a cached job that may still change answers reads before it is read again. */
    static final long FRESH_MS = 1000;
    static final int MAX_ATTEMPTS = 10;
    static final int LOAD_PARALLELISM = 8;

    private final StateObjects objects;
    private final StateCodec codec;
    private final Duration ttl;
    private final Clock clock;
    private final LoadingCache<String, Job> cache;
    private final Map<String, Job> active = new ConcurrentHashMap<>();
    private final Map<String, Integer> queuePositions = new ConcurrentHashMap<>();
    private final ExecutorService loaders;
    /** Runs the syncs asked for outside the timer (a start, a new leadership), one at a time. */
    private final ExecutorService syncer;
    private volatile Shares shares = Shares.alone();
    /** When each job in {@link #active} was last read from (or written to) the bucket. */
    private final Map<String, Long> readAt = new ConcurrentHashMap<>();
    /** The leader's view covers every open job (a full listing went through since it leads). */
    private volatile boolean fullView;
    /** One sync at a time: the timer's waits for one asked for at a new leadership. */
    private final java.util.concurrent.locks.ReentrantLock syncing = new java.util.concurrent.locks.ReentrantLock();
    private volatile OrchestratorEvents metrics = OrchestratorEvents.NONE;
    /** Where this store hands jobs on (the routes' endpoints); null: nowhere (unit tests without Camel). */
    private final ProducerTemplate routes;
    private final Endpoint changed;
    private final Endpoint terminal;

    /** A store on in-memory objects (unit tests). */
    public JobStore(Duration ttl) {
        this(ttl, StateObjects.inMemory(), new Hmac("unit-test-secret"), Clock.systemUTC());
    }

    public JobStore(Duration ttl, Storage storage, Hmac hmac, Clock clock) {
        this(ttl, StateObjects.of(storage), hmac, clock);
    }

    public JobStore(Duration ttl, StateObjects objects, Hmac hmac, Clock clock) {
        this(ttl, objects, hmac, clock, Pools.PLAIN, null);
    }

    /**
     * The service's store: its pools from Camel; {@code routes} sends each version it learns to
     * {@link Names#JOB_CHANGED} and each job that became terminal to {@link Names#JOB_TERMINAL}
     * (orchestrator-lifecycle.camel.yaml says what follows).
     */
    public JobStore(Duration ttl, StateObjects objects, Hmac hmac, Clock clock, Pools pools, ProducerTemplate routes) {
        this.routes = routes;
        this.changed = routes == null ? null : routes.getCamelContext().getEndpoint(CHANGED);
        this.terminal = routes == null ? null : routes.getCamelContext().getEndpoint(TERMINAL);
        this.loaders = pools.fixed("state-load", LOAD_PARALLELISM);
        this.syncer = pools.fixed("state-sync", 1);
        this.ttl = ttl;
        this.objects = objects;
        this.codec = new StateCodec(hmac);
        this.clock = clock;
        this.cache = Caffeine.newBuilder()
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

    /** How long an id found in no record is answered "unknown" without reading the bucket again. */
    static final long UNKNOWN_MS = 2_000;
    /**
     * Ids looked up recently and not found: a poll of a made-up id costs a bucket read once per
     * {@value #UNKNOWN_MS} ms, not once per request (bounded; a job created here is taken out at
     * once, one created on another replica is seen within that time).
     */
    private final com.github.benmanes.caffeine.cache.Cache<String, Boolean> unknown = Caffeine.newBuilder()
            .maximumSize(100_000).expireAfterWrite(Duration.ofMillis(UNKNOWN_MS)).build();

    /** Counts the jobs this store has written or learned of: a lookup that raced with one is not remembered as unknown. */
    private final java.util.concurrent.atomic.AtomicLong learned = new java.util.concurrent.atomic.AtomicLong();

    private Job load(String jobId) {
        if (unknown.getIfPresent(jobId) != null) {
            return null;
        }
        long before = learned.get();
        Job job = read(jobId);
        if (job == null && learned.get() == before) {
            unknown.put(jobId, Boolean.TRUE);
        } else if (job != null) {
            told(job);
        }
        return job;
    }

    /** Where this store reports to (observability; nothing until set). */
    public void setMetrics(OrchestratorEvents metrics) {
        this.metrics = metrics;
    }

    /** Which jobs this replica works and whether it leads (alone until set: it works every job). */
    public void setShares(Shares shares) {
        this.shares = shares;
        shares.onLeading(this::syncSoon);
    }

    /** The read cache, bound in the Camel registry as {@code jobs} (the {@code GET /jobs/{id}} route reads it). */
    public LoadingCache<String, Job> cache() {
        return cache;
    }

    /** {@code job_} + 26 base32 characters: 130 random bits. */
    public static String newJobId() {
        byte[] b = new byte[17];
        RANDOM.nextBytes(b);
        StringBuilder sb = new StringBuilder("job_");
        long buffer = 0;
        int bits = 0;
        int idx = 0;
        while (sb.length() < 4 + 26) {
            if (bits < 5) {
                buffer = (buffer << 8) | (b[idx++] & 0xff);
                bits += 8;
            }
            sb.append(BASE32[(int) ((buffer >> (bits - 5)) & 31)]);
            bits -= 5;
        }
        return sb.toString();
    }

    public static boolean isJobId(String s) {
        return s != null && s.matches("job_[a-z2-7]{26}");
    }

    /** {@link #create} found a job with the same id recorded already (by a copy of the same request). */
    public static final class AlreadyRecorded extends RuntimeException {
        public AlreadyRecorded(String jobId) {
            super(jobId + " is recorded already", null, false, false);
        }
    }

    /**
     * A state read or write that failed: a 503 the caller sees. When the store failed
     * ({@link StoreUnavailable}, after its retries) the answer names the bucket and what it did.
     */
    static HttpError unavailable(String what, RuntimeException cause) {
        LOG.warn("job state: {} failed: {}", what, cause == null ? "conflicts" : cause.toString());
        String error = "job state could not be " + what + ", retry";
        if (cause instanceof StoreUnavailable store) {
            return store.as(error);
        }
        if (cause instanceof HttpError h && h.getStatus() == 503) {
            return h; // said already (a read inside the cache's loader)
        }
        return new HttpError(503, error).withRetryAfter(5);
    }

    /**
     * Records a new job: its marker in the active index first (a marker without a record is
     * removed by {@link #syncActive()}; a record without a marker would be a job nobody works on),
     * then the record, created only if absent. A failure is a 503 and leaves no job;
     * {@link AlreadyRecorded} when a job with this id is already there (it is left as it is).
     * A write whose answer failed may have gone in all the same (a timeout after the store took
     * it): the record is read back, and when it is this one the job is recorded after all. On a
     * failure the marker stays: another request with the same id (a copy, see
     * {@link JobsApi#record}) may be between its marker and its record, and {@link #syncActive()}
     * removes a marker whose record never came.
     */
    public Job create(Job given) {
        Job job = given;
        if (job.timeline.isEmpty() || (job.owner == null && shares.localId() != null)) {
            Job.Draft d = job.draft();
            if (d.owner == null) {
                d.owner = shares.localId(); // its share: this replica's (Shares)
            }
            if (job.timeline.isEmpty()) {
                d.began(job.phase, job.createdAt);
            }
            job = d.build();
        }
        Job stored = writeNew(job);
        metrics.stateWritten();
        remember(stored);
        metrics.jobCreated(stored);
        return stored;
    }

    /** The marker, then the record if absent: the job as stored (see {@link #create}). */
    private Job writeNew(Job job) {
        Optional<String> created;
        try {
            objects.put(markerKey(job), new byte[0], null, false);
            created = objects.put(recordKey(job.jobId), codec.encode(job), null, true);
        } catch (RuntimeException e) {
            return recordedAfterAll(job, e);
        }
        // when taken, its marker is the other record's too: kept
        return job.withVersion(created.orElseThrow(() -> new AlreadyRecorded(job.jobId)));
    }

    /** After a failed write of {@code job}'s record: the record if it went in all the same; else a 503 (see {@link #create}). */
    private Job recordedAfterAll(Job job, RuntimeException failure) {
        Job written;
        try {
            written = read(job.jobId);
        } catch (RuntimeException unreadable) {
            throw unavailable("recorded", failure); // whether it went in is unknown
        }
        if (written == null) {
            throw unavailable("recorded", failure);
        }
        if (!java.util.Objects.equals(written.dispatchNonce, job.dispatchNonce)) {
            throw new AlreadyRecorded(job.jobId); // another request's, with the same id
        }
        LOG.info("job {} recorded although the store's answer failed: {}", job.jobId, failure.getClass().getSimpleName());
        return written;
    }

    /** The job as last read (at most {@value #FRESH_MS} ms ago while it may change); empty if unknown. */
    public Optional<Job> get(String jobId) {
        if (!isJobId(jobId)) {
            return Optional.empty();
        }
        try {
            return Optional.ofNullable(cache.get(jobId));
        } catch (RuntimeException e) {
            throw unavailable("read", e);
        }
    }

    /** The job as it is in the bucket now. */
    public Optional<Job> fresh(String jobId) {
        if (!isJobId(jobId)) {
            return Optional.empty();
        }
        Job job = read(jobId);
        if (job == null) {
            cache.invalidate(jobId);
            active.remove(jobId);
            readAt.remove(jobId);
        } else {
            remember(job);
        }
        return Optional.ofNullable(job);
    }

    /**
     * Applied to the draft of every write that makes a job terminal, before it is written: the
     * terminal callback's delivery lease goes into that same write (one record write fewer per job;
     * see {@link TerminalCallbacks#leaseAtTheEnd}).
     */
    public void beforeTerminalWrite(Consumer<Job.Draft> change) {
        this.beforeTerminalWrite = change;
    }

    private volatile Consumer<Job.Draft> beforeTerminalWrite = d -> { };

    /**
     * Applies {@code change} to the job as it is in the bucket and writes the result with
     * {@code If-Match} on the version read; re-reads and re-applies on a conflict. {@code change}
     * must be a pure function of its argument (it may run more than once) and return its argument
     * unchanged for "nothing to do". Returns the job as stored afterwards, empty when it does not
     * exist; a failed write is a 503 {@link HttpError}.
     *
     * <p>When this process knows a version of the job (it wrote or read it last), the change is
     * first applied to that version and written with {@code If-Match} on it, without reading the
     * record (#31: every runner callback cost a read and a write): a write that goes in was decided
     * on the version in the bucket, as with a fresh read; one that finds another version there reads
     * and re-applies as above. "Nothing to do" is only ever decided on a fresh read.
     */
    public Optional<Job> transition(String jobId, UnaryOperator<Job> change) {
        if (!isJobId(jobId)) {
            return Optional.empty();
        }
        Job known = known(jobId);
        if (known != null) {
            Job next = change.apply(known);
            if (next != known) {
                Optional<Job> stored = write(known, next);
                if (stored.isPresent()) {
                    return stored;
                }
            }
        }
        for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
            Job current = read(jobId); // a store that cannot be read is already a 503
            if (current == null) {
                return Optional.empty();
            }
            Job next = change.apply(current);
            if (next == current) {
                remember(current);
                return Optional.of(current);
            }
            Optional<Job> stored = write(current, next);
            if (stored.isPresent()) {
                return stored;
            }
            // another writer came first: read again, decide again
        }
        throw unavailable("written (" + MAX_ATTEMPTS + " conflicting writes in a row)", null);
    }

    /** The latest version of the job this process wrote or read, while it may still change; null when none. */
    private Job known(String jobId) {
        Job cached = cache.getIfPresent(jobId);
        Job active = this.active.get(jobId);
        Job known = cached == null || active != null && active.ts > cached.ts ? active : cached;
        return known == null || known.version == null || known.isDone() ? null : known;
    }

    /** Writes {@code next} over {@code current}'s version: the job as stored, or empty when the record is another version now. */
    private Optional<Job> write(Job current, Job next) {
        Job.Draft d = next.draft();
        d.ts = Math.max(clock.millis(), current.ts);
        if (!java.util.Objects.equals(next.phase, current.phase)) {
            d.began(next.phase == null ? next.status : next.phase, d.ts);
        }
        if (!current.isTerminal() && d.isTerminal()) {
            beforeTerminalWrite.accept(d);
        }
        next = d.build();
        Optional<String> etag;
        try {
            etag = objects.put(recordKey(current.jobId), codec.encode(next), current.version, false);
        } catch (RuntimeException e) {
            throw unavailable("written", e);
        }
        if (etag.isEmpty()) {
            return Optional.empty();
        }
        metrics.stateWritten();
        Job stored = next.withVersion(etag.get());
        remember(stored);
        if (stored.isDone()) {
            deleteQuietly(markerKey(stored));
        }
        metrics.jobChanged(stored);
        if (!current.isTerminal() && stored.isTerminal()) {
            handOff(terminal, stored);
        }
        return Optional.of(stored);
    }

    /** The active jobs this process knows of: its share, and on the leader every open job (after {@link #syncActive()}). */
    public Collection<Job> active() {
        return new ArrayList<>(active.values());
    }

    /** The active jobs whose periodic work is this replica's ({@link Shares}): what the timers go through. */
    public Collection<Job> worked() {
        java.util.function.Predicate<Job> share = shares.share();
        return active.values().stream().filter(share).toList();
    }

    /**
     * Whether this process sees every open job, as dispatching needs (the queue's order, the
     * runners' slots): alone, or the leader once a full listing has gone through since it leads.
     */
    public boolean seesAll() {
        return shares.isAlone() || (shares.leader() && fullView);
    }

    /** The key of a job's active marker: {@code state/active/{owner}/{jobId}}, or {@code state/active/{jobId}} without an owner. */
    static String markerKey(Job job) {
        return job.owner == null ? ACTIVE_PREFIX + job.jobId : ACTIVE_PREFIX + job.owner + "/" + job.jobId;
    }

    /** The job id of an active marker's key (either layout), or null. */
    static String jobIdOfMarker(String key) {
        String id = key.substring(key.lastIndexOf('/') + 1);
        return isJobId(id) ? id : null;
    }

    /** Where a waiting job stands in its engine's queue (0: not waiting); a view of this process, set by the dispatcher. */
    public int queuePosition(String jobId) {
        return queuePositions.getOrDefault(jobId, 0);
    }

    void setQueuePosition(String jobId, int position) {
        if (position <= 0) {
            queuePositions.remove(jobId);
        } else {
            queuePositions.put(jobId, position);
        }
    }

    /** Every job record in the bucket (one listing; the dashboard's {@link JobListing} reads it). */
    java.util.List<Storage.Listed> records() {
        return objects.list(STATE_PREFIX);
    }

    /** The job id of a record key of {@link #records()}, or null for anything else under the prefix. */
    static String jobIdOfRecord(String key) {
        if (!key.startsWith(STATE_PREFIX) || !key.endsWith(".json")) {
            return null;
        }
        String id = key.substring(STATE_PREFIX.length(), key.length() - ".json".length());
        return isJobId(id) ? id : null;
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
    public int syncActive() {
        syncing.lock();
        try {
            List<Future<?>> loads = new ArrayList<>();
            if (shares.leader()) {
                if (!listEverything(loads)) {
                    return active.size();
                }
            } else {
                fullView = false;
                java.util.function.Predicate<Job> share = shares.share();
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
                    syncActive();
                } catch (RuntimeException e) {
                    LOG.warn("state sync failed: {}", e.toString());
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closing
        }
    }

    /** A job this replica works is read again after this long without a read or write of it here. */
    static final long REFRESH_MS = 30_000;

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
                loads.add(loaders.submit(() -> fresh(job.jobId))); // its runner's slot: freed, or re-queued, elsewhere?
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
                loads.add(loaders.submit(() -> fresh(job.jobId)));
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

    /**
     * A marker with no record yet is left alone this long: {@link #create} writes the marker, then the
     * record, and a replica whose sync fell between the two removed the marker of a job being created,
     * which then had a record and no marker: no other replica, nor its own creator after a restart,
     * ever worked on it (the scale-out run lost a job so when its creator was killed). A creator
     * that died between the two leaves a marker alone, removed once this has passed.
     */
    static final long UNRECORDED_MARKER_GRACE_MS = 120_000;

    /** Reads one job of the active index and keeps, drops or unlists it; {@code markedAt}: the marker's time, when listed. */
    private void settle(String jobId, java.time.Instant markedAt, String marker) {
        Job job = isJobId(jobId) ? read(jobId) : null;
        if (job == null && isJobId(jobId) && markedAt != null && clock.millis() - markedAt.toEpochMilli() < UNRECORDED_MARKER_GRACE_MS) {
            return; // being created: its record comes next
        }
        if (job == null || job.isDone()) {
            active.remove(jobId);
            readAt.remove(jobId);
            if (job != null) {
                cache.put(jobId, job);
                told(job);
            }
            deleteQuietly(marker);
        } else {
            remember(job);
        }
    }

    /** Written once the active index covers every record (records of versions before the index have no marker). */
    static final String INDEX_MARKER = "state/index-v1";

    /**
     * Records written before the active index existed have no marker: the first start of this
     * version reads every record once and marks the unfinished ones, so no job in flight across the
     * upgrade is forgotten. Later starts skip this ({@value #INDEX_MARKER}).
     */
    private void indexOldRecords() {
        if (objects.get(INDEX_MARKER).isPresent()) {
            return;
        }
        int marked = 0;
        for (Storage.Listed l : objects.list(STATE_PREFIX)) {
            String jobId = l.key().substring(STATE_PREFIX.length()).replace(".json", "");
            try {
                Job job = read(jobId);
                if (job != null && !job.isDone()) {
                    objects.put(markerKey(job), new byte[0], null, false);
                    marked++;
                }
            } catch (RuntimeException e) {
                LOG.warn("cannot index job {}: {}", jobId, e.toString());
            }
        }
        objects.put(INDEX_MARKER, "{}".getBytes(java.nio.charset.StandardCharsets.UTF_8), null, false);
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
            n = syncActive();
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
     * bucket ({@link #get}), and the timers work what has been read so far. Returns when it is done.
     */
    public java.util.concurrent.CompletableFuture<Integer> recoverInBackground() {
        java.util.concurrent.CompletableFuture<Integer> done = new java.util.concurrent.CompletableFuture<>();
        try {
            syncer.submit(() -> {
                try {
                    done.complete(recover());
                } catch (RuntimeException e) {
                    LOG.warn("reading the open jobs after the start failed (the syncs go on): {}", e.toString());
                    done.completeExceptionally(e);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            done.completeExceptionally(e);
        }
        return done;
    }

    /**
     * Retention: deletes the records of jobs that are done and unchanged for {@code JOB_TTL_SECONDS}
     * (the listing's last-modified time picks the candidates; each is read before it goes).
     * Returns how many were deleted.
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
            String jobId = l.key().substring(STATE_PREFIX.length()).replace(".json", "");
            try {
                Optional<Storage.Versioned> v = objects.get(l.key());
                Job job = v.isEmpty() ? null : codec.decode(v.get().data(), v.get().etag());
                if (job == null || job.isDone()) {
                    objects.delete(l.key());
                    deleteQuietly(job == null ? ACTIVE_PREFIX + jobId : markerKey(job));
                    cache.invalidate(jobId);
                    active.remove(jobId);
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

    private void remember(Job job) {
        told(job);
        learned.incrementAndGet();
        unknown.invalidate(job.jobId);
        cache.put(job.jobId, job);
        if (job.isDone()) {
            active.remove(job.jobId);
            readAt.remove(job.jobId);
            queuePositions.remove(job.jobId);
        } else {
            active.merge(job.jobId, job, (old, neu) -> neu.ts >= old.ts ? neu : old);
            readAt.put(job.jobId, clock.millis());
        }
    }

    /**
     * A store made without Camel (unit tests) hands its changes here instead of to
     * {@code direct:job-changed}: the test plays that route's steps.
     */
    private volatile Consumer<Job> changedWithoutRoutes = job -> { };

    /** Tests without Camel: what the {@code job-changed} route would do with each version. */
    void handChangesTo(Consumer<Job> steps) {
        this.changedWithoutRoutes = steps;
    }

    /** Every version of a job this store learns (created, changed here, read from the bucket; the same one may come twice). */
    private void told(Job job) {
        handOff(changed, job);
    }

    /**
     * {@link Names#JOB_CHANGED}, synchronously: its steps only update memory (the dashboard's events
     * and listing, tracing), so a change is never lost or reordered and the writer waits for no I/O.
     * While Camel stops (no consumer) it is not handed on, at once: a {@code direct:} producer would
     * wait 30 s for one.
     */
    static final String CHANGED = Names.JOB_CHANGED + "?block=false&failIfNoConsumers=false";
    /**
     * {@link Names#JOB_TERMINAL}: a queue of at most 1000 (seda's), dropped when full. It only starts
     * the terminal callback and the next dispatch sooner; their timers do both anyway.
     */
    static final String TERMINAL = Names.JOB_TERMINAL + "?discardWhenFull=true";

    /**
     * The job sent to a route. A route's unit of work leaves no job id in the logging context of the
     * thread when it is done: the writer's own (its job id, its trace id) is put back.
     */
    private void handOff(Endpoint endpoint, Job job) {
        if (routes == null) {
            if (endpoint == changed) {
                changedWithoutRoutes.accept(job);
            }
            return;
        }
        Map<String, String> context = MDC.getCopyOfContextMap();
        try {
            routes.sendBody(endpoint, job);
        } catch (RuntimeException e) {
            LOG.debug("handing job {} to {} failed: {}", job.jobId, endpoint, e.toString());
        } finally {
            if (context == null) {
                MDC.clear();
            } else {
                MDC.setContextMap(context);
            }
        }
    }

    /** The record as stored, or null when there is none (or it outlived its TTL). */
    private Job read(String jobId) {
        if (!isJobId(jobId)) {
            return null;
        }
        Optional<Storage.Versioned> v;
        try {
            v = objects.get(recordKey(jobId));
        } catch (RuntimeException e) {
            throw unavailable("read", e);
        }
        metrics.stateRead(v.isPresent());
        if (v.isEmpty()) {
            return null;
        }
        Job job = codec.decode(v.get().data(), v.get().etag());
        if (job.isDone() && clock.millis() - job.ts > ttl.toMillis()) {
            return null; // past its TTL, not yet swept
        }
        return job;
    }

    private static String recordKey(String jobId) {
        return STATE_PREFIX + jobId + ".json";
    }

    private void deleteQuietly(String key) {
        try {
            objects.delete(key);
        } catch (RuntimeException e) {
            LOG.debug("cannot delete {}: {}", key, e.toString());
        }
    }

    @Override
    public void close() {
        syncer.shutdownNow();
        loaders.shutdownNow();
    }
}
