package dev.mediaorchestrator.orchestrator;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Job records, in a Caffeine cache that expires a job {@code JOB_TTL_SECONDS} after its last
 * change. The same cache is bound in the Camel registry as {@code jobs}, so routes read it with
 * the camel-caffeine component.
 */
public final class JobStore {
    private static final char[] BASE32 = "abcdefghijklmnopqrstuvwxyz234567".toCharArray();
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Cache<String, Job> cache;

    public JobStore(Duration ttl) {
        this.cache = Caffeine.newBuilder().expireAfterWrite(ttl).build();
    }

    public Cache<String, Job> cache() {
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
        cache.put(job.jobId, job);
    }

    public Optional<Job> get(String jobId) {
        return jobId == null ? Optional.empty() : Optional.ofNullable(cache.getIfPresent(jobId));
    }

    /** Applies a change to a job under its lock and refreshes its expiry; empty if it is unknown. */
    public Optional<Job> update(String jobId, Consumer<Job> change) {
        Job job = cache.getIfPresent(jobId);
        if (job == null) {
            return Optional.empty();
        }
        synchronized (job) {
            change.accept(job);
            job.ts = System.currentTimeMillis();
        }
        cache.put(jobId, job);
        return Optional.of(job);
    }
}
