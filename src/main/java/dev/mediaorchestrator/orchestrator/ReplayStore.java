package dev.mediaorchestrator.orchestrator;

import dev.mediaorchestrator.common.Json;
import dev.mediaorchestrator.storage.Storage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Replay memory shared by every replica and kept across restarts (CONTRACT.md, Signatures): each
 * accepted signature, nonce and {@code Idempotency-Key} is an object in the bucket, created with
 * {@code If-None-Match: *}, so the first writer wins wherever it runs. Signatures and nonces live
 * under {@code state/replay/short/} for as long as their {@code ts} could be accepted (600 s past +
 * 60 s future, kept {@value #SHORT_MINUTES} minutes); idempotency keys under
 * {@code state/replay/idem/} for {@code JOB_TTL_SECONDS}. The key names are SHA-256 hashes. An
 * object holds {@code {"pending":true,"jobId":…}} while its request is processed (the id of the job
 * that request is about to record, so that a copy can finish its work should it never answer),
 * then the request's answer.
 */
public final class ReplayStore {
    private static final Logger LOG = LoggerFactory.getLogger(ReplayStore.class);
    public static final String PREFIX = "state/replay/";
    public static final long SHORT_MINUTES = 12;

    private final StateObjects objects;
    private final Clock clock;
    private final Duration idemTtl;

    public ReplayStore(StateObjects objects, Clock clock, Duration idemTtl) {
        this.objects = objects;
        this.clock = clock;
        this.idemTtl = idemTtl;
    }

    /**
     * What a claim found: the earlier request's answer, or null while it is still pending; then
     * {@code jobId} is the job that request is recording (null for requests that record none, and
     * in claims written before the id was kept).
     */
    public record Earlier(String key, String response, String jobId) {
        public boolean pending() {
            return response == null;
        }
    }

    /**
     * Claims every key (e.g. {@code jobs-sig:…}, {@code jobs-nonce:…}, {@code jobs-idem:…}; nulls are
     * skipped) for a request that will record job {@code jobId} (null: none). Returns empty when all
     * were free and are now held; otherwise what the first taken key holds, and none of this call's
     * claims is kept.
     */
    public Optional<Earlier> claim(List<String> keys, String jobId) {
        List<String> mine = new ArrayList<>();
        Map<String, Object> claim = new LinkedHashMap<>();
        claim.put("pending", true);
        claim.put("at", clock.millis());
        if (jobId != null) {
            claim.put("jobId", jobId);
        }
        byte[] pending = Json.writeBytes(claim);
        for (String key : keys) {
            if (key == null || mine.contains(key)) {
                continue;
            }
            Optional<String> created;
            try {
                created = objects.put(objectKey(key), pending, null, true);
            } catch (RuntimeException e) {
                release(mine);
                throw JobStore.unavailable("checked for replays", e);
            }
            if (created.isEmpty()) {
                release(mine);
                return Optional.of(read(key));
            }
            mine.add(key);
        }
        return Optional.empty();
    }

    /** The request that holds {@code keys} was answered {@code response}: replays get it from now on. */
    public void complete(List<String> keys, String response) {
        byte[] done = Json.writeBytes(Map.of("response", response, "at", clock.millis()));
        for (String key : keys) {
            if (key != null) {
                try {
                    objects.put(objectKey(key), done, null, false);
                } catch (RuntimeException e) {
                    LOG.warn("cannot record the answer of a request for replays: {}", e.toString());
                }
            }
        }
    }

    /** Gives up the keys of a request that was not accepted after all (it may be retried). */
    public void release(List<String> keys) {
        keys.stream().filter(Objects::nonNull).forEach(k -> {
            try {
                objects.delete(objectKey(k));
            } catch (RuntimeException e) {
                LOG.warn("cannot release a replay key: {}", e.toString());
            }
        });
    }

    /** The earlier request's answer, waiting up to {@code wait} while it is pending; empty when it went away (failed). */
    public Optional<Earlier> await(String key, Duration wait) {
        long deadline = clock.millis() + wait.toMillis();
        while (true) {
            Earlier e = read(key);
            if (e == null || !e.pending() || clock.millis() >= deadline) {
                return Optional.ofNullable(e);
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                return Optional.of(e);
            }
        }
    }

    /** What the request holding {@code key} left: its answer, pending, or null when no request holds it. */
    public Earlier read(String key) {
        Optional<Storage.Versioned> v = objects.get(objectKey(key));
        if (v.isEmpty()) {
            return null;
        }
        Map<String, Object> m = Json.parseObject(v.get().data());
        return new Earlier(key, m.get("response") instanceof String r ? r : null, m.get("jobId") instanceof String j ? j : null);
    }

    /** Retention: deletes the keys past their lifetime (by the listing's last-modified time). */
    public int sweep() {
        long now = clock.millis();
        int deleted = 0;
        for (String sub : new String[]{"short/", "idem/"}) {
            long keep = sub.equals("short/") ? Duration.ofMinutes(SHORT_MINUTES).toMillis() : idemTtl.toMillis();
            List<Storage.Listed> listed;
            try {
                listed = objects.list(PREFIX + sub);
            } catch (RuntimeException e) {
                LOG.warn("retention: cannot list replay keys: {}", e.getClass().getSimpleName());
                return deleted;
            }
            for (Storage.Listed l : listed) {
                if (l.lastModified() != null && now - l.lastModified().toEpochMilli() > keep) {
                    try {
                        objects.delete(l.key());
                        deleted++;
                    } catch (RuntimeException e) {
                        LOG.warn("retention of a replay key failed: {}", e.toString());
                    }
                }
            }
        }
        return deleted;
    }

    static String objectKey(String key) {
        String sub = key.contains("-idem:") ? "idem/" : "short/";
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
            return PREFIX + sub + HexFormat.of().formatHex(h) + ".json";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
