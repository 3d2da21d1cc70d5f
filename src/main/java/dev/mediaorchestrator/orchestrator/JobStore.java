package dev.mediaorchestrator.orchestrator;

import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.LoadingCache;
import dev.mediaorchestrator.common.Json;
import dev.mediaorchestrator.observability.Metrics;
import dev.mediaorchestrator.storage.Storage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Job records. The hot store is a Caffeine loading cache (bound in the Camel registry as
 * {@code jobs}, read by the routes through camel-caffeine) that expires a job
 * {@code JOB_TTL_SECONDS} after its last change. Every change is written through to the bucket
 * ({@code state/jobs/{jobId}.json}) and a miss loads from there, so a restarted orchestrator on the
 * same bucket still knows its jobs; {@link #recover()} puts the unfinished ones back in the cache so
 * the timers keep working on them.
 */
public final class JobStore {
    private static final Logger LOG = LoggerFactory.getLogger(JobStore.class);
    private static final char[] BASE32 = "abcdefghijklmnopqrstuvwxyz234567".toCharArray();
    private static final SecureRandom RANDOM = new SecureRandom();
    public static final String STATE_PREFIX = "state/jobs/";

    private final LoadingCache<String, Job> cache;
    private final Storage storage;
    private final Duration ttl;
    private final Clock clock;
    private volatile Metrics metrics = Metrics.NONE;
    private volatile Consumer<Job> onTerminal = job -> { };

    /** A store without a durable copy (unit tests). */
    public JobStore(Duration ttl) {
        this(ttl, null, Clock.systemUTC());
    }

    public JobStore(Duration ttl, Storage storage, Clock clock) {
        this.ttl = ttl;
        this.storage = storage;
        this.clock = clock;
        this.cache = Caffeine.newBuilder().expireAfterWrite(ttl).build(this::load);
    }

    /** Where this store reports to (observability; nothing until set). */
    public void setMetrics(Metrics metrics) {
        this.metrics = metrics;
    }

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

    public void put(Job job) {
        synchronized (job) {
            persist(job);
        }
        cache.put(job.jobId, job);
        metrics.jobCreated(job);
    }

    public Optional<Job> get(String jobId) {
        return isJobId(jobId) ? Optional.ofNullable(cache.get(jobId)) : Optional.empty();
    }

    /**
     * Called after each change that leaves a job terminal, outside its lock (the terminal callback
     * starts at once instead of at the next tick of its timer). It must not block.
     */
    public void onTerminal(Consumer<Job> listener) {
        this.onTerminal = listener;
    }

    /** Applies a change to a job under its lock, writes it through and refreshes its expiry; empty if unknown. */
    public Optional<Job> update(String jobId, Consumer<Job> change) {
        Job job = get(jobId).orElse(null);
        if (job == null) {
            return Optional.empty();
        }
        boolean terminal;
        synchronized (job) {
            change.accept(job);
            job.ts = clock.millis();
            persist(job);
            terminal = job.isTerminal();
        }
        cache.put(jobId, job);
        metrics.jobChanged(job);
        if (terminal) {
            onTerminal.accept(job);
        }
        return Optional.of(job);
    }

    /**
     * After a start: loads the jobs that still need work (not terminal, or a terminal callback not
     * yet delivered) from the bucket into the cache. Returns how many.
     */
    public int recover() {
        if (storage == null) {
            return 0;
        }
        int n = 0;
        for (String key : storage.list(STATE_PREFIX)) {
            String jobId = key.substring(STATE_PREFIX.length()).replace(".json", "");
            Job job = cache.get(jobId);
            if (job != null && (!job.isTerminal() || !job.callback.delivered)) {
                n++;
            } else if (job != null) {
                cache.invalidate(jobId);
            }
        }
        if (n > 0) {
            LOG.info("recovered {} unfinished jobs from the bucket", n);
        }
        return n;
    }

    private Job load(String jobId) {
        if (storage == null || !isJobId(jobId)) {
            return null;
        }
        try {
            Optional<Storage.Versioned> v = storage.getSmall(STATE_PREFIX + jobId + ".json");
            if (v.isEmpty()) {
                return null;
            }
            Job job = Job.fromState(Json.parseObject(v.get().data()));
            if (clock.millis() - job.ts > ttl.toMillis()) {
                return null; // past its TTL
            }
            metrics.jobLoaded(job);
            return job;
        } catch (RuntimeException e) {
            LOG.warn("cannot load job {} from the bucket: {}", jobId, e.toString());
            return null;
        }
    }

    private void persist(Job job) {
        if (storage == null) {
            return;
        }
        try {
            storage.putSmall(STATE_PREFIX + job.jobId + ".json", Json.writeBytes(job.toState()), "application/json", null, false);
        } catch (RuntimeException e) {
            LOG.warn("cannot write job {} to the bucket: {}", job.jobId, e.toString());
        }
    }
}
