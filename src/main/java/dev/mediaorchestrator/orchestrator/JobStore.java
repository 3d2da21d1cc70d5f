package dev.mediaorchestrator.orchestrator;

import com.github.benmanes.caffeine.cache.LoadingCache;
import dev.mediaorchestrator.Names;
import dev.mediaorchestrator.common.Hmac;
import dev.mediaorchestrator.common.HttpError;
import dev.mediaorchestrator.common.Pools;
import dev.mediaorchestrator.storage.Storage;
import dev.mediaorchestrator.storage.StoreUnavailable;
import org.apache.camel.ProducerTemplate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

import static dev.mediaorchestrator.orchestrator.JobKeys.STATE_PREFIX;
import static dev.mediaorchestrator.orchestrator.JobKeys.isJobId;
import static dev.mediaorchestrator.orchestrator.JobKeys.markerKey;
import static dev.mediaorchestrator.orchestrator.JobKeys.recordKey;

/**
 * The one owner of job state (docs/architecture.md). Each job is a record in the bucket whose ETag
 * is its version; a job needing work also has a marker in the active index ({@link JobKeys}).
 *
 * <ul>
 *   <li>{@link #create} writes the marker, then the record with {@code If-None-Match: *}.</li>
 *   <li>{@link #transition} is the only way a job changes: read the record fresh (or take the
 *       version this process wrote or read last), apply a pure function of the current value,
 *       write with {@code If-Match} on that version; on a
 *       conflict (another replica or thread wrote first) read again and re-apply, a bounded number
 *       of times. A write that fails is an {@link HttpError} 503 the caller sees, never a WARN.</li>
 *   <li>Reads for answers ({@link #get}) come from a cache ({@link JobCache}); decisions always
 *       come from a transition, on the version in the bucket (a fresh read, or a version its
 *       write's {@code If-Match} proves current).</li>
 *   <li>Every version it learns goes to its {@link ActiveIndex} (what this process knows of the
 *       open jobs, synced and recovered there) and to the routes ({@link JobHandOffs}).</li>
 *   <li>{@link JobRetention} deletes records once they are done and old.</li>
 * </ul>
 */
public final class JobStore implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(JobStore.class);
    static final int MAX_ATTEMPTS = 10;

    private final StateObjects objects;
    private final StateCodec codec;
    private final Duration ttl;
    private final Clock clock;
    private final JobHandOffs handOffs;
    private final JobCache cache;
    private final ActiveIndex index;
    private final JobRetention retention;
    private volatile OrchestratorEvents metrics = OrchestratorEvents.NONE;
    private volatile Consumer<Job.Draft> beforeTerminalWrite = d -> { };

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
        this.ttl = ttl;
        this.objects = objects;
        this.codec = new StateCodec(hmac);
        this.clock = clock;
        this.handOffs = new JobHandOffs(routes);
        this.cache = new JobCache(this::read, handOffs::changed);
        this.index = new ActiveIndex(this, objects, clock, pools);
        this.retention = new JobRetention(objects, codec, ttl, clock, this::forget);
    }

    /** Where this store reports to (observability; nothing until set). */
    public void setMetrics(OrchestratorEvents metrics) {
        this.metrics = metrics;
        index.setMetrics(metrics);
    }

    /** Which jobs this replica works and whether it leads (alone until set: it works every job). */
    public void setShares(Shares shares) {
        index.setShares(shares);
    }

    /** The read cache, bound in the Camel registry as {@code jobs} (the {@code GET /jobs/{id}} route reads it). */
    public LoadingCache<String, Job> cache() {
        return cache.loading();
    }

    /** The active index as this process knows it, bound as {@code activeIndex} (its sync timer, the start's recovery). */
    public ActiveIndex index() {
        return index;
    }

    /** The retention sweep of job records, bound as {@code jobRetention}. */
    public JobRetention retention() {
        return retention;
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
     * removed by {@link ActiveIndex#sync()}; a record without a marker would be a job nobody works on),
     * then the record, created only if absent. A failure is a 503 and leaves no job;
     * {@link AlreadyRecorded} when a job with this id is already there (it is left as it is).
     * A write whose answer failed may have gone in all the same (a timeout after the store took
     * it): the record is read back, and when it is this one the job is recorded after all. On a
     * failure the marker stays: another request with the same id (a copy, see
     * {@link JobsApi#record}) may be between its marker and its record, and {@link ActiveIndex#sync()}
     * removes a marker whose record never came.
     */
    public Job create(Job given) {
        Job job = given;
        if (job.timeline.isEmpty() || (job.owner == null && index.shares().localId() != null)) {
            Job.Draft d = job.draft();
            if (d.owner == null) {
                d.owner = index.shares().localId(); // its share: this replica's (Shares)
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
        if (!Objects.equals(written.dispatchNonce, job.dispatchNonce)) {
            throw new AlreadyRecorded(job.jobId); // another request's, with the same id
        }
        LOG.info("job {} recorded although the store's answer failed: {}", job.jobId, failure.getClass().getSimpleName());
        return written;
    }

    /** The job as last read (at most {@value JobCache#FRESH_MS} ms ago while it may change); empty if unknown. */
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
            forget(jobId);
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
        Job cached = cache.ifPresent(jobId);
        Job active = index.get(jobId);
        Job known = cached == null || active != null && active.ts > cached.ts ? active : cached;
        return known == null || known.version == null || known.isDone() ? null : known;
    }

    /** Writes {@code next} over {@code current}'s version: the job as stored, or empty when the record is another version now. */
    private Optional<Job> write(Job current, Job next) {
        Job.Draft d = next.draft();
        d.ts = Math.max(clock.millis(), current.ts + 1); // each version's ts above the last: the versions' order (JobCache)
        if (!Objects.equals(next.phase, current.phase)) {
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
            objects.deleteQuietly(markerKey(stored));
        }
        metrics.jobChanged(stored);
        if (!current.isTerminal() && stored.isTerminal()) {
            handOffs.terminal(stored);
        }
        return Optional.of(stored);
    }

    /** The active jobs this process knows of ({@link ActiveIndex#active()}). */
    public Collection<Job> active() {
        return index.active();
    }

    /** The active jobs whose periodic work is this replica's ({@link ActiveIndex#worked()}). */
    public Collection<Job> worked() {
        return index.worked();
    }

    /** Whether this process sees every open job, as dispatching needs ({@link ActiveIndex#seesAll()}). */
    public boolean seesAll() {
        return index.seesAll();
    }

    /** Where a waiting job stands in its engine's queue (0: not waiting); a view of this process, set by the dispatcher. */
    public int queuePosition(String jobId) {
        return index.queuePosition(jobId);
    }

    void setQueuePosition(String jobId, int position) {
        index.setQueuePosition(jobId, position);
    }

    /** Every job record in the bucket (one listing; the dashboard's {@link JobListing} reads it). */
    List<Storage.Listed> records() {
        return objects.list(STATE_PREFIX);
    }

    /** A version of a job read or written here: handed on, answered from the cache, and active while not done. */
    void remember(Job job) {
        handOffs.changed(job);
        cache.learn(job);
        if (job.isDone()) {
            index.forget(job.jobId);
        } else {
            index.keep(job);
        }
    }

    /** A job that is gone from the bucket. */
    private void forget(String jobId) {
        cache.forget(jobId);
        index.forget(jobId);
    }

    /** Tests without Camel: what the {@code job-changed} route would do with each version. */
    void handChangesTo(Consumer<Job> steps) {
        handOffs.changesTo(steps);
    }

    /** The record as stored, or null when there is none (or it outlived its TTL). */
    Job read(String jobId) {
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

    @Override
    public void close() {
        index.close();
    }
}
